// Encoder: turns mono PCM into frame-level vectors. One interface, one
// implementation file per kind (dsp, boaw, torchscript), one factory.
#ifndef SOUNDSEARCH_ENCODER_H_
#define SOUNDSEARCH_ENCODER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "soundsearch/frame_matrix.h"
#include "soundsearch/sound_record.h"

namespace soundsearch {

// What an encoder noticed about a clip, so that policy can refuse or keep it.
struct ClipFlags {
  bool silent = false;     // every frame below the silence threshold (or all zero)
  bool too_short = false;  // shorter than one analysis frame; padded
};

struct EncodedClip {
  FrameMatrix frames;  // frames x frame_dim(); at least one frame, all finite
  ClipFlags flags;
  // Clip-level class probabilities in [0, 1], one per Encoder::tag_names()
  // entry, in that order; empty when the encoder has no tag output.
  std::vector<float> tag_probabilities;
  // Speech encoders: what was recognised (SpokenContent::space is left
  // empty; the Space fills it in). Empty for other encoders.
  SpokenContent spoken;
};

// The layout of an encoder whose single frame is a bag of term counts (the
// speech encoder: hashed word counts, then hashed phone n-gram counts): the
// frame is the concatenation of blocks of these sizes. A Space over such an
// encoder learns an inverse document frequency per dimension when it is
// fitted, and projects a clip to the concatenation of its blocks, each
// weighted by tf * idf, L2-normalised and multiplied by its weight
// (embedding/term_weighting.h; docs/embedding.md).
// A block in which a clip has no term (nothing recognised, or recognition
// did not run) counts 1 in the block's first dimension instead, so that no
// clip's vector is all zero (a cosine index refuses those) and such clips
// are alike.
struct TermLayout {
  std::vector<int> block_sizes;     // each >= 0, summing to frame_dim()
  std::vector<float> block_weights;  // one per block, >= 0
};

// Options for Encoder::Create. `kind` selects the implementation; the other
// fields are read by the kinds named in their comments.
struct EncoderOptions {
  // "dsp": frame descriptors (log-mel, MFCC+deltas, spectral shape, pitch...).
  // "mfcc": MFCC frames, the input of the bag-of-audio-words codebook.
  // "torchscript": a TorchScript model file plus its JSON spec.
  // "speech": PocketSphinx word and phone recognition, hashed into term
  // counts (soundsearch/speech_kinds.h, docs/speech.md).
  std::string kind = "dsp";

  // --- dsp and mfcc ---
  // Definitions and units of every descriptor: docs/features.md; the dsp
  // frame layout: soundsearch/dsp_frame_layout.h.
  int sample_rate = 22050;    // analysis rate in Hz, 8000..192000
  int n_fft = 1024;           // dsp, mfcc: frame and FFT length in samples
                              // (46 ms at 22050 Hz), periodic Hann window
  int hop_length = 512;       // dsp, mfcc: samples between frames (23 ms), >= 1
  int n_mfcc = 20;            // dsp, mfcc: cepstral coefficients c0..c(n-1),
                              // <= the mel bands under them
  float silence_db = -60.0f;  // dsp, mfcc: a frame whose RMS (dBFS) is below
                              // this is silent; all frames silent sets
                              // ClipFlags::silent
  int dsp_n_mels = 64;        // dsp: log-mel bands (also under its MFCCs)
  // dsp: descriptor groups to emit (at least one); see DspFrameLayout.
  bool dsp_log_mel = true;         // n_mels log-mel energies
  bool dsp_mfcc = true;            // n_mfcc MFCCs
  bool dsp_spectral_shape = true;  // centroid, spread, roll-off, flatness, flux
  bool dsp_contrast = true;        // 7 octave-band spectral contrasts
  bool dsp_zcr = true;             // zero-crossing rate
  bool dsp_rms = true;             // RMS level
  bool dsp_pitch = true;           // YIN f0 and periodicity
  bool dsp_deltas = true;          // dsp: append the deltas of every emitted
                                   // descriptor (doubles frame_dim)
  int mfcc_n_mels = 40;            // mfcc: mel bands under the cepstrum
  bool mfcc_deltas = false;        // mfcc: append first-order deltas
                                   // (frame_dim 2 * n_mfcc)

  // --- torchscript ---
  // Path of the TorchScript file; its spec is spec_path when set, else
  // `<model>.json` (m.pt.json), else the model path with its extension
  // replaced by .json (m.json, as scripts/models writes it).
  std::string model_path;
  std::string spec_path;
  // torchscript: intra-op threads on CPU, >= 0. libtorch's count is
  // process-global: Create() sets it, so the torchscript encoder created last
  // decides for all of them (give every space the same value); 0 keeps
  // libtorch's current setting. See docs/torchscript.md.
  int torch_threads = 1;
  bool allow_gpu = true;       // torchscript: use CUDA when libtorch has it
  int batch_size = 16;         // torchscript: windows per forward
  // torchscript: which output becomes the frames. "embedding" (default):
  // the spec's `output` (embedding vectors). "tags": the spec's `tags`
  // output, one frame per window holding that window's class
  // probabilities (after the activation), frame_dim() = the number of
  // classes, frame_names() = their names: a class-score space
  // (docs/torchscript.md, "Class scores as a space"). A spec without tags
  // is then an error.
  std::string output = "embedding";

  // --- speech (docs/speech.md; sample_rate 16000, or 8000 for narrow-band
  // audio, decoded with a matching front end) ---
  // Model files; empty: the Debian package pocketsphinx-en-us's files, found
  // under /usr/share/pocketsphinx/model/en-us at Create.
  std::string speech_hmm;       // acoustic model folder
  std::string speech_lm;        // word language model (en-us.lm.bin)
  std::string speech_dict;      // pronouncing dictionary (cmudict-en-us.dict)
  std::string speech_phone_lm;  // phone language model (en-us-phone.lm.bin)
  // Word search (n-gram LM): beams as PocketSphinx takes them (-beam,
  // -wbeam; smaller is wider and slower) and the language weight (-lw).
  double speech_word_beam = 1e-48;
  double speech_word_wbeam = 7e-29;
  float speech_word_lw = 6.5f;
  // Phone search (allphone): -beam, -pbeam and -lw.
  double speech_phone_beam = 1e-10;
  double speech_phone_pbeam = 1e-10;
  float speech_phone_lw = 2.0f;
  // Term vector: hashed word counts (speech_word_dims, 0 = no word search)
  // then hashed phone n-gram counts of orders speech_ngram_min..max
  // (speech_phone_dims, 0 = no phone search); at least one block.
  int speech_word_dims = 1024;
  int speech_phone_dims = 4096;
  int speech_ngram_min = 1;
  int speech_ngram_max = 3;
  // Block weights after tf-idf and per-block L2 (TermLayout).
  float speech_word_weight = 0.6f;
  float speech_phone_weight = 0.4f;
  // The word block counts the word lattice's expected counts
  // (SpokenContent::lattice) when the recognition has a lattice; false, or
  // without one: the best hypothesis's words.
  bool speech_word_lattice = true;
  // A lattice word counts expected_count ^ speech_lattice_exponent, in
  // [0, 2]: below 1 it flattens the recogniser's overconfident posteriors
  // (an alternative at 0.04 counts 0.2 at 0.5) and damps repeated words; 0
  // counts every lattice word once.
  float speech_lattice_exponent = 0.5f;
  // Best-hypothesis words count their posterior probability instead of 1.
  bool speech_word_confidence = false;
  // Vocal tract length warp of both searches' front end: PocketSphinx's
  // -warp_type inverse_linear -warp_params speech_vtln_warp; in [0.7, 1.3],
  // 1 = no warp. Debian's sphinxbase warps the filterbank's edges too and
  // back, so this moves only the mel curve's bend, a weak warp
  // (docs/quality.md, *Vocal tract length warps*).
  float speech_vtln_warp = 1.0f;
  // Every utterance is recognised with speech_pad_seconds (in [0, 2]; 0 =
  // none) of quiet noise before and after it, white within the recording's
  // band and as loud as its quietest 10 ms frames (the
  // speech_pad_percentile of their energies, in [0, 100]; 0 = the
  // quietest): the model expects words to start and end in silence, which a
  // tightly cut clip lacks (docs/quality.md, *Silence around the words*).
  float speech_pad_seconds = 0.1f;
  float speech_pad_percentile = 10.0f;
  // Cost bounds per clip: recognition stops after speech_max_seconds of
  // audio, or once it has used speech_budget_seconds of CPU time (both
  // searches together); the clip then keeps what was recognised so far and
  // SpokenContent::truncated is set. 0 = no bound.
  float speech_max_seconds = 60.0f;
  float speech_budget_seconds = 30.0f;
};

// Thread-safety: Encode() and EncodeBatch() are const and safe to call from
// many threads at once on one shared encoder (each call keeps its own
// scratch).
class Encoder {
 public:
  virtual ~Encoder() = default;

  // Validates `options` and builds the encoder; InvalidArgument for a bad
  // option, NotFound for a missing model file, FailedPrecondition for a model
  // that does not match its spec.
  static absl::StatusOr<std::unique_ptr<Encoder>> Create(
      const EncoderOptions& options);

  virtual const std::string& kind() const = 0;
  // Sample rate (Hz) that Encode() expects its input at.
  virtual int sample_rate() const = 0;
  // Length of each frame vector.
  virtual int frame_dim() const = 0;
  // Names of the classes of EncodedClip::tag_probabilities, as the model
  // defines them (e.g. AudioSet display names); empty (the default) when the
  // encoder predicts no tags.
  virtual const std::vector<std::string>& tag_names() const;
  // Names of the frame dimensions when each one is the score of a named
  // class (frame_dim() names, in dimension order): the torchscript encoder
  // with output "tags" returns its tag names. Empty (the default) for
  // frames whose dimensions are not classes.
  virtual const std::vector<std::string>& frame_names() const;
  // The term layout of a bag-of-terms encoder (TermLayout); null (the
  // default) for encoders whose frames are not term counts.
  virtual const TermLayout* term_layout() const { return nullptr; }

  // pcm: mono float32 in [-1, 1] at sample_rate() Hz. Empty input is
  // InvalidArgument; silence, DC and clips shorter than one frame give a
  // defined, finite result with the matching ClipFlags set.
  virtual absl::StatusOr<EncodedClip> Encode(
      absl::Span<const float> pcm) const = 0;

  // Encodes several clips (each as Encode's `pcm`, borrowed for the call).
  // The result has one entry per clip, in order, equal to Encode(clips[i])
  // (up to float rounding of a batched forward, ~1e-6): a bad clip fails
  // alone with Encode's error and the others are still encoded. The outer
  // status is an error only for a failure that concerns no single clip.
  // The default loops Encode; the torchscript encoder puts the windows of
  // several clips through one forward (batch_size windows per forward).
  virtual absl::StatusOr<std::vector<absl::StatusOr<EncodedClip>>> EncodeBatch(
      absl::Span<const absl::Span<const float>> clips) const;

  // Encoders that can read text (the speech encoder: the words, and their
  // phones from its pronouncing dictionary): the clip that a recording
  // saying `words` (lower-case, in order) would give if it were recognised
  // perfectly, so that a text query is embedded like audio. Words it cannot
  // read are left out; EncodedClip::spoken holds the words it read and
  // their phones. NotFound when it can read none of `words`; Unimplemented
  // (the default) for an encoder that cannot read text.
  virtual absl::StatusOr<EncodedClip> EncodeText(
      absl::Span<const std::string> words) const;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_ENCODER_H_
