// Sound families (label -> family) and family-averaged retrieval scores:
// a family's score is the unweighted mean of the label scores inside it,
// leaving out a given list of labels (FSD50K: the 22 labels with several
// parents).
#ifndef SOUNDSEARCH_LABEL_FAMILIES_H_
#define SOUNDSEARCH_LABEL_FAMILIES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "soundsearch/retrieval_report.h"

namespace soundsearch {

// Family name -> member labels, in file order. A label may belong to more
// than one family; it then counts in each.
struct LabelFamilies {
  std::vector<std::pair<std::string, std::vector<std::string>>> families;
};

// Parses a JSON object {"Family": ["Label", ...], ...} (the form of
// FSD50K_taxonomy-families.json). InvalidArgument for malformed JSON, a
// non-object top level, a member that is not an array of strings, or an
// empty family or label name.
absl::StatusOr<LabelFamilies> ParseLabelFamiliesJson(absl::string_view json);
// Reads and parses a file; NotFound if it cannot be opened.
absl::StatusOr<LabelFamilies> ReadLabelFamiliesFile(const std::string& path);

// Parses a list of labels, one per line. Blank lines and lines starting with
// '#' are skipped; surrounding whitespace and a CR are trimmed. A line that
// starts with '[' is a Python-list ontology path such as
// "['Animal', 'Dog', 'Growling']" (the form of multi_parents.txt) and names
// its last element, the label it leads to; any other line names its first
// field (up to whitespace or a comma). Duplicates are dropped, first
// occurrence order kept. InvalidArgument for an unterminated list line or an
// empty list, with the line number.
absl::StatusOr<std::vector<std::string>> ParseLabelList(absl::string_view text);
// Reads and parses a file; NotFound if it cannot be opened.
absl::StatusOr<std::vector<std::string>> ReadLabelListFile(
    const std::string& path);

// Fills report->families (one entry per family, file order; a family's
// scores are the mean over its labels that were scored, num_queries > 0, and
// are not in `excluded`), report->labels_without_family (scored labels, not
// excluded, in no family) and report->labels_excluded_from_families (labels
// of the report that are in `excluded`). Replaces earlier family results.
void AddFamilyScores(const LabelFamilies& families,
                     absl::Span<const std::string> excluded,
                     RetrievalReport* report);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_LABEL_FAMILIES_H_
