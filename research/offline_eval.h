// Offline retrieval evaluation of spaces on a labelled collection of audio
// files (the library behind `soundsearch-eval`, docs/quality.md): read a
// manifest, decode and embed every file in memory with a few threads, fit the
// space on the whole collection, project, and evaluate with
// EvaluateRetrieval (exact search, query left out). Nothing is cached on disk.
//
// Thread-safety: the functions are re-entrant; each call owns its threads and
// only reads its inputs.
#ifndef SOUNDSEARCH_RESEARCH_OFFLINE_EVAL_H_
#define SOUNDSEARCH_RESEARCH_OFFLINE_EVAL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "soundsearch/audio_decoder.h"
#include "soundsearch/encoder.h"
#include "soundsearch/raw_embedding.h"
#include "soundsearch/retrieval_eval.h"
#include "soundsearch/retrieval_report.h"
#include "soundsearch/space.h"
#include "soundsearch/space_config.h"

namespace soundsearch {

// A labelled collection on disk.
struct OfflineCollection {
  std::vector<LabeledItem> items;  // id = the manifest's fname
  std::vector<std::string> paths;  // audio file of items[i]
  // The manifest's `speaker` column, one per item ("" where it is empty);
  // all empty when the manifest has no such column.
  std::vector<std::string> speakers;
};

// Reads an FSD50K-form manifest (manifest.h); paths are audio_dir + "/" +
// fname, audio_dir defaulting (when empty) to the manifest's folder. Rows
// without labels are kept (never relevant). NotFound / InvalidArgument from
// ReadManifest; InvalidArgument for an empty manifest or a repeated fname.
absl::StatusOr<OfflineCollection> LoadOfflineCollection(
    const std::string& manifest_path, const std::string& audio_dir = "");

// Calls fn(i) for i in [0, n) on `num_threads` threads (>= 1; the caller's
// thread is one of them) taking indices in increasing order. Returns the
// error of the lowest index that failed (all indices are still attempted
// until the first failure is seen, then the rest are skipped).
absl::Status ParallelFor(int64_t n, int num_threads,
                         const std::function<absl::Status(int64_t)>& fn);

// Decodes every path at the encoder's rate and encodes it: result[i] holds
// the frames of paths[i]. Errors name the file. num_threads >= 1.
absl::StatusOr<std::vector<EncodedClip>> EncodeFiles(
    const Encoder& encoder, const AudioDecoder& decoder,
    absl::Span<const std::string> paths, int num_threads);

// Decodes every path at space.sample_rate() and runs Space::Embed. Errors
// name the file. num_threads >= 1.
absl::StatusOr<std::vector<RawEmbedding>> EmbedFiles(
    const Space& space, const AudioDecoder& decoder,
    absl::Span<const std::string> paths, int num_threads);

// What evaluating one space offline produced (the running collection's
// evaluation is soundsearch/collection_words.h's SpaceEvaluation).
struct OfflineSpaceEvaluation {
  std::string space;
  RetrievalReport report;
  std::vector<float> vectors;  // items x dim, the projected (index) vectors
  int dim = 0;
};

// Fits `space` on all of `raws` (Space::Fit), projects them (ProjectBatch)
// and evaluates under the space's metric. raws[i] belongs to items[i].
// Errors of Fit / ProjectBatch / EvaluateRetrieval are returned as they are;
// InvalidArgument for a size mismatch.
absl::StatusOr<OfflineSpaceEvaluation> FitAndEvaluateSpace(
    const Space& space, absl::Span<const RawEmbedding> raws,
    absl::Span<const LabeledItem> items, const RetrievalEvalOptions& options);

// One result of a ranked list.
struct Neighbour {
  int64_t index = 0;   // item index in the collection
  float score = 0.0f;  // similarity (cosine / inner product) or -distance^2
};

// The k best items for `query` (left out) under `metric`, best first, ties by
// increasing index (as EvaluateRetrieval ranks). vectors: n x dim row-major.
// InvalidArgument for a bad query index, dim or size.
absl::StatusOr<std::vector<Neighbour>> NearestNeighbours(
    absl::Span<const float> vectors, int dim, Metric metric, int64_t query,
    int k);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_OFFLINE_EVAL_H_
