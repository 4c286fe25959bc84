#include "soundsearch/content_hash.h"

#include <string>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

// FIPS 180-2 test vectors.
TEST(ContentHashTest, MatchesKnownSha256Vectors) {
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(ContentHashTest, BinaryContentWithNulBytes) {
  const std::string a("\0\1\2", 3);
  const std::string b("\0\1\3", 3);
  EXPECT_EQ(Sha256Hex(a).size(), 64u);
  EXPECT_NE(Sha256Hex(a), Sha256Hex(b));
  EXPECT_EQ(Sha256Hex(a), Sha256Hex(std::string(a)));
}

}  // namespace
}  // namespace soundsearch
