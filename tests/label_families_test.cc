#include "soundsearch/label_families.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using ::testing::ElementsAre;

constexpr double kTol = 1e-12;

TEST(ParseLabelFamiliesJsonTest, KeepsFileOrder) {
  absl::StatusOr<LabelFamilies> f = ParseLabelFamiliesJson(
      R"({"Music": ["Guitar", "Piano"], "Animal": ["Dog"]})");
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->families.size(), 2u);
  EXPECT_EQ(f->families[0].first, "Music");
  EXPECT_THAT(f->families[0].second, ElementsAre("Guitar", "Piano"));
  EXPECT_EQ(f->families[1].first, "Animal");
  EXPECT_THAT(f->families[1].second, ElementsAre("Dog"));
}

TEST(ParseLabelFamiliesJsonTest, RejectsMalformedInput) {
  for (const char* bad :
       {"{", "[\"Dog\"]", R"({"A": "Dog"})", R"({"A": ["Dog", 3]})",
        R"({"A": [""]})", R"({"": ["Dog"]})"}) {
    EXPECT_EQ(ParseLabelFamiliesJson(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ParseLabelListTest, PlainLinesAndOntologyPaths) {
  // The form of multi_parents.txt: a label, then its paths, then a blank.
  absl::StatusOr<std::vector<std::string>> labels = ParseLabelList(
      "# labels with several parents\r\n"
      "Doorbell\r\n"
      "['Sounds_of_things', 'Domestic_sounds_and_home_sounds', 'Door', "
      "'Doorbell']\r\n"
      "['Sounds_of_things', 'Alarm', 'Doorbell']\r\n"
      "\r\n"
      "  Growling\t# trailing note\n"
      "[\"Animal\", \"Cat's_purr\"]\n"
      "Bell, extra field\n");
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_THAT(*labels,
              ElementsAre("Doorbell", "Growling", "Cat's_purr", "Bell"));
}

TEST(ParseLabelListTest, MalformedListLineNamesTheLine) {
  absl::StatusOr<std::vector<std::string>> labels =
      ParseLabelList("Dog\n['Animal', 'Dog'\n");
  ASSERT_EQ(labels.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(labels.status().message().find("line 2"), std::string::npos)
      << labels.status();
  EXPECT_FALSE(ParseLabelList("[]\n").ok());
  EXPECT_FALSE(ParseLabelList("['Animal', 'Dog]\n").ok());
}

TEST(LabelFilesTest, ReadsFilesWrittenByTheTest) {
  const std::string dir = ::testing::TempDir();
  const std::string families_path = dir + "/families_test.json";
  const std::string list_path = dir + "/excluded_test.txt";
  std::ofstream(families_path) << R"({"F": ["A", "B"]})";
  std::ofstream(list_path) << "B\n";
  absl::StatusOr<LabelFamilies> f = ReadLabelFamiliesFile(families_path);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->families.size(), 1u);
  absl::StatusOr<std::vector<std::string>> l = ReadLabelListFile(list_path);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_THAT(*l, ElementsAre("B"));
  std::remove(families_path.c_str());
  std::remove(list_path.c_str());
  EXPECT_EQ(ReadLabelFamiliesFile(dir + "/missing.json").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadLabelListFile(dir + "/missing.txt").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(AddFamilyScoresTest, MeansOfLabelScoresWithExclusions) {
  RetrievalReport report;
  report.labels = {{"Bark", 5, 5, {{0.4, 0.2}, 3.0}},
                   {"Bell", 4, 4, {{0.9, 0.9}, 0.0}},  // excluded
                   {"Guitar", 6, 6, {{0.5, 0.3}, 1.0}},
                   {"Meow", 3, 3, {{0.6, 0.4}, 1.0}},
                   {"Piano", 2, 2, {{0.7, 0.5}, 2.0}},
                   {"Rare", 1, 0, {}},                  // not scored
                   {"Wind", 3, 3, {{0.1, 0.1}, 9.0}}};  // in no family
  LabelFamilies families;
  families.families = {{"Animal", {"Bark", "Meow", "Bell", "Rare"}},
                       {"Music", {"Guitar", "Piano", "Bell"}},
                       {"Things", {"Bell"}},
                       {"Ghost", {"Unseen"}}};
  const std::vector<std::string> excluded = {"Bell", "Unseen"};
  AddFamilyScores(families, excluded, &report);

  ASSERT_EQ(report.families.size(), 4u);
  const FamilyResult& animal = report.families[0];
  EXPECT_EQ(animal.family, "Animal");
  EXPECT_EQ(animal.num_labels, 2);  // Bark and Meow
  EXPECT_NEAR(animal.scores.map[0], (0.4 + 0.6) / 2, kTol);
  EXPECT_NEAR(animal.scores.map[1], (0.2 + 0.4) / 2, kTol);
  EXPECT_NEAR(animal.scores.mr1, (3.0 + 1.0) / 2, kTol);
  const FamilyResult& music = report.families[1];
  EXPECT_EQ(music.num_labels, 2);  // Guitar and Piano
  EXPECT_NEAR(music.scores.map[0], (0.5 + 0.7) / 2, kTol);
  EXPECT_NEAR(music.scores.mr1, 1.5, kTol);
  EXPECT_EQ(report.families[2].num_labels, 0);  // only Bell, excluded
  EXPECT_EQ(report.families[3].num_labels, 0);
  EXPECT_THAT(report.labels_excluded_from_families, ElementsAre("Bell"));
  EXPECT_THAT(report.labels_without_family, ElementsAre("Wind"));
}

}  // namespace
}  // namespace soundsearch
