// ImportRoots: the directories under which the server reads files that
// requests name (AddFromManifest's manifest and audio folder, the files of
// a manifest, Evaluate's families and excluded-labels files), and the one
// way such files are read. With no root the feature is off and every such
// path is refused.
//
// Rules (docs/operations.md, "Server-side paths"):
//  - A path is absolute, or relative to the first root. It is resolved as
//    the kernel would, every symbolic link followed; the result must lie
//    under a root. Otherwise: PermissionDenied, with the same message
//    whether or not the target exists, so that a caller learns nothing
//    about the disk outside the roots. Inside a root, a missing path is
//    NotFound.
//  - Only regular files are read: FIFOs, devices, sockets and directories
//    are PermissionDenied before anything opens them (opening a FIFO would
//    block). Files are opened with O_NOFOLLOW | O_NONBLOCK and checked again
//    after opening; reads stop at a size cap (ResourceExhausted with the
//    reason UPLOAD_TOO_LARGE above it), so /dev/zero-like files cannot
//    exhaust memory.
//  - Paths holding a NUL byte or longer than 4096 bytes are InvalidArgument.
// The roots are trusted not to be rewritten concurrently by an adversary (a
// component swapped for a symlink between the check and the open is not
// defended against beyond the final O_NOFOLLOW and inode checks).
//
// Thread-safety: immutable after Create; every method is const and safe to
// call from many threads.
#ifndef SOUNDSEARCH_IMPORT_ROOTS_H_
#define SOUNDSEARCH_IMPORT_ROOTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

class ImportRoots {
 public:
  // No roots: every path is refused.
  ImportRoots() = default;

  // Each root must be an existing directory; it is kept canonical (symlinks
  // resolved). InvalidArgument naming the bad one.
  static absl::StatusOr<ImportRoots> Create(
      const std::vector<std::string>& roots);

  bool enabled() const { return !roots_.empty(); }
  const std::vector<std::string>& roots() const { return roots_; }

  // The canonical form of `path` (see the rules above). `what` names the
  // path in messages ("manifest", "families file").
  absl::StatusOr<std::string> Resolve(absl::string_view path,
                                      absl::string_view what) const;

  // Resolve, then InvalidArgument unless it is a directory.
  absl::StatusOr<std::string> ResolveDirectory(absl::string_view path,
                                               absl::string_view what) const;

  // The bytes of the regular file `path`, at most `max_bytes` (> 0).
  absl::StatusOr<std::string> ReadFile(absl::string_view path,
                                       int64_t max_bytes,
                                       absl::string_view what) const;

  // ReadFile of `relative` inside `dir` (a path Resolve or ResolveDirectory
  // returned). `relative` must be relative and must not climb above `dir`
  // with `..` (PermissionDenied otherwise): a manifest's fname stays in its
  // audio folder.
  absl::StatusOr<std::string> ReadFileUnder(const std::string& dir,
                                            absl::string_view relative,
                                            int64_t max_bytes,
                                            absl::string_view what) const;

 private:
  explicit ImportRoots(std::vector<std::string> roots)
      : roots_(std::move(roots)) {}
  bool Contains(const std::string& canonical) const;
  // Resolve and ReadFile of `path`, naming it `shown` in messages.
  absl::StatusOr<std::string> ResolveAs(absl::string_view path,
                                        absl::string_view shown,
                                        absl::string_view what) const;
  absl::StatusOr<std::string> ReadFileAs(absl::string_view path,
                                         absl::string_view shown,
                                         int64_t max_bytes,
                                         absl::string_view what) const;

  std::vector<std::string> roots_;  // canonical, absolute
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_IMPORT_ROOTS_H_
