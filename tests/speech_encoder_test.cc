// The "speech" encoder kind (soundsearch_speech): registration, option
// checks, recognition of words spoken by espeak-ng (the Debian package,
// run by the test to write its own audio), silence, the cost bounds and
// concurrent use. Uses the Debian PocketSphinx model (pocketsphinx-en-us).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "soundsearch/audio_decoder.h"
#include "soundsearch/encoder.h"
#include "soundsearch/encoder_kinds.h"
#include "soundsearch/sequence_distance.h"
#include "soundsearch/space_config.h"
#include "soundsearch/speech_kinds.h"
#include "support/test_audio.h"

namespace soundsearch {

// For gtest's messages.
void PrintTo(const SpokenContent& c, std::ostream* os) {
  *os << "{space " << c.space << ", words";
  for (const SpokenWord& w : c.words) {
    *os << " " << w.word << ":" << w.confidence << "@" << w.start_seconds << "-"
        << w.end_seconds;
  }
  *os << ", phones " << absl::StrJoin(c.phones, " ")
      << (c.truncated ? ", truncated}" : "}");
}

namespace {

constexpr int kRate = 16000;

EncoderOptions SpeechOptions() {
  EncoderOptions o;
  o.kind = "speech";
  o.sample_rate = kRate;
  return o;
}

class SpeechEncoderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(RegisterSpeechKinds().ok());
    auto encoder = Encoder::Create(SpeechOptions());
    ASSERT_TRUE(encoder.ok()) << encoder.status();
    encoder_ = std::move(encoder).value().release();
  }
  static void TearDownTestSuite() {
    delete encoder_;
    encoder_ = nullptr;
  }
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
  }

  // `text` spoken by espeak-ng (voice, words per minute), decoded at `rate`.
  std::vector<float> Say(const std::string& text, const std::string& voice,
                         int speed, int rate = kRate) {
    const std::string path = dir_->File(absl::StrCat("say", n_++, ".wav"));
    const std::string cmd = absl::StrCat("espeak-ng -v ", voice, " -s ", speed,
                                         " -w ", path, " '", text, "'");
    EXPECT_EQ(std::system(cmd.c_str()), 0)
        << cmd << " (install espeak-ng: scripts/setup)";
    auto decoder = AudioDecoder::Create(AudioDecoderOptions());
    DecodeRequest request;
    request.sample_rate = rate;
    auto audio = (*decoder)->DecodeFile(path, request);
    EXPECT_TRUE(audio.ok()) << audio.status();
    return audio.ok() ? audio->samples : std::vector<float>(kRate, 0.0f);
  }

  static Encoder* encoder_;
  std::unique_ptr<test::TempDir> dir_;
  int n_ = 0;
};
Encoder* SpeechEncoderTest::encoder_ = nullptr;

TEST_F(SpeechEncoderTest, KindIsRegisteredOnceWithItsOptions) {
  EXPECT_TRUE(RegisterSpeechKinds().ok());  // idempotent
  const EncoderKind* kind = FindEncoderKind("speech");
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(kind->default_pooling, "mean");
  auto configs = ParseSpaceConfigs(R"({"spaces": [{"name": "speech",
      "encoder": {"kind": "speech", "sample_rate": 16000,
                  "speech_phone_beam": 1e-20, "speech_word_dims": 256},
      "pca_dims": 0, "rerank": {"kind": "phone_edit", "top_n": 20,
                                "weight": 0.25},
      "only_if_auto_tags": ["Speech"]}]})");
  ASSERT_TRUE(configs.ok()) << configs.status();
  const SpaceConfig& c = (*configs)[0];
  EXPECT_DOUBLE_EQ(c.encoder.speech_phone_beam, 1e-20);
  EXPECT_EQ(c.encoder.speech_word_dims, 256);
  EXPECT_EQ(c.pooling, Pooling::kMean);
  EXPECT_EQ(c.rerank.kind, RerankKind::kPhoneEdit);
  EXPECT_EQ(c.rerank.top_n, 20);
  EXPECT_EQ(c.only_if_auto_tags, std::vector<std::string>{"speech"});
  auto unknown = ParseSpaceConfigs(R"({"spaces": [{"name": "s",
      "encoder": {"kind": "speech", "sample_rate": 16000, "n_fft": 512}}]})");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad_rerank = ParseSpaceConfigs(R"({"spaces": [{"name": "s",
      "encoder": {"kind": "speech", "sample_rate": 16000},
      "rerank": {"kind": "dtw"}}]})");
  EXPECT_EQ(bad_rerank.status().code(), absl::StatusCode::kInvalidArgument);
}

// The key of the recognition cache changes with every option that changes
// what is recognised, and with no option of the term vector alone.
TEST(SpeechRecognitionKeyTest, NamesWhatChangesTheRecognition) {
  const EncoderOptions base = SpeechOptions();
  const std::string key = SpeechRecognitionKey(base);
  EXPECT_EQ(key, SpeechRecognitionKey(base));
  EXPECT_EQ(key.find('\n'), std::string::npos);

  // The Debian model's files named as they are found by default.
  EncoderOptions spelled = base;
  spelled.speech_hmm = "/usr/share/pocketsphinx/model/en-us/en-us";
  spelled.speech_lm = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin";
  EXPECT_EQ(SpeechRecognitionKey(spelled), key);

  std::vector<EncoderOptions> recognise_otherwise;
  auto vary = [&](auto change) {
    EncoderOptions o = base;
    change(o);
    recognise_otherwise.push_back(o);
  };
  vary([](EncoderOptions& o) { o.sample_rate = 8000; });
  vary([](EncoderOptions& o) { o.speech_hmm = "other/hmm"; });
  vary([](EncoderOptions& o) { o.speech_lm = "other.lm.bin"; });
  vary([](EncoderOptions& o) { o.speech_dict = "other.dict"; });
  vary([](EncoderOptions& o) { o.speech_phone_lm = "other-phone.lm.bin"; });
  vary([](EncoderOptions& o) { o.speech_word_beam = 1e-40; });
  vary([](EncoderOptions& o) { o.speech_word_wbeam = 1e-20; });
  vary([](EncoderOptions& o) { o.speech_word_lw = 6.0f; });
  vary([](EncoderOptions& o) { o.speech_phone_beam = 1e-10 * (1 + 1e-12); });
  vary([](EncoderOptions& o) { o.speech_phone_pbeam = 1e-5; });
  vary([](EncoderOptions& o) { o.speech_phone_lw = 1.0f; });
  vary([](EncoderOptions& o) { o.speech_word_dims = 0; });   // no word search
  vary([](EncoderOptions& o) { o.speech_phone_dims = 0; });  // no phones
  vary([](EncoderOptions& o) { o.speech_vtln_warp = 1.1f; });
  vary([](EncoderOptions& o) { o.speech_pad_seconds = 0.2f; });
  vary([](EncoderOptions& o) { o.speech_pad_percentile = 0.0f; });
  vary([](EncoderOptions& o) { o.speech_max_seconds = 30.0f; });
  vary([](EncoderOptions& o) { o.speech_budget_seconds = 0.0f; });
  for (size_t i = 0; i < recognise_otherwise.size(); ++i) {
    EXPECT_NE(SpeechRecognitionKey(recognise_otherwise[i]), key)
        << "variant " << i;
  }

  EncoderOptions vector_only = base;
  vector_only.speech_word_dims = 256;
  vector_only.speech_phone_dims = 512;
  vector_only.speech_ngram_min = 2;
  vector_only.speech_ngram_max = 4;
  vector_only.speech_word_weight = 0.3f;
  vector_only.speech_phone_weight = 0.7f;
  vector_only.speech_word_lattice = false;
  vector_only.speech_lattice_exponent = 1.0f;
  vector_only.speech_word_confidence = true;
  EXPECT_EQ(SpeechRecognitionKey(vector_only), key);
}

TEST_F(SpeechEncoderTest, BadOptionsAndMissingModelsAreClearErrors) {
  EncoderOptions rate = SpeechOptions();
  rate.sample_rate = 22050;
  EXPECT_EQ(Encoder::Create(rate).status().code(),
            absl::StatusCode::kInvalidArgument);
  EncoderOptions nothing = SpeechOptions();
  nothing.speech_word_dims = 0;
  nothing.speech_phone_dims = 0;
  EXPECT_EQ(Encoder::Create(nothing).status().code(),
            absl::StatusCode::kInvalidArgument);
  EncoderOptions beam = SpeechOptions();
  beam.speech_phone_beam = 0;
  EXPECT_EQ(Encoder::Create(beam).status().code(),
            absl::StatusCode::kInvalidArgument);
  EncoderOptions exponent = SpeechOptions();
  exponent.speech_lattice_exponent = 2.5f;
  EXPECT_EQ(Encoder::Create(exponent).status().code(),
            absl::StatusCode::kInvalidArgument);
  EncoderOptions orders = SpeechOptions();
  orders.speech_ngram_min = 3;
  orders.speech_ngram_max = 2;
  EXPECT_EQ(Encoder::Create(orders).status().code(),
            absl::StatusCode::kInvalidArgument);
  EncoderOptions missing = SpeechOptions();
  missing.speech_lm = dir_->File("no-such.lm.bin");
  auto created = Encoder::Create(missing);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(created.status().message().find("no-such.lm.bin"),
            std::string::npos);
  // A file that is not a language model: PocketSphinx refuses it.
  ASSERT_TRUE(test::WriteFileBytes(dir_->File("junk.lm.bin"), "junk").ok());
  EncoderOptions junk = SpeechOptions();
  junk.speech_lm = dir_->File("junk.lm.bin");
  EXPECT_EQ(Encoder::Create(junk).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SpeechEncoderTest, RecognisesSpokenWordsIntoTermCounts) {
  const std::vector<float> seven = Say("seven", "en-us", 150);
  auto clip = encoder_->Encode(seven);
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_EQ(clip->frames.num_frames(), 1);
  EXPECT_EQ(clip->frames.dim, encoder_->frame_dim());
  EXPECT_EQ(encoder_->frame_dim(), 1024 + 4096);
  ASSERT_NE(encoder_->term_layout(), nullptr);
  EXPECT_FALSE(clip->flags.silent);
  EXPECT_FALSE(clip->spoken.words.empty());
  EXPECT_GE(clip->spoken.phones.size(), 3u);
  EXPECT_FALSE(clip->spoken.truncated);
  for (const SpokenWord& w : clip->spoken.words) {
    EXPECT_GE(w.confidence, 0.0f);
    EXPECT_LE(w.confidence, 1.0f);
    EXPECT_LE(w.start_seconds, w.end_seconds);
    EXPECT_EQ(w.word.find('('), std::string::npos);
  }
  // The frame is the term counts of what was recognised.
  const std::vector<float> counts =
      SpeechTermCounts(clip->spoken, SpeechOptions());
  EXPECT_EQ(
      std::vector<float>(clip->frames.data.begin(), clip->frames.data.end()),
      counts);
  float words = 0, phones = 0;
  for (int j = 0; j < 1024; ++j) words += counts[j];
  for (int j = 1024; j < 1024 + 4096; ++j) phones += counts[j];
  const float n = static_cast<float>(clip->spoken.phones.size());
  EXPECT_EQ(phones, n + (n - 1) + (n - 2));  // 1-, 2- and 3-grams

  // The lattice: every word once, in order, the expected counts at least
  // 0.001; the word block counts them, to the power 0.5 (the default
  // speech_lattice_exponent). (A best-hypothesis word need not be in
  // it: the best path is rescored with the LM, and its word may have a
  // posterior under 0.001.)
  const std::vector<LatticeWord>& lattice = clip->spoken.lattice;
  ASSERT_FALSE(lattice.empty());
  float expected = 0;
  for (size_t i = 0; i < lattice.size(); ++i) {
    EXPECT_GE(lattice[i].expected_count, 0.001f) << lattice[i].word;
    EXPECT_LE(lattice[i].expected_count, 10.0f) << lattice[i].word;
    if (i > 0) EXPECT_LT(lattice[i - 1].word, lattice[i].word);
    expected += std::sqrt(lattice[i].expected_count);
  }
  EXPECT_NEAR(words, expected, 1e-4f);
  // Without the lattice the word block counts the best hypothesis's words.
  EncoderOptions best = SpeechOptions();
  best.speech_word_lattice = false;
  const std::vector<float> best_counts = SpeechTermCounts(clip->spoken, best);
  float best_words = 0;
  for (int j = 0; j < 1024; ++j) best_words += best_counts[j];
  EXPECT_EQ(best_words, static_cast<float>(clip->spoken.words.size()));

  // Another voice saying the same word is nearer, by phones, than a
  // different word.
  auto again = encoder_->Encode(Say("seven", "en-gb", 120));
  auto other = encoder_->Encode(Say("yes", "en-us", 150));
  ASSERT_TRUE(again.ok() && other.ok());
  EXPECT_LT(NormalisedEditDistance(clip->spoken.phones, again->spoken.phones),
            NormalisedEditDistance(clip->spoken.phones, other->spoken.phones));
}

TEST_F(SpeechEncoderTest, TextIsReadThroughThePronouncingDictionary) {
  auto clip = encoder_->EncodeText({"Seven", "zzqxv", "yes"});
  ASSERT_TRUE(clip.ok()) << clip.status();
  ASSERT_EQ(clip->spoken.words.size(), 2u);  // the unknown word left out
  EXPECT_EQ(clip->spoken.words[0].word, "seven");
  EXPECT_EQ(clip->spoken.words[1].word, "yes");
  // cmudict-en-us.dict: seven S EH V AH N, yes Y EH S.
  EXPECT_EQ(
      clip->spoken.phones,
      (std::vector<std::string>{"S", "EH", "V", "AH", "N", "Y", "EH", "S"}));
  EXPECT_EQ(
      std::vector<float>(clip->frames.data.begin(), clip->frames.data.end()),
      SpeechTermCounts(clip->spoken, SpeechOptions()));
  // Several pronunciations: the first one ("zero Z IH R OW").
  auto zero = encoder_->EncodeText({"zero"});
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(zero->spoken.phones,
            (std::vector<std::string>{"Z", "IH", "R", "OW"}));
  EXPECT_EQ(encoder_->EncodeText({"zzqxv"}).status().code(),
            absl::StatusCode::kNotFound);
  // Encoders that cannot read text say so.
  EncoderOptions dsp;
  auto plain = Encoder::Create(dsp);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->EncodeText({"seven"}).status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST_F(SpeechEncoderTest, NarrowBandAudioIsDecodedAt8kHz) {
  EncoderOptions narrow = SpeechOptions();
  narrow.sample_rate = 8000;
  auto encoder = Encoder::Create(narrow);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_EQ((*encoder)->sample_rate(), 8000);
  auto clip = (*encoder)->Encode(Say("seven", "en-us", 150, 8000));
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_GE(clip->spoken.phones.size(), 3u);
  EncoderOptions bad = SpeechOptions();
  bad.sample_rate = 11025;
  EXPECT_EQ(Encoder::Create(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SpeechEncoderTest, VtlnWarpChangesTheFrontEndAndIsRangeChecked) {
  auto configs = ParseSpaceConfigs(R"({"spaces": [{"name": "speech",
      "encoder": {"kind": "speech", "sample_rate": 16000,
                  "speech_vtln_warp": 1.2}, "pca_dims": 0}]})");
  ASSERT_TRUE(configs.ok()) << configs.status();
  EXPECT_FLOAT_EQ((*configs)[0].encoder.speech_vtln_warp, 1.2f);
  for (float bad : {0.69f, 1.31f, 0.0f, std::nanf("")}) {
    EncoderOptions o = SpeechOptions();
    o.speech_vtln_warp = bad;
    EXPECT_EQ(Encoder::Create(o).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EncoderOptions warped = SpeechOptions();
  warped.speech_vtln_warp = 1.2f;
  auto encoder = Encoder::Create(warped);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  const std::vector<float> seven = Say("seven", "en-us", 150);
  auto plain = encoder_->Encode(seven);
  auto clip = (*encoder)->Encode(seven);
  ASSERT_TRUE(plain.ok() && clip.ok());
  EXPECT_GE(clip->spoken.phones.size(), 3u);
  // Both searches report their best hypotheses' scores per frame, and the
  // warped front end scores the same audio differently.
  for (const SpokenContent* c : {&plain->spoken, &clip->spoken}) {
    EXPECT_TRUE(std::isfinite(c->word_score_per_frame));
    EXPECT_TRUE(std::isfinite(c->phone_score_per_frame));
    EXPECT_NE(c->word_score_per_frame, 0.0f);
    EXPECT_NE(c->phone_score_per_frame, 0.0f);
  }
  EXPECT_NE(plain->spoken.phone_score_per_frame,
            clip->spoken.phone_score_per_frame);
  EXPECT_NE(plain->spoken.word_score_per_frame,
            clip->spoken.word_score_per_frame);
}

// A word cut tightly at its first and last loud samples, as many
// collections trim their clips, is recognised with the silence pad around
// it, deterministically, with word times inside the clip; the keys parse and
// are range-checked.
TEST_F(SpeechEncoderTest, TightlyCutWordsAreRecognisedWithThePad) {
  auto configs = ParseSpaceConfigs(R"({"spaces": [{"name": "speech",
      "encoder": {"kind": "speech", "sample_rate": 16000,
                  "speech_pad_seconds": 0.5, "speech_pad_percentile": 0},
      "pca_dims": 0}]})");
  ASSERT_TRUE(configs.ok()) << configs.status();
  EXPECT_FLOAT_EQ((*configs)[0].encoder.speech_pad_seconds, 0.5f);
  EXPECT_FLOAT_EQ((*configs)[0].encoder.speech_pad_percentile, 0.0f);
  EXPECT_GT(SpeechOptions().speech_pad_seconds, 0.0f);  // on by default
  for (float bad : {-0.1f, 2.5f, std::nanf("")}) {
    EncoderOptions o = SpeechOptions();
    o.speech_pad_seconds = bad;
    EXPECT_EQ(Encoder::Create(o).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
    o = SpeechOptions();
    o.speech_pad_percentile = bad * 100;
    EXPECT_EQ(Encoder::Create(o).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad * 100;
  }

  // Without the pad this clip is heard as "yeah": the search has no
  // silence to start and end in, so the final /s/ is lost.
  const std::vector<float> said = Say("yes", "en-us", 150);
  auto loud = [](float v) { return std::fabs(v) > 0.01f; };
  const auto first = std::find_if(said.begin(), said.end(), loud);
  const auto last = std::find_if(said.rbegin(), said.rend(), loud).base();
  ASSERT_LT(first, last);
  const std::vector<float> cut(first, last);
  const double seconds = static_cast<double>(cut.size()) / kRate;
  ASSERT_LT(cut.size(), said.size());  // espeak-ng leaves silence around

  auto clip = encoder_->Encode(cut);
  auto again = encoder_->Encode(cut);
  ASSERT_TRUE(clip.ok() && again.ok());
  EXPECT_EQ(clip->spoken, again->spoken);
  const std::string heard = testing::PrintToString(clip->spoken);
  ASSERT_FALSE(clip->spoken.words.empty()) << heard;
  bool yes = false;
  for (const SpokenWord& w : clip->spoken.words) {
    yes |= w.word == "yes";
    EXPECT_GE(w.start_seconds, 0.0f) << heard;
    EXPECT_LE(w.end_seconds, seconds + 0.011) << heard;
    EXPECT_LT(w.start_seconds, w.end_seconds) << heard;
  }
  EXPECT_TRUE(yes) << heard;
  EXPECT_GE(clip->spoken.phones.size(), 2u);
}

// Digital silence (runs of exact zeros, as faded or trimmed files have)
// is recognised the same whatever the decoder recognised before: frames of
// zeros have no log spectrum, and PocketSphinx's features of them depended
// on its earlier state.
TEST_F(SpeechEncoderTest, DigitalSilenceIsRecognisedTheSameEveryTime) {
  std::vector<float> clip(static_cast<size_t>(0.3 * kRate), 0.0f);
  const std::vector<float> said = Say("yes", "en-us", 150);
  clip.insert(clip.end(), said.begin(), said.end());
  clip.resize(clip.size() + static_cast<size_t>(0.3 * kRate), 0.0f);
  auto first = encoder_->Encode(clip);
  ASSERT_TRUE(first.ok()) << first.status();
  for (const char* other : {"seven", "stop the music"}) {
    ASSERT_TRUE(encoder_->Encode(Say(other, "en-gb", 170)).ok());
    auto again = encoder_->Encode(clip);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(first->spoken, again->spoken)
        << testing::PrintToString(first->spoken) << " then "
        << testing::PrintToString(again->spoken);
  }
  for (int i = 0; i < 3; ++i) {
    auto silent = encoder_->Encode(test::Silence(0.5, kRate));
    ASSERT_TRUE(silent.ok()) << silent.status();
    EXPECT_TRUE(silent->spoken.words.empty())
        << testing::PrintToString(silent->spoken);
    EXPECT_TRUE(silent->spoken.phones.empty())
        << testing::PrintToString(silent->spoken);
  }
}

TEST_F(SpeechEncoderTest, SilenceGivesNothingAndEmptyInputIsAnError) {
  auto clip = encoder_->Encode(test::Silence(0.5, kRate));
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_TRUE(clip->spoken.words.empty());
  EXPECT_EQ(clip->flags.silent, clip->spoken.phones.empty());
  EXPECT_EQ(encoder_->Encode({}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SpeechEncoderTest, LongClipsAreDecodedInUtterancesOnOneClock) {
  // About 13 s of speech: two utterances (cut before 10 s). Word times count
  // from the clip's start across the cut.
  const std::vector<float> speech =
      Say("one two three four five six seven eight nine ten one two three four "
          "five six seven eight nine ten one two three four five six seven",
          "en-us", 120);
  const float seconds = static_cast<float>(speech.size()) / kRate;
  ASSERT_GT(seconds, 10.5f);
  EncoderOptions words_only = SpeechOptions();
  words_only.speech_phone_dims = 0;  // the word search alone: half the time
  auto encoder = Encoder::Create(words_only);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  auto clip = (*encoder)->Encode(speech);
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_FALSE(clip->spoken.truncated);
  ASSERT_GE(clip->spoken.words.size(), 10u);
  for (size_t i = 1; i < clip->spoken.words.size(); ++i) {
    EXPECT_LE(clip->spoken.words[i - 1].end_seconds,
              clip->spoken.words[i].start_seconds + 0.011f)
        << "word " << i;
  }
  EXPECT_GT(clip->spoken.words.back().start_seconds, 10.0f);
  EXPECT_LE(clip->spoken.words.back().end_seconds, seconds + 0.011f);
}

TEST_F(SpeechEncoderTest, LengthCapAndTimeBudgetTruncate) {
  // Two utterances: the budget is checked between them.
  const std::vector<float> speech =
      Say("one two three four five six seven eight nine ten one two three four "
          "five six seven eight nine ten one two three four five six seven",
          "en-us", 120);
  EncoderOptions capped = SpeechOptions();
  capped.speech_max_seconds = 0.5f;
  auto encoder = Encoder::Create(capped);
  ASSERT_TRUE(encoder.ok());
  auto clip = (*encoder)->Encode(speech);
  ASSERT_TRUE(clip.ok());
  EXPECT_TRUE(clip->spoken.truncated);
  for (const SpokenWord& w : clip->spoken.words) {
    EXPECT_LE(w.end_seconds, 0.51f);
  }
  EncoderOptions budget = SpeechOptions();
  budget.speech_word_dims = 0;           // the phone search alone: less to load
  budget.speech_budget_seconds = 1e-4f;  // spent after the first utterance
  auto poor = Encoder::Create(budget);
  ASSERT_TRUE(poor.ok());
  auto cut = (*poor)->Encode(speech);
  ASSERT_TRUE(cut.ok());
  EXPECT_TRUE(cut->spoken.truncated);
  auto full = encoder_->Encode(speech);
  ASSERT_TRUE(full.ok());
  EXPECT_FALSE(full->spoken.truncated);
  EXPECT_LT(cut->spoken.phones.size(), full->spoken.phones.size());
}

TEST_F(SpeechEncoderTest, ConcurrentEncodesMatchSequentialOnes) {
  const std::vector<float> a = Say("yes", "en-us", 150);
  const std::vector<float> b = Say("left", "en-gb", 150);
  auto seq_a = encoder_->Encode(a);
  auto seq_b = encoder_->Encode(b);
  ASSERT_TRUE(seq_a.ok() && seq_b.ok());
  // A fresh encoder (fresh decoders) gives what the used ones give.
  auto fresh = Encoder::Create(SpeechOptions());
  ASSERT_TRUE(fresh.ok());
  auto fresh_a = (*fresh)->Encode(a);
  ASSERT_TRUE(fresh_a.ok());
  EXPECT_EQ(fresh_a->spoken, seq_a->spoken);
  auto again_a = (*fresh)->Encode(a);
  ASSERT_TRUE(again_a.ok());
  EXPECT_EQ(again_a->spoken, seq_a->spoken);
  absl::StatusOr<EncodedClip> par_a, par_b;
  std::thread t1([&] { par_a = encoder_->Encode(a); });
  std::thread t2([&] { par_b = encoder_->Encode(b); });
  t1.join();
  t2.join();
  ASSERT_TRUE(par_a.ok() && par_b.ok());
  EXPECT_EQ(par_a->spoken, seq_a->spoken);
  EXPECT_EQ(par_b->spoken, seq_b->spoken);
}

}  // namespace
}  // namespace soundsearch
