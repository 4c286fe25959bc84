// Content hashes identify a sound's uploaded bytes (SoundRecord::content_hash).
#ifndef SOUNDSEARCH_CONTENT_HASH_H_
#define SOUNDSEARCH_CONTENT_HASH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace soundsearch {

// SHA-256 of `bytes` as 64 lowercase hex digits. Thread-safe.
std::string Sha256Hex(absl::string_view bytes);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CONTENT_HASH_H_
