#include "research/categorisation.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

constexpr double kTol = 1e-12;

TEST(VMeasureTest, PerfectClusteringScoresOne) {
  const std::vector<int> c = {0, 0, 1, 1, 2, 2};
  const VMeasure v = *ComputeVMeasure(c, c);
  EXPECT_NEAR(v.homogeneity, 1.0, kTol);
  EXPECT_NEAR(v.completeness, 1.0, kTol);
  EXPECT_NEAR(v.v_measure, 1.0, kTol);
}

TEST(VMeasureTest, RenamedClustersScoreTheSame) {
  const std::vector<int> c = {0, 0, 1, 1, 2, 2};
  const std::vector<int> permuted = {7, 7, 3, 3, 5, 5};
  EXPECT_NEAR(ComputeVMeasure(c, permuted)->v_measure, 1.0, kTol);
  const std::vector<int> k = {0, 0, 0, 1, 2, 2};
  const std::vector<int> k_renamed = {4, 4, 4, 9, 1, 1};
  EXPECT_NEAR(ComputeVMeasure(c, k)->v_measure,
              ComputeVMeasure(c, k_renamed)->v_measure, kTol);
  const std::vector<std::string> names = {"dog", "dog", "cat",
                                          "cat", "car", "car"};
  EXPECT_NEAR(ComputeVMeasure(names, k)->v_measure,
              ComputeVMeasure(c, k)->v_measure, kTol);
}

TEST(VMeasureTest, HandWorkedSmallCase) {
  // Categories {0,0,1,1}, clusters {0,0,0,1}.
  // H(C) = ln 2; H(K) = -(3/4 ln 3/4 + 1/4 ln 1/4)
  // H(C|K) = -(2/4 ln 2/3 + 1/4 ln 1/3 + 1/4 ln 1); H(K|C) = -(2 * 1/4 ln 1/2)
  const double h_c = std::log(2.0);
  const double h_k = -(0.75 * std::log(0.75) + 0.25 * std::log(0.25));
  const double h_c_k = -(0.5 * std::log(2.0 / 3) + 0.25 * std::log(1.0 / 3));
  const double h_k_c = -(0.5 * std::log(0.5));
  const double h = 1 - h_c_k / h_c;
  const double c = 1 - h_k_c / h_k;
  const VMeasure v = *ComputeVMeasure(std::vector<int>{0, 0, 1, 1},
                                      std::vector<int>{0, 0, 0, 1});
  EXPECT_NEAR(v.homogeneity, h, kTol);
  EXPECT_NEAR(v.completeness, c, kTol);
  EXPECT_NEAR(v.v_measure, 2 * h * c / (h + c), kTol);
  EXPECT_NEAR(v.homogeneity, 0.311278, 1e-6);
  EXPECT_NEAR(v.completeness, 0.383689, 1e-6);
}

TEST(VMeasureTest, DegenerateClusterings) {
  const std::vector<int> c = {0, 0, 1, 1};
  // One cluster: complete but not homogeneous.
  const VMeasure one = *ComputeVMeasure(c, std::vector<int>{0, 0, 0, 0});
  EXPECT_NEAR(one.homogeneity, 0.0, kTol);
  EXPECT_NEAR(one.completeness, 1.0, kTol);
  EXPECT_NEAR(one.v_measure, 0.0, kTol);
  // One item per cluster: homogeneous, completeness ln2 / ln4 = 1/2.
  const VMeasure singletons = *ComputeVMeasure(c, std::vector<int>{0, 1, 2, 3});
  EXPECT_NEAR(singletons.homogeneity, 1.0, kTol);
  EXPECT_NEAR(singletons.completeness, 0.5, kTol);
}

TEST(VMeasureTest, RandomLabellingScoresNearZero) {
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> pick(0, 4);
  std::vector<int> c, k;
  for (int i = 0; i < 20000; ++i) {
    c.push_back(pick(rng));
    k.push_back(pick(rng));
  }
  EXPECT_LT(ComputeVMeasure(c, k)->v_measure, 0.01);
}

TEST(VMeasureTest, RejectsMismatchedOrEmpty) {
  EXPECT_FALSE(
      ComputeVMeasure(std::vector<int>{0}, std::vector<int>{0, 1}).ok());
  EXPECT_FALSE(ComputeVMeasure(std::vector<int>{}, std::vector<int>{}).ok());
}

TEST(KMeansTest, SeparatedGroupsAreRecovered) {
  // Three directions (spherical k-means), 30 noisy points each.
  std::mt19937 rng(4);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::uniform_real_distribution<float> scale(0.5f, 3.0f);
  const float centres[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  std::vector<float> v;
  std::vector<int> truth;
  for (int i = 0; i < 90; ++i) {
    const int g = i % 3;
    const float s = scale(rng);
    for (int k = 0; k < 3; ++k) v.push_back(s * (centres[g][k] + noise(rng)));
    truth.push_back(g);
  }
  KMeansOptions options;
  options.num_clusters = 3;
  options.num_runs = 3;
  absl::StatusOr<std::vector<int>> clusters = KMeansClusters(v, 3, options);
  ASSERT_TRUE(clusters.ok()) << clusters.status();
  ASSERT_EQ(clusters->size(), 90u);
  for (int k : *clusters) {
    EXPECT_GE(k, 0);
    EXPECT_LT(k, 3);
  }
  EXPECT_NEAR(ComputeVMeasure(truth, *clusters)->v_measure, 1.0, 1e-9);
  // Same seed, same answer.
  EXPECT_EQ(*KMeansClusters(v, 3, options), *clusters);
}

TEST(KMeansTest, RejectsBadArguments) {
  const std::vector<float> v = {1, 2, 3, 4};
  KMeansOptions options;
  options.num_clusters = 3;  // only 2 rows of 2
  EXPECT_EQ(KMeansClusters(v, 2, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.num_clusters = 1;
  EXPECT_EQ(KMeansClusters(v, 3, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.iterations = 0;
  EXPECT_EQ(KMeansClusters(v, 2, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
