#include "research/query_eval.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "research/offline_eval.h"
#include "soundsearch/retrieval_metrics.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

constexpr int kCutoff = 15;

// Every stored sound's labels, by id, in id order.
absl::StatusOr<std::vector<std::pair<uint64_t, std::vector<std::string>>>>
LabelledSounds(const SoundCollection& collection) {
  std::vector<std::pair<uint64_t, std::vector<std::string>>> out;
  ListRequest request;
  request.limit = 1000;
  while (true) {
    ASSIGN_OR_RETURN(ListResult page, collection.ListSounds(request));
    for (const SoundRecord& r : page.sounds) {
      out.emplace_back(r.id, r.class_labels);
    }
    if (!page.more || page.sounds.empty()) break;
    request.after_id = page.sounds.back().id;
  }
  return out;
}

// label -> ids carrying it, from LabelledSounds.
std::map<std::string, std::vector<uint64_t>> ByLabel(
    const std::vector<std::pair<uint64_t, std::vector<std::string>>>& sounds) {
  std::map<std::string, std::vector<uint64_t>> out;
  for (const auto& [id, labels] : sounds) {
    for (const std::string& l : labels) out[l].push_back(id);
  }
  return out;
}

struct Scored {
  double ap = 0;
  double r1 = 0;
};

// AP@15 and R1 of `ranking` against `relevant`; R = relevant.size().
Scored Score(const std::vector<uint64_t>& ranking,
             const std::set<uint64_t>& relevant, int64_t collection_size) {
  std::vector<uint8_t> relevance;
  relevance.reserve(ranking.size());
  for (uint64_t id : ranking) relevance.push_back(relevant.count(id) ? 1 : 0);
  Scored s;
  s.ap = AveragePrecisionAtN(relevance, kCutoff,
                             static_cast<int64_t>(relevant.size()));
  auto first = FirstRelevantRank(relevance);
  s.r1 = first.has_value() ? static_cast<double>(*first)
                           : static_cast<double>(collection_size);
  return s;
}

void Finish(std::map<std::string, std::vector<Scored>>& per_label,
            QueryEvalResult* out) {
  double map = 0, mr1 = 0;
  for (auto& [label, scores] : per_label) {
    LabelQueryScores l;
    l.label = label;
    for (const Scored& s : scores) {
      l.scores.map_at_15 += s.ap;
      l.scores.mr1 += s.r1;
    }
    l.scores.queries = static_cast<int64_t>(scores.size());
    if (!scores.empty()) {
      l.scores.map_at_15 /= scores.size();
      l.scores.mr1 /= scores.size();
    }
    map += l.scores.map_at_15;
    mr1 += l.scores.mr1;
    out->macro.queries += l.scores.queries;
    out->labels.push_back(std::move(l));
  }
  if (!out->labels.empty()) {
    out->macro.map_at_15 = map / out->labels.size();
    out->macro.mr1 = mr1 / out->labels.size();
  }
}

}  // namespace

absl::Status AddManifest(SoundCollection& collection,
                         absl::Span<const ManifestRow> rows,
                         const std::string& audio_dir, bool with_tags,
                         int threads) {
  // Decoded and embedded in parallel, committed in manifest order, so that
  // ids (and what depends on them: which sounds back a word vector) do not
  // depend on the threads.
  std::vector<std::optional<PreparedSound>> prepared(rows.size());
  RETURN_IF_ERROR(ParallelFor(
      static_cast<int64_t>(rows.size()), threads,
      [&](int64_t i) -> absl::Status {
        const ManifestRow& row = rows[i];
        const std::string path =
            (std::filesystem::path(audio_dir) / row.fname).string();
        std::ifstream in(path, std::ios::binary);
        if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
        const std::string bytes(std::istreambuf_iterator<char>(in), {});
        SoundInput input;
        input.name = row.name.empty() ? row.fname : row.name;
        input.source = row.fname;
        input.labels = row.labels;
        if (with_tags) input.tags = row.tags;
        auto sound = collection.Prepare(bytes, input);
        if (!sound.ok()) {
          return absl::Status(sound.status().code(),
                              absl::StrCat(path, ": ", sound.status().message()));
        }
        prepared[i] = *std::move(sound);
        return absl::OkStatus();
      }));
  for (size_t i = 0; i < rows.size(); ++i) {
    auto committed = collection.Commit(*std::move(prepared[i]));
    if (!committed.ok()) {
      return absl::Status(committed.status().code(),
                          absl::StrCat(rows[i].fname, ": ",
                                       committed.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<QueryEvalResult> EvaluateLabelTextQueries(
    const SoundCollection& collection, const TextQueryOptions& options) {
  ASSIGN_OR_RETURN(auto sounds, LabelledSounds(collection));
  const auto by_label = ByLabel(sounds);
  const int64_t n = static_cast<int64_t>(sounds.size());
  std::map<std::string, std::vector<Scored>> per_label;
  for (const auto& [label, ids] : by_label) {
    TextQueryOptions query = options;
    query.query.k = static_cast<int>(n);
    query.query.offset = 0;
    const std::string text = absl::StrReplaceAll(label, {{"_", " "}});
    auto result = collection.QueryByText(text, query);
    std::vector<uint64_t> ranking;
    if (result.ok()) {
      for (const QueryHit& h : result->result.hits) ranking.push_back(h.id);
    } else if (!absl::IsNotFound(result.status())) {
      return result.status();
    }
    per_label[label].push_back(
        Score(ranking, std::set<uint64_t>(ids.begin(), ids.end()), n));
  }
  QueryEvalResult out;
  Finish(per_label, &out);
  return out;
}

absl::StatusOr<QueryEvalResult> RandomLabelTextQueries(
    const SoundCollection& collection, int seeds) {
  ASSIGN_OR_RETURN(auto sounds, LabelledSounds(collection));
  const auto by_label = ByLabel(sounds);
  const int64_t n = static_cast<int64_t>(sounds.size());
  std::vector<uint64_t> all;
  for (const auto& [id, labels] : sounds) all.push_back(id);
  std::map<std::string, std::vector<Scored>> per_label;
  for (int seed = 1; seed <= seeds; ++seed) {
    std::mt19937 rng(seed);
    for (const auto& [label, ids] : by_label) {
      std::vector<uint64_t> ranking = all;
      std::shuffle(ranking.begin(), ranking.end(), rng);
      per_label[label].push_back(
          Score(ranking, std::set<uint64_t>(ids.begin(), ids.end()), n));
    }
  }
  QueryEvalResult out;
  Finish(per_label, &out);
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> MostConfusedLabels(
    const SoundCollection& collection, const std::string& space) {
  ASSIGN_OR_RETURN(auto sounds, LabelledSounds(collection));
  std::map<uint64_t, std::vector<std::string>> labels_of(sounds.begin(),
                                                         sounds.end());
  std::map<std::string, std::map<std::string, int>> counts;
  for (const auto& [id, labels] : sounds) {
    QueryOptions options;
    options.space = space;
    options.k = kCutoff;
    ASSIGN_OR_RETURN(QueryResult result, collection.QueryById(id, options));
    for (const std::string& label : labels) {
      for (const QueryHit& hit : result.hits) {
        for (const std::string& other : labels_of[hit.id]) {
          if (other != label) ++counts[label][other];
        }
      }
    }
  }
  std::map<std::string, std::string> out;
  for (const auto& [label, others] : counts) {
    int best = -1;
    for (const auto& [other, n] : others) {
      if (n > best) {
        best = n;
        out[label] = other;
      }
    }
  }
  return out;
}

absl::StatusOr<QueryEvalResult> EvaluateExampleQueries(
    const SoundCollection& collection, const ExampleEvalOptions& options,
    const std::map<std::string, std::string>& confused) {
  if (options.positives < 1) {
    return absl::InvalidArgumentError("positives must be >= 1");
  }
  ASSIGN_OR_RETURN(auto sounds, LabelledSounds(collection));
  const auto by_label = ByLabel(sounds);
  const int64_t n = static_cast<int64_t>(sounds.size());
  std::map<std::string, std::vector<Scored>> per_label;
  std::mt19937 rng(options.seed);
  for (const auto& [label, ids] : by_label) {
    if (static_cast<int>(ids.size()) < options.positives + 1) continue;
    const std::vector<uint64_t>* against = nullptr;
    if (options.negative) {
      auto c = confused.find(label);
      if (c == confused.end()) continue;
      against = &by_label.at(c->second);
    }
    for (size_t q = 0; q < ids.size(); ++q) {
      ExampleQuery query;
      query.strategy = options.strategy;
      query.negative_weight = options.negative_weight;
      std::vector<uint64_t> others;
      for (size_t j = 0; j < ids.size(); ++j) {
        if (j != q) others.push_back(ids[j]);
      }
      std::shuffle(others.begin(), others.end(), rng);
      std::set<uint64_t> examples = {ids[q]};
      query.positive.push_back({ids[q], {}});
      for (int p = 1; p < options.positives; ++p) {
        query.positive.push_back({others[p - 1], {}});
        examples.insert(others[p - 1]);
      }
      if (against != nullptr) {
        std::uniform_int_distribution<size_t> pick(0, against->size() - 1);
        const uint64_t negative = (*against)[pick(rng)];
        query.negative.push_back({negative, {}});
        examples.insert(negative);
      }
      QueryOptions q_options;
      q_options.space = options.space;
      q_options.k = static_cast<int>(n);
      ASSIGN_OR_RETURN(QueryResult result,
                       collection.QueryByExamples(query, q_options));
      std::vector<uint64_t> ranking;
      for (const QueryHit& h : result.hits) ranking.push_back(h.id);
      std::set<uint64_t> relevant;
      for (uint64_t id : ids) {
        if (examples.count(id) == 0) relevant.insert(id);
      }
      per_label[label].push_back(Score(ranking, relevant, n));
    }
  }
  QueryEvalResult out;
  Finish(per_label, &out);
  return out;
}

absl::StatusOr<WordSimilarityResult> EvaluateCollectionWordPairs(
    const SoundCollection& collection, const std::string& space,
    absl::Span<const WordPair> pairs) {
  auto holder = std::make_shared<std::vector<float>>();
  WordVectorLookup lookup =
      [&collection, &space,
       holder](absl::string_view word) -> std::optional<absl::Span<const float>> {
    auto info = collection.WordVector(space, word);
    if (!info.ok()) return std::nullopt;
    *holder = std::move(info->vector);
    return absl::MakeConstSpan(*holder);
  };
  return EvaluateWordSimilarity(pairs, lookup);
}

}  // namespace soundsearch
