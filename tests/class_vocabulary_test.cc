// The AudioSet ontology reader, the matching of text terms to the classes
// of a class-score space (names and documents), and the suggestions of a
// text query that matched nothing (core/text, private).
#include "text/class_vocabulary.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soundsearch/text_terms.h"
#include "text/class_ontology.h"
#include "text/word_suggestions.h"

namespace soundsearch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A few AudioSet classes in the ontology_crowd.json form (fs_tags).
constexpr char kOntology[] = R"([
 {"id": "/m/0bt9lr", "name": "Dog", "description": "Sounds of the familiar domesticated canid.", "fs_tags": ["dog", "puppy"], "child_ids": []},
 {"id": "/m/05tny_", "name": "Bark", "description": "Principal communication sound produced by dogs. Often transliterated as woof.", "fs_tags": ["bark", "woof"]},
 {"id": "/m/06mb1", "name": "Rain", "description": "Water drops falling from the clouds.", "fs_tags": ["rain", ["heavy", "storm"], "drops"]},
 {"id": "/m/07y_7", "name": "Violin, fiddle", "description": "A bowed string instrument.", "fs_tags": ["violin"]},
 {"id": "/m/0342h", "name": "Guitar", "description": "A plucked string instrument."},
 {"id": "/m/042v_gx", "name": "Acoustic guitar", "description": "A guitar that sounds acoustically."},
 {"id": "/m/02sgy", "name": "Electric guitar", "description": "A guitar with pickups."}
])";

const std::vector<std::string> kClasses = {"Dog",
                                           "Bark",
                                           "Rain",
                                           "Violin, fiddle",
                                           "Guitar",
                                           "Acoustic guitar",
                                           "Electric guitar",
                                           "Not in the ontology"};

class ClassVocabularyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ontology = ParseOntology(kOntology);
    ASSERT_TRUE(ontology.ok()) << ontology.status();
    vocabulary_ = std::make_unique<ClassVocabulary>(kClasses, *ontology);
  }
  std::vector<std::string> Names(const std::string& text, ClassMatch mode,
                                 int max) const {
    std::vector<std::string> out;
    for (const auto& c : vocabulary_->Match(TextTerms(text), mode, max)) {
      out.push_back(vocabulary_->name(c.index));
    }
    return out;
  }
  std::unique_ptr<ClassVocabulary> vocabulary_;
};

TEST_F(ClassVocabularyTest, MatchesTheOntologyByName) {
  EXPECT_EQ(vocabulary_->size(), 8);
  EXPECT_EQ(vocabulary_->matched_to_ontology(), 7);
  EXPECT_EQ(vocabulary_->ontology_id(1), "/m/05tny_");
  EXPECT_EQ(vocabulary_->ontology_id(7), "");
}

TEST_F(ClassVocabularyTest, NamesAndSynonyms) {
  auto best =
      vocabulary_->Match(TextTerms("dog barking"), ClassMatch::kNames, 3);
  ASSERT_EQ(best.size(), 2u);
  EXPECT_EQ(vocabulary_->name(best[0].index), "Dog");
  EXPECT_EQ(vocabulary_->name(best[1].index), "Bark");
  EXPECT_FLOAT_EQ(best[0].weight, 0.5f);  // Jaccard {dog} vs {dog, bark}
  // A synonym after the comma matches on its own.
  EXPECT_THAT(Names("fiddles", ClassMatch::kNames, 3),
              ElementsAre("Violin, fiddle"));
  // The exact name first; max_classes keeps the best.
  EXPECT_THAT(Names("Acoustic guitar", ClassMatch::kNames, 2),
              ElementsAre("Acoustic guitar", "Guitar"));
  EXPECT_THAT(Names("Acoustic guitar", ClassMatch::kNames, 1),
              ElementsAre("Acoustic guitar"));
  EXPECT_TRUE(Names("storm", ClassMatch::kNames, 3).empty());
}

TEST_F(ClassVocabularyTest, DocumentsUseDescriptionsAndFreesoundTags) {
  // "storm" and "woof" are in no class name, only in Freesound tags and
  // descriptions.
  EXPECT_THAT(Names("storm", ClassMatch::kDocuments, 3), ElementsAre("Rain"));
  EXPECT_THAT(Names("woof", ClassMatch::kDocuments, 1), ElementsAre("Bark"));
  const auto guitars = Names("acoustic guitar", ClassMatch::kDocuments, 3);
  ASSERT_FALSE(guitars.empty());
  EXPECT_EQ(guitars[0], "Acoustic guitar");
  EXPECT_TRUE(vocabulary_->Knows("storm", ClassMatch::kDocuments));
  EXPECT_FALSE(vocabulary_->Knows("storm", ClassMatch::kNames));
  EXPECT_TRUE(vocabulary_->Knows(StemTerm("fiddle"), ClassMatch::kNames, 3));
}

TEST_F(ClassVocabularyTest, WithoutAnOntologyNamesStillMatch) {
  ClassVocabulary bare(kClasses, {});
  EXPECT_EQ(bare.matched_to_ontology(), 0);
  auto best = bare.Match(TextTerms("rain"), ClassMatch::kNames, 3);
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(bare.name(best[0].index), "Rain");
  EXPECT_TRUE(
      bare.Match(TextTerms("storm"), ClassMatch::kDocuments, 3).empty());
}

TEST(ClassOntologyTest, MalformedFilesNameTheProblem) {
  EXPECT_THAT(ParseOntology("{").status().message(),
              HasSubstr("not valid JSON"));
  EXPECT_THAT(ParseOntology("{}").status().message(), HasSubstr("array"));
  EXPECT_THAT(ParseOntology(R"([{"id": "/m/1"}])").status().message(),
              HasSubstr("ontology[0].name"));
  EXPECT_THAT(ParseOntology(R"([{"id": "x", "name": "y", "fs_tags": [1]}])")
                  .status()
                  .message(),
              HasSubstr("fs_tags"));
  EXPECT_EQ(ReadOntologyFile("/nonexistent/ontology.json").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(WordSuggestionsTest, EditDistanceCountsTranspositionsOnce) {
  EXPECT_EQ(EditDistance("dog", "dog"), 0);
  EXPECT_EQ(EditDistance("dgo", "dog"), 1);
  EXPECT_EQ(EditDistance("rian", "rain"), 1);
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
}

TEST(WordSuggestionsTest, NearestKnownWordsFirst) {
  const std::vector<std::string> vocabulary = {"dog bark", "rain", "drum",
                                               "guitar"};
  EXPECT_THAT(NearestKnownWords({"dgo"}, vocabulary, 2),
              ElementsAre("dog", "drum"));
  EXPECT_THAT(NearestKnownWords({"gitar"}, vocabulary, 1),
              ElementsAre("guitar"));
  EXPECT_TRUE(NearestKnownWords({"x"}, {}, 3).empty());
}

}  // namespace
}  // namespace soundsearch
