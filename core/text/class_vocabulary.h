// ClassVocabulary: the classes of one class-score space (Space::
// class_names(), e.g. the 527 AudioSet classes of EfficientAT) as text
// queries see them: each class's names, matched by name to its AudioSet
// ontology entry (description, Freesound tags), and the two ways of
// matching a query's terms to classes (ClassMatch, sound_collection.h).
//
// Thread-safety: immutable after construction; const methods may run
// concurrently.
#ifndef SOUNDSEARCH_CORE_TEXT_CLASS_VOCABULARY_H_
#define SOUNDSEARCH_CORE_TEXT_CLASS_VOCABULARY_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "soundsearch/sound_collection.h"
#include "text/class_ontology.h"

namespace soundsearch {

class ClassVocabulary {
 public:
  // `names`: the class names in dimension order, as the model names them
  // ("Violin, fiddle": synonyms after commas). Each is matched to the
  // ontology entry of the same name (exactly, else of the same TermKey);
  // `ontology` may be empty.
  ClassVocabulary(const std::vector<std::string>& names,
                  const std::vector<OntologyClass>& ontology);

  struct Weighted {
    int index = 0;     // class (dimension) index
    float weight = 0;  // in (0, 1]
  };
  // The best `max_classes` (>= 1) classes for `terms` (TextTerms of a
  // query), best first (ties by index); empty when none matches.
  //  kNames: a class's score is the best, over its names, of the Jaccard
  //    overlap |Q & N| / |Q | N| of the query's distinct terms Q and the
  //    name's terms N.
  //  kDocuments: TF-IDF cosine between the query and the class document
  //    (the terms of its names, its ontology description and its Freesound
  //    tags; weight (1 + ln tf) ln(classes / df), df over the documents).
  std::vector<Weighted> Match(const std::vector<std::string>& terms,
                              ClassMatch mode, int max_classes) const;
  // Whether `term` occurs in class `index`'s names (kNames) or document
  // (kDocuments), or in any class's when index < 0.
  bool Knows(const std::string& term, ClassMatch mode, int index = -1) const;

  int size() const { return static_cast<int>(classes_.size()); }
  const std::string& name(int index) const { return classes_[index].name; }
  // Empty when no ontology entry has this class's name.
  const std::string& ontology_id(int index) const {
    return classes_[index].ontology_id;
  }
  // Classes matched to an ontology entry.
  int matched_to_ontology() const { return matched_; }
  // The lower-cased words of every class name (for suggestions).
  std::vector<std::string> NameWords() const;

 private:
  struct Class {
    std::string name;
    std::string ontology_id;
    std::vector<std::set<std::string>> names;  // terms of each synonym
    std::set<std::string> name_terms;          // all of them
    std::map<std::string, float> document;     // term -> TF-IDF weight
    float document_norm = 0;
  };
  std::vector<Class> classes_;
  // term -> classes whose document holds it
  std::map<std::string, std::vector<int>> postings_;
  std::map<std::string, float> idf_;
  std::set<std::string> all_name_terms_;
  int matched_ = 0;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_TEXT_CLASS_VOCABULARY_H_
