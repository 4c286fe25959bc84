// The "speech" encoder kind: PocketSphinx word and phone recognition
// (speech/sphinx_recognizer.h) turned into one frame of hashed term counts
// (SpeechTermCounts), with a TermLayout so that the Space weights it by
// tf-idf (docs/speech.md).
//
// Thread-safety: Encode() is const and thread-safe (the recognizer lends
// each call its own decoders); EncodeText() too (the dictionary is read
// once, on its first call).

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "soundsearch/build_info.h"
#include "soundsearch/speech_kinds.h"
#include "soundsearch/status_macros.h"
#include "speech/pronouncing_dictionary.h"
#include "speech/speech_kind_entries.h"
#include "speech/sphinx_recognizer.h"

namespace soundsearch {
namespace {

constexpr int kMaxDims = 1 << 20;
constexpr int kMaxOrder = 6;

uint64_t Fnv1a(absl::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string OrDefault(const std::string& path, const char* file) {
  return path.empty() ? absl::StrCat(kDebianSphinxModelDir, "/", file) : path;
}

SphinxOptions SphinxOptionsFor(const EncoderOptions& o) {
  SphinxOptions s;
  s.hmm = OrDefault(o.speech_hmm, "en-us");
  s.lm = OrDefault(o.speech_lm, "en-us.lm.bin");
  s.dict = OrDefault(o.speech_dict, "cmudict-en-us.dict");
  s.phone_lm = OrDefault(o.speech_phone_lm, "en-us-phone.lm.bin");
  s.words = o.speech_word_dims > 0;
  s.phones = o.speech_phone_dims > 0;
  s.word_beam = o.speech_word_beam;
  s.word_wbeam = o.speech_word_wbeam;
  s.word_lw = o.speech_word_lw;
  s.phone_beam = o.speech_phone_beam;
  s.phone_pbeam = o.speech_phone_pbeam;
  s.phone_lw = o.speech_phone_lw;
  s.max_seconds = o.speech_max_seconds;
  s.sample_rate = o.sample_rate;
  s.budget_seconds = o.speech_budget_seconds;
  s.vtln_warp = o.speech_vtln_warp;
  s.pad_seconds = o.speech_pad_seconds;
  s.pad_percentile = o.speech_pad_percentile;
  return s;
}

absl::Status CheckBeam(const char* field, double v) {
  if (!(v > 0 && v < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("encoder.", field, ": must be in (0, 1), got ", v));
  }
  return absl::OkStatus();
}

absl::Status CheckInRange(const char* field, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encoder.", field, ": must be in [", lo, ", ", hi, "], got ", v));
  }
  return absl::OkStatus();
}

absl::Status CheckNonNegative(const char* field, double v, double hi) {
  return CheckInRange(field, v, 0, hi);
}

absl::Status ValidateSpeechOptions(const EncoderOptions& o) {
  if (o.sample_rate != 16000 && o.sample_rate != 8000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encoder.sample_rate: the speech encoder runs at 16000 Hz (or 8000 "
        "for narrow-band audio), got ",
        o.sample_rate));
  }
  RETURN_IF_ERROR(CheckBeam("speech_word_beam", o.speech_word_beam));
  RETURN_IF_ERROR(CheckBeam("speech_word_wbeam", o.speech_word_wbeam));
  RETURN_IF_ERROR(CheckBeam("speech_phone_beam", o.speech_phone_beam));
  RETURN_IF_ERROR(CheckBeam("speech_phone_pbeam", o.speech_phone_pbeam));
  RETURN_IF_ERROR(CheckNonNegative("speech_word_lw", o.speech_word_lw, 100));
  RETURN_IF_ERROR(CheckNonNegative("speech_phone_lw", o.speech_phone_lw, 100));
  RETURN_IF_ERROR(
      CheckNonNegative("speech_word_dims", o.speech_word_dims, kMaxDims));
  RETURN_IF_ERROR(
      CheckNonNegative("speech_phone_dims", o.speech_phone_dims, kMaxDims));
  if (o.speech_word_dims + o.speech_phone_dims == 0) {
    return absl::InvalidArgumentError(
        "encoder.speech_word_dims, speech_phone_dims: at least one must be "
        "> 0");
  }
  if (o.speech_ngram_min < 1 || o.speech_ngram_max < o.speech_ngram_min ||
      o.speech_ngram_max > kMaxOrder) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encoder.speech_ngram_min, speech_ngram_max: need 1 <= min <= max <= ",
        kMaxOrder, ", got ", o.speech_ngram_min, " and ", o.speech_ngram_max));
  }
  RETURN_IF_ERROR(
      CheckNonNegative("speech_word_weight", o.speech_word_weight, 1000));
  RETURN_IF_ERROR(
      CheckNonNegative("speech_phone_weight", o.speech_phone_weight, 1000));
  RETURN_IF_ERROR(CheckNonNegative("speech_lattice_exponent",
                                   o.speech_lattice_exponent, 2));
  RETURN_IF_ERROR(
      CheckNonNegative("speech_max_seconds", o.speech_max_seconds, 86400));
  RETURN_IF_ERROR(CheckNonNegative("speech_budget_seconds",
                                   o.speech_budget_seconds, 86400));
  // The bounds as floats, as the field is: 0.7f itself is accepted.
  RETURN_IF_ERROR(
      CheckInRange("speech_vtln_warp", o.speech_vtln_warp, 0.7f, 1.3f));
  RETURN_IF_ERROR(
      CheckNonNegative("speech_pad_seconds", o.speech_pad_seconds, 2));
  RETURN_IF_ERROR(
      CheckNonNegative("speech_pad_percentile", o.speech_pad_percentile, 100));
  return absl::OkStatus();
}

class SpeechEncoder final : public Encoder {
 public:
  SpeechEncoder(const EncoderOptions& options,
                std::unique_ptr<SphinxRecognizer> recognizer)
      : options_(options), recognizer_(std::move(recognizer)) {
    layout_.block_sizes = {options.speech_word_dims, options.speech_phone_dims};
    layout_.block_weights = {options.speech_word_weight,
                             options.speech_phone_weight};
  }

  const std::string& kind() const override { return kind_; }
  int sample_rate() const override { return options_.sample_rate; }
  int frame_dim() const override {
    return options_.speech_word_dims + options_.speech_phone_dims;
  }
  const TermLayout* term_layout() const override { return &layout_; }

  absl::StatusOr<EncodedClip> Encode(
      absl::Span<const float> pcm) const override {
    ASSIGN_OR_RETURN(SpokenContent spoken, recognizer_->Recognize(pcm));
    EncodedClip clip;
    std::vector<float> counts = SpeechTermCounts(spoken, options_);
    clip.frames = FrameMatrix(1, frame_dim());
    std::copy(counts.begin(), counts.end(), clip.frames.row(0).begin());
    clip.flags.silent = spoken.words.empty() && spoken.phones.empty();
    clip.spoken = std::move(spoken);
    return clip;
  }

  // A text query: each word the dictionary knows counts once in the word
  // block, and the phones of the words' first pronunciations, in order,
  // give the phone n-grams, as if a recording saying them had been
  // recognised without error.
  absl::StatusOr<EncodedClip> EncodeText(
      absl::Span<const std::string> words) const override {
    absl::call_once(dict_once_, [this] {
      dict_ = PronouncingDictionary::Load(
          OrDefault(options_.speech_dict, "cmudict-en-us.dict"));
    });
    if (!dict_.ok()) return dict_.status();
    SpokenContent spoken;
    for (const std::string& word : words) {
      std::vector<std::vector<std::string>> prons = (*dict_)->Find(word);
      if (prons.empty()) continue;
      spoken.words.push_back({absl::AsciiStrToLower(word), 1.0f});
      for (std::string& p : prons[0]) spoken.phones.push_back(std::move(p));
    }
    if (spoken.words.empty()) {
      return absl::NotFoundError(
          absl::StrCat("speech: no word of \"", absl::StrJoin(words, " "),
                       "\" is in the pronouncing dictionary"));
    }
    EncodedClip clip;
    std::vector<float> counts = SpeechTermCounts(spoken, options_);
    clip.frames = FrameMatrix(1, frame_dim());
    std::copy(counts.begin(), counts.end(), clip.frames.row(0).begin());
    clip.spoken = std::move(spoken);
    return clip;
  }

 private:
  const std::string kind_ = "speech";
  const EncoderOptions options_;
  const std::unique_ptr<SphinxRecognizer> recognizer_;
  TermLayout layout_;
  mutable absl::once_flag dict_once_;
  mutable absl::StatusOr<std::unique_ptr<PronouncingDictionary>> dict_;
};

absl::StatusOr<std::unique_ptr<Encoder>> CreateSpeechEncoder(
    const EncoderOptions& options) {
  RETURN_IF_ERROR(ValidateSpeechOptions(options));
  ASSIGN_OR_RETURN(std::unique_ptr<SphinxRecognizer> recognizer,
                   SphinxRecognizer::Create(SphinxOptionsFor(options)));
  return std::unique_ptr<Encoder>(
      new SpeechEncoder(options, std::move(recognizer)));
}

}  // namespace

std::vector<float> SpeechTermCounts(const SpokenContent& spoken,
                                    const EncoderOptions& options) {
  const int wd = std::max(0, options.speech_word_dims);
  const int pd = std::max(0, options.speech_phone_dims);
  std::vector<float> out(static_cast<size_t>(wd) + pd, 0.0f);
  const bool lattice = options.speech_word_lattice && !spoken.lattice.empty();
  auto count_word = [&out, wd](const std::string& word, float count) {
    out[Fnv1a(absl::StrCat("w ", word)) % wd] += count;
  };
  if (wd > 0 && lattice) {
    for (const LatticeWord& w : spoken.lattice) {
      count_word(w.word,
                 std::pow(w.expected_count, options.speech_lattice_exponent));
    }
  } else if (wd > 0) {
    for (const SpokenWord& w : spoken.words) {
      count_word(w.word, options.speech_word_confidence ? w.confidence : 1.0f);
    }
  }
  // A block with no term counts 1 in its first dimension (TermLayout).
  if (wd > 0 && !lattice && spoken.words.empty()) out[0] = 1.0f;
  if (pd > 0) {
    const int n = static_cast<int>(spoken.phones.size());
    if (n < options.speech_ngram_min) out[wd] = 1.0f;
    for (int order = options.speech_ngram_min;
         order <= options.speech_ngram_max; ++order) {
      for (int i = 0; i + order <= n; ++i) {
        std::string term = "p";
        for (int k = 0; k < order; ++k) {
          absl::StrAppend(&term, " ", spoken.phones[i + k]);
        }
        out[wd + Fnv1a(term) % pd] += 1.0f;
      }
    }
  }
  return out;
}

std::string SpeechRecognitionKey(const EncoderOptions& options) {
  return DescribeSphinxOptions(SphinxOptionsFor(options));
}

EncoderKind SpeechEncoderKind() {
  EncoderKind kind;
  kind.name = "speech";
  kind.option_keys = {"sample_rate",
                      "speech_hmm",
                      "speech_lm",
                      "speech_dict",
                      "speech_phone_lm",
                      "speech_word_beam",
                      "speech_word_wbeam",
                      "speech_word_lw",
                      "speech_phone_beam",
                      "speech_phone_pbeam",
                      "speech_phone_lw",
                      "speech_word_dims",
                      "speech_phone_dims",
                      "speech_ngram_min",
                      "speech_ngram_max",
                      "speech_word_weight",
                      "speech_phone_weight",
                      "speech_word_confidence",
                      "speech_max_seconds",
                      "speech_budget_seconds",
                      "speech_word_lattice",
                      "speech_lattice_exponent",
                      "speech_vtln_warp",
                      "speech_pad_seconds",
                      "speech_pad_percentile"};
  kind.default_pooling = "mean";  // one frame: the term counts as they are
  kind.default_scaling = "none";
  kind.validate = &ValidateSpeechOptions;
  kind.create = &CreateSpeechEncoder;
  return kind;
}

}  // namespace soundsearch
