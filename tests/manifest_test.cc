#include "soundsearch/manifest.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ManifestTest, ParsesFsd50kForm) {
  auto rows = ParseManifest(
      "fname,labels,tags\n"
      "Acoustic_guitar/a.flac,Acoustic_guitar,acoustic guitar\n"
      "b.wav,\"Bark,Dog\",\"dog, pet\"\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].fname, "Acoustic_guitar/a.flac");
  EXPECT_THAT((*rows)[0].labels, ElementsAre("Acoustic_guitar"));
  EXPECT_THAT((*rows)[0].tags, ElementsAre("acoustic", "guitar"));
  EXPECT_EQ((*rows)[0].line, 2);
  EXPECT_THAT((*rows)[1].labels, ElementsAre("Bark", "Dog"));
  EXPECT_THAT((*rows)[1].tags, ElementsAre("dog", "pet"));
  EXPECT_EQ((*rows)[1].line, 3);
}

TEST(ManifestTest, OptionalColumnsCrlfBomQuotesAndBlankLines) {
  auto rows = ParseManifest(
      "\xEF\xBB\xBF"
      "id,name,fname,speaker\r\n"
      "fs-1,\"say \"\"hi\"\"\",x.wav,george\r\n"
      "\r\n"
      "fs-2,two,y.wav,jackson\r\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].external_id, "fs-1");
  EXPECT_EQ((*rows)[0].name, "say \"hi\"");
  EXPECT_EQ((*rows)[0].speaker, "george");
  EXPECT_EQ((*rows)[1].speaker, "jackson");
  EXPECT_TRUE((*rows)[0].labels.empty());
  EXPECT_EQ((*rows)[1].fname, "y.wav");
  EXPECT_EQ((*rows)[1].line, 4);
}

TEST(ManifestTest, QuotedFieldMaySpanLines) {
  auto rows = ParseManifest("fname,name\n\"a.wav\",\"two\nlines\"\nb.wav,x\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].name, "two\nlines");
  EXPECT_EQ((*rows)[1].line, 4);
}

TEST(ManifestTest, ErrorsNameTheProblem) {
  auto no_fname = ParseManifest("file,labels\na.wav,x\n");
  EXPECT_EQ(no_fname.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_fname.status().message(), HasSubstr("fname"));

  auto empty = ParseManifest("");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("empty"));

  auto unterminated = ParseManifest("fname\n\"a.wav\n");
  EXPECT_EQ(unterminated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unterminated.status().message(), HasSubstr("quote"));

  auto empty_fname = ParseManifest("fname,labels\n,x\n");
  EXPECT_EQ(empty_fname.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty_fname.status().message(), HasSubstr("line 2"));
}

TEST(ManifestTest, ReadsFilesAndReportsMissingOnes) {
  std::string path = ::testing::TempDir() + "/manifest_test.csv";
  {
    std::ofstream out(path);
    out << "fname,labels\nq.flac,Flute\n";
  }
  auto rows = ReadManifest(path);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ((*rows)[0].fname, "q.flac");
  std::remove(path.c_str());
  EXPECT_EQ(ReadManifest(path).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace soundsearch
