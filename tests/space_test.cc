#include "soundsearch/space.h"

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

constexpr int kSampleRate = 8000;
constexpr int kFrame = 64;  // samples per frame, no overlap
constexpr int kBands = 8;   // 4 DFT bins per band (bins 1..32)

// A small deterministic encoder: per frame, the log energies of 8 frequency
// bands from a naive DFT. Empty input is InvalidArgument; shorter than one
// frame is zero-padded and flagged; all-zero input is flagged silent.
class BandEnergyEncoder : public Encoder {
 public:
  const std::string& kind() const override { return kind_; }
  int sample_rate() const override { return kSampleRate; }
  int frame_dim() const override { return kBands; }

  absl::StatusOr<EncodedClip> Encode(
      absl::Span<const float> pcm) const override {
    if (pcm.empty()) return absl::InvalidArgumentError("empty pcm");
    EncodedClip clip;
    clip.flags.too_short = pcm.size() < kFrame;
    bool silent = true;
    for (float s : pcm) silent = silent && s == 0.0f;
    clip.flags.silent = silent;
    const int frames = std::max<int>(1, static_cast<int>(pcm.size()) / kFrame);
    clip.frames = FrameMatrix(frames, kBands);
    for (int f = 0; f < frames; ++f) {
      for (int b = 0; b < kBands; ++b) {
        double energy = 0;
        for (int bin = 1 + 4 * b; bin < 5 + 4 * b; ++bin) {
          double re = 0, im = 0;
          for (int n = 0; n < kFrame; ++n) {
            const size_t i = static_cast<size_t>(f) * kFrame + n;
            const double s = i < pcm.size() ? pcm[i] : 0.0;
            re += s * std::cos(2 * M_PI * bin * n / kFrame);
            im -= s * std::sin(2 * M_PI * bin * n / kFrame);
          }
          energy += re * re + im * im;
        }
        clip.frames.row(f)[b] = static_cast<float>(std::log(1e-6 + energy));
      }
    }
    return clip;
  }

 private:
  std::string kind_ = "test_bands";
};

// 0.25 s of a sine at `hz` plus noise; deterministic for (hz, seed).
std::vector<float> Tone(double hz, int seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> pcm(kSampleRate / 4);
  for (size_t i = 0; i < pcm.size(); ++i) {
    pcm[i] = 0.5f * std::sin(2 * M_PI * hz * i / kSampleRate) + noise(rng);
  }
  return pcm;
}

double Norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

double Cosine(const float* a, const float* b, int n) {
  double ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < n; ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

class SpaceTest : public ::testing::Test {
 protected:
  // Four tone classes (one per pair of bands), `per_class` clips each.
  static constexpr double kClassHz[4] = {250, 1000, 2000, 3500};

  SpaceConfig Config() const {
    SpaceConfig c;
    c.name = "test";
    c.pooling = Pooling::kMeanStd;  // 16 dims
    c.scaling = Scaling::kZScore;
    c.pca_dims = 6;
    c.min_fit_items = 20;
    return c;
  }

  std::unique_ptr<Space> MakeSpace(const SpaceConfig& c) const {
    auto space = Space::Create(c, std::make_unique<BandEnergyEncoder>());
    EXPECT_TRUE(space.ok()) << space.status();
    return space.ok() ? std::move(*space) : nullptr;
  }

  // space.Fit(collection), which must succeed.
  static std::unique_ptr<Space> Fitted(
      const Space& space, absl::Span<const RawEmbedding> collection) {
    auto fitted = space.Fit(collection);
    EXPECT_TRUE(fitted.ok()) << fitted.status();
    return fitted.ok() ? std::move(*fitted) : nullptr;
  }

  // Embeds class-labelled clips; labels_[i] is the class of item i.
  std::vector<RawEmbedding> EmbedCollection(const Space& space, int per_class,
                                            int seed_base,
                                            std::vector<int>* labels) const {
    std::vector<RawEmbedding> out;
    for (int i = 0; i < per_class; ++i) {
      for (int c = 0; c < 4; ++c) {
        auto raw = space.Embed(
            Tone(kClassHz[c] * (1.0 + 0.01 * i), seed_base + 10 * i + c));
        EXPECT_TRUE(raw.ok()) << raw.status();
        out.push_back(std::move(*raw));
        if (labels != nullptr) labels->push_back(c);
      }
    }
    return out;
  }
};

constexpr double SpaceTest::kClassHz[4];

// BandEnergyEncoder that also predicts four fixed classes.
class TaggingEncoder : public BandEnergyEncoder {
 public:
  const std::vector<std::string>& tag_names() const override { return names_; }
  absl::StatusOr<EncodedClip> Encode(
      absl::Span<const float> pcm) const override {
    auto clip = BandEnergyEncoder::Encode(pcm);
    if (clip.ok()) clip->tag_probabilities = {0.05f, 0.9f, 0.4f, 0.4f};
    return clip;
  }

 private:
  const std::vector<std::string> names_ = {"Speech", "Computer keyboard",
                                           "Inside, small room", "Alarm"};
};

TEST_F(SpaceTest, AutoTagsKeepTheTopClassesLowerCased) {
  SpaceConfig c = Config();
  c.auto_tags.top_k = 2;
  c.auto_tags.min_probability = 0.1f;
  auto space = Space::Create(c, std::make_unique<TaggingEncoder>());
  ASSERT_TRUE(space.ok()) << space.status();
  std::vector<AutoTag> tags;
  auto raw = (*space)->Embed(Tone(1000, 1), &tags);
  ASSERT_TRUE(raw.ok()) << raw.status();
  // 0.9 first; of the two at 0.4 the first by name; 0.05 is below the floor.
  EXPECT_EQ(tags, (std::vector<AutoTag>{{"computer keyboard", 0.9f},
                                        {"alarm", 0.4f}}));

  c.auto_tags.top_k = 5;
  c.auto_tags.min_probability = 0.0f;
  space = Space::Create(c, std::make_unique<TaggingEncoder>());
  ASSERT_TRUE(space.ok());
  ASSERT_TRUE((*space)->Embed(Tone(1000, 1), &tags).ok());
  ASSERT_EQ(tags.size(), 4u);
  EXPECT_EQ(tags[2].tag, "inside, small room");
  EXPECT_EQ(tags[3].tag, "speech");

  c.auto_tags.enabled = false;
  space = Space::Create(c, std::make_unique<TaggingEncoder>());
  ASSERT_TRUE(space.ok());
  ASSERT_TRUE((*space)->Embed(Tone(1000, 1), &tags).ok());
  EXPECT_TRUE(tags.empty());

  // An encoder without tags gives none.
  auto plain = MakeSpace(Config());
  tags = {{"stale", 1.0f}};
  ASSERT_TRUE(plain->Embed(Tone(1000, 1), &tags).ok());
  EXPECT_TRUE(tags.empty());
}

TEST_F(SpaceTest, CreateValidates) {
  SpaceConfig c = Config();
  EXPECT_EQ(Space::Create(c, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  c.pca_dims = -3;
  EXPECT_EQ(
      Space::Create(c, std::make_unique<BandEnergyEncoder>()).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(SpaceTest, EmbedPoolsTheEncoderFrames) {
  auto space = MakeSpace(Config());
  ASSERT_NE(space, nullptr);
  EXPECT_EQ(space->sample_rate(), kSampleRate);
  EXPECT_EQ(space->pooled_dim(), 2 * kBands);
  const std::vector<float> pcm = Tone(1000, 1);
  auto raw = space->Embed(pcm);
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_EQ(raw->pooled.size(), 2u * kBands);
  EXPECT_EQ(raw->frames.num_frames(), 0);  // not a boaw space
  // Means are the per-band averages of the encoder's frames.
  auto clip = BandEnergyEncoder().Encode(pcm);
  ASSERT_TRUE(clip.ok());
  for (int b = 0; b < kBands; ++b) {
    double sum = 0;
    for (int f = 0; f < clip->frames.num_frames(); ++f) {
      sum += clip->frames.row(f)[b];
    }
    EXPECT_NEAR(raw->pooled[b], sum / clip->frames.num_frames(), 1e-4);
    EXPECT_GE(raw->pooled[kBands + b], 0.0f);
  }
  // Deterministic, and flags pass through.
  EXPECT_TRUE(*space->Embed(pcm) == *raw);
  auto short_clip = space->Embed(std::vector<float>(10, 0.0f));
  ASSERT_TRUE(short_clip.ok());
  EXPECT_TRUE(short_clip->flags.too_short);
  EXPECT_TRUE(short_clip->flags.silent);
  EXPECT_EQ(space->Embed({}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// EmbedBatch gives Embed's result per clip, auto-tags included; an empty
// clip in the middle fails alone with Embed's error.
TEST_F(SpaceTest, EmbedBatchEqualsEmbedPerClip) {
  SpaceConfig c = Config();
  c.auto_tags.top_k = 2;
  c.auto_tags.min_probability = 0.1f;
  auto space = Space::Create(c, std::make_unique<TaggingEncoder>());
  ASSERT_TRUE(space.ok()) << space.status();
  const std::vector<float> a = Tone(250, 1), b = Tone(2000, 2);
  const std::vector<float> empty, tiny(10, 0.0f);
  const std::vector<absl::Span<const float>> clips = {a, empty, tiny, b};
  std::vector<std::vector<AutoTag>> tags(1);
  tags[0] = {{"stale", 1.0f}};
  auto batch = (*space)->EmbedBatch(clips, &tags);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->size(), clips.size());
  ASSERT_EQ(tags.size(), clips.size());
  for (size_t i = 0; i < clips.size(); ++i) {
    std::vector<AutoTag> one_tags;
    auto one = (*space)->Embed(clips[i], &one_tags);
    ASSERT_EQ((*batch)[i].ok(), one.ok()) << i;
    if (!one.ok()) {
      EXPECT_EQ((*batch)[i].status(), one.status());
      EXPECT_TRUE(tags[i].empty());
      continue;
    }
    EXPECT_TRUE(*(*batch)[i] == *one) << i;
    EXPECT_EQ(tags[i], one_tags) << i;
  }
  EXPECT_EQ((*batch)[1].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(tags[0].empty());
  auto none = (*space)->EmbedBatch({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// The dsp encoder's EncodeBatch (the default loop) equals Encode per clip.
TEST_F(SpaceTest, DspEncodeBatchEqualsEncodePerClip) {
  auto encoder = Encoder::Create(EncoderOptions());
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  const std::vector<float> a = Tone(440, 3), b = Tone(3000, 4);
  const std::vector<float> empty, tiny(100, 0.1f);
  const std::vector<absl::Span<const float>> clips = {a, tiny, empty, b};
  auto batch = (*encoder)->EncodeBatch(clips);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->size(), clips.size());
  for (size_t i = 0; i < clips.size(); ++i) {
    auto one = (*encoder)->Encode(clips[i]);
    ASSERT_EQ((*batch)[i].ok(), one.ok()) << i;
    if (!one.ok()) {
      EXPECT_EQ((*batch)[i].status(), one.status());
      continue;
    }
    EXPECT_EQ((*batch)[i]->frames.dim, one->frames.dim);
    EXPECT_EQ((*batch)[i]->frames.data, one->frames.data) << i;
    EXPECT_EQ((*batch)[i]->flags.too_short, one->flags.too_short);
    EXPECT_EQ((*batch)[i]->flags.silent, one->flags.silent);
  }
  EXPECT_EQ((*batch)[2].status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SpaceTest, BeforeFitProjectsTheNormalisedPooledVector) {
  auto space = MakeSpace(Config());
  ASSERT_NE(space, nullptr);
  EXPECT_FALSE(space->is_fitted());
  EXPECT_EQ(space->fitted_version(), 0u);
  EXPECT_EQ(space->index_dim(), 2 * kBands);
  auto raw = space->Embed(Tone(2000, 3));
  ASSERT_TRUE(raw.ok());
  uint64_t version = 99;
  auto v = space->Project(*raw, &version);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(version, 0u);
  ASSERT_EQ(v->size(), raw->pooled.size());
  const double n = Norm(raw->pooled);
  for (size_t i = 0; i < v->size(); ++i) {
    EXPECT_NEAR((*v)[i], raw->pooled[i] / n, 1e-6);
  }
  SpaceConfig ip = Config();
  ip.metric = Metric::kInnerProduct;
  auto ip_space = MakeSpace(ip);
  EXPECT_EQ(*ip_space->Project(*raw), raw->pooled);  // as is
  RawEmbedding wrong = *raw;
  wrong.pooled.pop_back();
  EXPECT_EQ(space->Project(wrong).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SpaceTest, NeedsFitFollowsMinFitItemsUntilFitted) {
  auto space = MakeSpace(Config());
  EXPECT_FALSE(space->needs_fit(19));
  EXPECT_TRUE(space->needs_fit(20));
  auto fitted = Fitted(*space, EmbedCollection(*space, 5, 100, nullptr));
  ASSERT_NE(fitted, nullptr);
  EXPECT_FALSE(fitted->needs_fit(1000));
  EXPECT_TRUE(space->needs_fit(20));  // the unfitted space is unchanged
}

TEST_F(SpaceTest, FitReducesNormalisesSeparatesClassesAndRefitBumpsVersion) {
  auto unfitted = MakeSpace(Config());
  std::vector<int> labels;
  const auto collection = EmbedCollection(*unfitted, 10, 100, &labels);
  auto space = Fitted(*unfitted, collection);
  ASSERT_NE(space, nullptr);
  EXPECT_EQ(space->fitted_version(), 1u);
  EXPECT_EQ(space->index_dim(), 6);

  int dim = 0;
  uint64_t version = 0;
  auto all = space->ProjectBatch(collection, &version, &dim);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(version, 1u);
  ASSERT_EQ(dim, 6);
  ASSERT_EQ(all->size(), collection.size() * 6);
  // Unit norm, and the same vectors as one-at-a-time Project.
  for (size_t i = 0; i < collection.size(); ++i) {
    std::vector<float> row(all->begin() + i * 6, all->begin() + (i + 1) * 6);
    EXPECT_NEAR(Norm(row), 1.0, 1e-5);
    auto single = space->Project(collection[i]);
    ASSERT_TRUE(single.ok());
    for (int d = 0; d < 6; ++d) EXPECT_NEAR((*single)[d], row[d], 1e-5);
  }
  // Nearest neighbour by cosine (query left out) shares the query's class.
  int correct = 0;
  const int n = static_cast<int>(collection.size());
  for (int q = 0; q < n; ++q) {
    int best = -1;
    double best_cos = -2;
    for (int j = 0; j < n; ++j) {
      if (j == q) continue;
      const double c = Cosine(&(*all)[q * 6], &(*all)[j * 6], 6);
      if (c > best_cos) best_cos = c, best = j;
    }
    correct += labels[best] == labels[q];
  }
  EXPECT_EQ(correct, n);

  // Refit on another collection: a new space with a new version and a
  // different projection; the space it came from is unchanged.
  const auto other = EmbedCollection(*space, 6, 500, nullptr);
  const auto before = *space->Project(collection[0]);
  auto refitted = Fitted(*space, other);
  ASSERT_NE(refitted, nullptr);
  EXPECT_EQ(refitted->fitted_version(), 2u);
  EXPECT_NE(*refitted->Project(collection[0]), before);
  EXPECT_EQ(space->fitted_version(), 1u);
  EXPECT_EQ(*space->Project(collection[0]), before);
  EXPECT_EQ(unfitted->fitted_version(), 0u);
  EXPECT_EQ(unfitted->index_dim(), 2 * kBands);
}

// Fitting and adopting a stored state never create an encoder: every space
// derived from one shares its encoder instance.
TEST_F(SpaceTest, DerivedSpacesShareTheEncoder) {
  auto encoder = std::make_shared<const BandEnergyEncoder>();
  auto space = Space::Create(Config(), encoder);
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ((*space)->encoder(), encoder);
  const auto collection = EmbedCollection(**space, 5, 100, nullptr);
  auto fitted = Fitted(**space, collection);
  ASSERT_NE(fitted, nullptr);
  auto refitted = Fitted(*fitted, collection);
  ASSERT_NE(refitted, nullptr);
  auto loaded = (*space)->WithFittedState(*refitted->SerializeFittedState());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(fitted->encoder(), encoder);
  EXPECT_EQ(refitted->encoder(), encoder);
  EXPECT_EQ((*loaded)->encoder(), encoder);
  // The test and the four spaces hold it.
  EXPECT_EQ(encoder.use_count(), 5);
}

TEST_F(SpaceTest, FitCapsPcaDimsByItemsAndRejectsTooFew) {
  SpaceConfig c = Config();
  c.pca_dims = 100;
  auto unfitted = MakeSpace(c);
  const auto few = EmbedCollection(*unfitted, 2, 100, nullptr);  // 8 items
  auto space = Fitted(*unfitted, few);
  ASSERT_NE(space, nullptr);
  EXPECT_EQ(space->index_dim(), 7);
  EXPECT_EQ(space->Fit(absl::MakeConstSpan(few.data(), 1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(space->fitted_version(), 1u);
}

TEST_F(SpaceTest, MetricsWithoutNormalisationLeaveNormsAlone) {
  SpaceConfig c = Config();
  c.metric = Metric::kEuclidean;
  c.scaling = Scaling::kNone;
  c.pca_dims = 0;
  auto unfitted = MakeSpace(c);
  const auto collection = EmbedCollection(*unfitted, 5, 100, nullptr);
  auto space = Fitted(*unfitted, collection);
  ASSERT_NE(space, nullptr);
  // No scaling, no PCA, no normalisation: the identity.
  EXPECT_EQ(*space->Project(collection[3]), collection[3].pooled);
  c.metric = Metric::kCosine;
  auto cosine = Fitted(*MakeSpace(c), collection);
  ASSERT_NE(cosine, nullptr);
  EXPECT_NEAR(Norm(*cosine->Project(collection[3])), 1.0, 1e-6);
}

TEST_F(SpaceTest, FittedStateRoundTripsIntoAFreshSpace) {
  auto unfitted = MakeSpace(Config());
  EXPECT_EQ(unfitted->SerializeFittedState().status().code(),
            absl::StatusCode::kFailedPrecondition);
  const auto collection = EmbedCollection(*unfitted, 8, 100, nullptr);
  auto space = Fitted(*Fitted(*unfitted, collection), collection);  // v2
  ASSERT_NE(space, nullptr);
  auto blob = space->SerializeFittedState();
  ASSERT_TRUE(blob.ok()) << blob.status();

  auto loaded = MakeSpace(Config())->WithFittedState(*blob);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const std::unique_ptr<Space>& fresh = *loaded;
  EXPECT_EQ(fresh->fitted_version(), 2u);
  EXPECT_EQ(fresh->index_dim(), space->index_dim());
  for (const RawEmbedding& raw : collection) {
    EXPECT_EQ(*fresh->Project(raw), *space->Project(raw));
  }
  EXPECT_EQ(*fresh->SerializeFittedState(), *blob);
}

TEST_F(SpaceTest, CorruptOrForeignFittedStateIsRejected) {
  auto unfitted = MakeSpace(Config());
  auto space = Fitted(*unfitted, EmbedCollection(*unfitted, 5, 100, nullptr));
  ASSERT_NE(space, nullptr);
  const std::string blob = *space->SerializeFittedState();

  auto fresh = MakeSpace(Config());
  std::string bad = blob;
  bad[bad.size() / 2] ^= 0x08;
  EXPECT_EQ(fresh->WithFittedState(bad).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_FALSE(fresh->WithFittedState(blob.substr(0, 20)).ok());
  EXPECT_FALSE(fresh->WithFittedState("").ok());
  EXPECT_FALSE(fresh->is_fitted());

  SpaceConfig other = Config();
  other.pca_dims = 4;  // config changed since the state was fitted
  auto changed = MakeSpace(other);
  EXPECT_EQ(changed->WithFittedState(blob).status().code(),
            absl::StatusCode::kFailedPrecondition);
  other = Config();
  other.name = "elsewhere";
  EXPECT_EQ(MakeSpace(other)->WithFittedState(blob).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SpaceTest, BagOfAudioWordsSpaceEndToEnd) {
  SpaceConfig c = Config();
  c.boaw = true;
  c.encoder.kind = "mfcc";
  c.scaling = Scaling::kNone;
  c.pca_dims = 8;
  c.codebook.k = 16;
  c.codebook.stored_frames = 20;
  c.codebook.fit_frames_per_clip = 10;
  auto unfitted = MakeSpace(c);
  ASSERT_NE(unfitted, nullptr);
  std::vector<int> labels;
  const auto collection = EmbedCollection(*unfitted, 8, 100, &labels);
  // 0.25 s = 31 frames of 64 samples; 20 evenly spaced ones are kept.
  ASSERT_EQ(collection[0].frames.num_frames(), 20);
  EXPECT_EQ(collection[0].frames.dim, kBands);

  // Before a codebook exists: the normalised pooled MFCC statistics.
  EXPECT_EQ(unfitted->index_dim(), 2 * kBands);
  EXPECT_NEAR(Norm(*unfitted->Project(collection[0])), 1.0, 1e-6);

  auto space = Fitted(*unfitted, collection);
  ASSERT_NE(space, nullptr);
  EXPECT_EQ(space->index_dim(), 8);
  int dim = 0;
  auto all = space->ProjectBatch(collection, nullptr, &dim);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(dim, 8);
  const int n = static_cast<int>(collection.size());
  int correct = 0;
  for (int q = 0; q < n; ++q) {
    int best = -1;
    double best_cos = -2;
    for (int j = 0; j < n; ++j) {
      if (j == q) continue;
      const double cs = Cosine(&(*all)[q * 8], &(*all)[j * 8], 8);
      if (cs > best_cos) best_cos = cs, best = j;
    }
    correct += labels[best] == labels[q];
  }
  EXPECT_GE(correct, n * 9 / 10);

  // A raw embedding without frames cannot be quantised.
  RawEmbedding no_frames = collection[0];
  no_frames.frames = FrameMatrix();
  EXPECT_EQ(space->Project(no_frames).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Round trip of the whole fitted state (codebook included).
  auto fresh = MakeSpace(c)->WithFittedState(*space->SerializeFittedState());
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  for (const RawEmbedding& raw : collection) {
    EXPECT_EQ(*(*fresh)->Project(raw), *space->Project(raw));
  }
  // And through the store's encoding of the raw embeddings.
  auto decoded = RawEmbedding::Decode(collection[5].Encode());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*space->Project(*decoded), *space->Project(collection[5]));
}

}  // namespace
}  // namespace soundsearch
