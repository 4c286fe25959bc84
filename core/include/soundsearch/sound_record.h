// SoundRecord: the metadata the store keeps for one sound. Plain value type;
// its on-disk encoding is described in docs/storage.md.
#ifndef SOUNDSEARCH_SOUND_RECORD_H_
#define SOUNDSEARCH_SOUND_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

namespace soundsearch {

// A tag predicted by a classifier, with its probability in [0, 1].
struct AutoTag {
  std::string tag;
  float probability = 0.0f;

  friend bool operator==(const AutoTag& a, const AutoTag& b) {
    return a.tag == b.tag && a.probability == b.probability;
  }
};

// One word a speech recogniser heard (the "speech" encoder kind,
// soundsearch/speech_kinds.h): lower-cased, without the recogniser's
// pronunciation-variant suffix.
struct SpokenWord {
  std::string word;
  float confidence = 0.0f;     // posterior probability in [0, 1]
  float start_seconds = 0.0f;  // from the start of the clip
  float end_seconds = 0.0f;
  friend bool operator==(const SpokenWord& a, const SpokenWord& b) {
    return a.word == b.word && a.confidence == b.confidence &&
           a.start_seconds == b.start_seconds && a.end_seconds == b.end_seconds;
  }
};

// A word of the recogniser's word lattice (every hypothesis it kept, not
// only the best) with its expected count: the sum of the posterior
// probabilities of the lattice links that carry it, so a word heard once
// with certainty counts 1 and an alternative the recogniser half believed
// counts about 0.5.
struct LatticeWord {
  std::string word;  // as SpokenWord::word
  float expected_count = 0.0f;
  friend bool operator==(const LatticeWord& a, const LatticeWord& b) {
    return a.word == b.word && a.expected_count == b.expected_count;
  }
};

// What one speech space recognised in a sound: its words and its phone
// sequence (ARPAbet symbols such as "S", "EH", "V", without silences and
// fillers). Empty words and phones mean nothing was heard, or recognition
// did not run on the sound (SpaceConfig::only_if_auto_tags).
struct SpokenContent {
  std::string space;              // the speech space that recognised it
  std::vector<SpokenWord> words;  // the best hypothesis, in order
  std::vector<std::string> phones;
  // The word lattice's words, each once, by word; those with an expected
  // count under 0.001 are left out. Empty when the word search did not run.
  std::vector<LatticeWord> lattice;
  // Recognition stopped at the clip's time budget or length cap; words and
  // phones cover the part before that.
  bool truncated = false;
  // Each search's best-hypothesis path scores (ps_get_hyp, logmath_log_to_ln;
  // PocketSphinx scales and normalises its acoustic scores: no absolute
  // likelihood) summed over the clip's utterances, divided by its frames: for
  // comparing recognitions of one clip only (docs/quality.md). 0 when that
  // search did not run; not stored with the sound, not compared by ==.
  float word_score_per_frame = 0;
  float phone_score_per_frame = 0;
  friend bool operator==(const SpokenContent& a, const SpokenContent& b) {
    return a.space == b.space && a.words == b.words && a.phones == b.phones &&
           a.lattice == b.lattice && a.truncated == b.truncated;
  }
};

// Filter tags of kind "spoken" are this prefix plus a recognised word
// ("spoken:seven"): SoundFilter's tag clauses match them against
// SoundRecord::spoken.
inline constexpr char kSpokenTagPrefix[] = "spoken:";

struct SoundRecord {
  // Server-assigned id, >= 1, never reused. Leave 0 when adding a sound; the
  // store assigns it.
  uint64_t id = 0;
  // Optional id in an external collection (e.g. a Freesound id, "412017").
  // Empty means none. Unique across the store when non-empty.
  std::string external_id;
  std::string name;
  std::vector<std::string> tags;          // user tags, in the caller's order
  std::vector<std::string> class_labels;  // ground-truth labels (evaluation)
  double duration_seconds = 0.0;          // decoded duration, seconds
  // Where the sound came from: a URL, a dataset name, "upload"... Free text.
  std::string source;
  // Identity of the content: Sha256Hex() of the uploaded bytes, or a hash the
  // caller computed itself. Required (non-empty) when adding. Two sounds with
  // the same content_hash are the same sound.
  std::string content_hash;
  // Microseconds since the Unix epoch. 0 when adding means "now" (the store
  // fills it in); a non-zero value is kept (e.g. for an import).
  int64_t added_unix_micros = 0;
  // Tags predicted by a classifier; empty until someone computes them.
  std::vector<AutoTag> auto_tags;
  // What speech spaces recognised, one entry per speech space that ran on
  // the sound, in space order; empty without speech spaces. Its words are
  // searchable as tags of kind "spoken" ("spoken:seven", SoundFilter).
  std::vector<SpokenContent> spoken;

  friend bool operator==(const SoundRecord& a, const SoundRecord& b) {
    return a.id == b.id && a.external_id == b.external_id && a.name == b.name &&
           a.tags == b.tags && a.class_labels == b.class_labels &&
           a.duration_seconds == b.duration_seconds && a.source == b.source &&
           a.content_hash == b.content_hash &&
           a.added_unix_micros == b.added_unix_micros &&
           a.auto_tags == b.auto_tags && a.spoken == b.spoken;
  }
  friend bool operator!=(const SoundRecord& a, const SoundRecord& b) {
    return !(a == b);
  }
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SOUND_RECORD_H_
