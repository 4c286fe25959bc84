// OrthoDct: the DCT-II with orthonormal scaling that turns log-mel frames
// into MFCCs (scipy.fft.dct(type=2, norm="ortho"), truncated). Private to core.
//   out[k] = s_k * sum_{m<M} in[m] cos(pi k (m + 0.5) / M),  0 <= k < K,
//   s_0 = sqrt(1/M), s_k = sqrt(2/M) for k > 0.
#ifndef SOUNDSEARCH_CORE_FEATURES_DCT_H_
#define SOUNDSEARCH_CORE_FEATURES_DCT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace soundsearch {

// Thread-safety: immutable after Create(); Apply() is const.
class OrthoDct {
 public:
  // num_inputs M >= 1, 1 <= num_outputs K <= M; InvalidArgument otherwise.
  static absl::StatusOr<OrthoDct> Create(int num_inputs, int num_outputs);

  int num_inputs() const { return num_inputs_; }
  int num_outputs() const { return num_outputs_; }

  // in: num_inputs() values; out: num_outputs() values.
  void Apply(absl::Span<const float> in, absl::Span<float> out) const;

 private:
  OrthoDct() = default;
  int num_inputs_ = 0;
  int num_outputs_ = 0;
  // num_inputs x num_outputs (row m: input m's weight in every output),
  // scaling folded in.
  std::vector<float> basis_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FEATURES_DCT_H_
