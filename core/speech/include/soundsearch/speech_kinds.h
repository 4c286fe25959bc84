// soundsearch_speech: speech recognition (PocketSphinx) as an encoder kind,
// kept out of core so that only the programs that recognise speech link
// libpocketsphinx (soundsearchd, soundsearch-eval, the speech tests). See
// docs/speech.md.
#ifndef SOUNDSEARCH_SPEECH_KINDS_H_
#define SOUNDSEARCH_SPEECH_KINDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "soundsearch/encoder.h"
#include "soundsearch/sound_record.h"

namespace soundsearch {

// Registers the encoder kind "speech" in core's table
// (soundsearch/encoder_kinds.h) and the "pocketsphinx" entry of
// DependencyVersions(). Call it once at start-up, before any space config
// is validated. Idempotent and thread-safe: later calls return the first
// call's status.
absl::Status RegisterSpeechKinds();

// The speech encoder's frame for `spoken` under `options` (the speech_*
// fields): speech_word_dims hashed word counts (the lattice's expected
// counts with speech_word_lattice and a lattice, else the best hypothesis's
// words), then speech_phone_dims
// hashed counts of the phone n-grams of orders speech_ngram_min..max (a
// phone sequence shorter than an order gives no n-gram of it). Terms are
// hashed with 64-bit FNV-1a ("w " + word, "p " + phones joined by spaces)
// modulo the block size. A block with no term (no word recognised, fewer
// phones than speech_ngram_min) counts 1 in its first dimension instead
// (TermLayout). Exposed so that soundsearch-eval can sweep the
// vector's parameters over one recognition pass. Thread-safe.
std::vector<float> SpeechTermCounts(const SpokenContent& spoken,
                                    const EncoderOptions& options);

// The recognition that `options` asks for, as one line: the model files
// (after their defaults), which searches run, their beams and weights, the
// sample rate, warp, pad and cost bounds, and the recogniser's revision.
// Options with the same key recognise any clip alike, whatever their
// term-vector fields (dims, n-gram orders, weights, lattice use), so
// soundsearch-eval keys its recognition cache (--spoken-cache) with it.
std::string SpeechRecognitionKey(const EncoderOptions& options);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SPEECH_KINDS_H_
