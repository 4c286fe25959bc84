#include "collection/open_state.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "embedding/byte_io.h"
#include "index/snapshot_file.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

constexpr char kMagic[8] = {'S', 'S', 'O', 'P', 'E', 'N', 'S', 'T'};
constexpr uint32_t kFormat = 1;

}  // namespace

std::string OpenStateOptions(const WordVectorOptions& w) {
  return absl::StrCat("words:", w.use_tags, w.use_labels, w.split_labels,
                      w.auto_tags_when_untagged, w.use_auto_tags,
                      w.split_auto_tags, ":", w.max_clip_seconds);
}

absl::Status SaveOpenState(const std::string& path, const OpenStateMarks& marks,
                           const TagIndex& tags, const WordIndex& words) {
  ByteWriter body;
  body.PutU32(kFormat);
  body.PutU64(marks.store_sequence);
  body.PutU64(marks.database_sequence);
  body.PutBlob(marks.options);
  tags.EncodeTo(&body);
  words.EncodeMembersTo(&body);
  // The trailer is a CRC-32C (the index snapshots' checksum, computed with
  // the CPU instruction).
  const std::string bytes = body.Release();
  const uint32_t crc = Crc32c(0, bytes.data(), bytes.size());
  ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> file,
                   AtomicFileWriter::Open(path));
  RETURN_IF_ERROR(file->Append(kMagic, sizeof(kMagic)));
  RETURN_IF_ERROR(file->Append(bytes.data(), bytes.size()));
  unsigned char trailer[4];
  for (int i = 0; i < 4; ++i)
    trailer[i] = static_cast<unsigned char>(crc >> (8 * i));
  RETURN_IF_ERROR(file->Append(trailer, sizeof(trailer)));
  return file->Commit();
}

absl::StatusOr<OpenStateFile> ReadOpenState(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                   RandomAccessFile::Open(path));
  OpenStateFile out;
  if (file->size() < sizeof(kMagic) + 4 + 4) {
    return absl::DataLossError("open state: file too short");
  }
  out.bytes.resize(file->size());
  RETURN_IF_ERROR(file->ReadAt(0, out.bytes.size(), out.bytes.data()));
  if (std::memcmp(out.bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError("open state: not an open state file");
  }
  const size_t end = out.bytes.size() - 4;
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) {
    stored |=
        static_cast<uint32_t>(static_cast<unsigned char>(out.bytes[end + i]))
        << (8 * i);
  }
  if (Crc32c(0, out.bytes.data() + sizeof(kMagic), end - sizeof(kMagic)) !=
      stored) {
    return absl::DataLossError("open state: checksum mismatch");
  }
  ByteReader in(
      absl::string_view(out.bytes).substr(sizeof(kMagic), end - sizeof(kMagic)),
      "open state");
  ASSIGN_OR_RETURN(uint32_t format, in.ReadU32("format"));
  if (format != kFormat) {
    return absl::DataLossError(
        absl::StrCat("open state: format ", format, ", expected ", kFormat));
  }
  ASSIGN_OR_RETURN(out.marks.store_sequence, in.ReadU64("store_sequence"));
  ASSIGN_OR_RETURN(out.marks.database_sequence,
                   in.ReadU64("database_sequence"));
  ASSIGN_OR_RETURN(absl::string_view options, in.ReadBlob("options"));
  out.marks.options = std::string(options);
  out.body = end - in.remaining();
  return out;
}

absl::Status DecodeOpenState(const OpenStateFile& file, TagIndex* tags,
                             WordIndex* words) {
  const size_t end = file.bytes.size() - 4;
  ByteReader in(
      absl::string_view(file.bytes).substr(file.body, end - file.body),
      "open state");
  absl::Status status = tags->DecodeFrom(&in);
  if (status.ok()) status = words->DecodeMembersFrom(&in);
  if (status.ok()) status = in.ExpectEnd();
  if (!status.ok()) {
    tags->Clear();
    ByteReader none("", "open state");
    words->DecodeMembersFrom(&none).IgnoreError();  // leaves none
  }
  return status;
}

absl::StatusOr<std::string> LoadOpenStateWithTail(
    const std::string& path, const SoundStore& store,
    const std::string& options, TagIndex* tags, WordIndex* words,
    std::map<uint64_t, std::string>* bad) {
  absl::StatusOr<OpenStateFile> file = ReadOpenState(path);
  if (absl::IsNotFound(file.status())) return std::string("no open state");
  if (!file.ok()) return std::string(file.status().message());
  const OpenStateMarks& marks = file->marks;
  const uint64_t last = store.LastSequence();
  if (marks.options != options) {
    return std::string("open state of other word options");
  }
  if (marks.store_sequence > last ||
      marks.database_sequence > store.DatabaseSequence()) {
    return std::string("open state ahead of the store (of another store?)");
  }
  if (marks.store_sequence < store.TruncatedThrough()) {
    return std::string(
        "the change log no longer reaches back to the open state");
  }
  if (marks.store_sequence == last &&
      marks.database_sequence != store.DatabaseSequence()) {
    return std::string(
        "the store was written outside the change log since the open state "
        "was saved");
  }
  // The sounds added or deleted since: forgotten, then read again.
  IdSet changed;
  absl::Status log = store.ForEachChangeSince(
      marks.store_sequence, [&changed](const Change& change) {
        changed.insert(static_cast<int64_t>(change.id));
        return true;
      });
  if (!log.ok()) {
    return absl::StrCat("reading the change log after the open state: ",
                        log.message());
  }
  absl::Status decoded = DecodeOpenState(*file, tags, words);
  if (!decoded.ok()) return std::string(decoded.message());
  tags->ForgetIds(changed);
  words->ForgetMembers(changed);
  std::vector<int64_t> ids(changed.begin(), changed.end());
  std::sort(ids.begin(), ids.end());
  for (int64_t id : ids) {
    absl::StatusOr<SoundRecord> record =
        store.GetSound(static_cast<uint64_t>(id));
    if (absl::IsNotFound(record.status())) continue;  // deleted since
    if (absl::IsDataLoss(record.status())) {
      (*bad)[static_cast<uint64_t>(id)] =
          std::string(record.status().message());
      continue;
    }
    RETURN_IF_ERROR(record.status());
    if (record->id != static_cast<uint64_t>(id)) {
      (*bad)[static_cast<uint64_t>(id)] = absl::StrCat(
          "sound record under id ", id, " carries id ", record->id);
      continue;
    }
    tags->Add(*record);
    words->AddMembership(*record);
  }
  return std::string();
}

}  // namespace soundsearch
