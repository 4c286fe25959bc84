// Re-ranking of a ranked list by recognised phones (SpaceConfig::rerank,
// docs/speech.md): the query layer wraps the ranked fetch of a query in a
// speech space with it, before paging, so that k, offset, min_score and
// grouping apply to the re-ranked list.
#ifndef SOUNDSEARCH_CORE_COLLECTION_PHONE_RERANK_H_
#define SOUNDSEARCH_CORE_COLLECTION_PHONE_RERANK_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "collection/ranked_page.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space_config.h"

namespace soundsearch {

// The phones `space` recognised in `record`; null when it holds none.
const std::vector<std::string>* PhonesOf(const SoundRecord& record,
                                         absl::string_view space);

// fetch(n) asks `inner` (built without a min_score) for max(n, top_n) hits;
// the first rerank.top_n of them are re-scored with PhoneRerankScore
// against the phones of the closest query (the highest score over
// `queries`: one phone sequence per positive example) and re-ordered among
// themselves (stable); hits past top_n follow in the inner order with their
// index scores. Then hits scoring below min_score are dropped and the first
// n returned, so the list is the same prefix whatever n. A hit whose record
// cannot be read (deleted meanwhile) keeps its index score; a hit without
// phones in `space` scores as if nothing was recognised. `store` must
// outlive the function.
RankedFetch PhoneRerankFetch(RankedFetch inner, const RerankConfig& rerank,
                             std::vector<std::vector<std::string>> queries,
                             const SoundStore* store, std::string space,
                             std::optional<float> min_score);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_PHONE_RERANK_H_
