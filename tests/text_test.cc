#include "soundsearch/text.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using ::testing::HasSubstr;

TEST(TextTest, FindsTheFirstInvalidUtf8Byte) {
  EXPECT_FALSE(FirstInvalidUtf8("").has_value());
  EXPECT_FALSE(FirstInvalidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5")
                   .has_value());
  EXPECT_EQ(FirstInvalidUtf8("caf\xe9.wav"), 3u);        // Latin-1 e-acute
  EXPECT_EQ(FirstInvalidUtf8("ab\xc0\xaf"), 2u);         // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("\xed\xa0\x80"), 0u);       // surrogate
  EXPECT_EQ(FirstInvalidUtf8("x\xf4\x90\x80\x80"), 1u);  // > U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("ok\xe2\x82"), 2u);         // cut sequence
  EXPECT_EQ(FirstInvalidUtf8("\x80"), 0u);               // lone continuation
  absl::Status s = CheckUtf8("name", "caf\xe9");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(),
              HasSubstr("name is not valid UTF-8 (byte 0xE9 at offset 3)"));
  EXPECT_TRUE(CheckUtf8("name", "caf\xc3\xa9").ok());
}

TEST(TextTest, TranscodesLatin1AndCp1252) {
  EXPECT_EQ(*ToUtf8("caf\xe9", TextEncoding::kLatin1), "caf\xc3\xa9");
  EXPECT_EQ(*ToUtf8("\x80 \x93x\x94", TextEncoding::kCp1252),
            "\xe2\x82\xac \xe2\x80\x9cx\xe2\x80\x9d");
  // Latin-1 keeps 0x80..0x9F as C1 controls; cp1252 leaves five undefined.
  EXPECT_EQ(*ToUtf8("\x80", TextEncoding::kLatin1), "\xc2\x80");
  auto undefined = ToUtf8("ab\x81", TextEncoding::kCp1252);
  EXPECT_EQ(undefined.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(undefined.status().message(), HasSubstr("0x81 at offset 2"));
  EXPECT_EQ(*ToUtf8("caf\xc3\xa9", TextEncoding::kUtf8), "caf\xc3\xa9");
  EXPECT_FALSE(ToUtf8("caf\xe9", TextEncoding::kUtf8).ok());
}

TEST(TextTest, ParsesEncodingNames) {
  EXPECT_EQ(*ParseTextEncoding(""), TextEncoding::kUtf8);
  EXPECT_EQ(*ParseTextEncoding("UTF-8"), TextEncoding::kUtf8);
  EXPECT_EQ(*ParseTextEncoding("latin1"), TextEncoding::kLatin1);
  EXPECT_EQ(*ParseTextEncoding("ISO-8859-1"), TextEncoding::kLatin1);
  EXPECT_EQ(*ParseTextEncoding("windows-1252"), TextEncoding::kCp1252);
  auto bad = ParseTextEncoding("ebcdic");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("utf-8, latin1 or cp1252"));
}

TEST(TextTest, FileNameEscapingIsReversible) {
  EXPECT_EQ(EscapeFileName("a/b c.wav"), "a/b c.wav");
  EXPECT_EQ(EscapeFileName("caf\xc3\xa9.wav"), "caf\xc3\xa9.wav");
  EXPECT_EQ(EscapeFileName("caf\xe9.wav"), "caf%E9.wav");
  EXPECT_EQ(EscapeFileName("50%.wav"), "50%25.wav");
  EXPECT_TRUE(IsValidUtf8(EscapeFileName("\xff\xfe\x80%\xc3")));
  // Every byte value, alone and in company.
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (const std::string& name :
       {all, std::string("caf\xe9%41"), std::string("\xe2\x82"),
        std::string("%%"), std::string("")}) {
    auto back = UnescapeFileName(EscapeFileName(name));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, name);
  }
  EXPECT_FALSE(UnescapeFileName("50%").ok());
  EXPECT_FALSE(UnescapeFileName("50%2").ok());
  EXPECT_FALSE(UnescapeFileName("50%zz").ok());
  EXPECT_EQ(Utf8ForDisplay("caf\xe9"), "caf\\xe9");
}

}  // namespace
}  // namespace soundsearch
