// Reading collection manifests: CSV in the FSD50K ground-truth form.
#ifndef SOUNDSEARCH_MANIFEST_H_
#define SOUNDSEARCH_MANIFEST_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "soundsearch/text.h"

namespace soundsearch {

struct ManifestOptions {
  // The encoding of the manifest's bytes. kUtf8 (the default) refuses a row
  // whose fields are not valid UTF-8; kLatin1 and kCp1252 transcode every
  // field to UTF-8 (text.h).
  TextEncoding encoding = TextEncoding::kUtf8;
};

// One row of a manifest. Only `fname` is required. Every string is valid
// UTF-8, also in a row with an error.
struct ManifestRow {
  std::string fname;  // path relative to the audio folder
  std::vector<std::string>
      labels;                     // from `labels`, comma-separated in one field
  std::vector<std::string> tags;  // from `tags`, space- or comma-separated
  std::string external_id;        // from `id`
  std::string name;               // from `name`
  std::string speaker;            // from `speaker` (who speaks in it)
  int line = 0;                   // 1-based line in the file, for messages
  // The fname bytes as the manifest holds them, when they differ from
  // `fname` (a transcoded Latin-1 or cp1252 manifest): the file on disk may
  // carry either name.
  std::string fname_in_manifest;
  // Not OK when the row is refused (a field the manifest's encoding cannot
  // decode): InvalidArgument naming the line, the column and the byte
  // offset in the file. Only `fname` (escaped, EscapeFileName) and `line`
  // are set then.
  absl::Status error;
};

// Parses manifest text: a header row naming the columns (`fname` required;
// `labels`, `tags`, `id`, `name`, `speaker` optional; other columns ignored),
// then one row per sound. Fields may be double-quoted (RFC 4180: "" inside
// quotes is a quote); CRLF line ends and a UTF-8 BOM are accepted; blank lines
// are skipped. InvalidArgument naming the line for a missing `fname` column, an
// unterminated quote, a header the encoding cannot decode, or a row with an
// empty fname. A row whose fields the encoding cannot decode is returned
// with `error` set (the other rows are unaffected).
absl::StatusOr<std::vector<ManifestRow>> ParseManifest(
    absl::string_view text, const ManifestOptions& options = {});

// Reads and parses the file at `path`; NotFound when it does not exist.
absl::StatusOr<std::vector<ManifestRow>> ReadManifest(
    const std::string& path, const ManifestOptions& options = {});

}  // namespace soundsearch

#endif  // SOUNDSEARCH_MANIFEST_H_
