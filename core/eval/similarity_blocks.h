// SimilarityBlocks: exact all-pairs similarity of a collection with itself,
// computed a block of query rows at a time with a cache-blocked,
// register-tiled matrix product (no BLAS: Debian's reference BLAS is slower).
// On x86 the 4 x 16 register tile uses AVX2+FMA when the CPU has them
// (checked at run time) and SSE2 otherwise; elsewhere plain C++.
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
  // Which register-tile implementation to use; kAuto picks the fastest the
  // CPU has. The others exist so that tests can check each against plain
  // arithmetic.
  enum class Kernel { kAuto, kPortable, kSse2, kAvx2 };

  // A register tile: acc[r * 16 + c] = sum_k q[r][k] * panel[k * 16 + c],
  // r < 4, c < 16.
  using TileFn = void (*)(const float* const q[4], const float* panel, int dim,
                          float* acc);

  // Copies `vectors` (row-major n x dim, finite), L2-normalising them for
  // kCosine (zero rows stay zero). InvalidArgument on a size mismatch,
  // dim <= 0 or a non-finite value; Unavailable for a kernel this CPU or
  // build lacks.
  static absl::StatusOr<SimilarityBlocks> Create(
      absl::Span<const float> vectors, int dim, Metric metric,
      Kernel kernel = Kernel::kAuto);

  int64_t size() const { return n_; }

  // Scores of queries [begin, end) (item indices) against every item:
  // out[(q - begin) * size() + j], higher = more similar. kCosine and
  // kInnerProduct give the inner product; kEuclidean gives
  // 2 x.y - |y|^2 = |x|^2 - |x - y|^2, which ranks like -|x - y|^2.
  // out must hold (end - begin) * size() floats.
  void ScoreRows(int64_t begin, int64_t end, float* out) const;

 private:
  static constexpr int kPanelWidth = 16;  // columns per packed panel

  SimilarityBlocks() = default;

  int64_t n_ = 0;
  int dim_ = 0;
  bool euclidean_ = false;
  std::vector<float> rows_;  // n x dim, the (normalised) vectors
  TileFn tile_ = nullptr;
  // Panel p holds items [16p, 16p + 16) as dim x 16 floats (zero padded).
  std::vector<float> panels_;
  std::vector<float> sq_norms_;  // |y|^2 per item, padded (kEuclidean only)
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_EVAL_SIMILARITY_BLOCKS_H_
