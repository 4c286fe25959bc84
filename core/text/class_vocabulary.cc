#include "text/class_vocabulary.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "soundsearch/text_terms.h"

namespace soundsearch {
namespace {

using Weighted = ClassVocabulary::Weighted;

// The `max_classes` best of `all` (weight > 0), best first, ties by index.
std::vector<Weighted> Best(std::vector<Weighted> all, int max_classes) {
  std::sort(all.begin(), all.end(), [](const Weighted& a, const Weighted& b) {
    if (a.weight != b.weight) return a.weight > b.weight;
    return a.index < b.index;
  });
  if (static_cast<int>(all.size()) > max_classes) all.resize(max_classes);
  return all;
}

// "Violin, fiddle" -> {"Violin", "fiddle"}.
std::vector<std::string> Synonyms(const std::string& name) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(name, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

}  // namespace

ClassVocabulary::ClassVocabulary(const std::vector<std::string>& names,
                                 const std::vector<OntologyClass>& ontology) {
  absl::flat_hash_map<std::string, const OntologyClass*> by_name, by_key;
  for (const OntologyClass& c : ontology) {
    by_name.try_emplace(c.name, &c);
    by_key.try_emplace(TermKey(c.name), &c);
  }
  // Documents: term counts first, TF-IDF weights once every df is known.
  std::vector<std::map<std::string, int>> counts(names.size());
  std::map<std::string, int> df;
  classes_.resize(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    Class& c = classes_[i];
    c.name = names[i];
    std::vector<std::string> synonyms = Synonyms(names[i]);
    const OntologyClass* entry = nullptr;
    if (auto it = by_name.find(names[i]); it != by_name.end()) {
      entry = it->second;
    } else if (auto key = by_key.find(TermKey(names[i])); key != by_key.end()) {
      entry = key->second;
    }
    if (entry != nullptr) {
      ++matched_;
      c.ontology_id = entry->id;
      if (entry->name != names[i]) {
        for (std::string& s : Synonyms(entry->name)) synonyms.push_back(s);
      }
    }
    std::map<std::string, int>& count = counts[i];
    for (const std::string& synonym : synonyms) {
      std::vector<std::string> terms = TextTerms(synonym);
      if (terms.empty()) continue;
      for (const std::string& t : terms) {
        c.name_terms.insert(t);
        all_name_terms_.insert(t);
        ++count[t];
      }
      c.names.emplace_back(terms.begin(), terms.end());
    }
    if (entry != nullptr) {
      for (const std::string& t : TextTerms(entry->description)) ++count[t];
      for (const std::string& tag : entry->fs_tags) {
        for (const std::string& t : TextTerms(tag)) ++count[t];
      }
    }
    for (const auto& [term, n] : count) ++df[term];
  }
  const double n_docs = static_cast<double>(names.size());
  for (const auto& [term, d] : df) {
    idf_[term] = static_cast<float>(std::log(n_docs / d));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    Class& c = classes_[i];
    double norm = 0;
    for (const auto& [term, n] : counts[i]) {
      const float w = (1.0f + std::log(static_cast<float>(n))) * idf_[term];
      postings_[term].push_back(static_cast<int>(i));
      if (w <= 0) continue;
      c.document[term] = w;
      norm += double{w} * w;
    }
    c.document_norm = static_cast<float>(std::sqrt(norm));
  }
}

std::vector<Weighted> ClassVocabulary::Match(
    const std::vector<std::string>& terms, ClassMatch mode,
    int max_classes) const {
  std::vector<Weighted> all;
  if (terms.empty() || max_classes < 1) return all;
  const std::set<std::string> query(terms.begin(), terms.end());
  if (mode == ClassMatch::kNames) {
    for (size_t i = 0; i < classes_.size(); ++i) {
      float best = 0;
      for (const std::set<std::string>& name : classes_[i].names) {
        int common = 0;
        for (const std::string& t : name) common += query.count(t) > 0;
        if (common == 0) continue;
        const float jaccard =
            static_cast<float>(common) /
            static_cast<float>(name.size() + query.size() - common);
        best = std::max(best, jaccard);
      }
      if (best > 0) all.push_back({static_cast<int>(i), best});
    }
    return Best(std::move(all), max_classes);
  }
  // kDocuments.
  std::map<std::string, int> tf;
  for (const std::string& t : terms) ++tf[t];
  std::map<std::string, float> q;
  double q_norm = 0;
  for (const auto& [term, n] : tf) {
    auto idf = idf_.find(term);
    if (idf == idf_.end() || idf->second <= 0) continue;
    const float w = (1.0f + std::log(static_cast<float>(n))) * idf->second;
    q[term] = w;
    q_norm += double{w} * w;
  }
  if (q.empty()) return all;
  std::map<int, double> dot;
  for (const auto& [term, w] : q) {
    auto posting = postings_.find(term);
    if (posting == postings_.end()) continue;
    for (int i : posting->second) {
      auto d = classes_[i].document.find(term);
      if (d != classes_[i].document.end()) dot[i] += double{w} * d->second;
    }
  }
  for (const auto& [i, value] : dot) {
    const double norm = std::sqrt(q_norm) * classes_[i].document_norm;
    if (norm <= 0 || value <= 0) continue;
    all.push_back({i, static_cast<float>(value / norm)});
  }
  return Best(std::move(all), max_classes);
}

bool ClassVocabulary::Knows(const std::string& term, ClassMatch mode,
                            int index) const {
  if (mode == ClassMatch::kNames) {
    return index < 0 ? all_name_terms_.count(term) > 0
                     : classes_[index].name_terms.count(term) > 0;
  }
  if (index < 0) {
    auto idf = idf_.find(term);
    return idf != idf_.end() && idf->second > 0;
  }
  return classes_[index].document.count(term) > 0;
}

std::vector<std::string> ClassVocabulary::NameWords() const {
  std::set<std::string> words;
  for (const Class& c : classes_) {
    for (std::string& w : SplitWords(c.name)) words.insert(std::move(w));
  }
  return {words.begin(), words.end()};
}

}  // namespace soundsearch
