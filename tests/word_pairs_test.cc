#include "research/word_pairs.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

TEST(ParseWordPairsTest, TabsSpacesCrlfCommentsAndBlankLines) {
  absl::StatusOr<std::vector<WordPair>> pairs = ParseWordPairs(
      "# MEN-like header comment\r\n"
      "sun\tsunlight\t50.0\r\n"
      "\r\n"
      "  automobile car 49\n"
      "   # indented comment\n"
      "tiger \t cat\t7.35\r\n"
      "old\tnew\t1.5e0");  // no final newline
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  ASSERT_EQ(pairs->size(), 4u);
  EXPECT_EQ((*pairs)[0].first, "sun");
  EXPECT_EQ((*pairs)[0].second, "sunlight");
  EXPECT_DOUBLE_EQ((*pairs)[0].score, 50.0);
  EXPECT_EQ((*pairs)[1].first, "automobile");
  EXPECT_DOUBLE_EQ((*pairs)[1].score, 49.0);
  EXPECT_EQ((*pairs)[2].second, "cat");
  EXPECT_DOUBLE_EQ((*pairs)[2].score, 7.35);
  EXPECT_DOUBLE_EQ((*pairs)[3].score, 1.5);
}

TEST(ParseWordPairsTest, EmptyInputHasNoPairs) {
  absl::StatusOr<std::vector<WordPair>> pairs = ParseWordPairs("\n\r\n# c\n");
  ASSERT_TRUE(pairs.ok());
  EXPECT_TRUE(pairs->empty());
}

TEST(ParseWordPairsTest, ErrorsNameTheLine) {
  absl::StatusOr<std::vector<WordPair>> two_fields =
      ParseWordPairs("a b 1\nc d\n");
  ASSERT_EQ(two_fields.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(two_fields.status().message().find("line 2"), std::string::npos);
  absl::StatusOr<std::vector<WordPair>> four_fields =
      ParseWordPairs("a b 1 2\n");
  EXPECT_EQ(four_fields.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::vector<WordPair>> bad_score =
      ParseWordPairs("a b 1\r\n\r\nc d high\r\n");
  ASSERT_EQ(bad_score.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_score.status().message().find("line 3"), std::string::npos);
  EXPECT_FALSE(ParseWordPairs("a b nan\n").ok());
}

TEST(ReadWordPairsFileTest, ReadsAFileAndReportsMissingOnes) {
  const std::string path = ::testing::TempDir() + "/word_pairs_test.txt";
  std::ofstream(path, std::ios::binary)
      << "love\tsex\t6.77\r\ntiger\tcat\t7.35\r\n";
  absl::StatusOr<std::vector<WordPair>> pairs = ReadWordPairsFile(path);
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  EXPECT_EQ(pairs->size(), 2u);
  std::remove(path.c_str());
  EXPECT_EQ(ReadWordPairsFile(path).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace soundsearch
