// WordLookupCache: copies of the vectors a WordVectorLookup returns, one
// lookup per distinct word, each L2-normalised (zero vectors stay zero).
// Private to research/ (word similarity and fusion). Not thread-safe.
#ifndef SOUNDSEARCH_RESEARCH_WORD_LOOKUP_CACHE_H_
#define SOUNDSEARCH_RESEARCH_WORD_LOOKUP_CACHE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "research/word_similarity.h"

namespace soundsearch {

class WordLookupCache {
 public:
  // lookup: borrowed, must outlive the cache.
  explicit WordLookupCache(const WordVectorLookup* lookup) : lookup_(lookup) {}

  // The word's unit vector (empty vector = all zero), or nullptr if not
  // covered. The pointer stays valid for the cache's life. InvalidArgument
  // if the length differs from earlier vectors or a value is not finite.
  absl::StatusOr<const std::vector<float>*> Get(absl::string_view word);

  // Whether a vector returned by Get() was all zero.
  static bool IsZero(const std::vector<float>& v) { return v.empty(); }

 private:
  const WordVectorLookup* lookup_;
  int dim_ = -1;
  // Node-based map so that returned pointers stay valid.
  absl::flat_hash_map<std::string, std::unique_ptr<std::vector<float>>> cache_;
  absl::flat_hash_map<std::string, bool> missing_;
};

// Dot product of two unit vectors from the cache (0 if either is zero).
double UnitDot(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_WORD_LOOKUP_CACHE_H_
