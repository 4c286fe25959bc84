#include "text/class_ontology.h"

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace soundsearch {

absl::StatusOr<std::vector<OntologyClass>> ParseOntology(
    absl::string_view json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text.begin(), json_text.end(),
                                           nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError("ontology: not valid JSON");
  }
  if (!j.is_array()) {
    return absl::InvalidArgumentError(
        "ontology: expected a JSON array of classes");
  }
  std::vector<OntologyClass> out;
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& e = j[i];
    const std::string where = absl::StrCat("ontology[", i, "]");
    if (!e.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": not an object"));
    }
    OntologyClass c;
    for (const char* key : {"id", "name"}) {
      auto it = e.find(key);
      if (it == e.end() || !it->is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".", key, ": missing or not a string"));
      }
    }
    c.id = e["id"].get<std::string>();
    c.name = e["name"].get<std::string>();
    if (auto it = e.find("description"); it != e.end()) {
      if (!it->is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".description: not a string"));
      }
      c.description = it->get<std::string>();
    }
    if (auto it = e.find("fs_tags"); it != e.end()) {
      if (!it->is_array()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".fs_tags: not an array"));
      }
      for (const nlohmann::json& tag : *it) {
        // A tag, or a list of tags used together (["male", "speech"]).
        std::string joined;
        bool ok = tag.is_string();
        if (ok) {
          joined = tag.get<std::string>();
        } else if (tag.is_array()) {
          ok = true;
          for (const nlohmann::json& part : tag) {
            if (!part.is_string()) ok = false;
            if (ok) {
              absl::StrAppend(&joined, joined.empty() ? "" : " ",
                              part.get<std::string>());
            }
          }
        }
        if (!ok) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ".fs_tags: not an array of strings or of string lists"));
        }
        c.fs_tags.push_back(std::move(joined));
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::vector<OntologyClass>> ReadOntologyFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the ontology file ", path));
  }
  const std::string text(std::istreambuf_iterator<char>(in), {});
  auto parsed = ParseOntology(text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", parsed.status().message()));
  }
  return parsed;
}

}  // namespace soundsearch
