#include "soundsearch/projection.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "embedding/byte_io.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

constexpr int kDim = 12;

double Dot(const float* a, const float* b, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

bool AllFinite(const std::vector<float>& v) {
  for (float x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

class ProjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(42);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    // Three orthonormal axes (Gram-Schmidt of random vectors).
    axes_.assign(3, std::vector<float>(kDim));
    for (int a = 0; a < 3; ++a) {
      for (float& v : axes_[a]) v = gauss(rng);
      for (int b = 0; b < a; ++b) {
        const double d = Dot(axes_[a].data(), axes_[b].data(), kDim);
        for (int i = 0; i < kDim; ++i) axes_[a][i] -= d * axes_[b][i];
      }
      const double norm =
          std::sqrt(Dot(axes_[a].data(), axes_[a].data(), kDim));
      for (float& v : axes_[a]) v /= norm;
    }
    // Gaussian data stretched by 10, 5 and 2 along the axes, small isotropic
    // noise, offset from the origin.
    const float stretch[3] = {10.0f, 5.0f, 2.0f};
    for (int n = 0; n < kRows; ++n) {
      for (int i = 0; i < kDim; ++i) data_.push_back(3.0f + 0.05f * gauss(rng));
      float* row = &data_[static_cast<size_t>(n) * kDim];
      for (int a = 0; a < 3; ++a) {
        const float g = stretch[a] * gauss(rng);
        for (int i = 0; i < kDim; ++i) row[i] += g * axes_[a][i];
      }
    }
  }

  static constexpr int kRows = 2000;
  std::vector<std::vector<float>> axes_;
  std::vector<float> data_;  // kRows x kDim
};

TEST_F(ProjectionTest, PcaRecoversTheStretchedAxesInOrder) {
  ProjectionOptions options;
  options.scaling = Scaling::kNone;
  options.pca_dims = 3;
  options.l2_normalize = false;
  auto p = Projection::Fit(data_, kDim, options);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->output_dim(), 3);
  // The projection is affine, y = A (x - mean): A * axis = y(axis) - y(0).
  auto origin = p->Apply(std::vector<float>(kDim, 0.0f));
  ASSERT_TRUE(origin.ok()) << origin.status();
  for (int a = 0; a < 3; ++a) {
    auto y = p->Apply(axes_[a]);
    ASSERT_TRUE(y.ok()) << y.status();
    for (int c = 0; c < 3; ++c) {
      const double component = (*y)[c] - (*origin)[c];
      if (c == a) {
        EXPECT_GT(std::abs(component), 0.99) << "axis " << a;
      } else {
        EXPECT_LT(std::abs(component), 0.05) << "axis " << a << " comp " << c;
      }
    }
  }
}

TEST_F(ProjectionTest, CosineOutputIsUnitNorm) {
  ProjectionOptions options;
  options.scaling = Scaling::kZScore;
  options.pca_dims = 5;
  auto p = Projection::Fit(data_, kDim, options);
  ASSERT_TRUE(p.ok()) << p.status();
  auto y = p->Apply(absl::MakeConstSpan(data_.data(), 10 * kDim));
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_EQ(y->size(), 10u * 5);
  for (int n = 0; n < 10; ++n) {
    const float* row = y->data() + n * 5;
    EXPECT_NEAR(Dot(row, row, 5), 1.0, 1e-5);
  }
}

TEST_F(ProjectionTest,
       MinMaxMapsTheCollectionToUnitRangeAndZScoreStandardises) {
  ProjectionOptions options;
  options.pca_dims = 0;
  options.l2_normalize = false;
  options.scaling = Scaling::kMinMax;
  auto minmax = Projection::Fit(data_, kDim, options);
  ASSERT_TRUE(minmax.ok()) << minmax.status();
  auto y = minmax->Apply(data_);
  ASSERT_TRUE(y.ok());
  for (int d = 0; d < kDim; ++d) {
    float lo = 1e9f, hi = -1e9f;
    for (int n = 0; n < kRows; ++n) {
      lo = std::min(lo, (*y)[n * kDim + d]);
      hi = std::max(hi, (*y)[n * kDim + d]);
    }
    EXPECT_NEAR(lo, 0.0f, 1e-6);
    EXPECT_NEAR(hi, 1.0f, 1e-5);
  }
  options.scaling = Scaling::kZScore;
  auto z = Projection::Fit(data_, kDim, options);
  ASSERT_TRUE(z.ok()) << z.status();
  y = z->Apply(data_);
  ASSERT_TRUE(y.ok());
  for (int d = 0; d < kDim; ++d) {
    double sum = 0, sq = 0;
    for (int n = 0; n < kRows; ++n) sum += (*y)[n * kDim + d];
    for (int n = 0; n < kRows; ++n) {
      sq += std::pow((*y)[n * kDim + d] - sum / kRows, 2);
    }
    EXPECT_NEAR(sum / kRows, 0.0, 1e-4);
    EXPECT_NEAR(std::sqrt(sq / kRows), 1.0, 1e-4);
  }
}

TEST_F(ProjectionTest, FittingTwiceGivesIdenticalProjections) {
  ProjectionOptions options;
  options.scaling = Scaling::kMinMax;
  options.pca_dims = 4;
  auto a = Projection::Fit(data_, kDim, options);
  auto b = Projection::Fit(data_, kDim, options);
  ASSERT_TRUE(a.ok() && b.ok());
  auto ya = a->Apply(data_);
  auto yb = b->Apply(data_);
  ASSERT_TRUE(ya.ok() && yb.ok());
  EXPECT_EQ(*ya, *yb);
}

TEST_F(ProjectionTest, ConstantDimensionsGiveNoNaN) {
  // Columns 0 and 5 constant, and one item a zero vector.
  std::vector<float> x = data_;
  for (int n = 0; n < kRows; ++n) {
    x[n * kDim + 0] = 7.0f;
    x[n * kDim + 5] = 0.0f;
  }
  std::vector<float> zero_probe(kDim, 0.0f);
  for (Scaling s : {Scaling::kNone, Scaling::kMinMax, Scaling::kZScore}) {
    for (int pca : {0, 4}) {
      for (bool l2 : {false, true}) {
        ProjectionOptions options;
        options.scaling = s;
        options.pca_dims = pca;
        options.l2_normalize = l2;
        auto p = Projection::Fit(x, kDim, options);
        ASSERT_TRUE(p.ok()) << p.status();
        auto y = p->Apply(x);
        ASSERT_TRUE(y.ok());
        EXPECT_TRUE(AllFinite(*y)) << ScalingName(s) << " pca " << pca;
        auto z = p->Apply(zero_probe);
        ASSERT_TRUE(z.ok());
        EXPECT_TRUE(AllFinite(*z)) << ScalingName(s) << " pca " << pca;
        if (s != Scaling::kNone && pca == 0 && !l2) {
          // A constant dimension scales to 0.
          for (int n = 0; n < kRows; ++n) {
            ASSERT_EQ((*y)[n * kDim + 0], 0.0f);
            ASSERT_EQ((*y)[n * kDim + 5], 0.0f);
          }
        }
      }
    }
  }
}

TEST_F(ProjectionTest, PcaDimsAreCappedByItemsAndInputDim) {
  ProjectionOptions options;
  options.pca_dims = 100;
  auto few = Projection::Fit(absl::MakeConstSpan(data_.data(), 6 * kDim), kDim,
                             options);
  ASSERT_TRUE(few.ok()) << few.status();
  EXPECT_EQ(few->output_dim(), 5);  // 6 items span 5 directions
  auto many = Projection::Fit(data_, kDim, options);
  ASSERT_TRUE(many.ok()) << many.status();
  EXPECT_EQ(many->output_dim(), kDim);
  options.pca_dims = 0;
  auto none = Projection::Fit(data_, kDim, options);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->output_dim(), kDim);
  EXPECT_EQ(none->pca_dims(), 0);
}

TEST_F(ProjectionTest, RejectsBadInput) {
  ProjectionOptions options;
  EXPECT_EQ(
      Projection::Fit(absl::MakeConstSpan(data_.data(), kDim), kDim, options)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);  // one item
  EXPECT_EQ(Projection::Fit(absl::MakeConstSpan(data_.data(), kDim * 3 + 1),
                            kDim, options)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);  // ragged
  std::vector<float> x = data_;
  x[17] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(Projection::Fit(x, kDim, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto p = Projection::Fit(data_, kDim, options);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Apply(std::vector<float>(kDim + 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ProjectionTest, SerializationRoundTripGivesIdenticalProjections) {
  for (Scaling s : {Scaling::kNone, Scaling::kMinMax, Scaling::kZScore}) {
    for (int pca : {0, 3, 100}) {
      ProjectionOptions options;
      options.scaling = s;
      options.pca_dims = pca;
      options.l2_normalize = pca != 3;
      auto p = Projection::Fit(data_, kDim, options);
      ASSERT_TRUE(p.ok()) << p.status();
      const std::string blob = p->Serialize();
      auto q = Projection::Deserialize(blob);
      ASSERT_TRUE(q.ok()) << q.status();
      EXPECT_EQ(q->output_dim(), p->output_dim());
      EXPECT_EQ(q->options().pca_dims, pca);
      EXPECT_EQ(*q->Apply(data_), *p->Apply(data_))
          << ScalingName(s) << " pca " << pca;
      EXPECT_EQ(q->Serialize(), blob);
    }
  }
}

TEST_F(ProjectionTest, CorruptBlobsAreErrors) {
  ProjectionOptions options;
  options.scaling = Scaling::kMinMax;
  options.pca_dims = 3;
  auto p = Projection::Fit(data_, kDim, options);
  ASSERT_TRUE(p.ok());
  const std::string blob = p->Serialize();
  EXPECT_FALSE(Projection::Deserialize("").ok());
  EXPECT_FALSE(Projection::Deserialize(blob.substr(0, blob.size() / 2)).ok());
  for (size_t pos : {size_t{0}, size_t{5}, blob.size() / 2, blob.size() - 1}) {
    std::string bad = blob;
    bad[pos] ^= 0x40;
    auto r = Projection::Deserialize(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << pos;
  }
  // A valid checksum over a bad header: the fields themselves are checked.
  std::string body = blob.substr(0, blob.size() - 4);
  body[4] = 9;  // format version 9
  ByteWriter w;
  w.PutBytes(body);
  auto r = Projection::Deserialize(w.FinishWithCrc());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("version"), std::string::npos)
      << r.status();
  body = blob.substr(0, blob.size() - 4);
  body[10] = 99;  // input_dim low byte -> inconsistent with the payload
  ByteWriter w2;
  w2.PutBytes(body);
  EXPECT_FALSE(Projection::Deserialize(w2.FinishWithCrc()).ok());
}

}  // namespace
}  // namespace soundsearch
