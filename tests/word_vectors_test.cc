#include "research/word_vectors.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Word2VecTextTest, ParsesHeaderAndVectors) {
  absl::StatusOr<WordVectors> table = WordVectors::ParseWord2VecText(
      "3 2\r\n"
      "dog 0.5 -1 \r\n"  // trailing space, as word2vec writes it
      "cat 1e-1 2\n"
      "\n"
      "car 3 4\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->dim(), 2);
  EXPECT_EQ(table->size(), 3);
  EXPECT_THAT(table->words(), ElementsAre("dog", "cat", "car"));
  ASSERT_TRUE(table->Find("cat").has_value());
  EXPECT_THAT(*table->Find("cat"), ElementsAre(0.1f, 2.0f));
  EXPECT_THAT(*table->Find("dog"), ElementsAre(0.5f, -1.0f));
  EXPECT_FALSE(table->Find("Cat").has_value());
}

TEST(Word2VecTextTest, MaxWordsReadsTheFirstOnes) {
  Word2VecOptions options;
  options.max_words = 2;
  absl::StatusOr<WordVectors> table =
      WordVectors::ParseWord2VecText("3 1\na 1\nb 2\nc 3\n", options);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(table->words(), ElementsAre("a", "b"));
}

void ExpectError(absl::string_view text, absl::string_view fragment) {
  absl::StatusOr<WordVectors> table = WordVectors::ParseWord2VecText(text);
  ASSERT_FALSE(table.ok()) << "accepted: " << text;
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(table.status().message()), HasSubstr(fragment))
      << table.status();
}

TEST(Word2VecTextTest, ClearErrors) {
  ExpectError("", "empty input");
  ExpectError("\n\n", "empty input");
  ExpectError("3\n", "line 1: header");
  ExpectError("two 2\n", "line 1: header");
  ExpectError("0 2\n", "line 1: header");
  ExpectError("2 -3\n", "line 1: header");
  ExpectError("2 2\na 1 2\nb 1\n",
              "line 3: word \"b\" has 1 values, expected 2");
  ExpectError("1 2\na 1 2 3\n", "line 2: word \"a\" has 3 values");
  ExpectError("1 2\na 1 x\n", "line 2: value \"x\" of word \"a\"");
  ExpectError("1 1\na inf\n", "not a finite number");
  ExpectError("2 1\na 1\na 2\n", "line 3: word \"a\" repeated");
  ExpectError("3 1\na 1\nb 2\n", "announces 3 vectors, found 2");
  ExpectError("1 1\na 1\nb 2\n", "announces 1 vectors, found more");
  ExpectError(std::string("2 2\nab\0\x01\x02\x03\n", 11), "binary");
}

TEST(Word2VecTextTest, ReadsAFile) {
  const std::string path = ::testing::TempDir() + "/word_vectors_test.txt";
  std::ofstream(path) << "2 3\nrain 1 2 3\nsnow 4 5 6\n";
  absl::StatusOr<WordVectors> table = WordVectors::ReadWord2VecTextFile(path);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(*table->Find("snow"), ElementsAre(4, 5, 6));
  std::ofstream(path) << "2 3\nrain 1 2 3\n";
  absl::StatusOr<WordVectors> short_file =
      WordVectors::ReadWord2VecTextFile(path);
  ASSERT_FALSE(short_file.ok());
  EXPECT_THAT(std::string(short_file.status().message()), HasSubstr(path));
  std::remove(path.c_str());
  EXPECT_EQ(WordVectors::ReadWord2VecTextFile(path).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(WordVectorsTest, AddChecksDimensionAndDuplicates) {
  WordVectors table(2);
  const float v[] = {1, 2};
  const float w[] = {1, 2, 3};
  EXPECT_TRUE(table.Add("a", v).ok());
  EXPECT_EQ(table.Add("a", v).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(table.Add("b", w).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(table.Add("", v).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(table.size(), 1);
}

}  // namespace
}  // namespace soundsearch
