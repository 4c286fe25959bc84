// Limits on one sound's metadata, enforced at ingest (every upload and
// every manifest row) with InvalidArgument naming the field and the limit,
// so that no single sound can make the answers that include it too large to
// send (docs/api.md, "Limits"). Sizes are in bytes of UTF-8.
//
// Thread-safety: constants and a pure function.
#ifndef SOUNDSEARCH_SOUND_LIMITS_H_
#define SOUNDSEARCH_SOUND_LIMITS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace soundsearch {

inline constexpr size_t kMaxExternalIdBytes = 256;
inline constexpr size_t kMaxNameBytes = 1024;
inline constexpr size_t kMaxSourceBytes = 4096;
inline constexpr size_t kMaxTagsPerSound = 256;
inline constexpr size_t kMaxTagBytes = 256;
inline constexpr size_t kMaxLabelsPerSound = 64;
inline constexpr size_t kMaxLabelBytes = 256;

// OK, or InvalidArgument for the first field over its limit.
absl::Status CheckSoundMetadata(const std::string& external_id,
                                const std::string& name,
                                const std::string& source,
                                const std::vector<std::string>& tags,
                                const std::vector<std::string>& labels);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SOUND_LIMITS_H_
