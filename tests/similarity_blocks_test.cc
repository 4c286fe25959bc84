// SimilarityBlocks is private to core/eval; this test reaches it through
// core/ on the include path (see tests/CMakeLists.txt).
#include "eval/similarity_blocks.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using Kernel = SimilarityBlocks::Kernel;

// Plain double-precision reference of ScoreRows' contract.
std::vector<double> Reference(const std::vector<float>& v, int dim,
                              Metric metric) {
  const int64_t n = static_cast<int64_t>(v.size()) / dim;
  std::vector<double> rows(v.begin(), v.end());
  if (metric == Metric::kCosine) {
    for (int64_t i = 0; i < n; ++i) {
      double sq = 0;
      for (int k = 0; k < dim; ++k) sq += rows[i * dim + k] * rows[i * dim + k];
      if (sq > 0) {
        for (int k = 0; k < dim; ++k) rows[i * dim + k] /= std::sqrt(sq);
      }
    }
  }
  std::vector<double> out(n * n);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double dot = 0, yy = 0;
      for (int k = 0; k < dim; ++k) {
        dot += rows[i * dim + k] * rows[j * dim + k];
        yy += rows[j * dim + k] * rows[j * dim + k];
      }
      out[i * n + j] = metric == Metric::kEuclidean ? 2 * dot - yy : dot;
    }
  }
  return out;
}

struct Case {
  Kernel kernel;
  Metric metric;
};

class SimilarityBlocksTest : public ::testing::TestWithParam<Case> {};

TEST_P(SimilarityBlocksTest, MatchesPlainArithmetic) {
  // Sizes that leave partial tiles (rows % 4, columns % 16) and more rows
  // and panels than one cache block.
  const int n = 403, dim = 37;
  std::mt19937 rng(11);
  std::normal_distribution<float> gauss;
  std::vector<float> v(n * dim);
  for (float& x : v) x = gauss(rng);
  for (int k = 0; k < dim; ++k) v[5 * dim + k] = 0.0f;  // a zero row

  absl::StatusOr<SimilarityBlocks> blocks =
      SimilarityBlocks::Create(v, dim, GetParam().metric, GetParam().kernel);
  if (blocks.status().code() == absl::StatusCode::kUnavailable) {
    // Reported, not hidden: this CPU cannot run the requested kernel.
    GTEST_SKIP() << blocks.status();
  }
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->size(), n);
  const std::vector<double> want = Reference(v, dim, GetParam().metric);
  // Two calls over uneven row ranges cover every row.
  std::vector<float> got(n * n);
  blocks->ScoreRows(0, 170, got.data());
  blocks->ScoreRows(170, n, got.data() + 170 * n);
  for (int64_t i = 0; i < n * n; ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::abs(want[i]))) << "at " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    KernelsAndMetrics, SimilarityBlocksTest,
    ::testing::Values(Case{Kernel::kPortable, Metric::kInnerProduct},
                      Case{Kernel::kSse2, Metric::kInnerProduct},
                      Case{Kernel::kAvx2, Metric::kInnerProduct},
                      Case{Kernel::kAuto, Metric::kCosine},
                      Case{Kernel::kAuto, Metric::kEuclidean},
                      Case{Kernel::kPortable, Metric::kEuclidean}));

TEST(SimilarityBlocksCreateTest, RejectsBadInput) {
  std::vector<float> v = {1, 2, 3};
  EXPECT_EQ(SimilarityBlocks::Create(v, 2, Metric::kCosine).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SimilarityBlocks::Create(v, 0, Metric::kCosine).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> inf = {1, INFINITY};
  EXPECT_EQ(SimilarityBlocks::Create(inf, 2, Metric::kCosine).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
