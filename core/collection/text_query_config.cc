// The "text" section of a server config file (LoadTextQueryConfigFile,
// soundsearch/sound_collection.h).
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "soundsearch/sound_collection.h"

namespace soundsearch {

absl::StatusOr<ClassMatch> ParseClassMatch(absl::string_view name) {
  if (name == "names") return ClassMatch::kNames;
  if (name == "documents") return ClassMatch::kDocuments;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown class match \"", name,
                   "\" (expected \"names\", \"documents\")"));
}

const char* ClassMatchName(ClassMatch match) {
  return match == ClassMatch::kDocuments ? "documents" : "names";
}

absl::StatusOr<TextQueryConfig> LoadTextQueryConfigFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  const std::string text(std::istreambuf_iterator<char>(in), {});
  const nlohmann::json j =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a JSON object"));
  }
  TextQueryConfig config;
  auto section = j.find("text");
  if (section == j.end()) return config;
  auto error = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": text.", what));
  };
  if (!section->is_object()) return error(": must be a JSON object");
  for (auto it = section->begin(); it != section->end(); ++it) {
    const std::string& key = it.key();
    if (key == "ontology") {
      if (!it->is_string()) return error("ontology: must be a string");
      std::filesystem::path file(it->get<std::string>());
      if (file.is_relative()) {
        file = std::filesystem::path(path).parent_path() / file;
      }
      config.ontology_path = file.lexically_normal().string();
    } else if (key == "class_match") {
      if (!it->is_string()) return error("class_match: must be a string");
      auto match = ParseClassMatch(it->get<std::string>());
      if (!match.ok())
        return error(absl::StrCat("class_match: ", match.status().message()));
      config.class_match = *match;
    } else if (key == "max_classes") {
      if (!it->is_number_integer() || it->get<int64_t>() < 1 ||
          it->get<int64_t>() > 100) {
        return error("max_classes: must be an integer in [1, 100]");
      }
      config.max_classes = it->get<int>();
    } else {
      return error(absl::StrCat(
          key,
          ": unknown key (expected one of: class_match, max_classes, "
          "ontology)"));
    }
  }
  return config;
}

}  // namespace soundsearch
