// Page tokens of the v1 API (docs/api.md, "Paging"): opaque strings that a
// client passes back to get the next page. A ranked answer's token holds
// the offset of the next page; a listing's holds the last id returned. They
// are not signed: a client may forge one, and gets no more than it could
// ask for with `offset` (ranked) or a filter (listing).
//
// Thread-safety: pure functions.
#ifndef SOUNDSEARCH_RPC_PAGE_TOKEN_H_
#define SOUNDSEARCH_RPC_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

// Ranked answers (QueryByExample, QueryByText, NearestWords).
std::string RankedPageToken(int64_t next_offset);
// The offset a request asks for: `token` when not empty (InvalidArgument
// when it is not a ranked-answer token of this server), else `offset`.
absl::StatusOr<int64_t> RankedPageOffset(uint32_t offset,
                                         absl::string_view token);

// Listings (ListSounds): the next page starts after `last_id`.
std::string ListPageToken(uint64_t last_id);
// 0 for an empty token; InvalidArgument when it is not a listing token.
absl::StatusOr<uint64_t> ListPageAfter(absl::string_view token);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_PAGE_TOKEN_H_
