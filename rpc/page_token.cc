#include "rpc/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace soundsearch {
namespace {

constexpr absl::string_view kRanked = "ranked/1/";
constexpr absl::string_view kList = "list/1/";

std::string Encode(absl::string_view prefix, uint64_t value) {
  return absl::WebSafeBase64Escape(absl::StrCat(prefix, value));
}

// The number after `prefix` in a token; InvalidArgument otherwise.
absl::StatusOr<uint64_t> Decode(absl::string_view token,
                                absl::string_view prefix, const char* what) {
  std::string plain;
  uint64_t value = 0;
  bool ok = absl::WebSafeBase64Unescape(token, &plain);
  absl::string_view number(plain);
  ok = ok && absl::ConsumePrefix(&number, prefix) &&
       absl::SimpleAtoi(number, &value);
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token: not a ", what,
        " page token of this server (pass back a next_page_token as it is)"));
  }
  return value;
}

}  // namespace

std::string RankedPageToken(int64_t next_offset) {
  return Encode(kRanked, static_cast<uint64_t>(next_offset));
}

absl::StatusOr<int64_t> RankedPageOffset(uint32_t offset,
                                         absl::string_view token) {
  if (token.empty()) return int64_t{offset};
  auto value = Decode(token, kRanked, "ranked-answer");
  if (!value.ok()) return value.status();
  if (*value > static_cast<uint64_t>(INT32_MAX)) {
    return absl::InvalidArgumentError("page_token: offset out of range");
  }
  return static_cast<int64_t>(*value);
}

std::string ListPageToken(uint64_t last_id) { return Encode(kList, last_id); }

absl::StatusOr<uint64_t> ListPageAfter(absl::string_view token) {
  if (token.empty()) return uint64_t{0};
  return Decode(token, kList, "ListSounds");
}

}  // namespace soundsearch
