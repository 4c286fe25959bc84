// A file of what a speech space recognised in each clip of a collection, so
// that soundsearch-eval can score and sweep a speech space's vector many
// times over one recognition pass (--spoken-cache; docs/quality.md).
//
// The file is text. Its first line is "# recognition <key>", the key being
// SpeechRecognitionKey of the options that recognised it; then one line per
// clip: id TAB truncated (0/1) TAB word:confidence ... TAB phones TAB
// lattice word:expected_count ... TAB the word and phone searches' scores
// per frame. Word start and end times are not kept.
//
// Thread-safety: re-entrant; concurrent writers of one path are not
// supported.
#ifndef SOUNDSEARCH_RESEARCH_RECOGNITION_CACHE_H_
#define SOUNDSEARCH_RESEARCH_RECOGNITION_CACHE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "soundsearch/sound_record.h"

namespace soundsearch {

// Writes spoken[i] as the recognition of ids[i], under `key`, replacing the
// file at `path` whole (written beside it, then renamed). InvalidArgument
// when the sizes differ, the key is empty or holds a line break, or an id is
// empty or holds a tab or line break; Internal when the file cannot be
// written.
absl::Status WriteRecognitionCache(const std::string& path,
                                   absl::string_view key,
                                   const std::vector<std::string>& ids,
                                   const std::vector<SpokenContent>& spoken);

// The recognitions of `ids`, in their order, from the file at `path`.
// NotFound when there is no such file or it lacks one of the ids;
// FailedPrecondition when the file was written under another key (other
// recognition options, another revision of the recogniser, or before caches
// were keyed): its recognitions are not those `key` would give; DataLoss for
// a line that cannot be read.
absl::StatusOr<std::vector<SpokenContent>> ReadRecognitionCache(
    const std::string& path, absl::string_view key,
    const std::vector<std::string>& ids);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_RECOGNITION_CACHE_H_
