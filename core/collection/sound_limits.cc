#include "soundsearch/sound_limits.h"

#include "absl/strings/str_cat.h"

namespace soundsearch {
namespace {

absl::Status TooLong(const char* field, size_t size, size_t limit) {
  return absl::InvalidArgumentError(absl::StrCat(
      field, " is ", size, " bytes; the limit is ", limit, " bytes"));
}

absl::Status CheckList(const char* field, const std::vector<std::string>& list,
                       size_t max_count, size_t max_bytes) {
  if (list.size() > max_count) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", list.size(),
                                                   " given; the limit is ",
                                                   max_count, " per sound"));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].size() > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "] is ", list[i].size(),
                       " bytes; the limit is ", max_bytes, " bytes"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckSoundMetadata(const std::string& external_id,
                                const std::string& name,
                                const std::string& source,
                                const std::vector<std::string>& tags,
                                const std::vector<std::string>& labels) {
  if (external_id.size() > kMaxExternalIdBytes) {
    return TooLong("external id", external_id.size(), kMaxExternalIdBytes);
  }
  if (name.size() > kMaxNameBytes) {
    return TooLong("name", name.size(), kMaxNameBytes);
  }
  if (source.size() > kMaxSourceBytes) {
    return TooLong("source (file name)", source.size(), kMaxSourceBytes);
  }
  if (absl::Status s = CheckList("tags", tags, kMaxTagsPerSound, kMaxTagBytes);
      !s.ok()) {
    return s;
  }
  return CheckList("labels", labels, kMaxLabelsPerSound, kMaxLabelBytes);
}

}  // namespace soundsearch
