#include "soundsearch/retrieval_eval.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "eval/similarity_blocks.h"
#include "soundsearch/retrieval_metrics.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

// Scores per worker buffer: bounds memory at 16 MiB a thread.
constexpr int64_t kScoreBudgetFloats = int64_t{4} << 20;

// Labels as dense ids, with both directions of the item <-> label relation.
struct LabelIndex {
  std::vector<std::string> names;                 // sorted
  std::vector<std::vector<int32_t>> item_labels;  // per item, sorted ids
  std::vector<std::vector<int64_t>> postings;     // per label, sorted items
  // Slot of (item i, its k-th label) is slot_begin[i] + k; size n + 1.
  std::vector<int64_t> slot_begin;
};

absl::StatusOr<LabelIndex> BuildLabelIndex(
    absl::Span<const LabeledItem> items) {
  std::map<std::string, int32_t> ids;
  for (size_t i = 0; i < items.size(); ++i) {
    for (const std::string& label : items[i].labels) {
      if (label.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "item ", i, " (\"", items[i].id, "\") has an empty label"));
      }
      ids.emplace(label, 0);
    }
  }
  LabelIndex index;
  for (auto& [name, id] : ids) {
    id = static_cast<int32_t>(index.names.size());
    index.names.push_back(name);
  }
  const int64_t n = static_cast<int64_t>(items.size());
  index.item_labels.resize(n);
  index.postings.resize(index.names.size());
  index.slot_begin.assign(n + 1, 0);
  for (int64_t i = 0; i < n; ++i) {
    std::vector<int32_t>& mine = index.item_labels[i];
    for (const std::string& label : items[i].labels) mine.push_back(ids[label]);
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    for (int32_t l : mine) index.postings[l].push_back(i);
    index.slot_begin[i + 1] =
        index.slot_begin[i] + static_cast<int64_t>(mine.size());
  }
  return index;
}

bool HasLabel(const LabelIndex& index, int64_t item, int32_t label) {
  const std::vector<int32_t>& mine = index.item_labels[item];
  return std::binary_search(mine.begin(), mine.end(), label);
}

// Per-query outcomes; written by the workers at disjoint positions.
struct QueryResults {
  explicit QueryResults(const LabelIndex& index) {
    const int64_t slots = index.slot_begin.back();
    const size_t n = index.item_labels.size();
    for (auto* v : {&label_ap[0], &label_ap[1], &label_r1})
      v->assign(slots, 0.0);
    for (auto* v : {&micro_ap[0], &micro_ap[1], &micro_r1}) v->assign(n, 0.0);
    micro_scored.assign(n, 0);
  }
  std::array<std::vector<double>, 2> label_ap;  // per slot
  std::vector<double> label_r1;                 // per slot
  std::array<std::vector<double>, 2> micro_ap;  // per item
  std::vector<double> micro_r1;                 // per item
  std::vector<uint8_t> micro_scored;            // per item
};

struct Scratch {
  explicit Scratch(int64_t n) : marker(n, 0) {}
  std::vector<int64_t> order;
  std::vector<float> values;
  std::vector<uint8_t> marker;
  std::vector<uint8_t> relevance;
  std::vector<int64_t> union_items;
};

// The ranking of one query computed from similarity scores: best = highest
// score, ties by lower index.
class ScoreView {
 public:
  // scores: size n; scores[q] is ignored. Selects the top `depth` into
  // scratch->order (which the view then points into).
  ScoreView(const float* scores, int64_t n, int64_t q, int64_t depth,
            Scratch* scratch)
      : s_(scores), n_(n), q_(q) {
    std::vector<int64_t>& order = scratch->order;
    order.clear();
    depth = std::min<int64_t>(depth, n - 1);
    if (depth < n - 1 && depth > 0) {
      // The depth-th best score (a min-heap of the best so far: one compare
      // for most items), then everything above it and the lowest indices
      // among those equal to it.
      std::vector<float>& heap = scratch->values;
      heap.clear();
      const std::greater<float> min_heap;
      for (int64_t j = 0; j < n; ++j) {
        if (j == q) continue;
        const float v = scores[j];
        if (static_cast<int64_t>(heap.size()) < depth) {
          heap.push_back(v);
          std::push_heap(heap.begin(), heap.end(), min_heap);
        } else if (v > heap.front()) {
          std::pop_heap(heap.begin(), heap.end(), min_heap);
          heap.back() = v;
          std::push_heap(heap.begin(), heap.end(), min_heap);
        }
      }
      const float threshold = heap.front();
      for (int64_t j = 0; j < n; ++j) {
        if (j != q && scores[j] > threshold) order.push_back(j);
      }
      for (int64_t j = 0; j < n && static_cast<int64_t>(order.size()) < depth;
           ++j) {
        if (j != q && scores[j] == threshold) order.push_back(j);
      }
    } else if (depth > 0) {
      for (int64_t j = 0; j < n; ++j) {
        if (j != q) order.push_back(j);
      }
    }
    std::sort(order.begin(), order.end(),
              [this](int64_t a, int64_t b) { return Better(a, b); });
    top_ = absl::MakeConstSpan(order);
  }

  absl::Span<const int64_t> top() const { return top_; }

  // Rank of the best of `candidates` (entries == q ignored; at least one
  // other) in the full ranking.
  int64_t RankOfBest(absl::Span<const int64_t> candidates) const {
    int64_t best = -1;
    for (int64_t c : candidates) {
      if (c != q_ && (best < 0 || Better(c, best))) best = c;
    }
    for (size_t k = 0; k < top_.size(); ++k) {
      if (top_[k] == best) return static_cast<int64_t>(k);
    }
    // Items ahead of `best`: higher scores, and equal scores at lower
    // indices; the query itself does not count.
    const float sb = s_[best];
    int64_t ahead = 0;
    for (int64_t j = 0; j < n_; ++j) ahead += s_[j] > sb ? 1 : 0;
    for (int64_t j = 0; j < best; ++j) ahead += s_[j] == sb ? 1 : 0;
    if (s_[q_] > sb || (s_[q_] == sb && q_ < best)) --ahead;
    return ahead;
  }

 private:
  bool Better(int64_t a, int64_t b) const {
    return s_[a] > s_[b] || (s_[a] == s_[b] && a < b);
  }

  const float* s_;
  int64_t n_;
  int64_t q_;
  absl::Span<const int64_t> top_;
};

// The ranking of one query given as positions (RankingFn).
class PositionView {
 public:
  // position[j]: 0-based rank of item j (position[q] unused); top: the first
  // entries of the ranking.
  PositionView(const std::vector<int64_t>* position,
               absl::Span<const int64_t> top, int64_t q)
      : position_(position), top_(top), q_(q) {}

  absl::Span<const int64_t> top() const { return top_; }

  int64_t RankOfBest(absl::Span<const int64_t> candidates) const {
    int64_t best = -1;
    for (int64_t c : candidates) {
      if (c != q_ && (best < 0 || (*position_)[c] < best))
        best = (*position_)[c];
    }
    return best;
  }

 private:
  const std::vector<int64_t>* position_;
  absl::Span<const int64_t> top_;
  int64_t q_;
};

template <typename View>
void ScoreQuery(int64_t q, const View& view, const LabelIndex& index,
                const RetrievalEvalOptions& options, Scratch* scratch,
                QueryResults* out) {
  const absl::Span<const int64_t> top = view.top();
  const int64_t extra = options.reference_denominator ? 1 : 0;
  std::vector<uint8_t>& relevance = scratch->relevance;
  relevance.resize(top.size());

  const std::vector<int32_t>& mine = index.item_labels[q];
  for (size_t k = 0; k < mine.size(); ++k) {
    const int32_t label = mine[k];
    const std::vector<int64_t>& posting = index.postings[label];
    const int64_t num_relevant = static_cast<int64_t>(posting.size()) - 1;
    if (num_relevant == 0) continue;  // left out: nothing relevant anywhere
    for (size_t r = 0; r < top.size(); ++r) {
      relevance[r] = HasLabel(index, top[r], label) ? 1 : 0;
    }
    const int64_t slot = index.slot_begin[q] + static_cast<int64_t>(k);
    for (int c = 0; c < 2; ++c) {
      out->label_ap[c][slot] = AveragePrecisionAtN(
          relevance, options.cutoffs[c], num_relevant + extra);
    }
    out->label_r1[slot] = static_cast<double>(view.RankOfBest(posting));
  }

  if (!options.micro) return;
  std::vector<uint8_t>& marker = scratch->marker;
  std::vector<int64_t>& shared = scratch->union_items;
  shared.clear();
  for (int32_t label : mine) {
    for (int64_t j : index.postings[label]) {
      if (j != q && !marker[j]) {
        marker[j] = 1;
        shared.push_back(j);
      }
    }
  }
  if (!shared.empty()) {
    for (size_t r = 0; r < top.size(); ++r) relevance[r] = marker[top[r]];
    const int64_t num_relevant = static_cast<int64_t>(shared.size());
    for (int c = 0; c < 2; ++c) {
      out->micro_ap[c][q] = AveragePrecisionAtN(relevance, options.cutoffs[c],
                                                num_relevant + extra);
    }
    out->micro_r1[q] = static_cast<double>(view.RankOfBest(shared));
    out->micro_scored[q] = 1;
  }
  for (int64_t j : shared) marker[j] = 0;
}

absl::Status ValidateOptions(const RetrievalEvalOptions& options) {
  for (int cutoff : options.cutoffs) {
    if (cutoff <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("MAP cut-offs must be > 0, got ", cutoff));
    }
  }
  if (options.num_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_threads must be >= 0, got ", options.num_threads));
  }
  return absl::OkStatus();
}

RetrievalReport Aggregate(const LabelIndex& index, const QueryResults& results,
                          const RetrievalEvalOptions& options,
                          std::string metric) {
  RetrievalReport report;
  report.metric = std::move(metric);
  report.cutoffs = options.cutoffs;
  report.reference_denominator = options.reference_denominator;
  report.num_items = static_cast<int64_t>(index.item_labels.size());

  double macro_sum[3] = {0.0, 0.0, 0.0};
  for (size_t l = 0; l < index.names.size(); ++l) {
    const std::vector<int64_t>& posting = index.postings[l];
    LabelResult result;
    result.label = index.names[l];
    result.num_items = static_cast<int64_t>(posting.size());
    if (posting.size() >= 2) {
      result.num_queries = result.num_items;
      double sum[3] = {0.0, 0.0, 0.0};
      for (int64_t i : posting) {
        const std::vector<int32_t>& mine = index.item_labels[i];
        const int64_t slot =
            index.slot_begin[i] + (std::lower_bound(mine.begin(), mine.end(),
                                                    static_cast<int32_t>(l)) -
                                   mine.begin());
        sum[0] += results.label_ap[0][slot];
        sum[1] += results.label_ap[1][slot];
        sum[2] += results.label_r1[slot];
      }
      const double count = static_cast<double>(result.num_queries);
      result.scores.map = {sum[0] / count, sum[1] / count};
      result.scores.mr1 = sum[2] / count;
      macro_sum[0] += result.scores.map[0];
      macro_sum[1] += result.scores.map[1];
      macro_sum[2] += result.scores.mr1;
      ++report.num_labels_scored;
      report.num_label_queries += result.num_queries;
    } else {
      ++report.num_labels_left_out;
      ++report.num_label_queries_left_out;
    }
    report.labels.push_back(std::move(result));
  }
  if (report.num_labels_scored > 0) {
    const double count = static_cast<double>(report.num_labels_scored);
    report.macro.map = {macro_sum[0] / count, macro_sum[1] / count};
    report.macro.mr1 = macro_sum[2] / count;
  }

  if (options.micro) {
    report.has_micro = true;
    double sum[3] = {0.0, 0.0, 0.0};
    for (size_t i = 0; i < results.micro_scored.size(); ++i) {
      if (!results.micro_scored[i]) {
        ++report.num_micro_left_out;
        continue;
      }
      ++report.num_micro_queries;
      sum[0] += results.micro_ap[0][i];
      sum[1] += results.micro_ap[1][i];
      sum[2] += results.micro_r1[i];
    }
    if (report.num_micro_queries > 0) {
      const double count = static_cast<double>(report.num_micro_queries);
      report.micro.map = {sum[0] / count, sum[1] / count};
      report.micro.mr1 = sum[2] / count;
    }
  }
  return report;
}

}  // namespace

absl::StatusOr<RetrievalReport> EvaluateRetrieval(
    absl::Span<const LabeledItem> items, absl::Span<const float> vectors,
    int dim, Metric metric, const RetrievalEvalOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  if (items.empty()) return absl::InvalidArgumentError("no items to evaluate");
  if (dim <= 0 || vectors.size() != items.size() * static_cast<size_t>(dim)) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", items.size(),
                                                   " x ", dim, " floats, got ",
                                                   vectors.size()));
  }
  ASSIGN_OR_RETURN(const LabelIndex index, BuildLabelIndex(items));
  ASSIGN_OR_RETURN(const SimilarityBlocks blocks,
                   SimilarityBlocks::Create(vectors, dim, metric));

  const int64_t n = static_cast<int64_t>(items.size());
  const int64_t depth = std::max(options.cutoffs[0], options.cutoffs[1]);
  const int64_t rows_per_block =
      std::clamp<int64_t>(kScoreBudgetFloats / n, 4, 256);
  const int64_t num_blocks = (n + rows_per_block - 1) / rows_per_block;
  int threads = options.num_threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<int>(std::min<int64_t>(threads, num_blocks));

  QueryResults results(index);
  std::atomic<int64_t> next_block{0};
  const auto work = [&]() {
    std::vector<float> scores(static_cast<size_t>(rows_per_block * n));
    Scratch scratch(n);
    for (int64_t b = next_block++; b < num_blocks; b = next_block++) {
      const int64_t begin = b * rows_per_block;
      const int64_t end = std::min(n, begin + rows_per_block);
      blocks.ScoreRows(begin, end, scores.data());
      for (int64_t q = begin; q < end; ++q) {
        const ScoreView view(scores.data() + (q - begin) * n, n, q, depth,
                             &scratch);
        ScoreQuery(q, view, index, options, &scratch, &results);
      }
    }
  };
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) workers.emplace_back(work);
  work();
  for (std::thread& worker : workers) worker.join();

  return Aggregate(index, results, options, MetricName(metric));
}

absl::StatusOr<RetrievalReport> EvaluateRankings(
    absl::Span<const LabeledItem> items, const RankingFn& rank,
    const RetrievalEvalOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  if (items.empty()) return absl::InvalidArgumentError("no items to evaluate");
  if (!rank) return absl::InvalidArgumentError("no ranking function");
  ASSIGN_OR_RETURN(const LabelIndex index, BuildLabelIndex(items));

  const int64_t n = static_cast<int64_t>(items.size());
  const size_t depth = std::max(options.cutoffs[0], options.cutoffs[1]);
  QueryResults results(index);
  Scratch scratch(n);
  std::vector<int64_t> ranking;
  std::vector<int64_t> position(n);
  std::vector<int64_t> top;
  for (int64_t q = 0; q < n; ++q) {
    ranking.clear();
    RETURN_IF_ERROR(rank(q, &ranking));
    std::fill(position.begin(), position.end(), -1);
    top.clear();
    int64_t count = 0;
    for (int64_t j : ranking) {
      if (j < 0 || j >= n) {
        return absl::InvalidArgumentError(
            absl::StrCat("ranking of query ", q, " holds index ", j,
                         ", outside [0, ", n, ")"));
      }
      if (j == q) continue;
      if (position[j] >= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("ranking of query ", q, " holds item ", j, " twice"));
      }
      position[j] = count++;
      if (top.size() < depth) top.push_back(j);
    }
    if (count != n - 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("ranking of query ", q, " holds ", count, " of the ",
                       n - 1, " other items; a full ranking is needed"));
    }
    const PositionView view(&position, top, q);
    ScoreQuery(q, view, index, options, &scratch, &results);
  }
  return Aggregate(index, results, options, "ranking");
}

}  // namespace soundsearch
