#include "audio/avio_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "soundsearch/error_reason.h"

extern "C" {
#include <libavformat/avio.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

namespace soundsearch {
namespace {

// Size of the buffer between FFmpeg and our callbacks.
constexpr int kIoBufferBytes = 64 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<AvioInput>> AvioInput::FromBytes(
    absl::string_view bytes, const Deadline* deadline) {
  std::unique_ptr<AvioInput> input(new AvioInput(deadline));
  input->data_ = reinterpret_cast<const uint8_t*>(bytes.data());
  input->size_ = static_cast<int64_t>(bytes.size());
  absl::Status status = input->AllocateContext();
  if (!status.ok()) return status;
  return input;
}

absl::StatusOr<std::unique_ptr<AvioInput>> AvioInput::FromFile(
    const std::string& path, int64_t max_bytes, const Deadline* deadline) {
  std::unique_ptr<AvioInput> input(new AvioInput(deadline));
  input->file_.reset(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (input->file_.get() < 0) {
    const int error = errno;
    const std::string message =
        absl::StrCat("cannot open '", path, "': ", std::strerror(error));
    if (error == ENOENT || error == ENOTDIR)
      return absl::NotFoundError(message);
    if (error == EACCES || error == EPERM) {
      return absl::PermissionDeniedError(message);
    }
    return absl::InvalidArgumentError(message);
  }
  struct stat info;
  if (fstat(input->file_.get(), &info) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot stat '", path, "': ", std::strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is not a regular file"));
  }
  if (info.st_size == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty input: '", path, "' has 0 bytes"));
  }
  if (info.st_size > max_bytes) {
    return UploadTooLargeError(
        absl::StrCat("input too large: '", path, "' has ", info.st_size,
                     " bytes, the limit is ", max_bytes));
  }
  input->size_ = info.st_size;
  absl::Status status = input->AllocateContext();
  if (!status.ok()) return status;
  return input;
}

AvioInput::FileDescriptor::~FileDescriptor() { reset(-1); }

void AvioInput::FileDescriptor::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

absl::Status AvioInput::AllocateContext() {
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferBytes));
  if (buffer == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate the I/O buffer");
  }
  context_.reset(avio_alloc_context(
      buffer, kIoBufferBytes, /*write_flag=*/0, this, &AvioInput::ReadCallback,
      /*write_packet=*/nullptr, &AvioInput::SeekCallback));
  if (context_ == nullptr) {
    av_free(buffer);
    return absl::ResourceExhaustedError("cannot allocate the I/O context");
  }
  return absl::OkStatus();
}

int AvioInput::ReadCallback(void* opaque, uint8_t* buffer, int size) {
  auto* self = static_cast<AvioInput*>(opaque);
  if (self->deadline_ != nullptr && self->deadline_->Expired()) {
    return AVERROR_EXIT;
  }
  const int64_t left = self->size_ - self->position_;
  if (left <= 0 || size <= 0) return AVERROR_EOF;
  const int n = static_cast<int>(std::min<int64_t>(left, size));
  if (self->data_ != nullptr) {
    std::memcpy(buffer, self->data_ + self->position_, n);
  } else {
    ssize_t got;
    do {
      got = pread(self->file_.get(), buffer, n, self->position_);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return AVERROR(errno);
    if (got == 0) return AVERROR_EOF;  // the file shrank under us
    self->position_ += got;
    return static_cast<int>(got);
  }
  self->position_ += n;
  return n;
}

int64_t AvioInput::SeekCallback(void* opaque, int64_t offset, int whence) {
  auto* self = static_cast<AvioInput*>(opaque);
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return self->size_;
  // |offset| <= size keeps the sums below from overflowing.
  if (offset < -self->size_ || offset > self->size_) return AVERROR(EINVAL);
  int64_t target;
  switch (whence) {
    case SEEK_SET:
      target = offset;
      break;
    case SEEK_CUR:
      target = self->position_ + offset;
      break;
    case SEEK_END:
      target = self->size_ + offset;
      break;
    default:
      return AVERROR(EINVAL);
  }
  if (target < 0 || target > self->size_) return AVERROR(EINVAL);
  self->position_ = target;
  return target;
}

}  // namespace soundsearch
