// Retrieval quality of the running collection's query layer
// (docs/quality.md, "Text queries", "Several examples", "Word relatedness
// with auto-tag words"): text queries made of label names, queries with
// several examples for and against, and word relatedness of the
// collection's word vectors, all through a SoundCollection (the code the
// server runs), scored against the sounds' class labels.
//
// Protocol. Text: each label is one query, its name with '_' as a space
// ("Violin_or_fiddle" -> "Violin or fiddle"); the whole collection is
// ranked; relevant = the sounds carrying the label; AP@15 with denominator
// min(15, R) and MR1 (0-based rank of the first relevant sound); a query
// that matches nothing scores AP 0 and MR1 = collection size. Examples:
// every sound of a label is the first positive of one query; further
// positives are other sounds of the label (seeded choice), the negative a
// sound of the label most confused with it; relevant = the label's sounds
// that are not examples; the examples are left out of the ranking. Means
// are over a label's queries, then over labels (macro), as in
// docs/evaluation.md.
//
// Thread-safety: the functions only read the collection (whose query
// methods are thread-safe) and their arguments.
#ifndef SOUNDSEARCH_RESEARCH_QUERY_EVAL_H_
#define SOUNDSEARCH_RESEARCH_QUERY_EVAL_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "research/word_pairs.h"
#include "research/word_similarity.h"
#include "soundsearch/manifest.h"
#include "soundsearch/sound_collection.h"

namespace soundsearch {

struct QueryScores {
  double map_at_15 = 0;
  double mr1 = 0;
  int64_t queries = 0;
};

struct LabelQueryScores {
  std::string label;
  QueryScores scores;
};

struct QueryEvalResult {
  QueryScores macro;  // mean over labels
  std::vector<LabelQueryScores> labels;
};

// Adds every row of a manifest (audio_dir + "/" + fname) to `collection`,
// with its labels, and its tags when `with_tags`: decoded and embedded on
// `threads` threads (>= 1), committed in manifest order (ids follow the
// manifest whatever the threads). Errors name the file.
absl::Status AddManifest(SoundCollection& collection,
                         absl::Span<const ManifestRow> rows,
                         const std::string& audio_dir, bool with_tags,
                         int threads);

// Text queries of the label names (protocol above).
absl::StatusOr<QueryEvalResult> EvaluateLabelTextQueries(
    const SoundCollection& collection, const TextQueryOptions& options);
// The same for rankings in random order: the mean over `seeds` shuffles.
absl::StatusOr<QueryEvalResult> RandomLabelTextQueries(
    const SoundCollection& collection, int seeds);

// For each label, the other label most frequent among the first 15 results
// of its sounds' single-example queries in `space` (ties: the smaller).
absl::StatusOr<std::map<std::string, std::string>> MostConfusedLabels(
    const SoundCollection& collection, const std::string& space);

struct ExampleEvalOptions {
  std::string space;
  int positives = 1;              // >= 1
  bool negative = false;          // one negative from the confused label
  ExampleStrategy strategy = ExampleStrategy::kAverage;
  float negative_weight = 1.0f;  // kAverage
  uint32_t seed = 1;
};
// Several-example queries (protocol above); `confused` from
// MostConfusedLabels (read only with `negative`). Labels with fewer than
// positives + 1 sounds are left out.
absl::StatusOr<QueryEvalResult> EvaluateExampleQueries(
    const SoundCollection& collection, const ExampleEvalOptions& options,
    const std::map<std::string, std::string>& confused);

// Spearman of the cosines of the collection's word vectors in `space`
// (SoundCollection::WordVector) against `pairs`, with coverage.
absl::StatusOr<WordSimilarityResult> EvaluateCollectionWordPairs(
    const SoundCollection& collection, const std::string& space,
    absl::Span<const WordPair> pairs);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_QUERY_EVAL_H_
