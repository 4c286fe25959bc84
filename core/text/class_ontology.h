// The AudioSet ontology as text queries use it: each class's id, name,
// description and (in the ontology_crowd.json form) the Freesound tags that
// people use for it. The file is data the operator points the server at
// (docs/api.md, "Text queries": where it comes from); nothing is fetched.
#ifndef SOUNDSEARCH_CORE_TEXT_CLASS_ONTOLOGY_H_
#define SOUNDSEARCH_CORE_TEXT_CLASS_ONTOLOGY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

struct OntologyClass {
  std::string id;                    // "/m/05tny_"
  std::string name;                  // "Bark"
  std::string description;           // may be empty
  // ontology_crowd.json only: the Freesound tags people use for the class;
  // a group of tags used together (["male", "speech"]) is one entry, its
  // tags joined by spaces ("male speech").
  std::vector<std::string> fs_tags;
};

// Parses an ontology: a JSON array of objects, each with string members
// "id" and "name", optionally "description" (string) and "fs_tags" (array
// of strings or of arrays of strings); other members are ignored. InvalidArgument naming the entry
// for anything else (not JSON, not an array, a missing or mistyped member).
absl::StatusOr<std::vector<OntologyClass>> ParseOntology(
    absl::string_view json_text);

// Reads and parses a file; NotFound when it cannot be read, otherwise as
// ParseOntology with the path in the message.
absl::StatusOr<std::vector<OntologyClass>> ReadOntologyFile(
    const std::string& path);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_TEXT_CLASS_ONTOLOGY_H_
