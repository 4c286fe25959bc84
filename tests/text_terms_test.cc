// Text normalisation shared by text queries and word matching
// (soundsearch/text_terms.h).
#include "soundsearch/text_terms.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(TextTermsTest, SplitsOnPunctuationAndLowerCases) {
  EXPECT_THAT(SplitWords("Hi-hat, OPEN  (808)"),
              ElementsAre("hi", "hat", "open", "808"));
  EXPECT_THAT(SplitWords("  ...  "), IsEmpty());
  // Bytes >= 0x80 are letters: UTF-8 words stay whole.
  EXPECT_THAT(SplitWords("caf\xc3\xa9 noise"),
              ElementsAre("caf\xc3\xa9", "noise"));
}

TEST(TextTermsTest, StopWords) {
  EXPECT_TRUE(IsStopWord("the"));
  EXPECT_TRUE(IsStopWord("with"));
  EXPECT_FALSE(IsStopWord("dog"));
  EXPECT_FALSE(IsStopWord("no"));
}

TEST(TextTermsTest, PluralsAndIngFormsMeet) {
  const std::vector<std::pair<const char*, const char*>> same = {
      {"dogs", "dog"},      {"barking", "bark"},   {"boxes", "box"},
      {"glasses", "glass"}, {"flies", "fly"},      {"drumming", "drum"},
      {"hissing", "hiss"},  {"clapping", "clap"},  {"engines", "engine"},
      {"making", "make"},   {"cymbals", "cymbal"}, {"horses", "horse"},
      {"typing", "type"},   {"crying", "cry"},     {"singing", "sing"},
      {"buzzing", "buzz"},  {"ringing", "ring"},   {"dishes", "dish"},
      {"running", "run"},   {"rolling", "roll"},
  };
  for (const auto& [a, b] : same) {
    EXPECT_EQ(StemTerm(a), StemTerm(b)) << a << " vs " << b;
  }
  // Kept whole: short words, -ss, -us, -is, words whose -ing is the word.
  EXPECT_EQ(StemTerm("bass"), "bass");
  EXPECT_EQ(StemTerm("bus"), "bus");
  EXPECT_EQ(StemTerm("gas"), "gas");
  EXPECT_EQ(StemTerm("chorus"), "chorus");
  EXPECT_EQ(StemTerm("string"), "string");
  EXPECT_EQ(StemTerm("thing"), "thing");
  EXPECT_EQ(StemTerm("bark"), "bark");
  EXPECT_EQ(StemTerm("dog"), "dog");
}

TEST(TextTermsTest, TermsDropStopWordsAndStem) {
  EXPECT_THAT(TextTerms("Dogs barking in the rain"),
              ElementsAre("dog", "bark", "rain"));
  EXPECT_THAT(TextTerms("the of and"), IsEmpty());
  EXPECT_EQ(TermKey("Violin, fiddle"), TermKey("violins fiddle"));
  EXPECT_EQ(TermKey("Acoustic_guitar"), "acoustic guitar");
  EXPECT_EQ(TermKey("Violin_or_fiddle"), TermKey("violin fiddle"));
}

}  // namespace
}  // namespace soundsearch
