#include "soundsearch/label_families.h"

#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace soundsearch {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return text.str();
}

// Elements of a Python-list literal of strings: "['a', \"b's\"]".
absl::StatusOr<std::vector<std::string>> ParsePythonStringList(
    absl::string_view line, int line_number) {
  const auto error = [line_number](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("label list line ", line_number, ": ", what));
  };
  if (line.size() < 2 || line.front() != '[' || line.back() != ']') {
    return error("a list line must be [ ... ]");
  }
  std::vector<std::string> elements;
  size_t i = 1;
  const size_t end = line.size() - 1;
  while (i < end) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == ',') {
      ++i;
      continue;
    }
    if (c != '\'' && c != '"') return error("list elements must be quoted");
    const size_t close = line.find(c, i + 1);
    if (close == absl::string_view::npos || close >= end) {
      return error("unterminated quoted element");
    }
    elements.emplace_back(line.substr(i + 1, close - i - 1));
    i = close + 1;
  }
  if (elements.empty()) return error("empty list");
  return elements;
}

// A family name as error messages show it: at most 64 bytes of it, so that
// a message never carries a file's content back at length.
std::string Shown(const std::string& name) {
  constexpr size_t kMaxShown = 64;
  if (name.size() <= kMaxShown) return name;
  return absl::StrCat(name.substr(0, kMaxShown), "...");
}

}  // namespace

absl::StatusOr<LabelFamilies> ParseLabelFamiliesJson(absl::string_view json) {
  const nlohmann::ordered_json doc = nlohmann::ordered_json::parse(
      json.begin(), json.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError("label families: malformed JSON");
  }
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(
        "label families: expected an object {\"Family\": [\"Label\", ...]}");
  }
  LabelFamilies result;
  for (const auto& [family, members] : doc.items()) {
    if (family.empty()) {
      return absl::InvalidArgumentError("label families: empty family name");
    }
    if (!members.is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "label families: \"", Shown(family), "\" is not an array of labels"));
    }
    std::vector<std::string> labels;
    for (const auto& member : members) {
      if (!member.is_string() || member.get_ref<const std::string&>().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("label families: \"", Shown(family),
                         "\" holds a non-string or empty label"));
      }
      labels.push_back(member.get<std::string>());
    }
    result.families.emplace_back(family, std::move(labels));
  }
  return result;
}

absl::StatusOr<LabelFamilies> ReadLabelFamiliesFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<LabelFamilies> families = ParseLabelFamiliesJson(*text);
  if (!families.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", families.status().message()));
  }
  return families;
}

absl::StatusOr<std::vector<std::string>> ParseLabelList(
    absl::string_view text) {
  std::vector<std::string> labels;
  absl::flat_hash_set<std::string> seen;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);  // also drops a CR
    if (line.empty() || line.front() == '#') continue;
    std::string label;
    if (line.front() == '[') {
      absl::StatusOr<std::vector<std::string>> path =
          ParsePythonStringList(line, line_number);
      if (!path.ok()) return path.status();
      label = path->back();
    } else {
      const size_t stop = line.find_first_of(" \t,");
      label = std::string(line.substr(0, stop));
    }
    if (seen.insert(label).second) labels.push_back(std::move(label));
  }
  return labels;
}

absl::StatusOr<std::vector<std::string>> ReadLabelListFile(
    const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<std::string>> labels = ParseLabelList(*text);
  if (!labels.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", labels.status().message()));
  }
  return labels;
}

void AddFamilyScores(const LabelFamilies& families,
                     absl::Span<const std::string> excluded,
                     RetrievalReport* report) {
  const absl::flat_hash_set<std::string> excluded_set(excluded.begin(),
                                                      excluded.end());
  absl::flat_hash_map<std::string, const LabelResult*> scored;
  report->labels_excluded_from_families.clear();
  for (const LabelResult& label : report->labels) {
    if (excluded_set.contains(label.label)) {
      report->labels_excluded_from_families.push_back(label.label);
    } else if (label.num_queries > 0) {
      scored.emplace(label.label, &label);
    }
  }

  report->families.clear();
  absl::flat_hash_set<std::string> in_a_family;
  for (const auto& [name, members] : families.families) {
    FamilyResult family;
    family.family = name;
    double sum[3] = {0.0, 0.0, 0.0};
    absl::flat_hash_set<std::string>
        counted;  // a label listed twice counts once
    for (const std::string& member : members) {
      in_a_family.insert(member);
      auto it = scored.find(member);
      if (it == scored.end() || !counted.insert(member).second) continue;
      const RetrievalScores& s = it->second->scores;
      sum[0] += s.map[0];
      sum[1] += s.map[1];
      sum[2] += s.mr1;
      ++family.num_labels;
    }
    if (family.num_labels > 0) {
      const double count = static_cast<double>(family.num_labels);
      family.scores.map = {sum[0] / count, sum[1] / count};
      family.scores.mr1 = sum[2] / count;
    }
    report->families.push_back(std::move(family));
  }

  report->labels_without_family.clear();
  for (const LabelResult& label : report->labels) {
    if (scored.contains(label.label) && !in_a_family.contains(label.label)) {
      report->labels_without_family.push_back(label.label);
    }
  }
}

}  // namespace soundsearch
