// SoundRecord <-> storepb::SoundMeta (records.proto), and the change-log
// entry encoding. Thread-safety: pure functions.
#ifndef SOUNDSEARCH_STORE_RECORD_CODEC_H_
#define SOUNDSEARCH_STORE_RECORD_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/sound_store.h"

namespace soundsearch {

// Serialised SoundMeta of `sound`.
std::string EncodeSoundRecord(const SoundRecord& sound);
// DataLoss when `bytes` is not a SoundMeta.
absl::StatusOr<SoundRecord> DecodeSoundRecord(absl::string_view bytes);

// Serialised ChangeEntry of `change` (its sequence lives in the key).
std::string EncodeChange(const Change& change);
// DataLoss when `bytes` is not a ChangeEntry of a known kind.
absl::StatusOr<Change> DecodeChange(uint64_t sequence, absl::string_view bytes);

std::string EncodeSnapshotMark(const SnapshotMark& mark);
absl::StatusOr<SnapshotMark> DecodeSnapshotMark(absl::string_view bytes);

std::string EncodeModel(const StoredModel& model, int64_t written_unix_micros);
absl::StatusOr<StoredModel> DecodeModel(absl::string_view bytes);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_STORE_RECORD_CODEC_H_
