// The index kind table: core's FAISS kinds from the start, others as their
// libraries register them.
#include "soundsearch/index_kinds.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "index/faiss_vector_index.h"
#include "soundsearch/status_macros.h"
#include "util/kind_table.h"

namespace soundsearch {
namespace {

absl::Status CheckEntry(const IndexKind& kind) {
  if (!kind.create || !kind.load) {
    return absl::InvalidArgumentError(absl::StrCat(
        "index kind \"", kind.name, "\": create and load are required"));
  }
  return absl::OkStatus();
}

KindTable<IndexKind>& Table() {
  static KindTable<IndexKind>* const table = [] {
    auto* t = new KindTable<IndexKind>("index kind");
    for (IndexKind& kind : FaissVectorIndex::Kinds()) {
      t->Add(std::move(kind)).IgnoreError();  // distinct built-in names
    }
    return t;
  }();
  return *table;
}

}  // namespace

absl::Status RegisterIndexKind(IndexKind kind) {
  RETURN_IF_ERROR(CheckEntry(kind));
  KindTable<IndexKind>& table = Table();
  const uint32_t code = kind.snapshot_code;
  const std::string name = kind.name;
  if (table.Any([&](const IndexKind& k) {
        return k.snapshot_code == code && k.name != name;
      })) {
    return absl::AlreadyExistsError(absl::StrCat("index kind \"", name,
                                                 "\": snapshot code ", code,
                                                 " is taken by another kind"));
  }
  return table.Add(std::move(kind));
}

const IndexKind* FindIndexKind(absl::string_view name) {
  return Table().Find(name);
}

std::vector<std::string> IndexKindNames() { return Table().Names(); }

}  // namespace soundsearch
