#include "embedding/codebook.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "embedding/byte_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using ::testing::ElementsAre;

constexpr int kDim = 6;
constexpr int kCenters = 5;

class CodebookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(7);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    centers_.resize(kCenters * kDim);
    for (float& v : centers_) v = 20.0f * gauss(rng);
    // 40 clips; clip c draws its 50 frames around center c % kCenters.
    for (int c = 0; c < 40; ++c) {
      FrameMatrix m(50, kDim);
      for (int f = 0; f < 50; ++f) {
        for (int d = 0; d < kDim; ++d) {
          m.row(f)[d] = centers_[(c % kCenters) * kDim + d] + 0.3f * gauss(rng);
        }
      }
      clips_.push_back(std::move(m));
    }
    for (const FrameMatrix& m : clips_) ptrs_.push_back(&m);
    config_.k = kCenters;
    config_.seed = 99;
  }

  std::vector<float> centers_;
  std::vector<FrameMatrix> clips_;
  std::vector<const FrameMatrix*> ptrs_;
  CodebookConfig config_;
};

double Sum(const std::vector<float>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0);
}

TEST(EvenlySpacedTest, PicksEvenlyAndKeepsAllWhenFew) {
  EXPECT_THAT(EvenlySpaced(10, 5), ElementsAre(0, 2, 4, 6, 8));
  EXPECT_THAT(EvenlySpaced(3, 5), ElementsAre(0, 1, 2));
  EXPECT_THAT(EvenlySpaced(7, 3), ElementsAre(0, 2, 4));
  EXPECT_TRUE(EvenlySpaced(0, 3).empty());
}

// A codebook whose centroids are the true cluster centers, through the
// documented blob layout, so that quantisation can be checked exactly.
absl::StatusOr<Codebook> CodebookOf(const std::vector<float>& centroids,
                                    int k) {
  ByteWriter w;
  w.PutBytes("SSCB");
  w.PutU16(1);
  w.PutU32(k);
  w.PutU32(kDim);
  w.PutU32(0);
  w.PutFloats(centroids);
  return Codebook::Deserialize(w.FinishWithCrc());
}

double Distance(const float* a, const float* b) {
  double s = 0;
  for (int d = 0; d < kDim; ++d) s += (a[d] - b[d]) * (a[d] - b[d]);
  return std::sqrt(s);
}

TEST_F(CodebookTest, QuantizeCountsNearestCodewords) {
  auto cb = CodebookOf(centers_, kCenters);
  ASSERT_TRUE(cb.ok()) << cb.status();
  for (size_t c = 0; c < clips_.size(); ++c) {
    auto h = cb->Quantize(clips_[c]);
    ASSERT_TRUE(h.ok()) << h.status();
    std::vector<float> want(kCenters, 0.0f);
    want[c % kCenters] = 1.0f;
    EXPECT_EQ(*h, want) << "clip " << c;
  }
  // Ten frames of clip 0 (center 0) and ten of clip 1 (center 1).
  FrameMatrix mixed(20, kDim);
  for (int f = 0; f < 20; ++f) {
    auto src = (f < 10 ? clips_[0] : clips_[1]).row(f);
    std::copy(src.begin(), src.end(), mixed.row(f).begin());
  }
  auto hm = cb->Quantize(mixed);
  ASSERT_TRUE(hm.ok());
  EXPECT_THAT(*hm, ElementsAre(0.5f, 0.5f, 0.0f, 0.0f, 0.0f));
}

TEST_F(CodebookTest, KMeansFindsTheClustersAndHistogramsSumToOne) {
  CodebookConfig config = config_;
  config.k = 50;  // several codewords per cluster
  auto cb = Codebook::Fit(ptrs_, config);
  ASSERT_TRUE(cb.ok()) << cb.status();
  ASSERT_EQ(cb->k(), 50);
  ASSERT_EQ(cb->dim(), kDim);
  // Every cluster holds a codeword, and no codeword sits between clusters
  // (centers are ~20 apart, frames within ~1 of their center).
  for (int c = 0; c < kCenters; ++c) {
    double nearest = 1e9;
    for (int j = 0; j < cb->k(); ++j) {
      nearest = std::min(
          nearest, Distance(&centers_[c * kDim], &cb->centroids()[j * kDim]));
    }
    EXPECT_LT(nearest, 1.0) << "center " << c;
  }
  for (int j = 0; j < cb->k(); ++j) {
    double nearest = 1e9;
    for (int c = 0; c < kCenters; ++c) {
      nearest = std::min(
          nearest, Distance(&centers_[c * kDim], &cb->centroids()[j * kDim]));
    }
    EXPECT_LT(nearest, 2.0) << "codeword " << j;
  }
  for (const FrameMatrix& clip : clips_) {
    auto h = cb->Quantize(clip);
    ASSERT_TRUE(h.ok()) << h.status();
    ASSERT_EQ(h->size(), 50u);
    EXPECT_NEAR(Sum(*h), 1.0, 1e-6);
  }
}

TEST_F(CodebookTest, DeterministicForAFixedSeed) {
  auto a = Codebook::Fit(ptrs_, config_);
  auto b = Codebook::Fit(ptrs_, config_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->centroids(), b->centroids());
}

TEST_F(CodebookTest, DefaultK300OnAFewThousandFrames) {
  CodebookConfig config;                   // k = 300
  auto cb = Codebook::Fit(ptrs_, config);  // 40 x min(50, 64) = 2000 frames
  ASSERT_TRUE(cb.ok()) << cb.status();
  EXPECT_EQ(cb->k(), 300);
  auto h = cb->Quantize(clips_[3]);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->size(), 300u);
  EXPECT_NEAR(Sum(*h), 1.0, 1e-6);
}

TEST_F(CodebookTest, FrameCapsAreApplied) {
  CodebookConfig config = config_;
  config.fit_frames_per_clip = 2;  // 80 frames
  EXPECT_TRUE(Codebook::Fit(ptrs_, config).ok());
  config.fit_max_frames = 4;  // fewer frames than k = 5
  auto r = Codebook::Fit(ptrs_, config);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition)
      << r.status();
}

TEST_F(CodebookTest, RejectsMismatchedDimsAndBadQuantizeInput) {
  FrameMatrix other(10, kDim + 1);
  std::vector<const FrameMatrix*> ptrs = ptrs_;
  ptrs.push_back(&other);
  EXPECT_EQ(Codebook::Fit(ptrs, config_).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto cb = Codebook::Fit(ptrs_, config_);
  ASSERT_TRUE(cb.ok());
  EXPECT_EQ(cb->Quantize(other).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cb->Quantize(FrameMatrix()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CodebookTest, SerializationRoundTripGivesIdenticalHistograms) {
  auto cb = Codebook::Fit(ptrs_, config_);
  ASSERT_TRUE(cb.ok());
  const std::string blob = cb->Serialize();
  auto back = Codebook::Deserialize(blob);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->centroids(), cb->centroids());
  for (const FrameMatrix& clip : clips_) {
    EXPECT_EQ(*back->Quantize(clip), *cb->Quantize(clip));
  }
  EXPECT_EQ(back->Serialize(), blob);
}

TEST_F(CodebookTest, CorruptBlobsAreErrors) {
  auto cb = Codebook::Fit(ptrs_, config_);
  ASSERT_TRUE(cb.ok());
  const std::string blob = cb->Serialize();
  EXPECT_FALSE(Codebook::Deserialize("").ok());
  EXPECT_FALSE(Codebook::Deserialize(blob.substr(0, 30)).ok());
  for (size_t pos = 0; pos < blob.size(); pos += 7) {
    std::string bad = blob;
    bad[pos] ^= 0x01;
    EXPECT_EQ(Codebook::Deserialize(bad).status().code(),
              absl::StatusCode::kDataLoss)
        << pos;
  }
  std::string body = blob.substr(0, blob.size() - 4);
  body[0] = 'X';  // bad magic under a valid checksum
  ByteWriter w;
  w.PutBytes(body);
  EXPECT_EQ(Codebook::Deserialize(w.FinishWithCrc()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
