// KindTable: a name -> entry table for the kind registries (encoder kinds,
// index kinds). Private to core.
#ifndef SOUNDSEARCH_CORE_UTIL_KIND_TABLE_H_
#define SOUNDSEARCH_CORE_UTIL_KIND_TABLE_H_

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace soundsearch {

// Kind must have a `std::string name`. Thread-safe; entries are never
// removed and never move, so Find's pointers stay valid.
template <typename Kind>
class KindTable {
 public:
  // `what` names the table in errors ("encoder kind").
  explicit KindTable(const char* what) : what_(what) {}
  KindTable(const KindTable&) = delete;
  KindTable& operator=(const KindTable&) = delete;

  // InvalidArgument for a name that is empty or not [a-z0-9_]+;
  // AlreadyExists when the name is taken.
  absl::Status Add(Kind kind) {
    if (kind.name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(what_, ": empty name"));
    }
    for (char c : kind.name) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
        return absl::InvalidArgumentError(absl::StrCat(
            what_, " \"", kind.name, "\": name may only hold [a-z0-9_]"));
      }
    }
    absl::MutexLock lock(&mu_);
    for (const Kind& k : kinds_) {
      if (k.name == kind.name) {
        return absl::AlreadyExistsError(
            absl::StrCat(what_, " \"", kind.name, "\" is already registered"));
      }
    }
    kinds_.push_back(std::move(kind));
    return absl::OkStatus();
  }

  // Visits every entry under the lock (for uniqueness checks beyond names).
  template <typename Fn>
  bool Any(Fn&& fn) const {
    absl::MutexLock lock(&mu_);
    for (const Kind& k : kinds_) {
      if (fn(k)) return true;
    }
    return false;
  }

  const Kind* Find(absl::string_view name) const {
    absl::MutexLock lock(&mu_);
    for (const Kind& k : kinds_) {
      if (k.name == name) return &k;
    }
    return nullptr;
  }

  std::vector<std::string> Names() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> names;
    for (const Kind& k : kinds_) names.push_back(k.name);
    return names;
  }

  // InvalidArgument for an unknown `name`, listing the registered ones:
  // `<field>: unknown <what> "x" (registered: a, b)`.
  absl::Status UnknownError(absl::string_view field,
                            absl::string_view name) const {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": unknown ", what_, " \"", name,
                     "\" (registered: ", absl::StrJoin(Names(), ", "), ")"));
  }

 private:
  const char* const what_;
  mutable absl::Mutex mu_;
  std::deque<Kind> kinds_ ABSL_GUARDED_BY(mu_);
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_UTIL_KIND_TABLE_H_
