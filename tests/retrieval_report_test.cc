#include "soundsearch/retrieval_report.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace soundsearch {
namespace {

class RetrievalReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    report_.metric = "cosine";
    report_.cutoffs = {15, 150};
    report_.num_items = 7;
    report_.labels = {{"Bark", 4, 4, {{0.5, 0.25}, 2.0}},
                      {"Meow", 2, 2, {{1.0, 0.75}, 0.0}},
                      {"Rare", 1, 0, {}}};
    report_.macro = {{0.75, 0.5}, 1.0};
    report_.num_labels_scored = 2;
    report_.num_labels_left_out = 1;
    report_.num_label_queries = 6;
    report_.num_label_queries_left_out = 1;
    report_.has_micro = true;
    report_.micro = {{0.625, 0.375}, 1.5};
    report_.num_micro_queries = 6;
    report_.num_micro_left_out = 1;
  }
  RetrievalReport report_;
};

TEST_F(RetrievalReportTest, JsonCarriesEveryFigure) {
  const nlohmann::json j =
      nlohmann::json::parse(RetrievalReportToJson(report_));
  EXPECT_EQ(j["metric"], "cosine");
  EXPECT_EQ(j["num_items"], 7);
  EXPECT_EQ(j["cutoffs"], nlohmann::json({15, 150}));
  EXPECT_EQ(j["reference_denominator"], false);
  EXPECT_DOUBLE_EQ(j["macro"]["map@15"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(j["macro"]["map@150"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["macro"]["mr1"].get<double>(), 1.0);
  EXPECT_EQ(j["macro"]["num_labels_left_out"], 1);
  EXPECT_EQ(j["macro"]["num_queries_left_out"], 1);
  EXPECT_DOUBLE_EQ(j["micro"]["map@15"].get<double>(), 0.625);
  EXPECT_EQ(j["micro"]["num_queries"], 6);
  ASSERT_EQ(j["labels"].size(), 3u);
  EXPECT_EQ(j["labels"][0]["label"], "Bark");
  EXPECT_DOUBLE_EQ(j["labels"][0]["mr1"].get<double>(), 2.0);
  // An unscored label has counts but no scores.
  EXPECT_EQ(j["labels"][2]["num_queries"], 0);
  EXPECT_FALSE(j["labels"][2].contains("map@15"));
  EXPECT_FALSE(j.contains("families"));
}

TEST_F(RetrievalReportTest, JsonKeysFollowTheCutoffs) {
  report_.cutoffs = {10, 100};
  const nlohmann::json j =
      nlohmann::json::parse(RetrievalReportToJson(report_, -1));
  EXPECT_TRUE(j["macro"].contains("map@10"));
  EXPECT_TRUE(j["macro"].contains("map@100"));
  EXPECT_FALSE(j["macro"].contains("map@15"));
}

TEST_F(RetrievalReportTest, JsonOmitsMicroWhenNotComputed) {
  report_.has_micro = false;
  const nlohmann::json j =
      nlohmann::json::parse(RetrievalReportToJson(report_));
  EXPECT_FALSE(j.contains("micro"));
}

TEST_F(RetrievalReportTest, JsonIncludesFamilies) {
  report_.families = {{"Animal", 2, {{0.75, 0.5}, 1.0}}, {"Empty", 0, {}}};
  report_.labels_excluded_from_families = {"Rare"};
  const nlohmann::json j =
      nlohmann::json::parse(RetrievalReportToJson(report_));
  ASSERT_EQ(j["families"].size(), 2u);
  EXPECT_EQ(j["families"][0]["family"], "Animal");
  EXPECT_EQ(j["families"][0]["num_labels"], 2);
  EXPECT_DOUBLE_EQ(j["families"][0]["map@150"].get<double>(), 0.5);
  EXPECT_FALSE(j["families"][1].contains("mr1"));
  EXPECT_EQ(j["labels_excluded_from_families"], nlohmann::json({"Rare"}));
}

TEST_F(RetrievalReportTest, MarkdownHasSummaryCountsAndLabelRows) {
  report_.families = {{"Animal", 2, {{0.75, 0.5}, 1.0}}};
  const std::string md = RetrievalReportToMarkdown(report_);
  EXPECT_NE(md.find("| scores | queries | MAP@15 | MAP@150 | MR1 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| label-based (macro) | 6 | 0.7500 | 0.5000 | 1.00 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| instance-based (micro) | 6 | 0.6250 | 0.3750 | 1.50 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("1 labels carried by one clip"), std::string::npos) << md;
  EXPECT_NE(md.find("| Animal | 2 | 0.7500 | 0.5000 | 1.00 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| Bark | 4 | 0.5000 | 0.2500 | 2.00 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| Rare | 1 | n/a | n/a | n/a |"), std::string::npos) << md;
}

}  // namespace
}  // namespace soundsearch
