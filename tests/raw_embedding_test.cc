#include "soundsearch/raw_embedding.h"

#include <limits>
#include <string>

#include "embedding/byte_io.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

class RawEmbeddingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plain_.pooled = {0.5f, -1.25f, 3.0f, 1e-7f};
    boaw_.pooled = {1.0f, 2.0f};
    boaw_.frames = FrameMatrix(3, 2);
    for (int i = 0; i < 6; ++i) boaw_.frames.data[i] = 0.1f * i - 0.2f;
    boaw_.flags.silent = true;
    boaw_.flags.too_short = true;
  }
  RawEmbedding plain_;
  RawEmbedding boaw_;
};

TEST_F(RawEmbeddingTest, RoundTripsWithAndWithoutFrames) {
  for (const RawEmbedding* e : {&plain_, &boaw_}) {
    const std::string bytes = e->Encode();
    EXPECT_EQ(bytes.size(),
              24 + 4 * (e->pooled.size() + e->frames.data.size()));
    auto back = RawEmbedding::Decode(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(*back == *e);
    EXPECT_EQ(back->frames.num_frames(), e->frames.num_frames());
    EXPECT_EQ(back->flags.silent, e->flags.silent);
    EXPECT_EQ(back->flags.too_short, e->flags.too_short);
  }
}

TEST_F(RawEmbeddingTest, LayoutIsLittleEndianAsDocumented) {
  const std::string b = boaw_.Encode();
  EXPECT_EQ(b.substr(0, 4), "SSRE");
  EXPECT_EQ(b[4], 1);  // format version 1, little-endian u16
  EXPECT_EQ(b[5], 0);
  EXPECT_EQ(b[6], 3);   // silent | too_short
  EXPECT_EQ(b[8], 2);   // pooled_dim
  EXPECT_EQ(b[12], 2);  // frame_dim
  EXPECT_EQ(b[16], 3);  // num_frames
  // pooled[0] = 1.0f = 0x3F800000 little-endian.
  EXPECT_EQ(static_cast<unsigned char>(b[20]), 0x00);
  EXPECT_EQ(static_cast<unsigned char>(b[23]), 0x3F);
}

TEST_F(RawEmbeddingTest, EveryFlippedByteAndEveryTruncationIsRejected) {
  const std::string bytes = boaw_.Encode();
  for (size_t pos = 0; pos < bytes.size(); ++pos) {
    std::string bad = bytes;
    bad[pos] ^= 0x10;
    EXPECT_FALSE(RawEmbedding::Decode(bad).ok()) << pos;
  }
  for (size_t len = 0; len < bytes.size(); ++len) {
    EXPECT_FALSE(RawEmbedding::Decode(bytes.substr(0, len)).ok()) << len;
  }
}

// Re-seals a modified body with a valid checksum so that the field checks
// (not the checksum) must catch the problem.
std::string Reseal(std::string body) {
  ByteWriter w;
  w.PutBytes(body);
  return w.FinishWithCrc();
}

TEST_F(RawEmbeddingTest, FieldChecksCatchWhatTheChecksumCannot) {
  const std::string body = [&] {
    std::string b = boaw_.Encode();
    return b.substr(0, b.size() - 4);
  }();
  auto expect_error = [](const std::string& blob, const std::string& word) {
    auto r = RawEmbedding::Decode(blob);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(word), std::string::npos) << r.status();
  };
  std::string b = body;
  b[0] = 'X';
  expect_error(Reseal(b), "magic");
  b = body;
  b[4] = 2;
  expect_error(Reseal(b), "version");
  b = body;
  b[6] = 0x04;
  expect_error(Reseal(b), "flag");
  b = body;
  b[16] = 4;  // claims 4 frames
  expect_error(Reseal(b), "sizes");
  RawEmbedding nan = plain_;
  nan.pooled[1] = std::numeric_limits<float>::quiet_NaN();
  expect_error(nan.Encode(), "non-finite");
}

}  // namespace
}  // namespace soundsearch
