// Reading collection manifests: CSV in the FSD50K ground-truth form.
#ifndef SOUNDSEARCH_MANIFEST_H_
#define SOUNDSEARCH_MANIFEST_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"

namespace soundsearch {

// One row of a manifest. Only `fname` is required.
struct ManifestRow {
  std::string fname;                // path relative to the audio folder
  std::vector<std::string> labels;  // from `labels`, comma-separated in one field
  std::vector<std::string> tags;    // from `tags`, space- or comma-separated
  std::string external_id;          // from `id`
  std::string name;                 // from `name`
  std::string speaker;              // from `speaker` (who speaks in it)
  int line = 0;                     // 1-based line in the file, for messages
};

// Parses manifest text: a header row naming the columns (`fname` required;
// `labels`, `tags`, `id`, `name`, `speaker` optional; other columns ignored), then one
// row per sound. Fields may be double-quoted (RFC 4180: "" inside quotes is a
// quote); CRLF line ends and a UTF-8 BOM are accepted; blank lines are skipped.
// InvalidArgument naming the line for a missing `fname` column, an
// unterminated quote, or a row with an empty fname.
absl::StatusOr<std::vector<ManifestRow>> ParseManifest(absl::string_view text);

// Reads and parses the file at `path`; NotFound when it does not exist.
absl::StatusOr<std::vector<ManifestRow>> ReadManifest(const std::string& path);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_MANIFEST_H_
