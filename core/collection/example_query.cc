#include "collection/example_query.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collection/query_expansion.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

constexpr float kNone = -std::numeric_limits<float>::infinity();

// Mean of `vectors` (all of one length), or zeros of `dim` for none.
std::vector<float> Mean(const std::vector<std::vector<float>>& vectors,
                        size_t dim) {
  std::vector<float> mean(dim, 0.0f);
  if (vectors.empty()) return mean;
  for (const std::vector<float>& v : vectors) {
    for (size_t i = 0; i < dim; ++i) mean[i] += v[i];
  }
  const float inv = 1.0f / static_cast<float>(vectors.size());
  for (float& x : mean) x *= inv;
  return mean;
}

struct Scored {
  uint64_t id = 0;
  float positive = kNone;
  float negative = kNone;
};

// The best-score ranking of `examples` at depth n.
absl::StatusOr<std::vector<QueryHit>> BestScore(
    const LiveSpace& live, const std::shared_ptr<const SpaceView>& view,
    const ExampleVectors& examples, std::optional<float> min_score,
    const std::shared_ptr<const IdSet>& allowed, bool exact, int n) {
  const bool excluded_any = !examples.exclude.empty();
  auto is_excluded = [&](uint64_t id) {
    return excluded_any &&
           std::find(examples.exclude.begin(), examples.exclude.end(), id) !=
               examples.exclude.end();
  };
  int64_t depth = int64_t{n} + static_cast<int64_t>(examples.exclude.size());
  while (true) {
    // Candidates: each positive's own ranking, `depth` deep.
    auto candidates = std::make_shared<IdSet>();
    float last_of_full = kNone;  // lowest last score of a full list
    bool any_full = false;
    for (const std::vector<float>& p : examples.positive) {
      QueryOptions options;
      options.k = static_cast<int>(depth);
      options.min_score = min_score;
      options.exact = exact;
      ASSIGN_OR_RETURN(QueryResult result,
                       live.Search(*view, p, options, std::nullopt, allowed));
      if (static_cast<int64_t>(result.hits.size()) == depth &&
          !result.hits.empty()) {
        const float last = result.hits.back().score;
        last_of_full = any_full ? std::max(last_of_full, last) : last;
        any_full = true;
      }
      for (const QueryHit& hit : result.hits) {
        if (!is_excluded(hit.id))
          candidates->insert(static_cast<int64_t>(hit.id));
      }
    }
    if (candidates->empty()) return std::vector<QueryHit>{};
    // Every candidate against every example.
    std::map<uint64_t, Scored> scored;
    auto score_against = [&](const std::vector<float>& example,
                             bool positive) -> absl::Status {
      QueryOptions options;
      options.k = static_cast<int>(candidates->size());
      options.exact = exact;
      ASSIGN_OR_RETURN(
          QueryResult result,
          live.Search(*view, example, options, std::nullopt, candidates));
      for (const QueryHit& hit : result.hits) {
        Scored& s = scored[hit.id];
        s.id = hit.id;
        float& slot = positive ? s.positive : s.negative;
        slot = std::max(slot, hit.score);
      }
      return absl::OkStatus();
    };
    for (const auto& p : examples.positive)
      RETURN_IF_ERROR(score_against(p, true));
    for (const auto& q : examples.negative) {
      RETURN_IF_ERROR(score_against(q, false));
    }
    std::vector<Scored> dominant, dominated;
    for (const auto& [id, s] : scored) {
      if (min_score.has_value() && s.positive < *min_score) continue;
      (s.positive >= s.negative ? dominant : dominated).push_back(s);
    }
    std::sort(dominant.begin(), dominant.end(),
              [](const Scored& a, const Scored& b) {
                if (a.positive != b.positive) return a.positive > b.positive;
                return a.id < b.id;
              });
    std::sort(dominated.begin(), dominated.end(),
              [](const Scored& a, const Scored& b) {
                const float da = a.negative - a.positive;
                const float db = b.negative - b.positive;
                if (da != db) return da < db;
                return a.id < b.id;
              });
    const bool exact = !any_full || (static_cast<int>(dominant.size()) >= n &&
                                     dominant[n - 1].positive >= last_of_full);
    if (!exact && depth < kMaxGroupCandidates) {
      depth = std::min<int64_t>(depth * 4, kMaxGroupCandidates);
      continue;
    }
    std::vector<QueryHit> hits;
    for (const std::vector<Scored>* part : {&dominant, &dominated}) {
      for (const Scored& s : *part) {
        if (static_cast<int>(hits.size()) == n) break;
        QueryHit hit{s.id, s.positive, {{"positive", s.positive, 0}}};
        if (!examples.negative.empty()) {
          hit.sources.push_back({"negative", s.negative, 0});
        }
        hits.push_back(std::move(hit));
      }
    }
    return hits;
  }
}

}  // namespace

absl::StatusOr<RankedFetch> ExampleFetch(const LiveSpace& live,
                                         std::shared_ptr<const SpaceView> view,
                                         ExampleVectors examples,
                                         ExampleStrategy strategy,
                                         float negative_weight,
                                         std::optional<float> min_score,
                                         std::shared_ptr<const IdSet> allowed,
                                         bool exact) {
  if (examples.positive.empty()) {
    return absl::InvalidArgumentError("at least one positive example needed");
  }
  const size_t dim = examples.positive[0].size();
  for (const auto* part : {&examples.positive, &examples.negative}) {
    for (const std::vector<float>& v : *part) {
      if (v.size() != dim) {
        return absl::InternalError("example vectors of differing lengths");
      }
    }
  }
  if (strategy == ExampleStrategy::kAverage) {
    std::vector<float> query = Mean(examples.positive, dim);
    if (!examples.negative.empty()) {
      const std::vector<float> against = Mean(examples.negative, dim);
      double norm = 0;
      for (size_t i = 0; i < dim; ++i) {
        query[i] -= negative_weight * against[i];
        norm += double{query[i]} * query[i];
      }
      if (!(norm > 1e-20)) {
        return absl::InvalidArgumentError(
            "the positive and negative examples cancel out (their means are "
            "equal); use the best_score strategy or other examples");
      }
    }
    ASSIGN_OR_RETURN(query, ExpandQuery(live, *view, std::move(query),
                                        examples.expand, examples.examples));
    return VectorFetch(live, std::move(view), std::move(query),
                       std::move(examples.exclude), min_score,
                       std::move(allowed), exact);
  }
  return RankedFetch([&live, view = std::move(view),
                      examples = std::move(examples), min_score,
                      allowed = std::move(allowed), exact](int n) {
    return BestScore(live, view, examples, min_score, allowed, exact, n);
  });
}

}  // namespace soundsearch
