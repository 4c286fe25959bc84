#include "soundsearch/import_roots.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "soundsearch/error_reason.h"

namespace soundsearch {
namespace {

constexpr size_t kMaxPathBytes = 4096;
constexpr int kMaxSymlinks = 40;  // as the kernel's ELOOP limit

std::deque<std::string> Components(absl::string_view path) {
  std::deque<std::string> out;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part != ".") out.emplace_back(part);
  }
  return out;
}

std::string JoinAbsolute(const std::vector<std::string>& parts) {
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

struct Resolution {
  std::string path;  // absolute, no symlink, no `.` or `..`
  bool exists = true;
};

// Resolves an absolute path component by component as the kernel would
// (symlinks followed, `..` applied to the resolved prefix). Past the first
// component that does not exist, the rest is applied lexically.
Resolution ResolvePhysically(absl::string_view absolute) {
  std::deque<std::string> todo = Components(absolute);
  std::vector<std::string> done;
  Resolution out;
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    if (!out.exists) {
      done.push_back(std::move(part));
      continue;
    }
    done.push_back(std::move(part));
    const std::string candidate = JoinAbsolute(done);
    struct stat st;
    if (::lstat(candidate.c_str(), &st) != 0) {
      out.exists = false;  // ENOENT, ENOTDIR, EACCES: nothing to follow
      continue;
    }
    if (!S_ISLNK(st.st_mode)) continue;
    char target[PATH_MAX];
    const ssize_t n = ::readlink(candidate.c_str(), target, sizeof(target));
    if (n <= 0 || n >= static_cast<ssize_t>(sizeof(target)) ||
        ++links > kMaxSymlinks) {
      out.exists = false;  // unreadable link or a loop: cannot be resolved
      continue;
    }
    done.pop_back();
    const absl::string_view link(target, static_cast<size_t>(n));
    if (link.front() == '/') done.clear();
    std::deque<std::string> inserted = Components(link);
    todo.insert(todo.begin(), inserted.begin(), inserted.end());
  }
  out.path = JoinAbsolute(done);
  return out;
}

absl::Status CheckPathBytes(absl::string_view path, absl::string_view what) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " path is empty"));
  }
  if (path.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " path holds a NUL byte"));
  }
  if (path.size() > kMaxPathBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " path is longer than ", kMaxPathBytes, " bytes"));
  }
  return absl::OkStatus();
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

absl::StatusOr<ImportRoots> ImportRoots::Create(
    const std::vector<std::string>& roots) {
  std::vector<std::string> canonical;
  for (const std::string& root : roots) {
    if (root.empty() || root.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError("--import-root: empty directory name");
    }
    char resolved[PATH_MAX];
    if (::realpath(root.c_str(), resolved) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--import-root ", root, ": ", std::strerror(errno)));
    }
    struct stat st;
    if (::stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--import-root ", root, ": not a directory"));
    }
    canonical.emplace_back(resolved);
  }
  return ImportRoots(std::move(canonical));
}

bool ImportRoots::Contains(const std::string& canonical) const {
  for (const std::string& root : roots_) {
    if (root == "/") return true;
    if (canonical == root) return true;
    if (canonical.size() > root.size() &&
        canonical.compare(0, root.size(), root) == 0 &&
        canonical[root.size()] == '/') {
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::string> ImportRoots::Resolve(absl::string_view path,
                                                 absl::string_view what) const {
  return ResolveAs(path, path, what);
}

absl::StatusOr<std::string> ImportRoots::ResolveAs(
    absl::string_view path, absl::string_view shown,
    absl::string_view what) const {
  if (roots_.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, " '", shown,
                     "': server-side paths are turned off (the server has no "
                     "--import-root)"));
  }
  if (absl::Status bytes = CheckPathBytes(path, what); !bytes.ok()) {
    return bytes;
  }
  const std::string absolute = path.front() == '/'
                                   ? std::string(path)
                                   : absl::StrCat(roots_.front(), "/", path);
  const Resolution resolved = ResolvePhysically(absolute);
  if (!Contains(resolved.path)) {
    // The same answer whether or not the target exists.
    return absl::PermissionDeniedError(absl::StrCat(
        what, " '", shown, "' is outside the server's import roots"));
  }
  if (!resolved.exists) {
    return absl::NotFoundError(
        absl::StrCat(what, " '", shown, "' does not exist"));
  }
  return resolved.path;
}

absl::StatusOr<std::string> ImportRoots::ResolveDirectory(
    absl::string_view path, absl::string_view what) const {
  absl::StatusOr<std::string> resolved = Resolve(path, what);
  if (!resolved.ok()) return resolved.status();
  struct stat st;
  if (::stat(resolved->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", path, "' is not a directory"));
  }
  return resolved;
}

absl::StatusOr<std::string> ImportRoots::ReadFile(
    absl::string_view path, int64_t max_bytes, absl::string_view what) const {
  return ReadFileAs(path, path, max_bytes, what);
}

absl::StatusOr<std::string> ImportRoots::ReadFileAs(
    absl::string_view path, absl::string_view shown, int64_t max_bytes,
    absl::string_view what) const {
  absl::StatusOr<std::string> resolved = ResolveAs(path, shown, what);
  if (!resolved.ok()) return resolved.status();
  struct stat before;
  if (::lstat(resolved->c_str(), &before) != 0) {
    return absl::NotFoundError(
        absl::StrCat(what, " '", shown, "' does not exist"));
  }
  if (!S_ISREG(before.st_mode)) {
    return absl::PermissionDeniedError(absl::StrCat(
        what, " '", shown,
        "' is not a regular file (FIFOs, devices, sockets and directories are "
        "refused)"));
  }
  const auto too_large = [&](size_t) {
    return UploadTooLargeError(absl::StrCat(what, " '", shown,
                                            "' is larger than the limit of ",
                                            max_bytes, " bytes"));
  };
  if (before.st_size > max_bytes) {
    return UploadTooLargeError(
        absl::StrCat(what, " '", shown, "' is ", before.st_size,
                     " bytes; the limit is ", max_bytes));
  }
  FdCloser fd{::open(resolved->c_str(),
                     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (fd.fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot open ", what, " '", shown, "': ", std::strerror(errno)));
  }
  struct stat after;
  if (::fstat(fd.fd, &after) != 0 || !S_ISREG(after.st_mode) ||
      after.st_dev != before.st_dev || after.st_ino != before.st_ino) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, " '", shown, "' changed while it was opened"));
  }
  // Read to the cap, not to the size fstat saw: a file may grow.
  std::string bytes;
  bytes.resize(
      static_cast<size_t>(std::min<int64_t>(after.st_size, max_bytes)) + 1);
  size_t filled = 0;
  for (;;) {
    if (filled == bytes.size()) {
      if (static_cast<int64_t>(filled) > max_bytes) return too_large(filled);
      bytes.resize(std::min<size_t>(bytes.size() * 2,
                                    static_cast<size_t>(max_bytes) + 1));
    }
    const ssize_t n =
        ::read(fd.fd, bytes.data() + filled, bytes.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::DataLossError(absl::StrCat("cannot read ", what, " '", shown,
                                              "': ", std::strerror(errno)));
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
    if (static_cast<int64_t>(filled) > max_bytes) return too_large(filled);
  }
  bytes.resize(filled);
  return bytes;
}

absl::StatusOr<std::string> ImportRoots::ReadFileUnder(
    const std::string& dir, absl::string_view relative, int64_t max_bytes,
    absl::string_view what) const {
  if (absl::Status bytes = CheckPathBytes(relative, what); !bytes.ok()) {
    return bytes;
  }
  if (relative.front() == '/') {
    return absl::PermissionDeniedError(absl::StrCat(
        what, " '", relative, "' must be relative to the audio folder"));
  }
  int depth = 0;
  for (absl::string_view part :
       absl::StrSplit(relative, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    depth += part == ".." ? -1 : 1;
    if (depth < 0) {
      return absl::PermissionDeniedError(
          absl::StrCat(what, " '", relative, "' leaves the audio folder"));
    }
  }
  return ReadFileAs(absl::StrCat(dir, "/", relative), relative, max_bytes,
                    what);
}

}  // namespace soundsearch
