#include "speech/sphinx_recognizer.h"

#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "features/fft.h"
#include "features/framing.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

constexpr double kFrameSeconds = 0.01;  // PocketSphinx's -frate 100
// A long clip is decoded in utterances of at most this many seconds, each cut
// at the quietest 10 ms of the quarter before that length.
constexpr double kUtteranceSeconds = 10.0;
// Lattice words expected fewer times than this are dropped (SpokenContent).
constexpr double kMinLatticeCount = 0.001;
// Raised by every change of this file that changes what is recognised from
// the same options (DescribeSphinxOptions), so that recognitions cached
// under the old code are not taken for the new code's.
constexpr int kRecognizerRevision = 1;

// PocketSphinx reports its errors only to its log. The log callback keeps
// the last error of the calling thread (a decoder runs on one thread at a
// time) and drops everything else, so the library prints nothing.
thread_local std::string last_sphinx_error;

void SphinxLog(void* /*user_data*/, err_lvl_t level, const char* fmt, ...) {
  if (level != ERR_ERROR && level != ERR_FATAL) return;
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof(buffer), fmt, args);
  va_end(args);
  last_sphinx_error = std::string(absl::StripTrailingAsciiWhitespace(buffer));
}

void InstallLogCallback() {
  static std::once_flag once;
  std::call_once(once, [] {
    err_set_callback(&SphinxLog, nullptr);
    // cmd_ln_parse_r prints its configuration to the log file, not through
    // the callback.
    err_set_logfp(nullptr);
  });
}

std::string TakeSphinxError() {
  std::string e = std::move(last_sphinx_error);
  last_sphinx_error.clear();
  return e.empty() ? "no reason given" : e;
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

std::string Num(double v) { return absl::StrFormat("%g", v); }

// "seven(2)" -> "seven"; fillers ("<sil>", "[noise]", "+nsn+") and sentence
// markers give "".
std::string CleanWord(absl::string_view w) {
  if (w.empty() || w[0] == '<' || w[0] == '[' || w[0] == '+') return "";
  const size_t paren = w.find('(');
  if (paren != absl::string_view::npos) w = w.substr(0, paren);
  return absl::AsciiStrToLower(w);
}

bool IsPhoneFiller(absl::string_view p) {
  return p.empty() || p == "SIL" || p[0] == '+' || p[0] == '<' || p[0] == '[';
}

// PocketSphinx reads the acoustic model's feat.params after the command line
// and lets it win, so the front end of an 8 kHz decode (-upperf 3500 where
// the model says 6800) is set by a copy of the model folder in a new
// temporary folder: links to the model's files and a feat.params with the
// upper frequency changed. Returns the folder.
absl::StatusOr<std::string> NarrowBandModel(const std::string& hmm) {
  namespace fs = std::filesystem;
  std::string tmpl =
      (fs::temp_directory_path() / "soundsearch-sphinx8k-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("speech: cannot create a folder for the 8 kHz model: ",
                     std::strerror(errno)));
  }
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(hmm, ec)) {
    if (e.path().filename() == "feat.params") continue;
    fs::create_symlink(fs::absolute(e.path()),
                       fs::path(tmpl) / e.path().filename(), ec);
    if (ec) break;
  }
  if (ec) {
    fs::remove_all(tmpl);
    return absl::InternalError(absl::StrCat(
        "speech: cannot link the model for 8 kHz: ", ec.message()));
  }
  std::ifstream in(hmm + "/feat.params");
  std::ofstream out(tmpl + "/feat.params");
  std::string line;
  bool upper = false;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "-upperf")) {
      line = "-upperf 3500";
      upper = true;
    }
    out << line << "\n";
  }
  if (!upper) out << "-upperf 3500\n";
  out.close();
  if (!out) {
    fs::remove_all(tmpl);
    return absl::InternalError("speech: cannot write the 8 kHz feat.params");
  }
  return tmpl;
}

// Where the utterances of a clip start: 0, then, while more than
// kUtteranceSeconds remain, the quietest 10 ms frame (least energy) between
// 0.75 and 1 times kUtteranceSeconds after the previous start, so that a cut
// falls in a pause where there is one and no utterance is shorter than a
// quarter of that length (unless the clip is).
std::vector<size_t> UtteranceStarts(absl::Span<const int16_t> pcm,
                                    int sample_rate) {
  const size_t target = static_cast<size_t>(kUtteranceSeconds * sample_rate);
  const size_t frame = static_cast<size_t>(sample_rate / 100);
  std::vector<size_t> starts = {0};
  size_t at = 0;
  while (pcm.size() - at > target) {
    size_t best = at + target;
    double best_energy = std::numeric_limits<double>::infinity();
    for (size_t f = at + target - target / 4; f + frame <= at + target;
         f += frame) {
      double energy = 0;
      for (size_t i = f; i < f + frame; ++i) {
        energy += static_cast<double>(pcm[i]) * pcm[i];
      }
      if (energy < best_energy) {
        best_energy = energy;
        best = f;
      }
    }
    starts.push_back(best);
    at = best;
  }
  return starts;
}

// The pad's noise is shaped with spectra of this many samples (32 ms at
// 16 kHz; 64 ms at 8 kHz).
constexpr int kPadFftSize = 512;
// A bin belongs to the recording's band when its long-term power is within
// this many dB of the strongest bin's.
constexpr double kPadBandDb = 60;

// The recording's band: 1 for each bin (of fft.size()) whose long-term power
// in x (Hann frames, half overlapping; one zero-padded frame when x is
// shorter) is within kPadBandDb of the strongest, 0 for the others. Empty
// when x has no energy.
std::vector<float> BandMask(absl::Span<const int16_t> x, const RealFft& fft) {
  const int n = fft.size();
  RealFft::Buffers buffers = fft.MakeBuffers();
  std::vector<float> power(fft.num_bins()), total(fft.num_bins(), 0.0f);
  const std::vector<float> hann = PaddedHannWindow(n, n);
  for (size_t at = 0; at == 0 || at + n <= x.size(); at += n / 2) {
    float* frame = buffers.real();
    for (int i = 0; i < n; ++i) {
      frame[i] = at + i < x.size() ? hann[i] * x[at + i] : 0.0f;
    }
    fft.Forward(buffers);
    fft.PowerSpectrum(buffers, absl::MakeSpan(power));
    for (int k = 0; k < fft.num_bins(); ++k) total[k] += power[k];
  }
  const float peak = *std::max_element(total.begin(), total.end());
  if (!(peak > 0)) return {};
  const float floor =
      static_cast<float>(peak * std::pow(10.0, -kPadBandDb / 10));
  for (float& t : total) t = t >= floor ? 1.0f : 0.0f;
  return total;
}

// *out = pad samples of noise, the utterance, pad samples of noise. The
// noise is white within the recording's band (BandMask) and silent outside
// it, so that audio sampled at 8 kHz and upsampled, which has nothing above
// 4 kHz, gets no noise there either (white noise over the whole band made
// recognition worse than no pad: docs/quality.md). Its level is that of the
// utterance's quietest frames (samples_per_frame each; the given percentile
// of their energies, 0 = the quietest frame), so a clip recorded
// with background noise gets a pad that continues it and a clip cut tightly
// around its words gets one as quiet as their quietest parts (a fixed
// distance below the clip's RMS helped the tightly cut set and hurt the
// noisy one). The generator is seeded the same for every utterance, so a
// clip always gets the same pad. A silent utterance gets none.
void PadUtterance(absl::Span<const int16_t> utterance, size_t pad,
                  size_t samples_per_frame, double percentile,
                  const RealFft& fft, std::vector<int16_t>* out) {
  const std::vector<float> band = BandMask(utterance, fft);
  if (band.empty()) pad = 0;
  out->resize(utterance.size() + 2 * pad);
  std::copy(utterance.begin(), utterance.end(), out->begin() + pad);
  if (pad == 0) return;
  // The band as a linear-phase FIR filter of n - 1 taps: the mask's
  // zero-phase impulse response, centred and Hann-windowed.
  const int n = fft.size();
  RealFft::Buffers buffers = fft.MakeBuffers();
  std::copy(band.begin(), band.end(), buffers.spectrum());
  fft.Inverse(buffers);
  const int taps = n - 1;
  std::vector<double> filter(taps);
  for (int m = 0; m < taps; ++m) {
    const int lag = (m - taps / 2 + n) % n;
    filter[m] =
        buffers.real()[lag] * (0.5 - 0.5 * std::cos(2 * M_PI * (m + 1) / n));
  }
  std::vector<double> white(2 * pad + taps - 1);
  uint32_t state = 0x9e3779b9u;  // xorshift32: the same sequence everywhere
  for (double& w : white) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    w = static_cast<double>(state) / 4294967295.0 * 2 - 1;
  }
  std::vector<double> noise(2 * pad, 0.0);
  double noise_energy = 0;
  for (size_t i = 0; i < noise.size(); ++i) {
    double y = 0;
    for (int m = 0; m < taps; ++m) y += filter[m] * white[i + m];
    noise[i] = y;
    noise_energy += y * y;
  }
  // The level of the utterance's quietest frames (the percentile of their
  // energies): the pad continues the recording's own background.
  std::vector<double> energies;
  for (size_t at = 0; at + samples_per_frame <= utterance.size();
       at += samples_per_frame) {
    double e = 0;
    for (size_t i = at; i < at + samples_per_frame; ++i) {
      e += static_cast<double>(utterance[i]) * utterance[i];
    }
    energies.push_back(e / samples_per_frame);
  }
  if (energies.empty()) energies.push_back(0);
  const size_t q =
      std::min(energies.size() - 1,
               static_cast<size_t>(energies.size() * percentile / 100));
  std::nth_element(energies.begin(), energies.begin() + q, energies.end());
  const double target = energies[q];
  const double gain =
      noise_energy > 0 ? std::sqrt(target / (noise_energy / noise.size())) : 0;
  auto sample = [&](size_t i) {
    return static_cast<int16_t>(
        std::lround(std::clamp(gain * noise[i], -32767.0, 32767.0)));
  };
  int16_t* head = out->data();
  int16_t* tail = out->data() + pad + utterance.size();
  for (size_t i = 0; i < pad; ++i) {
    head[i] = sample(i);
    tail[i] = sample(pad + i);
  }
}

absl::Status CheckFile(const std::string& path, const char* what) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) {
    return absl::NotFoundError(absl::StrCat(
        "speech model: ", what, " '", path,
        "' not found (install the Debian package pocketsphinx-en-us, or set "
        "the encoder's speech_* paths)"));
  }
  return absl::OkStatus();
}

}  // namespace

class SphinxRecognizer::Decoder {
 public:
  static absl::StatusOr<std::unique_ptr<Decoder>> Create(
      const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    cmd_ln_t* config =
        cmd_ln_parse_r(nullptr, ps_args(), static_cast<int32>(argv.size()),
                       argv.data(), /*strict=*/TRUE);
    if (config == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "PocketSphinx refused its arguments: ", TakeSphinxError()));
    }
    ps_decoder_t* ps = ps_init(config);
    cmd_ln_free_r(config);  // ps_init keeps its own reference
    if (ps == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "PocketSphinx could not load its model: ", TakeSphinxError()));
    }
    return std::unique_ptr<Decoder>(new Decoder(ps));
  }
  ~Decoder() { ps_free(ps_); }

  // PocketSphinx's live cepstral mean normalisation carries its estimate
  // from one utterance to the next, so a decoder's result for a clip would
  // depend on the clips it decoded before (and on which pooled decoder a
  // call borrows). Every utterance starts from the model's initial mean.
  void ResetCmn() {
    feat_t* feat = ps_get_feat(ps_);
    if (feat == nullptr || feat->cmn_struct == nullptr) return;
    if (initial_cmn_.empty()) {
      cmn_t* cmn = feat->cmn_struct;
      initial_cmn_.assign(cmn->cmn_mean, cmn->cmn_mean + cmn->veclen);
    }
    cmn_live_set(feat->cmn_struct, initial_cmn_.data());
  }

  // Decodes pcm as consecutive utterances (UtteranceStarts), each given to
  // PocketSphinx whole, until the end, the CPU deadline (thread CPU seconds,
  // checked between utterances; <= 0: none) or an error, and calls
  // on_segment(symbol, start_frame, end_frame, posterior) for each segment of
  // each utterance's best hypothesis, frames counted from the clip's start.
  // Each utterance is decoded with options.pad_seconds of noise around it
  // (PadUtterance); a segment's frames are clamped to the utterance's.
  // With `lattice`, adds each utterance's lattice words to it (baseword ->
  // summed link posteriors). *stopped is set when the deadline cut it short.
  // *score_per_frame: the best hypotheses' path scores (natural log) summed
  // over the decoded utterances, divided by their frames.
  //
  // Whole utterances, because the model's feat.params asks for batch
  // cepstral mean normalisation, which PocketSphinx applies only to an
  // utterance passed in one call (full_utt); fed in pieces it falls back to
  // a live estimate starting from the model's initial mean, which is far off
  // for a short clip (docs/speech.md, *Measured*).
  template <typename Fn>
  absl::Status Decode(absl::Span<const int16_t> pcm,
                      const SphinxOptions& options, const RealFft& pad_fft,
                      double cpu_deadline, bool* stopped,
                      double* score_per_frame, Fn on_segment,
                      std::map<std::string, double>* lattice = nullptr) {
    *stopped = false;
    double log_score = 0;
    size_t frames = 0;
    const int sample_rate = options.sample_rate;
    const std::vector<size_t> starts = UtteranceStarts(pcm, sample_rate);
    const size_t samples_per_frame = sample_rate / 100;  // -frate 100
    const int pad_frames =
        static_cast<int>(std::lround(options.pad_seconds / kFrameSeconds));
    std::vector<int16_t> padded;
    for (size_t u = 0; u < starts.size(); ++u) {
      if (u > 0 && cpu_deadline > 0 && ThreadCpuSeconds() > cpu_deadline) {
        *stopped = true;
        break;
      }
      const size_t begin = starts[u];
      const size_t end = u + 1 < starts.size() ? starts[u + 1] : pcm.size();
      // Digital silence has nothing to hear, and PocketSphinx's features of
      // frames of zeros (no log spectrum) made it hear a phone or a word
      // that depended on what the decoder had decoded before.
      if (std::all_of(pcm.begin() + begin, pcm.begin() + end,
                      [](int16_t v) { return v == 0; })) {
        continue;
      }
      // Every utterance is a stream of its own: segment times count from its
      // start (ps_start_stream; without it they are stream-wide, counting
      // what this decoder decoded before) and no channel estimate is carried
      // over from another clip.
      if (ps_start_stream(ps_) < 0) {
        return absl::InternalError(
            absl::StrCat("PocketSphinx: start of stream: ", TakeSphinxError()));
      }
      ResetCmn();
      if (ps_start_utt(ps_) < 0) {
        return absl::InternalError(absl::StrCat(
            "PocketSphinx: start of utterance: ", TakeSphinxError()));
      }
      PadUtterance(pcm.subspan(begin, end - begin),
                   static_cast<size_t>(pad_frames) * samples_per_frame,
                   samples_per_frame, options.pad_percentile, pad_fft, &padded);
      if (ps_process_raw(ps_, padded.data(), padded.size(),
                         /*no_search=*/FALSE, /*full_utt=*/TRUE) < 0) {
        ps_end_utt(ps_);
        return absl::InternalError(
            absl::StrCat("PocketSphinx: processing: ", TakeSphinxError()));
      }
      if (ps_end_utt(ps_) < 0) {
        return absl::InternalError(absl::StrCat(
            "PocketSphinx: end of utterance: ", TakeSphinxError()));
      }
      const int offset = static_cast<int>(begin / samples_per_frame);
      const int last = std::max<int>(
          0, static_cast<int>((end - begin) / samples_per_frame) - 1);
      frames += padded.size() / samples_per_frame;
      const bool heard = this->ForEachSegment(
          [&](absl::string_view symbol, int sf, int ef, double p) {
            on_segment(symbol, std::clamp(sf - pad_frames, 0, last) + offset,
                       std::clamp(ef - pad_frames, 0, last) + offset, p);
          },
          &log_score);
      // The link posteriors are computed with the best hypothesis.
      if (heard && lattice != nullptr) AddLatticeWords(lattice);
    }
    *score_per_frame = frames > 0 ? log_score / static_cast<double>(frames) : 0;
    return absl::OkStatus();
  }

 private:
  explicit Decoder(ps_decoder_t* ps) : ps_(ps) { ResetCmn(); }

  // Adds the words of the last utterance's lattice to *out: to each node's
  // (cleaned) word the posterior probabilities of the links that enter it,
  // so each word gets its expected count (every path through the lattice
  // enters a node it passes by exactly one link; the start node, entered by
  // none, is the sentence marker). Fillers and sentence markers are left
  // out. Nothing when the search keeps no lattice.
  void AddLatticeWords(std::map<std::string, double>* out) {
    ps_lattice_t* dag = ps_get_lattice(ps_);  // owned by the decoder
    if (dag == nullptr) return;
    logmath_t* lmath = ps_lattice_get_logmath(dag);
    for (ps_latnode_iter_t* it = ps_latnode_iter(dag); it != nullptr;
         it = ps_latnode_iter_next(it)) {
      ps_latnode_t* node = ps_latnode_iter_node(it);
      const char* base = ps_latnode_baseword(dag, node);
      const std::string word = CleanWord(base == nullptr ? "" : base);
      if (word.empty()) continue;
      double sum = 0;
      for (ps_latlink_iter_t* li = ps_latnode_entries(node); li != nullptr;
           li = ps_latlink_iter_next(li)) {
        int32 ascr = 0;
        sum += std::clamp(
            logmath_exp(lmath,
                        ps_latlink_prob(dag, ps_latlink_iter_link(li), &ascr)),
            0.0, 1.0);
      }
      (*out)[word] += sum;
    }
  }

  // Calls fn(symbol, start_frame, end_frame, posterior) for each segment of
  // the best hypothesis of the last utterance, frames counted from its start,
  // and adds the hypothesis's path score (natural log) to *log_score. False
  // when there is no hypothesis.
  template <typename Fn>
  bool ForEachSegment(Fn fn, double* log_score) {
    int32 score = 0;
    if (ps_get_hyp(ps_, &score) == nullptr) return false;
    logmath_t* lmath = ps_get_logmath(ps_);
    *log_score += logmath_log_to_ln(lmath, score);
    for (ps_seg_t* seg = ps_seg_iter(ps_); seg != nullptr;
         seg = ps_seg_next(seg)) {
      int sf = 0, ef = 0;
      ps_seg_frames(seg, &sf, &ef);
      int32 ascr = 0, lscr = 0, lback = 0;
      const int32 prob = ps_seg_prob(seg, &ascr, &lscr, &lback);
      const double posterior = std::clamp(logmath_exp(lmath, prob), 0.0, 1.0);
      const char* word = ps_seg_word(seg);
      fn(absl::string_view(word == nullptr ? "" : word), sf, ef, posterior);
    }
    return true;
  }

  ps_decoder_t* const ps_;
  std::vector<mfcc_t> initial_cmn_;  // set by the first ResetCmn
};

std::string DescribeSphinxOptions(const SphinxOptions& o) {
  return absl::StrFormat(
      "revision=%d hmm=%s lm=%s dict=%s phone_lm=%s words=%d phones=%d "
      "sample_rate=%d word_beam=%.17g word_wbeam=%.17g word_lw=%.17g "
      "phone_beam=%.17g phone_pbeam=%.17g phone_lw=%.17g max_seconds=%.17g "
      "budget_seconds=%.17g vtln_warp=%.17g pad_seconds=%.17g "
      "pad_percentile=%.17g",
      kRecognizerRevision, o.hmm, o.lm, o.dict, o.phone_lm, o.words ? 1 : 0,
      o.phones ? 1 : 0, o.sample_rate, o.word_beam, o.word_wbeam, o.word_lw,
      o.phone_beam, o.phone_pbeam, o.phone_lw, o.max_seconds, o.budget_seconds,
      o.vtln_warp, o.pad_seconds, o.pad_percentile);
}

SphinxRecognizer::Pool::Pool(std::vector<std::string> args)
    : args_(std::move(args)) {}

SphinxRecognizer::Pool::~Pool() = default;

absl::StatusOr<std::unique_ptr<SphinxRecognizer::Decoder>>
SphinxRecognizer::Pool::Take() {
  {
    absl::MutexLock lock(&mu_);
    if (!free_.empty()) {
      std::unique_ptr<Decoder> d = std::move(free_.back());
      free_.pop_back();
      return d;
    }
  }
  return Decoder::Create(args_);
}

void SphinxRecognizer::Pool::Give(std::unique_ptr<Decoder> decoder) {
  absl::MutexLock lock(&mu_);
  free_.push_back(std::move(decoder));
}

SphinxRecognizer::SphinxRecognizer(const SphinxOptions& options)
    : options_(options) {}

SphinxRecognizer::~SphinxRecognizer() {
  words_.reset();
  phones_.reset();
  if (!narrow_model_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(narrow_model_dir_, ignored);
  }
}

absl::StatusOr<std::unique_ptr<SphinxRecognizer>> SphinxRecognizer::Create(
    const SphinxOptions& options) {
  if (!options.words && !options.phones) {
    return absl::InvalidArgumentError("speech: neither words nor phones");
  }
  InstallLogCallback();
  RETURN_IF_ERROR(CheckFile(options.hmm + "/mdef", "acoustic model"));
  RETURN_IF_ERROR(CheckFile(options.dict, "dictionary"));
  if (options.words) RETURN_IF_ERROR(CheckFile(options.lm, "word LM"));
  if (options.phones) RETURN_IF_ERROR(CheckFile(options.phone_lm, "phone LM"));
  if (options.sample_rate != 16000 && options.sample_rate != 8000) {
    return absl::InvalidArgumentError(
        absl::StrCat("speech: sample rate must be 16000 or 8000, got ",
                     options.sample_rate));
  }
  std::unique_ptr<SphinxRecognizer> r(new SphinxRecognizer(options));
  ASSIGN_OR_RETURN(r->pad_fft_, RealFft::Create(kPadFftSize));
  std::string hmm = options.hmm;
  if (options.sample_rate == 8000) {
    ASSIGN_OR_RETURN(r->narrow_model_dir_, NarrowBandModel(options.hmm));
    hmm = r->narrow_model_dir_;
  }
  std::vector<std::string> common = {
      "soundsearch", "-hmm", hmm, "-dict", options.dict,
      // Whole clips are decoded as one utterance; the front end's voice
      // activity detector would cut the start of short words.
      "-remove_silence", "no"};
  if (options.sample_rate == 8000) {
    common.insert(common.end(),
                  {"-samprate", "8000", "-nfft", "256", "-upperf", "3500"});
  }
  if (options.vtln_warp != 1.0) {
    common.insert(common.end(), {"-warp_type", "inverse_linear", "-warp_params",
                                 Num(options.vtln_warp)});
  }
  if (options.words) {
    std::vector<std::string> args = common;
    args.insert(args.end(),
                {"-lm", options.lm, "-beam", Num(options.word_beam), "-wbeam",
                 Num(options.word_wbeam), "-lw", Num(options.word_lw)});
    r->words_ = std::make_unique<Pool>(std::move(args));
    ASSIGN_OR_RETURN(std::unique_ptr<Decoder> d, r->words_->Take());
    r->words_->Give(std::move(d));
  }
  if (options.phones) {
    std::vector<std::string> args = common;
    args.insert(
        args.end(),
        {"-allphone", options.phone_lm, "-beam", Num(options.phone_beam),
         "-pbeam", Num(options.phone_pbeam), "-lw", Num(options.phone_lw)});
    r->phones_ = std::make_unique<Pool>(std::move(args));
    ASSIGN_OR_RETURN(std::unique_ptr<Decoder> d, r->phones_->Take());
    r->phones_->Give(std::move(d));
  }
  return r;
}

absl::Status SphinxRecognizer::RunWords(Pool& pool,
                                        absl::Span<const int16_t> pcm,
                                        double cpu_deadline,
                                        SpokenContent* out) const {
  ASSIGN_OR_RETURN(std::unique_ptr<Decoder> d, pool.Take());
  bool stopped = false;
  std::map<std::string, double> lattice;
  double score = 0;
  absl::Status s = d->Decode(
      pcm, options_, *pad_fft_, cpu_deadline, &stopped, &score,
      [out](absl::string_view w, int sf, int ef, double p) {
        std::string word = CleanWord(w);
        if (word.empty()) return;
        out->words.push_back({std::move(word), static_cast<float>(p),
                              static_cast<float>(sf * kFrameSeconds),
                              static_cast<float>((ef + 1) * kFrameSeconds)});
      },
      &lattice);
  out->truncated |= s.ok() && stopped;
  out->word_score_per_frame = static_cast<float>(score);
  for (const auto& [word, count] : lattice) {
    if (count >= kMinLatticeCount) {
      out->lattice.push_back({word, static_cast<float>(count)});
    }
  }
  pool.Give(std::move(d));  // a decoder is reusable after a failed utterance
  return s;
}

absl::Status SphinxRecognizer::RunPhones(Pool& pool,
                                         absl::Span<const int16_t> pcm,
                                         double cpu_deadline,
                                         SpokenContent* out) const {
  ASSIGN_OR_RETURN(std::unique_ptr<Decoder> d, pool.Take());
  bool stopped = false;
  double score = 0;
  absl::Status s =
      d->Decode(pcm, options_, *pad_fft_, cpu_deadline, &stopped, &score,
                [out](absl::string_view p, int, int, double) {
                  if (!IsPhoneFiller(p)) out->phones.emplace_back(p);
                });
  out->truncated |= s.ok() && stopped;
  out->phone_score_per_frame = static_cast<float>(score);
  pool.Give(std::move(d));
  return s;
}

absl::StatusOr<SpokenContent> SphinxRecognizer::Recognize(
    absl::Span<const float> pcm) const {
  if (pcm.empty()) {
    return absl::InvalidArgumentError("speech: empty audio");
  }
  SpokenContent out;
  size_t n = pcm.size();
  if (options_.max_seconds > 0) {
    const size_t cap =
        static_cast<size_t>(options_.max_seconds * options_.sample_rate);
    if (n > cap) {
      n = cap;
      out.truncated = true;
    }
  }
  std::vector<int16_t> pcm16(n);
  for (size_t i = 0; i < n; ++i) {
    const float v = std::isfinite(pcm[i]) ? pcm[i] : 0.0f;
    pcm16[i] = static_cast<int16_t>(
        std::lround(std::clamp(v, -1.0f, 1.0f) * 32767.0f));
  }
  const double deadline = options_.budget_seconds > 0
                              ? ThreadCpuSeconds() + options_.budget_seconds
                              : 0;
  if (words_ != nullptr) {
    RETURN_IF_ERROR(RunWords(*words_, pcm16, deadline, &out));
  }
  if (phones_ != nullptr) {
    if (deadline > 0 && ThreadCpuSeconds() > deadline) {
      out.truncated = true;  // no budget left for the phone search
    } else {
      RETURN_IF_ERROR(RunPhones(*phones_, pcm16, deadline, &out));
    }
  }
  return out;
}

}  // namespace soundsearch
