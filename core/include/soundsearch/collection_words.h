// Word vectors and retrieval evaluation of a running collection: the value
// types SoundCollection's word and evaluation methods take and return
// (sound_collection.h), and the rule that picks a sound's words.
//
// A word's vector in a space is the mean of the index vectors (as searched:
// projected, normalised for cosine spaces) of up to max_sounds_per_word
// sounds carrying the word, the ones with the lowest ids, each at most
// max_clip_seconds long. Word vectors are kept in the store
// (docs/storage.md) and follow adds, deletes and refits.
//
// Thread-safety: plain values and a pure function.
#ifndef SOUNDSEARCH_COLLECTION_WORDS_H_
#define SOUNDSEARCH_COLLECTION_WORDS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "soundsearch/label_families.h"
#include "soundsearch/retrieval_report.h"
#include "soundsearch/sound_record.h"

namespace soundsearch {

struct WordVectorOptions {
  // Each tag (lower-cased at ingest) is a word.
  bool use_tags = true;
  // Each class label, lower-cased with '_' as a space, is a word
  // ("Acoustic_guitar" -> "acoustic guitar").
  bool use_labels = true;
  // A multi-word label also gives each of its words ("acoustic", "guitar"),
  // except the stop words "and", "or", "of", "the", "a", "an", "by", "in",
  // "on", "to", "with".
  bool split_labels = true;
  // A sound that arrived without tags and labels gives its auto-tags (the
  // classes a tagging model predicted at ingest) as words instead.
  bool auto_tags_when_untagged = true;
  // Every sound gives its auto-tags as words, tagged or not (the word
  // vectors of auto-tag words, docs/quality.md).
  bool use_auto_tags = false;
  // An auto-tag used as a word also gives its synonyms (AudioSet names
  // list them after commas: "violin, fiddle" -> "violin", "fiddle") and,
  // when one has several words, each of them (stop words left out, as for
  // split_labels): "acoustic guitar" -> "acoustic", "guitar".
  bool split_auto_tags = false;
  // Sounds averaged per word; >= 1.
  int max_sounds_per_word = 100;
  // Longer sounds back no word; > 0.
  double max_clip_seconds = 60.0;
};

// The words `sound` gives under `options` (empty when it is longer than
// max_clip_seconds), de-duplicated, in first-seen order.
std::vector<std::string> WordsOfSound(const SoundRecord& sound,
                                      const WordVectorOptions& options);

// Canonical form of a word as asked for: lower-cased, surrounding
// whitespace trimmed, '_' as a space.
std::string NormaliseWord(absl::string_view word);

struct WordVectorInfo {
  std::string space;
  std::string word;           // normalised
  std::vector<float> vector;  // index dimension of the space
  int64_t sounds_used = 0;    // sounds averaged (<= max_sounds_per_word)
  int64_t sounds_total = 0;   // eligible sounds carrying the word
};

struct WordPairCosine {
  std::string space;
  double cosine = 0.0;   // in [-1, 1]
  int64_t sounds_a = 0;  // eligible sounds carrying each word
  int64_t sounds_b = 0;
};

struct WordNeighbour {
  std::string word;
  double cosine = 0.0;
  int64_t sounds = 0;
};

// What to evaluate (retrieval_eval.h): every sound with at least one class
// label and a vector in the space queries the others by exact search.
struct EvaluationRequest {
  std::string space;  // empty: the default space
  // Family scores (label_families.h) when set: label -> family, and the
  // labels left out of family averages. The server reads them from files
  // under its import roots (the Evaluate RPC's families_path and
  // excluded_labels_path); core reads no file for a request.
  std::optional<LabelFamilies> families;
  std::vector<std::string> excluded_labels;
  // AP@N denominator min(N, R + 1), as the published code computes it.
  bool reference_mode = false;
};

// One stored evaluation of a space.
struct SpaceEvaluation {
  std::string space;
  int64_t unix_ms = 0;  // when it finished
  std::array<int, 2> cutoffs = {15, 150};
  RetrievalScores macro;  // label-based
  bool reference_mode = false;
  // Full report: filled by Evaluate; LastEvaluation leaves it empty and
  // gives report_json only.
  RetrievalReport report;
  std::string report_json;  // RetrievalReportToJson(report)
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_COLLECTION_WORDS_H_
