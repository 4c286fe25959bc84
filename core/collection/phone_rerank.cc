#include "collection/phone_rerank.h"

#include <algorithm>
#include <utility>

#include "soundsearch/sequence_distance.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

const std::vector<std::string>* PhonesOf(const SoundRecord& record,
                                         absl::string_view space) {
  for (const SpokenContent& c : record.spoken) {
    if (c.space == space) return &c.phones;
  }
  return nullptr;
}

RankedFetch PhoneRerankFetch(RankedFetch inner, const RerankConfig& rerank,
                             std::vector<std::vector<std::string>> queries,
                             const SoundStore* store, std::string space,
                             std::optional<float> min_score) {
  if (queries.empty()) queries.emplace_back();
  const int top_n = rerank.top_n;
  const double weight = rerank.weight;
  return [inner = std::move(inner), top_n, weight, queries = std::move(queries),
          store, space = std::move(space),
          min_score](int n) -> absl::StatusOr<std::vector<QueryHit>> {
    // Deeper while min_score dropped hits of the re-scored head and the
    // inner list may hold more that pass.
    for (int depth = std::max(n, top_n);; depth *= 2) {
      ASSIGN_OR_RETURN(std::vector<QueryHit> hits, inner(depth));
      const bool full = static_cast<int>(hits.size()) >= depth;
      const size_t head = std::min(hits.size(), static_cast<size_t>(top_n));
      const std::vector<std::string> none;
      for (size_t i = 0; i < head; ++i) {
        QueryHit& hit = hits[i];
        absl::StatusOr<SoundRecord> record = store->GetSound(hit.id);
        if (!record.ok()) continue;
        const std::vector<std::string>* phones = PhonesOf(*record, space);
        const std::vector<std::string>& of = phones != nullptr ? *phones : none;
        double best = -1e30;
        for (const std::vector<std::string>& query : queries) {
          best = std::max(best, PhoneRerankScore(hit.score, weight, query, of));
        }
        hit.score = static_cast<float>(best);
      }
      std::stable_sort(hits.begin(), hits.begin() + head,
                       [](const QueryHit& a, const QueryHit& b) {
                         return a.score > b.score;
                       });
      // The tail is in index order: once one of it is below min_score, so is
      // every later one.
      const bool tail_ended = min_score.has_value() && hits.size() > head &&
                              hits.back().score < *min_score;
      if (min_score.has_value()) {
        hits.erase(std::remove_if(
                       hits.begin(), hits.end(),
                       [&](const QueryHit& h) { return h.score < *min_score; }),
                   hits.end());
      }
      if (static_cast<int>(hits.size()) >= n || !full || tail_ended ||
          depth >= kMaxGroupCandidates) {
        if (static_cast<int>(hits.size()) > n) hits.resize(n);
        return hits;
      }
    }
  };
}

}  // namespace soundsearch
