// Key and fixed-width value encodings of the store (docs/storage.md).
// Ids and sequences in keys are 8-byte big-endian so that RocksDB's bytewise
// order is numeric order; fixed-width values are little-endian.
// Thread-safety: pure functions, safe from any thread.
#ifndef SOUNDSEARCH_STORE_KEY_CODEC_H_
#define SOUNDSEARCH_STORE_KEY_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

inline constexpr size_t kMaxSpaceNameBytes = 128;

// OK when `space` is 1..kMaxSpaceNameBytes bytes without a NUL byte.
absl::Status ValidateSpaceName(absl::string_view space);

// 8-byte big-endian encoding of `v`.
std::string EncodeU64BigEndian(uint64_t v);
// Decodes exactly 8 big-endian bytes; nullopt for any other size.
std::optional<uint64_t> DecodeU64BigEndian(absl::string_view bytes);

// 8-byte little-endian encoding of `v` (fixed-width values).
std::string EncodeU64LittleEndian(uint64_t v);
// Decodes exactly 8 little-endian bytes; nullopt for any other size.
std::optional<uint64_t> DecodeU64LittleEndian(absl::string_view bytes);

// `space` NUL: the prefix of every key of `space` in a per-space family.
std::string SpacePrefix(absl::string_view space);
// `space` NUL id(BE64): key of the raw vector of (space, id).
std::string RawKey(absl::string_view space, uint64_t id);
// `space` NUL `name`: key of a model kind or a word within `space`.
std::string SpaceNameKey(absl::string_view space, absl::string_view name);

// Keys of the "default" (store metadata) family.
inline constexpr absl::string_view kSchemaVersionKey = "schema_version";
inline constexpr absl::string_view kNextIdKey = "next_id";
inline constexpr absl::string_view kLastSequenceKey = "last_sequence";
inline constexpr absl::string_view kSoundCountKey = "sound_count";
inline constexpr absl::string_view kSpaceKeyPrefix = "space/";
inline constexpr absl::string_view kSnapshotMarkKeyPrefix = "snapshot_mark/";
inline constexpr absl::string_view kEvaluationKeyPrefix = "evaluation/";
inline constexpr absl::string_view kTruncatedThroughKey =
    "log_truncated_through";
inline constexpr absl::string_view kQuarantineKeyPrefix = "quarantine/";
// Written by SoundStore::Resume to test that the store can write again.
inline constexpr absl::string_view kWriteProbeKey = "write_probe";

std::string SpaceRegistryKey(absl::string_view space);
std::string SnapshotMarkKey(absl::string_view space);
// "evaluation/" `space`: the space's latest evaluation report.
std::string EvaluationKey(absl::string_view space);
// "quarantine/" `family` NUL `key`: a quarantined record of `family`.
std::string QuarantineKey(absl::string_view family, absl::string_view key);

inline constexpr absl::string_view kPreviewKeyPrefix = "preview/";
// "preview/" id(BE64): the audio preview of a sound.
std::string PreviewKey(uint64_t id);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_STORE_KEY_CODEC_H_
