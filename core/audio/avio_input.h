// AvioInput: a custom AVIOContext (read + seek callbacks) over either bytes
// in memory or an open file, so that FFmpeg never opens anything itself: no
// temp file for uploads, no protocol handling for paths.
#ifndef SOUNDSEARCH_AUDIO_AVIO_INPUT_H_
#define SOUNDSEARCH_AUDIO_AVIO_INPUT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "audio/deadline.h"
#include "audio/ffmpeg_handles.h"

namespace soundsearch {

// Thread-safety: none; one AvioInput per decoding call.
class AvioInput {
 public:
  // Reads `bytes`, which are borrowed and must outlive the AvioInput.
  // `deadline` is borrowed too; reads fail with AVERROR_EXIT once it has
  // expired. ResourceExhausted if FFmpeg cannot allocate the context.
  static absl::StatusOr<std::unique_ptr<AvioInput>> FromBytes(
      absl::string_view bytes, const Deadline* deadline);

  // Opens the regular file at `path`. NotFound if it does not exist,
  // PermissionDenied if it cannot be read, InvalidArgument if it is not a
  // regular file or is empty, ResourceExhausted if it is larger than
  // `max_bytes`. Reads stop at the size the file had when opened.
  static absl::StatusOr<std::unique_ptr<AvioInput>> FromFile(
      const std::string& path, int64_t max_bytes, const Deadline* deadline);

  AvioInput(const AvioInput&) = delete;
  AvioInput& operator=(const AvioInput&) = delete;

  // Borrowed; valid as long as this object.
  AVIOContext* context() const { return context_.get(); }
  // Total input size in bytes.
  int64_t size() const { return size_; }

 private:
  // Owns a POSIX file descriptor.
  class FileDescriptor {
   public:
    FileDescriptor() = default;
    ~FileDescriptor();
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    void reset(int fd);
    int get() const { return fd_; }

   private:
    int fd_ = -1;
  };

  explicit AvioInput(const Deadline* deadline) : deadline_(deadline) {}
  absl::Status AllocateContext();

  static int ReadCallback(void* opaque, uint8_t* buffer, int size);
  static int64_t SeekCallback(void* opaque, int64_t offset, int whence);

  const Deadline* deadline_;
  // Memory input (data_ != nullptr) or file input (file_ open, read with
  // pread so that no second buffer sits under FFmpeg's).
  const uint8_t* data_ = nullptr;
  FileDescriptor file_;
  int64_t size_ = 0;
  int64_t position_ = 0;
  IoContextPtr context_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_AUDIO_AVIO_INPUT_H_
