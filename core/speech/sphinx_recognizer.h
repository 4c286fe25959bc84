// SphinxRecognizer: the adapter between soundsearch and PocketSphinx 5prealpha
// (Debian's libpocketsphinx3). Everything PocketSphinx says (NULL returns,
// negative codes, its log) is turned into absl::Status here, once. Private to
// soundsearch_speech.
//
// A PocketSphinx decoder is stateful and not thread-safe, and creating one
// loads the acoustic model and the language model (about 0.3 s and 40 MB for
// the word search with en-us.lm.bin). A recognizer therefore keeps a pool of
// decoders per search: Recognize() borrows one (creating it when none is
// free) and gives it back, so concurrent calls each use their own and the
// pool grows to the number of threads that recognise at once.
//
// Thread-safety: Recognize() is thread-safe; everything else is immutable.
#ifndef SOUNDSEARCH_CORE_SPEECH_SPHINX_RECOGNIZER_H_
#define SOUNDSEARCH_CORE_SPEECH_SPHINX_RECOGNIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "features/fft.h"
#include "soundsearch/sound_record.h"

namespace soundsearch {

// Model files and search parameters. The beams and weights are passed to
// PocketSphinx as they are (-beam, -wbeam, -pbeam, -lw).
struct SphinxOptions {
  std::string hmm;       // acoustic model folder
  std::string lm;        // word n-gram LM; empty with words = false
  std::string dict;      // pronouncing dictionary
  std::string phone_lm;  // phone LM; empty with phones = false
  bool words = true;     // run the word search
  bool phones = true;    // run the allphone search
  // Rate of the PCM given to Recognize: 16000 (the acoustic model's), or
  // 8000 for narrow-band audio, decoded with the front end set to match
  // (-samprate 8000 -nfft 256 -upperf 3500: the model's 25 mel filters then
  // span 130-3500 Hz instead of 130-6800 Hz; the upper frequency is set
  // through a temporary copy of the model folder whose feat.params says
  // 3500, since PocketSphinx lets feat.params override the command line).
  int sample_rate = 16000;
  double word_beam = 1e-48;
  double word_wbeam = 7e-29;
  double word_lw = 6.5;
  double phone_beam = 1e-10;
  double phone_pbeam = 1e-10;
  double phone_lw = 2.0;
  // Bounds per clip (0 = none): seconds of audio recognised, CPU seconds
  // used by both searches together (thread CPU time, checked between the
  // utterances of at most 10 s that a clip is decoded in; an utterance that
  // has started is finished).
  double max_seconds = 60;
  double budget_seconds = 30;
  // Front-end frequency warp (-warp_type inverse_linear -warp_params); 1 =
  // none, the default front end.
  double vtln_warp = 1.0;
  // Every utterance is decoded with pad_seconds of quiet noise before and
  // after it (0 = none): white within the recording's band, at the level of
  // the utterance's quietest 10 ms frames, the pad_percentile of their
  // energies (0 = the quietest; none around a silent utterance). The
  // model was trained on utterances that start and end in silence; a clip
  // cut tightly around a word gives its search none (docs/quality.md,
  // *Silence around the words*). Segment times count from the clip's start
  // as without the pad.
  double pad_seconds = 0.1;
  double pad_percentile = 10;
};

// Every field of `options` and the recogniser's revision, as one line of
// name=value pairs (numbers to full precision): two options with the same
// line recognise any audio alike. A new field of SphinxOptions is added
// here too. It keys soundsearch-eval's recognition cache
// (SpeechRecognitionKey).
std::string DescribeSphinxOptions(const SphinxOptions& options);

// The folder where pocketsphinx-en-us installs its model.
inline constexpr char kDebianSphinxModelDir[] =
    "/usr/share/pocketsphinx/model/en-us";

class SphinxRecognizer {
 public:
  // Checks that the files exist and creates one decoder per search (so that
  // a model PocketSphinx cannot read fails here). NotFound naming a missing
  // file; FailedPrecondition when PocketSphinx refuses the model.
  static absl::StatusOr<std::unique_ptr<SphinxRecognizer>> Create(
      const SphinxOptions& options);
  ~SphinxRecognizer();

  // pcm: mono float32 in [-1, 1] at options().sample_rate. Words are
  // lower-cased, without
  // "(2)" variant suffixes, fillers or sentence markers; phones leave out
  // SIL and fillers. InvalidArgument for empty pcm; Internal when
  // PocketSphinx fails on the clip.
  absl::StatusOr<SpokenContent> Recognize(absl::Span<const float> pcm) const;

  const SphinxOptions& options() const { return options_; }

 private:
  class Decoder;  // one ps_decoder_t
  class Pool {
   public:
    explicit Pool(std::vector<std::string> args);
    ~Pool();
    absl::StatusOr<std::unique_ptr<Decoder>> Take();
    void Give(std::unique_ptr<Decoder> decoder);

   private:
    const std::vector<std::string> args_;  // PocketSphinx command-line args
    absl::Mutex mu_;
    std::vector<std::unique_ptr<Decoder>> free_ ABSL_GUARDED_BY(mu_);
  };

  explicit SphinxRecognizer(const SphinxOptions& options);

  // Runs one search over pcm16 from the clip's start; appends to *out.
  absl::Status RunWords(Pool& pool, absl::Span<const int16_t> pcm,
                        double cpu_deadline, SpokenContent* out) const;
  absl::Status RunPhones(Pool& pool, absl::Span<const int16_t> pcm,
                         double cpu_deadline, SpokenContent* out) const;

  const SphinxOptions options_;
  std::unique_ptr<Pool> words_;       // null when options_.words is false
  std::unique_ptr<Pool> phones_;      // null when options_.phones is false
  std::unique_ptr<RealFft> pad_fft_;  // shapes the silence pad's noise
  // sample_rate 8000: the temporary model folder with the narrow-band
  // feat.params (removed by the destructor); empty otherwise.
  std::string narrow_model_dir_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_SPEECH_SPHINX_RECOGNIZER_H_
