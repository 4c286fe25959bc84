// Retrieval evaluation of one space of a running collection, and the stored
// form of its result (docs/storage.md: SoundStore::PutEvaluation). Private to
// core; used by LiveSpace.
//
// Thread-safety: re-entrant functions.
#ifndef SOUNDSEARCH_CORE_COLLECTION_COLLECTION_EVALUATION_H_
#define SOUNDSEARCH_CORE_COLLECTION_COLLECTION_EVALUATION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collection/word_index.h"
#include "soundsearch/collection_words.h"
#include "soundsearch/retrieval_eval.h"
#include "soundsearch/sound_store.h"

namespace soundsearch {

// Model kind under which the latest evaluation of a space was stored before
// evaluations had their own slot in the store (SoundStore::PutEvaluation).
// Still read, never written: a data directory of that time keeps its report.
inline constexpr char kLegacyEvaluationModelKind[] = "eval_report";

// Evaluates `space` (exact search under `metric`) over every stored sound
// with a class label and a vector in the space. FailedPrecondition when
// fewer than 2 such sounds; NotFound / InvalidArgument for unreadable
// families or excluded-label files. With `database` (a cosine space whose
// index vectors are not its query vectors: augmentation), each sound's
// `vector` queries the others' `database` vectors (exact cosine, ties by
// store order).
absl::StatusOr<SpaceEvaluation> EvaluateStoredSpace(
    const SoundStore& store, const std::string& space, Metric metric,
    const IndexVectorFn& vector, const EvaluationRequest& request,
    const IndexVectorFn* database = nullptr);

// JSON: {"space", "unix_ms", "reference_mode", "cutoffs": [15, 150],
//        "macro": {"map@15", "map@150", "mr1"}, "report": {...}}.
std::string EncodeStoredEvaluation(const SpaceEvaluation& evaluation);
// DataLoss for bytes that are not such JSON. `report` stays empty.
absl::StatusOr<SpaceEvaluation> DecodeStoredEvaluation(absl::string_view bytes);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_COLLECTION_EVALUATION_H_
