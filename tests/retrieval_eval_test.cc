#include "soundsearch/retrieval_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

constexpr double kTol = 1e-9;

const LabelResult* FindLabel(const RetrievalReport& report,
                             const std::string& name) {
  for (const LabelResult& label : report.labels) {
    if (label.label == name) return &label;
  }
  return nullptr;
}

// Five clips on a line (1-D vectors), Euclidean search. Rankings, worked by
// hand (ties by lower index):
//   q0 (x=0):  1 2 3 4        q1 (x=1):  0 2 3 4   (0 and 2 tie)
//   q2 (x=2):  1 3 0 4        q3 (x=3):  2 1 0 4
//   q4 (x=10): 3 2 1 0
// Labels: 0 {A}, 1 {A, B}, 2 {B}, 3 {A}, 4 {C}; C is carried by one clip.
class TinyCollectionTest : public ::testing::Test {
 protected:
  std::vector<LabeledItem> items_ = {{"c0", {"A"}},
                                     {"c1", {"A", "B"}},
                                     {"c2", {"B"}},
                                     {"c3", {"A"}},
                                     {"c4", {"C"}}};
  std::vector<float> x_ = {0.0f, 1.0f, 2.0f, 3.0f, 10.0f};

  RetrievalReport Evaluate(RetrievalEvalOptions options) {
    absl::StatusOr<RetrievalReport> report =
        EvaluateRetrieval(items_, x_, 1, Metric::kEuclidean, options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : RetrievalReport();
  }

  static RetrievalEvalOptions Cutoffs2And4() {
    RetrievalEvalOptions options;
    options.cutoffs = {2, 4};
    return options;
  }
};

TEST_F(TinyCollectionTest, LabelBasedScoresWorkedByHand) {
  const RetrievalReport report = Evaluate(Cutoffs2And4());
  ASSERT_EQ(report.labels.size(), 3u);
  EXPECT_EQ(report.num_items, 5);
  EXPECT_EQ(report.metric, "euclidean");

  // A: queries 0, 1, 3, two relevant each.
  //   q0 [1 0 1 0]: AP@2 = 1/2, AP@4 = (1 + 2/3)/2, R1 = 0
  //   q1 [1 0 1 0]: the same
  //   q3 [0 1 1 0]: AP@2 = (1/2)/2, AP@4 = (1/2 + 2/3)/2, R1 = 1
  const LabelResult* a = FindLabel(report, "A");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->num_items, 3);
  EXPECT_EQ(a->num_queries, 3);
  EXPECT_NEAR(a->scores.map[0], (0.5 + 0.5 + 0.25) / 3, kTol);
  EXPECT_NEAR(a->scores.map[1], (5.0 / 6 + 5.0 / 6 + 7.0 / 12) / 3, kTol);
  EXPECT_NEAR(a->scores.mr1, 1.0 / 3, kTol);

  // B: queries 1, 2, one relevant each.
  //   q1 [0 1 0 0]: AP = (1/2)/1, R1 = 1;  q2 [1 0 0 0]: AP = 1, R1 = 0
  const LabelResult* b = FindLabel(report, "B");
  ASSERT_NE(b, nullptr);
  EXPECT_NEAR(b->scores.map[0], 0.75, kTol);
  EXPECT_NEAR(b->scores.map[1], 0.75, kTol);
  EXPECT_NEAR(b->scores.mr1, 0.5, kTol);

  // C has one clip: its query has nothing relevant and is left out.
  const LabelResult* c = FindLabel(report, "C");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->num_items, 1);
  EXPECT_EQ(c->num_queries, 0);
  EXPECT_EQ(report.num_labels_scored, 2);
  EXPECT_EQ(report.num_labels_left_out, 1);
  EXPECT_EQ(report.num_label_queries, 5);
  EXPECT_EQ(report.num_label_queries_left_out, 1);

  // Macro: unweighted mean over A and B.
  EXPECT_NEAR(report.macro.map[0], (1.25 / 3 + 0.75) / 2, kTol);
  EXPECT_NEAR(report.macro.map[1], (0.75 + 0.75) / 2, kTol);
  EXPECT_NEAR(report.macro.mr1, (1.0 / 3 + 0.5) / 2, kTol);
}

TEST_F(TinyCollectionTest, InstanceBasedScoresWorkedByHand) {
  const RetrievalReport report = Evaluate(Cutoffs2And4());
  ASSERT_TRUE(report.has_micro);
  // Relevant = shares any label.
  //   q0 {1,3}:   [1 0 1 0] AP@2 1/2, AP@4 (1 + 2/3)/2, R1 0
  //   q1 {0,2,3}: [1 1 1 0] AP@2 1,   AP@4 1,           R1 0
  //   q2 {1}:     [1 0 0 0] AP 1, 1,                    R1 0
  //   q3 {0,1}:   [0 1 1 0] AP@2 1/4, AP@4 (1/2+2/3)/2, R1 1
  //   q4: nothing shares C: left out.
  EXPECT_EQ(report.num_micro_queries, 4);
  EXPECT_EQ(report.num_micro_left_out, 1);
  EXPECT_NEAR(report.micro.map[0], (0.5 + 1 + 1 + 0.25) / 4, kTol);
  EXPECT_NEAR(report.micro.map[1], (5.0 / 6 + 1 + 1 + 7.0 / 12) / 4, kTol);
  EXPECT_NEAR(report.micro.mr1, 0.25, kTol);
  // Macro and micro differ on this collection.
  EXPECT_GT(std::abs(report.micro.map[0] - report.macro.map[0]), 0.05);
}

TEST_F(TinyCollectionTest, ReferenceDenominatorCountsTheQuery) {
  RetrievalEvalOptions options = Cutoffs2And4();
  options.reference_denominator = true;
  const RetrievalReport report = Evaluate(options);
  EXPECT_TRUE(report.reference_denominator);
  // A: denominators min(2, 3) = 2 (unchanged) and min(4, 3) = 3.
  const LabelResult* a = FindLabel(report, "A");
  ASSERT_NE(a, nullptr);
  EXPECT_NEAR(a->scores.map[0], 1.25 / 3, kTol);
  EXPECT_NEAR(a->scores.map[1], (5.0 / 9 + 5.0 / 9 + 7.0 / 18) / 3, kTol);
  // B: denominators min(2, 2) = min(4, 2) = 2.
  const LabelResult* b = FindLabel(report, "B");
  ASSERT_NE(b, nullptr);
  EXPECT_NEAR(b->scores.map[0], (0.25 + 0.5) / 2, kTol);
  EXPECT_NEAR(b->scores.map[1], (0.25 + 0.5) / 2, kTol);
  // R1 does not depend on the denominator; left-out counts neither.
  EXPECT_NEAR(report.macro.mr1, (1.0 / 3 + 0.5) / 2, kTol);
  EXPECT_EQ(report.num_labels_left_out, 1);
}

TEST_F(TinyCollectionTest, FirstRelevantRankLooksPastTheCutoff) {
  RetrievalEvalOptions options;
  options.cutoffs = {1, 1};
  const RetrievalReport report = Evaluate(options);
  // q3's first A is at rank 1, past the top 1; MR1 is still (0 + 0 + 1) / 3.
  const LabelResult* a = FindLabel(report, "A");
  ASSERT_NE(a, nullptr);
  EXPECT_NEAR(a->scores.mr1, 1.0 / 3, kTol);
  EXPECT_NEAR(a->scores.map[0], 2.0 / 3, kTol);  // 1, 1, 0 at N = 1
}

TEST(RetrievalEvalTest, FirstRelevantFarDownTheRanking) {
  // Query 0 at x=0; clips 1..9 at x=1..9 carry other labels; clip 10 at
  // x=100 shares the query's label: R1 = 9 for both of label X's queries.
  std::vector<LabeledItem> items;
  std::vector<float> x;
  items.push_back({"q", {"X"}});
  x.push_back(0.0f);
  for (int i = 1; i <= 9; ++i) {
    items.push_back({"d" + std::to_string(i), {"Y"}});
    x.push_back(static_cast<float>(i));
  }
  items.push_back({"far", {"X"}});
  x.push_back(100.0f);
  RetrievalEvalOptions options;
  options.cutoffs = {3, 5};
  absl::StatusOr<RetrievalReport> report =
      EvaluateRetrieval(items, x, 1, Metric::kEuclidean, options);
  ASSERT_TRUE(report.ok()) << report.status();
  const LabelResult* label = FindLabel(*report, "X");
  ASSERT_NE(label, nullptr);
  EXPECT_NEAR(label->scores.mr1, 9.0, kTol);
  EXPECT_EQ(label->scores.map[0], 0.0);
}

TEST(RetrievalEvalTest, CosineIgnoresMagnitudeInnerProductDoesNot) {
  // 2-D: the query direction is (1, 0). Item 1 is nearly parallel but short,
  // item 2 is at 45 degrees but long.
  std::vector<LabeledItem> items = {
      {"q", {"L"}}, {"parallel", {"L"}}, {"diagonal", {"M"}}, {"m2", {"M"}}};
  std::vector<float> v = {1, 0, 0.1f, 0.01f, 10, 10, -1, 1};
  RetrievalEvalOptions options;
  options.cutoffs = {1, 3};
  absl::StatusOr<RetrievalReport> cos =
      EvaluateRetrieval(items, v, 2, Metric::kCosine, options);
  absl::StatusOr<RetrievalReport> ip =
      EvaluateRetrieval(items, v, 2, Metric::kInnerProduct, options);
  ASSERT_TRUE(cos.ok()) << cos.status();
  ASSERT_TRUE(ip.ok()) << ip.status();
  // Query q under cosine: parallel first (R1 0); under IP: diagonal first.
  // Query "parallel" under both: q is (cos 0.995 / ip 0.1), diagonal is
  // (cos 0.77 / ip 1.1).
  const LabelResult* cos_l = FindLabel(*cos, "L");
  const LabelResult* ip_l = FindLabel(*ip, "L");
  ASSERT_NE(cos_l, nullptr);
  ASSERT_NE(ip_l, nullptr);
  EXPECT_NEAR(cos_l->scores.mr1, 0.0, kTol);
  EXPECT_NEAR(ip_l->scores.mr1, 1.0, kTol);
}

// A brute-force ranking in exact (double) arithmetic with the documented
// tie rule, for integer-valued vectors.
RankingFn NaiveRanking(const std::vector<float>& v, int dim, Metric metric) {
  return [&v, dim, metric](int64_t q, std::vector<int64_t>* ranking) {
    const int64_t n = static_cast<int64_t>(v.size()) / dim;
    std::vector<double> score(n);
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int k = 0; k < dim; ++k) {
        const double a = v[q * dim + k], b = v[j * dim + k];
        s += metric == Metric::kEuclidean ? -(a - b) * (a - b) : a * b;
      }
      score[j] = s;
    }
    ranking->resize(n);
    std::iota(ranking->begin(), ranking->end(), 0);
    std::stable_sort(ranking->begin(), ranking->end(),
                     [&](int64_t a, int64_t b) { return score[a] > score[b]; });
    return absl::OkStatus();
  };
}

void ExpectSameReport(const RetrievalReport& a, const RetrievalReport& b) {
  ASSERT_EQ(a.labels.size(), b.labels.size());
  for (size_t l = 0; l < a.labels.size(); ++l) {
    EXPECT_EQ(a.labels[l].label, b.labels[l].label);
    EXPECT_EQ(a.labels[l].num_queries, b.labels[l].num_queries);
    EXPECT_NEAR(a.labels[l].scores.map[0], b.labels[l].scores.map[0], kTol);
    EXPECT_NEAR(a.labels[l].scores.map[1], b.labels[l].scores.map[1], kTol);
    EXPECT_NEAR(a.labels[l].scores.mr1, b.labels[l].scores.mr1, kTol);
  }
  EXPECT_NEAR(a.macro.map[0], b.macro.map[0], kTol);
  EXPECT_NEAR(a.macro.map[1], b.macro.map[1], kTol);
  EXPECT_NEAR(a.macro.mr1, b.macro.mr1, kTol);
  EXPECT_NEAR(a.micro.map[0], b.micro.map[0], kTol);
  EXPECT_NEAR(a.micro.map[1], b.micro.map[1], kTol);
  EXPECT_NEAR(a.micro.mr1, b.micro.mr1, kTol);
  EXPECT_EQ(a.num_micro_left_out, b.num_micro_left_out);
  EXPECT_EQ(a.num_labels_left_out, b.num_labels_left_out);
}

// Random integer vectors (exact float arithmetic, many exact ties) and
// random labels; sizes that are not multiples of the kernel's tiles and more
// queries than one block of rows.
class RandomCollectionTest : public ::testing::TestWithParam<Metric> {
 protected:
  void SetUp() override {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> value(-3, 3);
    std::uniform_int_distribution<int> label(0, 24);
    std::uniform_int_distribution<int> count(0, 3);
    for (int64_t i = 0; i < n_; ++i) {
      LabeledItem item{"i" + std::to_string(i), {}};
      const int labels = count(rng);
      for (int t = 0; t < labels; ++t) {
        item.labels.push_back("L" + std::to_string(label(rng)));
      }
      items_.push_back(item);
    }
    for (int64_t k = 0; k < n_ * dim_; ++k) v_.push_back(value(rng));
    // A label of one clip, to exercise leaving out.
    items_[5].labels.push_back("only_here");
  }

  const int64_t n_ = 301;
  const int dim_ = 13;
  std::vector<LabeledItem> items_;
  std::vector<float> v_;
};

TEST_P(RandomCollectionTest, BlockedSearchMatchesBruteForceRanking) {
  RetrievalEvalOptions options;
  options.cutoffs = {15, 150};
  options.num_threads = 2;
  absl::StatusOr<RetrievalReport> fast =
      EvaluateRetrieval(items_, v_, dim_, GetParam(), options);
  ASSERT_TRUE(fast.ok()) << fast.status();
  absl::StatusOr<RetrievalReport> naive =
      EvaluateRankings(items_, NaiveRanking(v_, dim_, GetParam()), options);
  ASSERT_TRUE(naive.ok()) << naive.status();
  EXPECT_GE(fast->num_labels_left_out, 1);
  ExpectSameReport(*fast, *naive);
}

TEST_P(RandomCollectionTest, ThreadCountDoesNotChangeTheReport) {
  RetrievalEvalOptions one;
  one.num_threads = 1;
  RetrievalEvalOptions two;
  two.num_threads = 2;
  absl::StatusOr<RetrievalReport> a =
      EvaluateRetrieval(items_, v_, dim_, GetParam(), one);
  absl::StatusOr<RetrievalReport> b =
      EvaluateRetrieval(items_, v_, dim_, GetParam(), two);
  ASSERT_TRUE(a.ok() && b.ok());
  ExpectSameReport(*a, *b);
}

INSTANTIATE_TEST_SUITE_P(Metrics, RandomCollectionTest,
                         ::testing::Values(Metric::kInnerProduct,
                                           Metric::kEuclidean));

TEST(RetrievalEvalTest, CosineIsInvariantToPositiveRowScaling) {
  std::mt19937 rng(3);
  std::normal_distribution<float> gauss;
  std::uniform_int_distribution<int> exponent(-4, 4);
  std::uniform_int_distribution<int> label(0, 9);
  const int n = 120, dim = 6;
  std::vector<LabeledItem> items;
  std::vector<float> v(n * dim), scaled(n * dim);
  for (int i = 0; i < n; ++i) {
    items.push_back(
        {"i" + std::to_string(i), {"L" + std::to_string(label(rng))}});
    const float scale = std::ldexp(1.0f, exponent(rng));  // exact scaling
    for (int k = 0; k < dim; ++k) {
      v[i * dim + k] = gauss(rng);
      scaled[i * dim + k] = v[i * dim + k] * scale;
    }
  }
  absl::StatusOr<RetrievalReport> a =
      EvaluateRetrieval(items, v, dim, Metric::kCosine);
  absl::StatusOr<RetrievalReport> b =
      EvaluateRetrieval(items, scaled, dim, Metric::kCosine);
  ASSERT_TRUE(a.ok() && b.ok());
  ExpectSameReport(*a, *b);
}

TEST(RetrievalEvalTest, EvaluateRankingsMatchesHandWorkedCase) {
  // Rankings given directly; labels: 0 {A}, 1 {A}, 2 {B}, 3 {B}.
  std::vector<LabeledItem> items = {
      {"0", {"A"}}, {"1", {"A"}}, {"2", {"B"}}, {"3", {"B"}}};
  const std::vector<std::vector<int64_t>> rankings = {
      {2, 1, 3},     // q0: A at rank 1
      {1, 0, 2, 3},  // q1: lists itself first (skipped); A at rank 0
      {3, 0, 1},     // q2: B at rank 0
      {0, 1, 2}};    // q3: B at rank 2
  RetrievalEvalOptions options;
  options.cutoffs = {1, 3};
  absl::StatusOr<RetrievalReport> report = EvaluateRankings(
      items,
      [&](int64_t q, std::vector<int64_t>* ranking) {
        *ranking = rankings[q];
        return absl::OkStatus();
      },
      options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->metric, "ranking");
  const LabelResult* a = FindLabel(*report, "A");
  const LabelResult* b = FindLabel(*report, "B");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  // A: q0 AP@1 0, AP@3 (1/2)/1; q1 AP 1, 1.   B: q2 1, 1; q3 0, (1/3)/1.
  EXPECT_NEAR(a->scores.map[0], 0.5, kTol);
  EXPECT_NEAR(a->scores.map[1], 0.75, kTol);
  EXPECT_NEAR(a->scores.mr1, 0.5, kTol);
  EXPECT_NEAR(b->scores.map[0], 0.5, kTol);
  EXPECT_NEAR(b->scores.map[1], (1 + 1.0 / 3) / 2, kTol);
  EXPECT_NEAR(b->scores.mr1, 1.0, kTol);
}

TEST(RetrievalEvalTest, RankingThatIsNotAPermutationIsRejected) {
  std::vector<LabeledItem> items = {{"0", {"A"}}, {"1", {"A"}}, {"2", {"B"}}};
  const auto with = [&](std::vector<int64_t> fixed) {
    return EvaluateRankings(items, [fixed](int64_t, std::vector<int64_t>* r) {
      *r = fixed;
      return absl::OkStatus();
    });
  };
  EXPECT_EQ(with({1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(with({1, 1, 2}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(with({0, 1, 7}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<RetrievalReport> failing =
      EvaluateRankings(items, [](int64_t, std::vector<int64_t>*) {
        return absl::UnavailableError("engine down");
      });
  EXPECT_EQ(failing.status().code(), absl::StatusCode::kUnavailable);
}

TEST(RetrievalEvalTest, BadInputsAreInvalidArgument) {
  std::vector<LabeledItem> items = {{"0", {"A"}}, {"1", {"A"}}};
  std::vector<float> v = {1, 0, 0, 1};
  const auto code = [](const absl::StatusOr<RetrievalReport>& r) {
    return r.status().code();
  };
  EXPECT_EQ(code(EvaluateRetrieval({}, {}, 2, Metric::kCosine)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(EvaluateRetrieval(items, v, 3, Metric::kCosine)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(EvaluateRetrieval(items, v, 0, Metric::kCosine)),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> nan = {1, std::numeric_limits<float>::quiet_NaN(), 0, 1};
  EXPECT_EQ(code(EvaluateRetrieval(items, nan, 2, Metric::kCosine)),
            absl::StatusCode::kInvalidArgument);
  std::vector<LabeledItem> empty_label = {{"0", {""}}, {"1", {"A"}}};
  EXPECT_EQ(code(EvaluateRetrieval(empty_label, v, 2, Metric::kCosine)),
            absl::StatusCode::kInvalidArgument);
  RetrievalEvalOptions bad;
  bad.cutoffs = {0, 15};
  EXPECT_EQ(code(EvaluateRetrieval(items, v, 2, Metric::kCosine, bad)),
            absl::StatusCode::kInvalidArgument);
}

TEST(RetrievalEvalTest, UnlabelledClipsAreRankedButNeverRelevant) {
  // 1-D Euclidean: an unlabelled clip sits between the two A clips.
  std::vector<LabeledItem> items = {{"a0", {"A"}}, {"none", {}}, {"a1", {"A"}}};
  std::vector<float> x = {0, 1, 2};
  RetrievalEvalOptions options;
  options.cutoffs = {1, 2};
  absl::StatusOr<RetrievalReport> report =
      EvaluateRetrieval(items, x, 1, Metric::kEuclidean, options);
  ASSERT_TRUE(report.ok()) << report.status();
  // Both A queries find "none" first, then the other A clip.
  EXPECT_NEAR(report->macro.mr1, 1.0, kTol);
  EXPECT_NEAR(report->macro.map[1], 0.5, kTol);
  EXPECT_EQ(report->num_micro_queries, 2);
  EXPECT_EQ(report->num_micro_left_out, 1);
}

TEST(RetrievalEvalTest, OneClipCollectionLeavesEverythingOut) {
  std::vector<LabeledItem> items = {{"alone", {"A", "B"}}};
  std::vector<float> v = {1, 2};
  absl::StatusOr<RetrievalReport> report =
      EvaluateRetrieval(items, v, 2, Metric::kCosine);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->num_labels_scored, 0);
  EXPECT_EQ(report->num_labels_left_out, 2);
  EXPECT_EQ(report->num_micro_queries, 0);
  EXPECT_EQ(report->num_micro_left_out, 1);
  EXPECT_EQ(report->macro.mr1, 0.0);
}

TEST(MetricTest, ParsesNamesAndAliases) {
  EXPECT_EQ(*ParseMetric("cosine"), Metric::kCosine);
  EXPECT_EQ(*ParseMetric("MCSS"), Metric::kCosine);
  EXPECT_EQ(*ParseMetric("mips"), Metric::kInnerProduct);
  EXPECT_EQ(*ParseMetric("nns"), Metric::kEuclidean);
  EXPECT_FALSE(ParseMetric("manhattan").ok());
  for (Metric m :
       {Metric::kCosine, Metric::kInnerProduct, Metric::kEuclidean}) {
    EXPECT_EQ(*ParseMetric(MetricName(m)), m);
  }
}

}  // namespace
}  // namespace soundsearch
