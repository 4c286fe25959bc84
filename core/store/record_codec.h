// SoundRecord <-> storepb::SoundMeta (records.proto), and the change-log
// entry encoding. Thread-safety: pure functions.
#ifndef SOUNDSEARCH_STORE_RECORD_CODEC_H_
#define SOUNDSEARCH_STORE_RECORD_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/sound_store.h"

namespace soundsearch {

// OK when every string of `sound` is valid UTF-8; InvalidArgument naming
// the field otherwise ("tags[2] is not valid UTF-8 (byte 0xE9 at offset
// 3)").
absl::Status CheckRecordText(const SoundRecord& sound);
// Serialised SoundMeta of `sound`.
std::string EncodeSoundRecord(const SoundRecord& sound);
// DataLoss when `bytes` is not a SoundMeta; the message names the field when
// the record is well-formed but a string is not valid UTF-8.
absl::StatusOr<SoundRecord> DecodeSoundRecord(absl::string_view bytes);
// Reads a record that DecodeSoundRecord refuses because of strings that are
// not valid UTF-8: each such string is escaped (EscapeFileName, reversible)
// and its field name appended to *escaped. DataLoss when the bytes are not
// a well-formed record even so.
absl::StatusOr<SoundRecord> DecodeSoundRecordEscaping(
    absl::string_view bytes, std::vector<std::string>* escaped);

// Serialised ChangeEntry of `change` (its sequence lives in the key).
std::string EncodeChange(const Change& change);
// DataLoss when `bytes` is not a ChangeEntry of a known kind.
absl::StatusOr<Change> DecodeChange(uint64_t sequence, absl::string_view bytes);

std::string EncodeSnapshotMark(const SnapshotMark& mark);
absl::StatusOr<SnapshotMark> DecodeSnapshotMark(absl::string_view bytes);

std::string EncodeQuarantined(const QuarantinedRecord& record);
absl::StatusOr<QuarantinedRecord> DecodeQuarantined(absl::string_view bytes);

std::string EncodeModel(const StoredModel& model, int64_t written_unix_micros);
absl::StatusOr<StoredModel> DecodeModel(absl::string_view bytes);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_STORE_RECORD_CODEC_H_
