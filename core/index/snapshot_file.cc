#include "index/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace soundsearch {
namespace {

constexpr uint32_t kCrc32cPoly = 0x82F63B78u;  // reflected Castagnoli

std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int j = 0; j < 8; ++j) c = (c & 1) ? (c >> 1) ^ kCrc32cPoly : c >> 1;
    table[i] = c;
  }
  return table;
}

uint32_t Crc32cPortable(uint32_t crc, const uint8_t* p, size_t n) {
  static const std::array<uint32_t, 256> table = MakeTable();
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(uint32_t crc,
                                                          const uint8_t* p,
                                                          size_t n) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = __builtin_ia32_crc32di(c, word);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = __builtin_ia32_crc32qi(c32, *p);
    ++p;
    --n;
  }
  return c32;
}
#endif

absl::Status ErrnoStatus(const std::string& what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

uint32_t Crc32c(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
#if defined(__x86_64__)
  static const bool has_sse42 = __builtin_cpu_supports("sse4.2");
  crc = has_sse42 ? Crc32cHardware(crc, p, n) : Crc32cPortable(crc, p, n);
#else
  crc = Crc32cPortable(crc, p, n);
#endif
  return ~crc;
}

absl::StatusOr<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Open(
    const std::string& path) {
  std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return ErrnoStatus("cannot create", tmp);
  return std::unique_ptr<AtomicFileWriter>(
      new AtomicFileWriter(path, std::move(tmp), f));
}

AtomicFileWriter::AtomicFileWriter(std::string path, std::string tmp_path,
                                   std::FILE* file)
    : path_(std::move(path)), tmp_path_(std::move(tmp_path)), file_(file) {}

AtomicFileWriter::~AtomicFileWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(tmp_path_.c_str());
  }
}

absl::Status AtomicFileWriter::Append(const void* data, size_t n) {
  if (!status_.ok()) return status_;
  if (file_ == nullptr) return absl::FailedPreconditionError("writer closed");
  if (n == 0) return absl::OkStatus();
  if (std::fwrite(data, 1, n, file_) != n) {
    status_ = ErrnoStatus("write failed:", tmp_path_);
    return status_;
  }
  crc_ = Crc32c(crc_, data, n);
  bytes_ += n;
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Commit() {
  if (!status_.ok()) return status_;
  if (file_ == nullptr) return absl::FailedPreconditionError("writer closed");
  if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) {
    status_ = ErrnoStatus("flush/fsync failed:", tmp_path_);
    return status_;
  }
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) {
    std::remove(tmp_path_.c_str());
    return status_ = ErrnoStatus("close failed:", tmp_path_);
  }
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    absl::Status s = ErrnoStatus("rename failed:", path_);
    std::remove(tmp_path_.c_str());
    return status_ = s;
  }
  // Make the rename durable.
  std::string dir = ".";
  size_t slash = path_.find_last_of('/');
  if (slash != std::string::npos)
    dir = slash == 0 ? "/" : path_.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return status_ = ErrnoStatus("cannot open directory", dir);
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return status_ = ErrnoStatus("fsync failed for directory", dir);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>> RandomAccessFile::Open(
    const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("no snapshot at ", path));
    }
    return ErrnoStatus("cannot open", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    absl::Status s = ErrnoStatus("cannot stat", path);
    ::close(fd);
    return s;
  }
  return std::unique_ptr<RandomAccessFile>(
      new RandomAccessFile(path, fd, static_cast<uint64_t>(st.st_size)));
}

RandomAccessFile::RandomAccessFile(std::string path, int fd, uint64_t size)
    : path_(std::move(path)), fd_(fd), size_(size) {}

RandomAccessFile::~RandomAccessFile() { ::close(fd_); }

absl::Status RandomAccessFile::ReadAt(uint64_t offset, size_t n,
                                      void* out) const {
  if (offset > size_ || n > size_ - offset) {
    return absl::DataLossError(absl::StrCat(path_, ": read of ", n,
                                            " bytes at ", offset,
                                            " past the end (", size_, ")"));
  }
  auto* p = static_cast<char*>(out);
  while (n > 0) {
    ssize_t got = ::pread(fd_, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoStatus("read failed:", path_);
    if (got == 0)
      return absl::DataLossError(absl::StrCat(path_, ": short read"));
    p += got;
    offset += static_cast<uint64_t>(got);
    n -= static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> RandomAccessFile::Crc32cOf(uint64_t offset,
                                                    uint64_t n) const {
  constexpr size_t kChunk = 1 << 20;
  std::vector<char> buf(std::min<uint64_t>(kChunk, n));
  uint32_t crc = 0;
  while (n > 0) {
    const size_t len = static_cast<size_t>(std::min<uint64_t>(kChunk, n));
    absl::Status s = ReadAt(offset, len, buf.data());
    if (!s.ok()) return s;
    crc = Crc32c(crc, buf.data(), len);
    offset += len;
    n -= len;
  }
  return crc;
}

SnapshotHeader NewSnapshotHeader() {
  SnapshotHeader h;
  std::memset(&h, 0, sizeof(h));
  std::memcpy(h.magic, kSnapshotMagic, sizeof(kSnapshotMagic));
  h.format_version = kSnapshotFormatVersion;
  return h;
}

absl::Status FinishSnapshot(AtomicFileWriter& out, uint64_t payload_bytes) {
  constexpr size_t kCrcOffset = offsetof(SnapshotTrailer, crc32c);
  SnapshotTrailer t;
  std::memset(&t, 0, sizeof(t));
  t.payload_bytes = payload_bytes;
  absl::Status status = out.Append(&t, kCrcOffset);
  if (!status.ok()) return status;
  t.crc32c = out.crc();
  status = out.Append(reinterpret_cast<const char*>(&t) + kCrcOffset,
                      sizeof(t) - kCrcOffset);
  if (!status.ok()) return status;
  return out.Commit();
}

absl::StatusOr<VerifiedSnapshot> OpenVerifiedSnapshot(const std::string& path) {
  VerifiedSnapshot v;
  auto file = RandomAccessFile::Open(path);
  if (!file.ok()) return file.status();
  v.file = *std::move(file);
  auto corrupt = [&](const std::string& why) {
    return absl::DataLossError(absl::StrCat("snapshot ", path, ": ", why));
  };
  v.file_size = v.file->size();
  if (v.file_size < sizeof(SnapshotHeader) + sizeof(SnapshotTrailer)) {
    return corrupt(absl::StrCat("truncated (", v.file_size, " bytes)"));
  }
  absl::Status status = v.file->ReadAt(0, sizeof(v.header), &v.header);
  if (!status.ok()) return status;
  if (std::memcmp(v.header.magic, kSnapshotMagic, sizeof(kSnapshotMagic)) != 0) {
    return corrupt("bad magic: not an index snapshot");
  }
  status = v.file->ReadAt(v.file_size - sizeof(v.trailer), sizeof(v.trailer),
                          &v.trailer);
  if (!status.ok()) return status;
  // Verify every byte before parsing anything, so that corruption is
  // DataLoss and never a bogus size handed to a parser.
  const uint64_t crc_end = v.file_size - sizeof(v.trailer) +
                           offsetof(SnapshotTrailer, crc32c);
  auto crc = v.file->Crc32cOf(0, crc_end);
  if (!crc.ok()) return crc.status();
  if (*crc != v.trailer.crc32c) {
    return corrupt("checksum mismatch (truncated or corrupted)");
  }
  if (v.header.format_version != kSnapshotFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot ", path, ": format version ", v.header.format_version,
        ", this build reads ", kSnapshotFormatVersion));
  }
  return v;
}

}  // namespace soundsearch
