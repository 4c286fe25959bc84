#include "collection/query_hits.h"

#include <algorithm>

namespace soundsearch {

void MergeAutoTags(const std::vector<AutoTag>& from,
                   std::vector<AutoTag>* into) {
  if (from.empty()) return;
  for (const AutoTag& tag : from) {
    auto it = std::find_if(into->begin(), into->end(),
                           [&](const AutoTag& t) { return t.tag == tag.tag; });
    if (it == into->end()) {
      into->push_back(tag);
    } else {
      it->probability = std::max(it->probability, tag.probability);
    }
  }
  std::sort(into->begin(), into->end(), [](const AutoTag& a, const AutoTag& b) {
    if (a.probability != b.probability) return a.probability > b.probability;
    return a.tag < b.tag;
  });
}

void DropGoneHits(const LiveSpace& live, const SoundStore& store,
                  std::vector<QueryHit>* hits) {
  if (!live.diverged()) return;
  hits->erase(std::remove_if(hits->begin(), hits->end(),
                             [&store](const QueryHit& hit) {
                               return !store.GetSound(hit.id).ok();
                             }),
              hits->end());
}

}  // namespace soundsearch
