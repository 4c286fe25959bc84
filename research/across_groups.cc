#include "research/across_groups.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "soundsearch/projection.h"
#include "soundsearch/retrieval_metrics.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

double Dot(const float* a, const float* b, int dim) {
  double s = 0;
  for (int k = 0; k < dim; ++k) s += static_cast<double>(a[k]) * b[k];
  return s;
}

double Score(const float* a, const float* b, int dim, Metric metric) {
  if (metric == Metric::kEuclidean) {
    double s = 0;
    for (int k = 0; k < dim; ++k) {
      const double d = static_cast<double>(a[k]) - b[k];
      s += d * d;
    }
    return -s;
  }
  return Dot(a, b, dim);  // vectors of a cosine space are L2-normalised
}

}  // namespace

absl::StatusOr<RetrievalReport> EvaluateAcrossGroups(
    absl::Span<const LabeledItem> items, absl::Span<const std::string> groups,
    const GroupRankingFn& rank, const RetrievalEvalOptions& options) {
  const int64_t n = static_cast<int64_t>(items.size());
  if (n == 0) return absl::InvalidArgumentError("no items to evaluate");
  if (static_cast<int64_t>(groups.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        groups.size(), " groups for ", n, " items (one each is needed)"));
  }
  for (int64_t i = 0; i < n; ++i) {
    if (groups[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "item ", i, " (\"", items[i].id, "\") has no group (speaker)"));
    }
  }
  for (int c : options.cutoffs) {
    if (c <= 0) return absl::InvalidArgumentError("MAP cut-offs must be > 0");
  }
  const int64_t extra = options.reference_denominator ? 1 : 0;
  // Labels, and per (label, group) the item count.
  std::map<std::string, std::map<std::string, int64_t>> per_group;
  std::map<std::string, int64_t> label_items;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<std::string> labels = items[i].labels;
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    for (const std::string& l : labels) {
      ++per_group[l][groups[i]];
      ++label_items[l];
    }
  }
  struct Sum {
    double ap[2] = {0, 0};
    double r1 = 0;
    int64_t queries = 0;
  };
  std::map<std::string, Sum> label_sums;
  Sum micro;
  int64_t micro_left_out = 0;
  const size_t depth = std::max(options.cutoffs[0], options.cutoffs[1]);
  std::vector<int64_t> ranking;
  std::vector<uint8_t> seen(n), relevance;
  for (int64_t q = 0; q < n; ++q) {
    ranking.clear();
    RETURN_IF_ERROR(rank(q, &ranking));
    std::fill(seen.begin(), seen.end(), 0);
    int64_t expected = 0;
    for (int64_t j = 0; j < n; ++j) expected += groups[j] != groups[q] ? 1 : 0;
    for (int64_t j : ranking) {
      if (j < 0 || j >= n || groups[j] == groups[q] || seen[j]) {
        return absl::InvalidArgumentError(absl::StrCat(
            "ranking of query ", q, ": item ", j,
            " is outside the collection, of the query's group, or repeated"));
      }
      seen[j] = 1;
    }
    if (static_cast<int64_t>(ranking.size()) != expected) {
      return absl::InvalidArgumentError(
          absl::StrCat("ranking of query ", q, " holds ", ranking.size(),
                       " of the ", expected, " items of other groups"));
    }
    const std::vector<std::string>& mine = items[q].labels;
    auto has = [&](int64_t j, const std::string& l) {
      const auto& ls = items[j].labels;
      return std::find(ls.begin(), ls.end(), l) != ls.end();
    };
    std::vector<std::string> labels = mine;
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    int64_t micro_relevant = 0;
    for (int64_t j = 0; j < n; ++j) {
      if (groups[j] == groups[q]) continue;
      for (const std::string& l : labels) {
        if (has(j, l)) {
          ++micro_relevant;
          break;
        }
      }
    }
    const size_t top = std::min(depth, ranking.size());
    relevance.resize(top);
    for (const std::string& l : labels) {
      const int64_t relevant =
          label_items[l] - per_group[l][groups[q]];  // other groups only
      if (relevant == 0) continue;
      for (size_t r = 0; r < top; ++r) relevance[r] = has(ranking[r], l);
      Sum& s = label_sums[l];
      for (int c = 0; c < 2; ++c) {
        s.ap[c] += AveragePrecisionAtN(relevance, options.cutoffs[c],
                                       relevant + extra);
      }
      for (size_t r = 0; r < ranking.size(); ++r) {
        if (has(ranking[r], l)) {
          s.r1 += static_cast<double>(r);
          break;
        }
      }
      ++s.queries;
    }
    if (micro_relevant == 0) {
      ++micro_left_out;
      continue;
    }
    auto any = [&](int64_t j) {
      for (const std::string& l : labels) {
        if (has(j, l)) return true;
      }
      return false;
    };
    for (size_t r = 0; r < top; ++r) relevance[r] = any(ranking[r]);
    for (int c = 0; c < 2; ++c) {
      micro.ap[c] += AveragePrecisionAtN(relevance, options.cutoffs[c],
                                         micro_relevant + extra);
    }
    for (size_t r = 0; r < ranking.size(); ++r) {
      if (any(ranking[r])) {
        micro.r1 += static_cast<double>(r);
        break;
      }
    }
    ++micro.queries;
  }

  RetrievalReport report;
  report.metric = "ranking across groups";
  report.cutoffs = options.cutoffs;
  report.reference_denominator = options.reference_denominator;
  report.num_items = n;
  double macro[3] = {0, 0, 0};
  for (const auto& [label, count] : label_items) {
    LabelResult result;
    result.label = label;
    result.num_items = count;
    auto it = label_sums.find(label);
    if (it != label_sums.end() && it->second.queries > 0) {
      const Sum& s = it->second;
      const double k = static_cast<double>(s.queries);
      result.num_queries = s.queries;
      result.scores.map = {s.ap[0] / k, s.ap[1] / k};
      result.scores.mr1 = s.r1 / k;
      macro[0] += result.scores.map[0];
      macro[1] += result.scores.map[1];
      macro[2] += result.scores.mr1;
      ++report.num_labels_scored;
      report.num_label_queries += s.queries;
    } else {
      ++report.num_labels_left_out;
    }
    report.labels.push_back(std::move(result));
  }
  if (report.num_labels_scored > 0) {
    const double k = static_cast<double>(report.num_labels_scored);
    report.macro.map = {macro[0] / k, macro[1] / k};
    report.macro.mr1 = macro[2] / k;
  }
  if (options.micro) {
    report.has_micro = true;
    report.num_micro_queries = micro.queries;
    report.num_micro_left_out = micro_left_out;
    if (micro.queries > 0) {
      const double k = static_cast<double>(micro.queries);
      report.micro.map = {micro.ap[0] / k, micro.ap[1] / k};
      report.micro.mr1 = micro.r1 / k;
    }
  }
  return report;
}

absl::StatusOr<std::vector<int64_t>> RankAcrossGroups(
    absl::Span<const float> vectors, int dim, Metric metric,
    absl::Span<const std::string> groups, int64_t query, int top_n,
    const RescoreFn& rescore, const NeighbourhoodOptions& expand) {
  RETURN_IF_ERROR(ValidateNeighbourhood(expand, "expand"));
  const int64_t n = static_cast<int64_t>(groups.size());
  if (dim <= 0 || vectors.size() != static_cast<size_t>(n) * dim || query < 0 ||
      query >= n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RankAcrossGroups: bad sizes (", vectors.size(), " floats, dim ", dim,
        ", ", n, " items, query ", query, ")"));
  }
  struct Entry {
    int64_t index;
    double score;
  };
  auto better = [](const Entry& a, const Entry& b) {
    return a.score > b.score || (a.score == b.score && a.index < b.index);
  };
  std::vector<Entry> entries;
  const float* qv = vectors.data() + query * dim;
  std::vector<float> expanded;
  if (expand.enabled()) {
    for (int64_t j = 0; j < n; ++j) {
      if (j == query) continue;
      entries.push_back({j, Score(qv, vectors.data() + j * dim, dim, metric)});
    }
    const size_t k =
        std::min(entries.size(), static_cast<size_t>(expand.neighbours));
    std::partial_sort(entries.begin(), entries.begin() + k, entries.end(),
                      better);
    std::vector<const float*> rows;
    std::vector<float> weights;
    for (size_t r = 0; r < k; ++r) {
      const float w =
          NeighbourWeight(static_cast<float>(entries[r].score), expand.alpha);
      if (w == 0.0f) continue;
      rows.push_back(vectors.data() + entries[r].index * dim);
      weights.push_back(w);
    }
    expanded.assign(qv, qv + dim);
    NeighbourhoodMean(expanded, rows, weights, absl::MakeSpan(expanded));
    if (metric == Metric::kCosine) L2NormalizeRows(expanded.data(), 1, dim);
    qv = expanded.data();
    entries.clear();
  }
  for (int64_t j = 0; j < n; ++j) {
    if (groups[j] == groups[query]) continue;
    entries.push_back({j, Score(qv, vectors.data() + j * dim, dim, metric)});
  }
  std::sort(entries.begin(), entries.end(), better);
  if (rescore && top_n > 0) {
    const size_t head = std::min(entries.size(), static_cast<size_t>(top_n));
    for (size_t r = 0; r < head; ++r) {
      entries[r].score = rescore(query, entries[r].index, entries[r].score);
    }
    std::stable_sort(
        entries.begin(), entries.begin() + head,
        [](const Entry& a, const Entry& b) { return a.score > b.score; });
  }
  std::vector<int64_t> out;
  out.reserve(entries.size());
  for (const Entry& e : entries) out.push_back(e.index);
  return out;
}

}  // namespace soundsearch
