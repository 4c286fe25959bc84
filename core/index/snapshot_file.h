// Index snapshot files: CRC-32C, an atomic (temp + fsync + rename) file
// writer, random-access reads, and the header/trailer frame every index kind
// writes (docs/index.md). Private to core (core/index and core/neural).
#ifndef SOUNDSEARCH_INDEX_SNAPSHOT_FILE_H_
#define SOUNDSEARCH_INDEX_SNAPSHOT_FILE_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace soundsearch {

// CRC-32C (Castagnoli) of data[0, n), continuing from `crc` (0 to start).
// Uses the SSE4.2 instruction when the CPU has it.
uint32_t Crc32c(uint32_t crc, const void* data, size_t n);

// Writes `path` atomically: bytes go to `path.tmp`; Commit() flushes,
// fsyncs, renames over `path` and fsyncs the directory. Destroying an
// uncommitted writer deletes the temp file. Keeps a running CRC-32C of the
// bytes appended. Thread-compatible (one thread at a time).
class AtomicFileWriter {
 public:
  // Internal error if the temp file cannot be created.
  static absl::StatusOr<std::unique_ptr<AtomicFileWriter>> Open(
      const std::string& path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Appends n bytes (and folds them into crc()). Internal on I/O error; the
  // error sticks and Commit() reports it too.
  absl::Status Append(const void* data, size_t n);
  uint32_t crc() const { return crc_; }
  uint64_t bytes_written() const { return bytes_; }
  absl::Status Commit();

 private:
  AtomicFileWriter(std::string path, std::string tmp_path, std::FILE* file);

  std::string path_;
  std::string tmp_path_;
  std::FILE* file_;  // owned; null after Commit
  absl::Status status_;
  uint32_t crc_ = 0;
  uint64_t bytes_ = 0;
};

// Random-access reads of an existing file, without loading it whole (a 1M
// vector snapshot is hundreds of MB). Thread-compatible.
class RandomAccessFile {
 public:
  // NotFound when `path` does not exist, Internal for other I/O errors.
  static absl::StatusOr<std::unique_ptr<RandomAccessFile>> Open(
      const std::string& path);
  ~RandomAccessFile();
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  uint64_t size() const { return size_; }
  // Reads exactly n bytes at `offset`; DataLoss if the file is shorter,
  // Internal on I/O error.
  absl::Status ReadAt(uint64_t offset, size_t n, void* out) const;
  // CRC-32C of bytes [offset, offset + n), streamed in small chunks.
  absl::StatusOr<uint32_t> Crc32cOf(uint64_t offset, uint64_t n) const;

 private:
  RandomAccessFile(std::string path, int fd, uint64_t size);
  std::string path_;
  int fd_;  // owned
  uint64_t size_;
};

// --- The snapshot frame: header, kind-specific body, trailer ---------------

inline constexpr char kSnapshotMagic[8] = {'S', 'S', 'V', 'E', 'C', 'I', 'D', 'X'};
inline constexpr uint32_t kSnapshotFormatVersion = 1;

// Little-endian, at offset 0. Fields a kind does not use are 0.
struct SnapshotHeader {
  char magic[8];
  uint32_t format_version;
  uint32_t dim;
  uint32_t metric;
  uint32_t kind;
  uint32_t stage;
  uint32_t hnsw_m;
  uint32_t ivf_nlist;
  uint32_t reserved;
  uint64_t store_sequence;
  uint64_t projection_version;
  uint64_t num_labels;
  uint64_t num_tombstones;
};
static_assert(sizeof(SnapshotHeader) == 72, "snapshot header layout");

// The last 16 bytes of the file.
struct SnapshotTrailer {
  uint64_t payload_bytes;  // the kind's payload (FAISS index, raw rows)
  uint32_t crc32c;         // over every byte before this field
  uint32_t reserved;
};
static_assert(sizeof(SnapshotTrailer) == 16, "snapshot trailer layout");

// A header with the magic and format version set and every other field 0.
SnapshotHeader NewSnapshotHeader();

// Appends the trailer (payload_bytes, then the CRC-32C of everything
// written before the crc field) and commits the file.
absl::Status FinishSnapshot(AtomicFileWriter& out, uint64_t payload_bytes);

// A snapshot whose frame was checked: its file, header and trailer.
struct VerifiedSnapshot {
  std::unique_ptr<RandomAccessFile> file;
  uint64_t file_size = 0;
  SnapshotHeader header;
  SnapshotTrailer trailer;
  // Bytes between header and trailer.
  uint64_t body_bytes() const {
    return file_size - sizeof(SnapshotHeader) - sizeof(SnapshotTrailer);
  }
};

// Opens the snapshot at `path` and checks its frame before anything parses
// it: NotFound when missing; DataLoss when truncated, of a bad magic or a
// bad checksum (every byte is verified); FailedPrecondition for another
// format version. Messages start with "snapshot <path>: ".
absl::StatusOr<VerifiedSnapshot> OpenVerifiedSnapshot(const std::string& path);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEX_SNAPSHOT_FILE_H_
