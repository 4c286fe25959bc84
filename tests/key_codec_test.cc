#include "store/key_codec.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

TEST(KeyCodecTest, BigEndianRoundTripsAndSortsNumerically) {
  const std::vector<uint64_t> values = {
      0, 1, 255, 256, 65535, 1ull << 32, (1ull << 63) + 5, UINT64_MAX};
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string e = EncodeU64BigEndian(values[i]);
    ASSERT_EQ(e.size(), 8u);
    EXPECT_EQ(DecodeU64BigEndian(e), values[i]);
    if (i > 0) EXPECT_LT(EncodeU64BigEndian(values[i - 1]), e);
  }
  EXPECT_EQ(EncodeU64BigEndian(0x0102030405060708ull),
            std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_FALSE(DecodeU64BigEndian("short").has_value());
}

TEST(KeyCodecTest, LittleEndianRoundTrips) {
  EXPECT_EQ(EncodeU64LittleEndian(0x0102030405060708ull),
            std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  for (uint64_t v : std::vector<uint64_t>{0, 7, 1ull << 40, UINT64_MAX}) {
    EXPECT_EQ(DecodeU64LittleEndian(EncodeU64LittleEndian(v)), v);
  }
  EXPECT_FALSE(DecodeU64LittleEndian(std::string(9, 'x')).has_value());
}

TEST(KeyCodecTest, SpaceKeysNeverMixSpaces) {
  // "ab" keys must not carry the prefix of space "a".
  EXPECT_NE(RawKey("ab", 1).rfind(SpacePrefix("a"), 0), 0u);
  EXPECT_EQ(RawKey("a", 1).rfind(SpacePrefix("a"), 0), 0u);
  EXPECT_LT(RawKey("a", 2), RawKey("a", 300));
  EXPECT_EQ(SpaceNameKey("dsp", "pca"), std::string("dsp\0pca", 7));
}

TEST(KeyCodecTest, ValidatesSpaceNames) {
  EXPECT_TRUE(ValidateSpaceName("dsp").ok());
  EXPECT_TRUE(ValidateSpaceName(std::string(kMaxSpaceNameBytes, 's')).ok());
  EXPECT_FALSE(ValidateSpaceName("").ok());
  EXPECT_FALSE(
      ValidateSpaceName(std::string(kMaxSpaceNameBytes + 1, 's')).ok());
  EXPECT_FALSE(ValidateSpaceName(std::string("a\0b", 3)).ok());
}

}  // namespace
}  // namespace soundsearch
