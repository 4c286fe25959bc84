// TermWeighting: the tf-idf model of a space over a bag-of-terms encoder
// (Encoder::term_layout(), the speech encoder). Fitted on the collection
// like PCA: the inverse document frequency of every dimension,
//   idf_j = ln((1 + n) / (1 + df_j)) + 1
// (n clips, df_j clips with a non-zero count in dimension j; the smoothed
// form, so that a term seen everywhere keeps weight 1 and an unseen one is
// finite). Applying it multiplies each count by its idf, L2-normalises every
// block of the layout on its own (a zero block stays zero) and multiplies
// it by the block's weight, so that the cosine of two clips is the weighted
// sum of their per-block tf-idf cosines (weights summing to 1 give a
// cosine in [0, 1]). The weights are read from the layout when applying,
// not stored: a config may change them without a refit. Private to core.
//
// Value type; const methods are thread-safe.
#ifndef SOUNDSEARCH_CORE_EMBEDDING_TERM_WEIGHTING_H_
#define SOUNDSEARCH_CORE_EMBEDDING_TERM_WEIGHTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "soundsearch/encoder.h"

namespace soundsearch {

class TermWeighting {
 public:
  // idf 1 everywhere (the unfitted space). InvalidArgument for a bad layout
  // (negative sizes, no dims, weights not matching the blocks).
  static absl::StatusOr<TermWeighting> Unit(const TermLayout& layout);
  // rows: n x dim counts (>= 0), dim = the layout's total. InvalidArgument
  // for a size mismatch or a bad layout; FailedPrecondition for n == 0.
  static absl::StatusOr<TermWeighting> Fit(absl::Span<const float> rows,
                                           int64_t n, const TermLayout& layout);

  int dim() const { return static_cast<int>(idf_.size()); }
  const std::vector<float>& idf() const { return idf_; }
  const std::vector<int>& block_sizes() const { return block_sizes_; }

  // rows: n x dim(), weighted in place with `weights` (one per block).
  void Apply(float* rows, int64_t n, absl::Span<const float> weights) const;

  // Versioned little-endian blob with a CRC (docs/embedding.md).
  std::string Serialize() const;
  static absl::StatusOr<TermWeighting> Deserialize(absl::string_view blob);

 private:
  std::vector<int> block_sizes_;
  std::vector<float> idf_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_EMBEDDING_TERM_WEIGHTING_H_
