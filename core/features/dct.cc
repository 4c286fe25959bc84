#include "features/dct.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace soundsearch {

absl::StatusOr<OrthoDct> OrthoDct::Create(int num_inputs, int num_outputs) {
  if (num_inputs < 1 || num_outputs < 1 || num_outputs > num_inputs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DCT needs 1 <= outputs <= inputs, got inputs=", num_inputs,
        " outputs=", num_outputs));
  }
  OrthoDct dct;
  dct.num_inputs_ = num_inputs;
  dct.num_outputs_ = num_outputs;
  dct.basis_.resize(static_cast<size_t>(num_inputs) * num_outputs);
  for (int k = 0; k < num_outputs; ++k) {
    const double scale =
        k == 0 ? std::sqrt(1.0 / num_inputs) : std::sqrt(2.0 / num_inputs);
    for (int m = 0; m < num_inputs; ++m) {
      dct.basis_[static_cast<size_t>(m) * num_outputs + k] = static_cast<float>(
          scale * std::cos(M_PI * k * (m + 0.5) / num_inputs));
    }
  }
  return dct;
}

void OrthoDct::Apply(absl::Span<const float> in, absl::Span<float> out) const {
  // Input by input, every output at once: each out[k] still adds its terms
  // in the order m = 0, 1, ... (the same sums as one dot product per
  // output), and the inner loop over k vectorises.
  // Raw pointers: absl::Span's operator[] checks bounds.
  float* o = out.data();
  for (int k = 0; k < num_outputs_; ++k) o[k] = 0.0f;
  for (int m = 0; m < num_inputs_; ++m) {
    const float* b = basis_.data() + static_cast<size_t>(m) * num_outputs_;
    const float v = in.data()[m];
    for (int k = 0; k < num_outputs_; ++k) o[k] += b[k] * v;
  }
}

}  // namespace soundsearch
