// NormalisedEditDistance and the phone re-ranking score.
#include "soundsearch/sequence_distance.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using Phones = std::vector<std::string>;

TEST(SequenceDistanceTest, LevenshteinOverTheLongerLength) {
  const Phones seven = {"S", "EH", "V", "AH", "N"};
  EXPECT_DOUBLE_EQ(NormalisedEditDistance(seven, seven), 0.0);
  // One substitution out of 5.
  EXPECT_DOUBLE_EQ(
      NormalisedEditDistance(seven, Phones{"S", "EH", "V", "IH", "N"}), 0.2);
  // One deletion: 1 / 5, whichever side is longer.
  const Phones short_seven = {"S", "EH", "V", "N"};
  EXPECT_DOUBLE_EQ(NormalisedEditDistance(seven, short_seven), 0.2);
  EXPECT_DOUBLE_EQ(NormalisedEditDistance(short_seven, seven), 0.2);
  // Nothing in common.
  EXPECT_DOUBLE_EQ(NormalisedEditDistance(Phones{"W", "AH", "N"},
                                          Phones{"T", "UW"}),
                   1.0);
  // Nothing recognised is no evidence of similarity.
  EXPECT_DOUBLE_EQ(NormalisedEditDistance(Phones{}, Phones{}), 1.0);
  EXPECT_DOUBLE_EQ(NormalisedEditDistance(seven, Phones{}), 1.0);
}

TEST(SequenceDistanceTest, RerankScoreMixesIndexScoreAndSimilarity) {
  const Phones a = {"N", "OW"};
  const Phones b = {"N", "AW"};
  EXPECT_DOUBLE_EQ(PhoneRerankScore(0.8, 0.0, a, b), 0.8);
  EXPECT_DOUBLE_EQ(PhoneRerankScore(0.8, 1.0, a, b), 0.5);
  EXPECT_DOUBLE_EQ(PhoneRerankScore(0.8, 0.5, a, b), 0.65);
}

}  // namespace
}  // namespace soundsearch
