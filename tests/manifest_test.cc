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

// A row that is not valid UTF-8 is refused alone, naming its line, column and
// byte offset; the others are read.
TEST(ManifestTest, RowsThatAreNotUtf8AreRefusedAlone) {
  const std::string text =
      "fname,labels,tags\n"     // 18 bytes
      "caf\xe9.wav,x,\n"        // line 2: offset 21 is the 0xE9
      "ok.wav,y,caf\xc3\xa9\n"  // line 3: valid UTF-8
      "b.wav,z,na\xefve\n";     // line 4: bad tag
  auto rows = ParseManifest(text);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  const ManifestRow& bad = (*rows)[0];
  EXPECT_EQ(bad.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.error.message(),
              HasSubstr("manifest line 2: column `fname` is not valid UTF-8 "
                        "(byte 0xE9 at offset 21 of the file)"));
  EXPECT_THAT(bad.error.message(), HasSubstr("declare its encoding"));
  EXPECT_EQ(bad.fname, "caf%E9.wav");  // escaped: messages stay UTF-8
  EXPECT_EQ(bad.line, 2);
  EXPECT_TRUE((*rows)[1].error.ok());
  EXPECT_THAT((*rows)[1].tags, ElementsAre("caf\xc3\xa9"));
  EXPECT_THAT((*rows)[2].error.message(), HasSubstr("line 4: column `tags`"));
  // A BOM counts in the offsets.
  auto bom = ParseManifest(
      "\xEF\xBB\xBF"
      "fname\n\xff.wav\n");
  ASSERT_TRUE(bom.ok());
  EXPECT_THAT((*bom)[0].error.message(), HasSubstr("offset 9 of the file"));
  // Bytes in a column the reader ignores do not matter.
  auto ignored = ParseManifest("fname,comment\na.wav,\xff\n");
  ASSERT_TRUE(ignored.ok());
  EXPECT_TRUE((*ignored)[0].error.ok());
  // A header that is not UTF-8 refuses the manifest.
  auto header = ParseManifest("fname,l\xe9\na.wav,x\n");
  EXPECT_EQ(header.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(header.status().message(), HasSubstr("header row"));
}

TEST(ManifestTest, DeclaredEncodingsAreTranscoded) {
  ManifestOptions latin1;
  latin1.encoding = TextEncoding::kLatin1;
  auto rows = ParseManifest(
      "fname,labels,tags,id,name\n"
      "caf\xe9.wav,Caf\xe9,cr\xe8me br\xfbl\xe9"
      "e,\xe9"
      "1,Ol\xe9\n"
      "plain.wav,x,,,\n",
      latin1);
  ASSERT_TRUE(rows.ok()) << rows.status();
  const ManifestRow& r = (*rows)[0];
  EXPECT_TRUE(r.error.ok()) << r.error;
  EXPECT_EQ(r.fname, "caf\xc3\xa9.wav");
  EXPECT_EQ(r.fname_in_manifest, "caf\xe9.wav");
  EXPECT_THAT(r.labels, ElementsAre("Caf\xc3\xa9"));
  EXPECT_THAT(r.tags, ElementsAre("cr\xc3\xa8me",
                                  "br\xc3\xbbl\xc3\xa9"
                                  "e"));
  EXPECT_EQ(r.external_id,
            "\xc3\xa9"
            "1");
  EXPECT_EQ(r.name, "Ol\xc3\xa9");
  EXPECT_EQ((*rows)[1].fname_in_manifest, "");  // nothing transcoded

  ManifestOptions cp1252;
  cp1252.encoding = TextEncoding::kCp1252;
  auto quotes =
      ParseManifest("fname,name\na.wav,\x93hi\x94\nb.wav,\x81\n", cp1252);
  ASSERT_TRUE(quotes.ok()) << quotes.status();
  EXPECT_EQ((*quotes)[0].name, "\xe2\x80\x9chi\xe2\x80\x9d");
  EXPECT_THAT((*quotes)[1].error.message(),
              HasSubstr("column `name` holds byte 0x81 at offset 28 of the "
                        "file, which cp1252 does not define"));
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
