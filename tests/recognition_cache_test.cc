// soundsearch-eval's recognition cache (research/recognition_cache.h): a
// round trip keeps what is scored, a cache is reused only under its own key,
// and bad files and arguments are clear errors.
#include "research/recognition_cache.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

SpokenContent Seven() {
  SpokenContent c;
  SpokenWord w;
  w.word = "seven";
  w.confidence = 0.875f;
  c.words.push_back(w);
  c.phones = {"S", "EH", "V", "AH", "N"};
  c.lattice = {{"seven", 0.75f}, {"heaven", 0.25f}};
  c.word_score_per_frame = -1.5f;
  c.phone_score_per_frame = -2.25f;
  return c;
}

SpokenContent Nothing() {
  SpokenContent c;
  c.truncated = true;
  return c;
}

class RecognitionCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(std::move(dir).value());
    path_ = dir_->path() + "/speech.tsv";
  }
  void WriteRaw(const std::string& text) {
    std::ofstream f(path_, std::ios::binary);
    f << text;
  }
  std::unique_ptr<test::TempDir> dir_;
  std::string path_;
};

TEST_F(RecognitionCacheTest, RoundTripKeepsWhatIsScored) {
  ASSERT_TRUE(WriteRecognitionCache(path_, "revision=1 pad=0.1",
                                    {"a.wav", "b.wav"}, {Seven(), Nothing()})
                  .ok());
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  // In the order asked for, not the file's.
  auto read =
      ReadRecognitionCache(path_, "revision=1 pad=0.1", {"b.wav", "a.wav"});
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_TRUE((*read)[0].truncated);
  EXPECT_TRUE((*read)[0].words.empty());
  EXPECT_TRUE((*read)[0].phones.empty());
  EXPECT_TRUE((*read)[0].lattice.empty());
  const SpokenContent& seven = (*read)[1];
  EXPECT_FALSE(seven.truncated);
  ASSERT_EQ(seven.words.size(), 1u);
  EXPECT_EQ(seven.words[0].word, "seven");
  EXPECT_FLOAT_EQ(seven.words[0].confidence, 0.875f);
  EXPECT_EQ(seven.phones, Seven().phones);
  EXPECT_EQ(seven.lattice, Seven().lattice);
  EXPECT_FLOAT_EQ(seven.word_score_per_frame, -1.5f);
  EXPECT_FLOAT_EQ(seven.phone_score_per_frame, -2.25f);
}

TEST_F(RecognitionCacheTest, AnotherKeyOrNoKeyIsNotReused) {
  ASSERT_TRUE(
      WriteRecognitionCache(path_, "pad=0.1", {"a.wav"}, {Seven()}).ok());
  auto other = ReadRecognitionCache(path_, "pad=0.2", {"a.wav"});
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("pad=0.1"), std::string::npos)
      << other.status();
  // A prefix of the key is another key.
  EXPECT_EQ(ReadRecognitionCache(path_, "pad=0.", {"a.wav"}).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // A cache of the format before keys: its first line is a clip's.
  WriteRaw("a.wav\t0\tseven:0.9\tS EH V AH N\tseven:1.0\t-1 -2\n");
  auto unkeyed = ReadRecognitionCache(path_, "pad=0.1", {"a.wav"});
  EXPECT_EQ(unkeyed.status().code(), absl::StatusCode::kFailedPrecondition);

  // Rewriting under the new key replaces the file whole.
  ASSERT_TRUE(
      WriteRecognitionCache(path_, "pad=0.2", {"a.wav"}, {Nothing()}).ok());
  auto rewritten = ReadRecognitionCache(path_, "pad=0.2", {"a.wav"});
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_TRUE((*rewritten)[0].truncated);
}

TEST_F(RecognitionCacheTest, MissingFilesIdsAndBadLinesAreClearErrors) {
  EXPECT_EQ(ReadRecognitionCache(path_, "k", {"a.wav"}).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(WriteRecognitionCache(path_, "k", {"a.wav"}, {Seven()}).ok());
  auto missing = ReadRecognitionCache(path_, "k", {"a.wav", "c.wav"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("c.wav"), std::string::npos);

  for (const std::string& bad_line : {
           std::string("a.wav\t0\tseven:0.9\tS EH\n"),        // 4 columns
           std::string("a.wav\t2\tseven:0.9\tS\t\t-1 -2\n"),  // truncated 2
           std::string("a.wav\t0\tseven\tS\t\t-1 -2\n"),      // no number
           std::string("a.wav\t0\tseven:x\tS\t\t-1 -2\n"),    // bad number
           std::string("a.wav\t0\t\tS\theaven\t-1 -2\n"),     // lattice
           std::string("a.wav\t0\t\tS\t\t-1\n"),              // one score
       }) {
    WriteRaw("# recognition k\n" + bad_line);
    auto read = ReadRecognitionCache(path_, "k", {"a.wav"});
    EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << bad_line;
    EXPECT_NE(read.status().message().find(":2:"), std::string::npos)
        << read.status();
  }
}

TEST_F(RecognitionCacheTest, BadArgumentsAreRefusedAndWriteNothing) {
  EXPECT_EQ(
      WriteRecognitionCache(path_, "k", {"a.wav", "b.wav"}, {Seven()}).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteRecognitionCache(path_, "", {"a.wav"}, {Seven()}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteRecognitionCache(path_, "k\nx", {"a.wav"}, {Seven()}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteRecognitionCache(path_, "k", {"a\tb.wav"}, {Seven()}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteRecognitionCache(path_, "k", {""}, {Seven()}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(path_));
  // A folder that does not exist cannot be written into.
  EXPECT_EQ(WriteRecognitionCache(dir_->path() + "/none/speech.tsv", "k",
                                  {"a.wav"}, {Seven()})
                .code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace soundsearch
