// SimilarityBlocks: exact all-pairs similarity of a collection with itself,
// computed a block of query rows at a time with a cache-blocked,
// register-tiled matrix product (no BLAS: Debian's reference BLAS is slower).
// Private to core/eval.
//
// Thread-safety: after Create(), ScoreRows() is const and may run on many
// threads at once.
#ifndef SOUNDSEARCH_EVAL_SIMILARITY_BLOCKS_H_
#define SOUNDSEARCH_EVAL_SIMILARITY_BLOCKS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "soundsearch/retrieval_eval.h"

namespace soundsearch {

class SimilarityBlocks {
 public:
  // Copies `vectors` (row-major n x dim, finite), L2-normalising them for
  // kCosine (zero rows stay zero). InvalidArgument on a size mismatch,
  // dim <= 0 or a non-finite value.
  static absl::StatusOr<SimilarityBlocks> Create(absl::Span<const float> vectors,
                                                 int dim,
                                                 SimilarityMetric metric);

  int64_t size() const { return n_; }

  // Scores of queries [begin, end) (item indices) against every item:
  // out[(q - begin) * size() + j], higher = more similar. kCosine and
  // kInnerProduct give the inner product; kEuclidean gives
  // 2 x.y - |y|^2 = |x|^2 - |x - y|^2, which ranks like -|x - y|^2.
  // out must hold (end - begin) * size() floats.
  void ScoreRows(int64_t begin, int64_t end, float* out) const;

 private:
  static constexpr int kPanelWidth = 8;  // columns per packed panel

  SimilarityBlocks() = default;

  int64_t n_ = 0;
  int dim_ = 0;
  bool euclidean_ = false;
  std::vector<float> rows_;    // n x dim, the (normalised) vectors
  // Panel p holds items [8p, 8p + 8) as dim x 8 floats (zero padded).
  std::vector<float> panels_;
  std::vector<float> sq_norms_;  // |y|^2 per item, padded (kEuclidean only)
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_EVAL_SIMILARITY_BLOCKS_H_
