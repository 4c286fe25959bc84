#include "research/retrieval_sweep.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

// Four clips, labels A A B B. "good" puts each clip next to its pair, "bad"
// next to a clip of the other label (1-D, Euclidean).
class SweepTest : public ::testing::Test {
 protected:
  std::vector<LabeledItem> items_ = {
      {"a0", {"A"}}, {"a1", {"A"}}, {"b0", {"B"}}, {"b1", {"B"}}};
  std::vector<float> good_ = {0, 1, 10, 11};
  std::vector<float> bad_ = {0, 10, 1, 11};
  RetrievalEvalOptions options_ = [] {
    RetrievalEvalOptions o;
    o.cutoffs = {1, 3};
    return o;
  }();
};

TEST_F(SweepTest, EvaluatesEverySystemInOrder) {
  const std::vector<EvalSystem> systems = {
      {"bad", bad_, 1, Metric::kEuclidean},
      {"good", good_, 1, Metric::kEuclidean}};
  absl::StatusOr<std::vector<SystemReport>> reports =
      EvaluateSystems(items_, systems, options_);
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_EQ((*reports)[0].name, "bad");
  EXPECT_EQ((*reports)[1].name, "good");
  // good: every query finds its pair first: MAP 1, MR1 0.
  EXPECT_DOUBLE_EQ((*reports)[1].report.macro.map[0], 1.0);
  EXPECT_DOUBLE_EQ((*reports)[1].report.macro.mr1, 0.0);
  // bad: a0 (x 0): b0 1, a1 10, b1 11 -> R1 1.  a1 (x 10): b1, b0, a0 -> 2.
  //      b0 (x 1): a0, a1, b1 -> 2.            b1 (x 11): a1, b0, a0 -> 1.
  EXPECT_DOUBLE_EQ((*reports)[0].report.macro.mr1, 1.5);

  const std::string table = SweepTableMarkdown(*reports);
  EXPECT_NE(table.find("| system | MAP@1 | MAP@3 | MR1 |"), std::string::npos)
      << table;
  EXPECT_NE(table.find("| good | **1.0000** | **1.0000** | **0.00** |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| bad | 0.0000 |"), std::string::npos) << table;
}

TEST_F(SweepTest, RejectsBadNamesAndReportsWhichSystemFailed) {
  const std::vector<EvalSystem> repeated = {{"x", good_, 1, Metric::kCosine},
                                            {"x", bad_, 1, Metric::kCosine}};
  EXPECT_EQ(EvaluateSystems(items_, repeated).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<EvalSystem> unnamed = {{"", good_, 1, Metric::kCosine}};
  EXPECT_FALSE(EvaluateSystems(items_, unnamed).ok());
  const std::vector<EvalSystem> wrong_dim = {
      {"ok", good_, 1, Metric::kCosine}, {"broken", good_, 2, Metric::kCosine}};
  absl::StatusOr<std::vector<SystemReport>> r =
      EvaluateSystems(items_, wrong_dim);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("broken"), std::string::npos);
}

}  // namespace
}  // namespace soundsearch
