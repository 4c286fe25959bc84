#include "tools/eval_across.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "research/across_groups.h"
#include "research/offline_eval.h"
#include "research/recognition_cache.h"
#include "soundsearch/audio_decoder.h"
#include "soundsearch/encoder.h"
#include "soundsearch/retrieval_metrics.h"
#include "soundsearch/sequence_distance.h"
#include "soundsearch/space.h"
#include "soundsearch/speech_kinds.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

using Clock = std::chrono::steady_clock;

// An encoder standing in for the speech encoder when its term counts are
// computed from cached recognitions: the same frame_dim and term layout, no
// recogniser. Encode is never called.
class TermCountEncoder final : public Encoder {
 public:
  explicit TermCountEncoder(const EncoderOptions& o) {
    dim_ = o.speech_word_dims + o.speech_phone_dims;
    layout_.block_sizes = {o.speech_word_dims, o.speech_phone_dims};
    layout_.block_weights = {o.speech_word_weight, o.speech_phone_weight};
  }
  const std::string& kind() const override { return kind_; }
  int sample_rate() const override { return 16000; }
  int frame_dim() const override { return dim_; }
  const TermLayout* term_layout() const override { return &layout_; }
  absl::StatusOr<EncodedClip> Encode(absl::Span<const float>) const override {
    return absl::UnimplementedError("term counts only");
  }

 private:
  const std::string kind_ = "speech";
  int dim_ = 0;
  TermLayout layout_;
};

struct Projected {
  std::vector<float> vectors;
  int dim = 0;
  Metric metric = Metric::kCosine;
};

// Fits the speech space over term counts of `spoken` under `config`; the
// fitted space goes to *fitted_out when it is not null.
absl::StatusOr<Projected> ProjectSpeech(
    const SpaceConfig& config, const std::vector<SpokenContent>& spoken,
    std::unique_ptr<Space>* fitted_out = nullptr) {
  auto encoder = std::make_shared<TermCountEncoder>(config.encoder);
  ASSIGN_OR_RETURN(std::unique_ptr<Space> space,
                   Space::Create(config, encoder));
  std::vector<RawEmbedding> raws(spoken.size());
  for (size_t i = 0; i < spoken.size(); ++i) {
    raws[i].pooled = SpeechTermCounts(spoken[i], config.encoder);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Space> fitted, space->Fit(raws));
  Projected p;
  p.metric = config.metric;
  ASSIGN_OR_RETURN(p.vectors, fitted->ProjectBatch(raws, nullptr, &p.dim));
  if (fitted_out != nullptr) *fitted_out = std::move(fitted);
  return p;
}

struct Row {
  std::string name;
  RetrievalReport report;
};

absl::StatusOr<RetrievalReport> Score(const OfflineCollection& coll,
                                      const Projected& p, int top_n,
                                      double weight,
                                      const std::vector<SpokenContent>* phones,
                                      const RetrievalEvalOptions& eopts,
                                      const NeighbourhoodOptions& expand) {
  RescoreFn rescore;
  if (phones != nullptr && top_n > 0) {
    rescore = [&](int64_t q, int64_t j, double s) {
      return PhoneRerankScore(s, weight, (*phones)[q].phones,
                              (*phones)[j].phones);
    };
  }
  return EvaluateAcrossGroups(
      coll.items, coll.speakers,
      [&](int64_t q, std::vector<int64_t>* ranking) -> absl::Status {
        ASSIGN_OR_RETURN(*ranking, RankAcrossGroups(p.vectors, p.dim, p.metric,
                                                    coll.speakers, q, top_n,
                                                    rescore, expand));
        return absl::OkStatus();
      },
      eopts);
}

std::string Table(const std::vector<Row>& rows) {
  std::string out =
      "| variant | MAP@15 | MAP@150 | MR1 | micro MAP@15 |\n"
      "| --- | ---: | ---: | ---: | ---: |\n";
  for (const Row& r : rows) {
    absl::StrAppendFormat(&out, "| %s | %.3f | %.3f | %.1f | %.3f |\n", r.name,
                          r.report.macro.map[0], r.report.macro.map[1],
                          r.report.macro.mr1, r.report.micro.map[0]);
  }
  return out;
}

// Text queries of spoken content, as QueryByText's speech source runs them:
// each label's name ('_' as a space) is embedded by the speech encoder's
// EncodeText (the words and their dictionary phones), projected by the
// space fitted on the clips, and the whole collection is ranked by the
// space's metric, the first top_n re-scored by PhoneRerankScore against the
// words' phones. Relevant = every clip of the label (a text query has no
// speaker); AP@15 with denominator min(15, R), MR1 0-based; a label the
// dictionary cannot read scores AP 0, MR1 = n. Macro means over labels.
absl::StatusOr<std::string> TextQueryTable(
    const OfflineCollection& coll, const Encoder& encoder, const Space& fitted,
    const Projected& p, const std::vector<SpokenContent>& spoken,
    const std::vector<std::pair<int, double>>& variants) {
  std::map<std::string, std::vector<int64_t>> by_label;
  for (size_t i = 0; i < coll.items.size(); ++i) {
    for (const std::string& l : coll.items[i].labels) {
      by_label[l].push_back(static_cast<int64_t>(i));
    }
  }
  const int64_t n = static_cast<int64_t>(coll.items.size());
  std::string out =
      "| variant | MAP@15 | MR1 | labels read |\n| --- | ---: | ---: | ---: "
      "|\n";
  std::string per_label = "| label | words read | phones |";
  for (const auto& [top_n, weight] : variants) {
    absl::StrAppend(
        &per_label,
        top_n == 0 ? " AP@15 |"
                   : absl::StrFormat(" AP@15 rerank %d/%.2f |", top_n, weight));
  }
  absl::StrAppend(&per_label, "\n| --- | --- | --- |");
  for (size_t v = 0; v < variants.size(); ++v) {
    absl::StrAppend(&per_label, " ---: |");
  }
  absl::StrAppend(&per_label, "\n");
  std::vector<double> ap_sum(variants.size(), 0), mr1_sum(variants.size(), 0);
  int read = 0;
  for (const auto& [label, members] : by_label) {
    std::vector<std::string> words =
        absl::StrSplit(label, absl::ByAnyChar("_ "), absl::SkipEmpty());
    for (std::string& w : words) w = absl::AsciiStrToLower(w);
    absl::StatusOr<EncodedClip> clip = encoder.EncodeText(words);
    std::vector<bool> relevant(n, false);
    for (int64_t m : members) relevant[m] = true;
    std::string row = absl::StrCat("| ", label, " | ");
    if (!clip.ok()) {
      absl::StrAppend(&row, "- | - |");
      for (size_t v = 0; v < variants.size(); ++v) {
        mr1_sum[v] += n;
        absl::StrAppend(&row, " 0 |");
      }
      absl::StrAppend(&per_label, row, "\n");
      continue;
    }
    ++read;
    std::vector<std::string> read_words;
    for (const SpokenWord& w : clip->spoken.words) read_words.push_back(w.word);
    absl::StrAppend(&row, absl::StrJoin(read_words, " "), " | ",
                    absl::StrJoin(clip->spoken.phones, " "), " |");
    RawEmbedding raw;
    raw.pooled.assign(clip->frames.row(0).begin(), clip->frames.row(0).end());
    ASSIGN_OR_RETURN(std::vector<float> q, fitted.Project(raw));
    std::vector<std::pair<double, int64_t>> scored(n);
    for (int64_t j = 0; j < n; ++j) {
      const float* x = &p.vectors[static_cast<size_t>(j) * p.dim];
      double s = 0;
      if (p.metric == Metric::kEuclidean) {
        for (int d = 0; d < p.dim; ++d) s -= (x[d] - q[d]) * (x[d] - q[d]);
      } else {
        for (int d = 0; d < p.dim; ++d) s += x[d] * q[d];
      }
      scored[j] = {s, j};
    }
    std::stable_sort(
        scored.begin(), scored.end(),
        [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t v = 0; v < variants.size(); ++v) {
      std::vector<std::pair<double, int64_t>> ranked = scored;
      const int top = std::min<int64_t>(variants[v].first, n);
      for (int i = 0; i < top; ++i) {
        ranked[i].first = PhoneRerankScore(ranked[i].first, variants[v].second,
                                           clip->spoken.phones,
                                           spoken[ranked[i].second].phones);
      }
      std::stable_sort(
          ranked.begin(), ranked.begin() + top,
          [](const auto& a, const auto& b) { return a.first > b.first; });
      std::vector<uint8_t> rel(n);
      int64_t first = n;
      for (int64_t i = 0; i < n; ++i) {
        rel[i] = relevant[ranked[i].second] ? 1 : 0;
        if (rel[i] && first == n) first = i;
      }
      const double ap =
          AveragePrecisionAtN(rel, 15, static_cast<int>(members.size()));
      ap_sum[v] += ap;
      mr1_sum[v] += static_cast<double>(first);
      absl::StrAppendFormat(&row, " %.3f |", ap);
    }
    absl::StrAppend(&per_label, row, "\n");
  }
  const double labels = static_cast<double>(by_label.size());
  for (size_t v = 0; v < variants.size(); ++v) {
    absl::StrAppendFormat(
        &out, "| %s | %.3f | %.1f | %d / %d |\n",
        variants[v].first == 0
            ? std::string("no re-ranking")
            : absl::StrFormat("phone_edit top_n %d weight %.2f",
                              variants[v].first, variants[v].second),
        ap_sum[v] / labels, mr1_sum[v] / labels, read,
        static_cast<int>(by_label.size()));
  }
  return absl::StrCat(out, "\n", per_label);
}

// The rerank variants of one space: (top_n, weight) pairs; top_n 0 = none.
std::vector<std::pair<int, double>> RerankVariants(const AcrossArgs& args,
                                                   const SpaceConfig& c) {
  std::vector<std::pair<int, double>> out = {{0, 0.0}};
  std::vector<double> weights = args.rerank_weights;
  std::vector<int> tops = args.rerank_top_n;
  if (weights.empty() && c.rerank.kind != RerankKind::kNone) {
    weights.push_back(c.rerank.weight);
  }
  if (tops.empty()) tops.push_back(c.rerank.top_n);
  for (int t : tops) {
    for (double w : weights) out.push_back({t, w});
  }
  return out;
}

}  // namespace

absl::Status RunAcross(const AcrossArgs& args) {
  ASSIGN_OR_RETURN(OfflineCollection coll,
                   LoadOfflineCollection(args.manifest, args.audio_dir));
  std::map<std::string, int> per_speaker;
  for (const std::string& s : coll.speakers) {
    if (s.empty()) {
      return absl::InvalidArgumentError(
          "--across speaker: the manifest needs a speaker for every row");
    }
    ++per_speaker[s];
  }
  std::cout << "# across speakers: " << coll.items.size() << " clips, "
            << per_speaker.size() << " speakers (" << args.manifest << ")\n\n";
  RetrievalEvalOptions eopts;
  eopts.reference_denominator = args.reference;
  eopts.num_threads = args.threads;
  AudioDecoderOptions dopts;
  ASSIGN_OR_RETURN(std::unique_ptr<AudioDecoder> decoder,
                   AudioDecoder::Create(dopts));
  std::vector<std::string> ids;
  for (const LabeledItem& item : coll.items) ids.push_back(item.id);

  // Speech spaces first, so that their phones can re-rank the others.
  std::vector<const SpaceConfig*> order;
  for (const SpaceConfig& c : args.spaces) {
    if (c.encoder.kind == "speech") order.push_back(&c);
  }
  for (const SpaceConfig& c : args.spaces) {
    if (c.encoder.kind != "speech") order.push_back(&c);
  }
  std::optional<std::vector<SpokenContent>> first_phones;
  for (const SpaceConfig* config : order) {
    std::vector<Row> rows;
    Projected p;
    const std::vector<SpokenContent>* phones = nullptr;
    std::vector<SpokenContent> spoken;
    std::string speed;
    if (config->encoder.kind == "speech") {
      const std::string cache =
          args.spoken_cache.empty()
              ? ""
              : absl::StrCat(args.spoken_cache, "/", config->name, ".tsv");
      const std::string key = SpeechRecognitionKey(config->encoder);
      absl::StatusOr<std::vector<SpokenContent>> cached =
          cache.empty() ? absl::NotFoundError("no cache")
                        : ReadRecognitionCache(cache, key, ids);
      if (!cached.ok() && !cache.empty() && std::filesystem::exists(cache)) {
        std::cerr << "space " << config->name << ": not reusing "
                  << cached.status().message() << "\n";
      }
      if (cached.ok()) {
        spoken = std::move(cached).value();
        std::cerr << "space " << config->name << ": recognitions from " << cache
                  << "\n";
      } else {
        ASSIGN_OR_RETURN(std::unique_ptr<Encoder> encoder,
                         Encoder::Create(config->encoder));
        std::cerr << "space " << config->name << ": recognising "
                  << coll.paths.size() << " files\n";
        const auto start = Clock::now();
        const std::clock_t cpu_start = std::clock();
        ASSIGN_OR_RETURN(
            std::vector<EncodedClip> clips,
            EncodeFiles(*encoder, *decoder, coll.paths, args.threads));
        const double cpu =
            static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
        const double wall =
            std::chrono::duration<double>(Clock::now() - start).count();
        for (EncodedClip& clip : clips)
          spoken.push_back(std::move(clip.spoken));
        speed =
            absl::StrFormat("recognition: %.1f s CPU, %.1f s wall", cpu, wall);
        if (!cache.empty()) {
          std::filesystem::create_directories(args.spoken_cache);
          RETURN_IF_ERROR(WriteRecognitionCache(cache, key, ids, spoken));
          std::cerr << "wrote " << cache << "\n";
        }
      }
      std::unique_ptr<Space> fitted;
      ASSIGN_OR_RETURN(p, ProjectSpeech(*config, spoken, &fitted));
      phones = &spoken;
      if (args.text_queries) {
        ASSIGN_OR_RETURN(std::unique_ptr<Encoder> reader,
                         Encoder::Create(config->encoder));
        ASSIGN_OR_RETURN(std::string table,
                         TextQueryTable(coll, *reader, *fitted, p, spoken,
                                        RerankVariants(args, *config)));
        std::cout << "## text queries of spoken content, space `"
                  << config->name << "` (each label's name)\n\n"
                  << table << "\n";
      }
      if (!first_phones.has_value()) first_phones = spoken;
    } else {
      ASSIGN_OR_RETURN(std::unique_ptr<Space> space, Space::Create(*config));
      std::cerr << "space " << config->name << ": embedding "
                << coll.paths.size() << " files\n";
      ASSIGN_OR_RETURN(std::vector<RawEmbedding> raws,
                       EmbedFiles(*space, *decoder, coll.paths, args.threads));
      ASSIGN_OR_RETURN(std::unique_ptr<Space> fitted, space->Fit(raws));
      p.metric = config->metric;
      ASSIGN_OR_RETURN(p.vectors, fitted->ProjectBatch(raws, nullptr, &p.dim));
      if (first_phones.has_value()) phones = &*first_phones;
    }
    // The config's own query expansion, as the server runs it, then the
    // --expand variants without re-ranking.
    const std::string expand_text =
        config->expand.enabled()
            ? absl::StrCat(", expand ", NeighbourhoodText(config->expand))
            : "";
    for (const auto& [top_n, weight] : RerankVariants(args, *config)) {
      if (top_n > 0 && phones == nullptr) continue;
      ASSIGN_OR_RETURN(
          RetrievalReport report,
          Score(coll, p, top_n, weight, phones, eopts, config->expand));
      rows.push_back({top_n == 0
                          ? absl::StrCat("no re-ranking", expand_text)
                          : absl::StrFormat("phone_edit top_n %d weight %.2f%s",
                                            top_n, weight, expand_text),
                      std::move(report)});
    }
    for (const NeighbourhoodOptions& e : args.expand_variants) {
      ASSIGN_OR_RETURN(RetrievalReport report,
                       Score(coll, p, 0, 0.0, nullptr, eopts, e));
      rows.push_back(
          {absl::StrCat("no re-ranking, expand ", NeighbourhoodText(e)),
           std::move(report)});
    }
    std::cout << "## space `" << config->name << "` (" << config->encoder.kind
              << ", index dim " << p.dim << ")\n\n";
    if (!speed.empty()) std::cout << speed << "\n\n";
    std::cout << Table(rows) << "\n";
    if (config->encoder.kind != "speech" || !args.speech_sweep) continue;

    // The vector's parameters over this one recognition pass.
    std::vector<Row> sweep;
    const std::vector<std::pair<int, int>> orders = {{1, 1}, {1, 2}, {1, 3},
                                                     {2, 3}, {1, 4}, {2, 4}};
    const std::vector<int> phone_dims = {1024, 4096, 16384};
    const std::vector<double> word_weights = {0.0, 0.2, 0.3, 0.4,
                                              0.5, 0.6, 0.8, 1.0};
    auto run = [&](SpaceConfig c, const std::string& name) -> absl::Status {
      ASSIGN_OR_RETURN(Projected q, ProjectSpeech(c, spoken));
      ASSIGN_OR_RETURN(RetrievalReport r,
                       Score(coll, q, 0, 0.0, nullptr, eopts, c.expand));
      sweep.push_back({name, std::move(r)});
      return absl::OkStatus();
    };
    for (double ww : word_weights) {
      SpaceConfig c = *config;
      c.encoder.speech_word_weight = static_cast<float>(ww);
      c.encoder.speech_phone_weight = static_cast<float>(1.0 - ww);
      RETURN_IF_ERROR(run(c, absl::StrFormat("word weight %.1f", ww)));
    }
    for (const auto& [lo, hi] : orders) {
      SpaceConfig c = *config;
      c.encoder.speech_ngram_min = lo;
      c.encoder.speech_ngram_max = hi;
      RETURN_IF_ERROR(run(c, absl::StrFormat("phone n-grams %d-%d", lo, hi)));
    }
    for (int d : phone_dims) {
      SpaceConfig c = *config;
      c.encoder.speech_phone_dims = d;
      RETURN_IF_ERROR(run(c, absl::StrFormat("phone dims %d", d)));
    }
    for (double e : {0.0, 0.3, 0.5, 0.7, 1.0}) {
      SpaceConfig c = *config;
      c.encoder.speech_lattice_exponent = static_cast<float>(e);
      RETURN_IF_ERROR(run(c, absl::StrFormat("lattice exponent %.1f", e)));
    }
    for (bool lattice : {false, true}) {
      SpaceConfig c = *config;
      c.encoder.speech_word_lattice = lattice;
      RETURN_IF_ERROR(run(c, lattice ? "words = lattice expected counts"
                                     : "words = best hypothesis"));
    }
    for (bool conf : {false, true}) {
      SpaceConfig c = *config;
      c.encoder.speech_word_lattice = false;
      c.encoder.speech_word_confidence = conf;
      RETURN_IF_ERROR(run(c, conf ? "best words, counts = posteriors"
                                  : "best words, counts = 1"));
    }
    for (int pca : {0, 100, 200}) {
      SpaceConfig c = *config;
      c.pca_dims = pca;
      RETURN_IF_ERROR(
          run(c, absl::StrCat("pca ", pca == 0 ? "none" : absl::StrCat(pca))));
    }
    std::cout << "### sweep of `" << config->name
              << "` (one parameter at a time around the config, no "
                 "re-ranking)\n\n"
              << Table(sweep) << "\n";
  }
  return absl::OkStatus();
}

}  // namespace soundsearch
