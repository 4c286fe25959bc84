#include "collection/ranked_page.h"

#include <algorithm>
#include <map>
#include <set>

#include "soundsearch/status_macros.h"

namespace soundsearch {

RankedFetch VectorFetch(const LiveSpace& live,
                        std::shared_ptr<const SpaceView> view,
                        std::vector<float> query, std::vector<uint64_t> exclude,
                        std::optional<float> min_score,
                        std::shared_ptr<const IdSet> allowed, bool exact) {
  return [&live, view = std::move(view), query = std::move(query),
          exclude = std::move(exclude), min_score, allowed = std::move(allowed),
          exact](
             int n) -> absl::StatusOr<std::vector<QueryHit>> {
    QueryOptions options;
    options.k = n + static_cast<int>(exclude.size());
    options.min_score = min_score;
    options.exact = exact;
    ASSIGN_OR_RETURN(QueryResult result,
                     live.Search(*view, query, options, std::nullopt, allowed));
    std::vector<QueryHit> hits;
    hits.reserve(std::min<size_t>(result.hits.size(), n));
    for (QueryHit& hit : result.hits) {
      if (std::find(exclude.begin(), exclude.end(), hit.id) != exclude.end()) {
        continue;
      }
      if (static_cast<int>(hits.size()) == n) break;
      hits.push_back(std::move(hit));
    }
    return hits;
  };
}

RankedFetch MergedFetch(
    std::vector<std::pair<std::string, RankedFetch>> sources) {
  constexpr double kRrfK = 60.0;
  constexpr int kMinWindow = 100;
  if (sources.size() == 1) {
    return [name = sources[0].first, fetch = std::move(sources[0].second)](
               int n) -> absl::StatusOr<std::vector<QueryHit>> {
      ASSIGN_OR_RETURN(std::vector<QueryHit> hits, fetch(n));
      for (size_t i = 0; i < hits.size(); ++i) {
        hits[i].sources = {{name, hits[i].score, static_cast<int>(i) + 1}};
      }
      return hits;
    };
  }
  return [sources = std::move(sources), kRrfK,
          kMinWindow](int n) -> absl::StatusOr<std::vector<QueryHit>> {
    const int window =
        static_cast<int>(std::max<int64_t>(kMinWindow, int64_t{2} * n));
    struct Fused {
      double rrf = 0;
      int best_rank = 0;
      std::vector<SourceScore> sources;
    };
    std::map<uint64_t, Fused> fused;
    for (const auto& [name, fetch] : sources) {
      ASSIGN_OR_RETURN(std::vector<QueryHit> hits, fetch(window));
      for (size_t i = 0; i < hits.size(); ++i) {
        const int rank = static_cast<int>(i) + 1;
        Fused& f = fused[hits[i].id];
        f.rrf += 1.0 / (kRrfK + rank);
        if (f.best_rank == 0 || rank < f.best_rank) f.best_rank = rank;
        f.sources.push_back({name, hits[i].score, rank});
      }
    }
    std::vector<QueryHit> out;
    out.reserve(fused.size());
    std::vector<std::pair<uint64_t, const Fused*>> order;
    for (const auto& [id, f] : fused) order.emplace_back(id, &f);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      if (a.second->rrf != b.second->rrf) return a.second->rrf > b.second->rrf;
      if (a.second->best_rank != b.second->best_rank) {
        return a.second->best_rank < b.second->best_rank;
      }
      return a.first < b.first;
    });
    for (const auto& [id, f] : order) {
      if (static_cast<int>(out.size()) == n) break;
      out.push_back({id, static_cast<float>(f->rrf), f->sources});
    }
    return out;
  };
}

absl::StatusOr<RankedPage> TakePage(const RankedFetch& fetch, int offset, int k,
                                    const GroupKeyFn* group_key) {
  const int64_t wanted = int64_t{offset} + k;  // hits up to the page's end
  RankedPage page;
  std::vector<QueryHit> kept;
  if (group_key == nullptr) {
    ASSIGN_OR_RETURN(kept, fetch(static_cast<int>(wanted + 1)));
  } else {
    std::map<uint64_t, std::string> keys;  // looked up once per sound
    int64_t n = std::min<int64_t>(4 * (wanted + 1), kMaxGroupCandidates);
    while (true) {
      ASSIGN_OR_RETURN(std::vector<QueryHit> hits, fetch(static_cast<int>(n)));
      kept.clear();
      std::set<std::string> seen;
      for (QueryHit& hit : hits) {
        auto key = keys.find(hit.id);
        if (key == keys.end()) {
          auto looked_up = (*group_key)(hit.id);
          if (absl::IsNotFound(looked_up.status())) continue;
          RETURN_IF_ERROR(looked_up.status());
          key = keys.emplace(hit.id, *std::move(looked_up)).first;
        }
        if (!key->second.empty() && !seen.insert(key->second).second) continue;
        kept.push_back(std::move(hit));
        if (static_cast<int64_t>(kept.size()) > wanted) break;
      }
      const bool ended = static_cast<int64_t>(hits.size()) < n;
      if (static_cast<int64_t>(kept.size()) > wanted || ended ||
          n >= kMaxGroupCandidates) {
        break;
      }
      n = std::min<int64_t>(n * 4, kMaxGroupCandidates);
    }
  }
  page.more = static_cast<int64_t>(kept.size()) > wanted;
  if (static_cast<int64_t>(kept.size()) > offset) {
    const auto last = kept.begin() + std::min<int64_t>(kept.size(), wanted);
    page.hits.assign(std::make_move_iterator(kept.begin() + offset),
                     std::make_move_iterator(last));
  }
  return page;
}

}  // namespace soundsearch
