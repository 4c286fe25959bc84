#include "features/fft.h"

#include <fftw3.h>

#include <algorithm>
#include <utility>

#include "absl/base/const_init.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace soundsearch {
namespace {

// Guards every call into FFTW's planner (plan creation and destruction).
ABSL_CONST_INIT absl::Mutex planner_mu(absl::kConstInit);

fftwf_complex* AsFftw(std::complex<float>* p) {
  return reinterpret_cast<fftwf_complex*>(p);
}

}  // namespace

// fftwf_alloc_* / fftwf_free are FFTW's aligned allocator (posix_memalign
// underneath, no shared state), safe to call from any thread; they give the
// SIMD alignment the plans were made with, which the new-array execute
// functions require.
RealFft::Buffers::Buffers(int n)
    : n_(n),
      real_(fftwf_alloc_real(n)),
      spectrum_(reinterpret_cast<std::complex<float>*>(
          fftwf_alloc_complex(n / 2 + 1))) {}

RealFft::Buffers::Buffers(Buffers&& other) noexcept
    : n_(other.n_), real_(other.real_), spectrum_(other.spectrum_) {
  other.real_ = nullptr;
  other.spectrum_ = nullptr;
}

RealFft::Buffers& RealFft::Buffers::operator=(Buffers&& other) noexcept {
  std::swap(n_, other.n_);
  std::swap(real_, other.real_);
  std::swap(spectrum_, other.spectrum_);
  return *this;
}

RealFft::Buffers::~Buffers() {
  if (real_ != nullptr) fftwf_free(real_);
  if (spectrum_ != nullptr) fftwf_free(spectrum_);
}

absl::StatusOr<std::unique_ptr<RealFft>> RealFft::Create(int n) {
  if (n < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("FFT size must be >= 2, got ", n));
  }
  float* real = fftwf_alloc_real(n);
  fftwf_complex* spectrum = fftwf_alloc_complex(n / 2 + 1);
  fftwf_plan forward = nullptr;
  fftwf_plan inverse = nullptr;
  {
    absl::MutexLock lock(&planner_mu);
    // FFTW_ESTIMATE: deterministic plans (identical output run to run), no
    // measuring at start-up; see docs/features.md for the measured cost.
    forward = fftwf_plan_dft_r2c_1d(n, real, spectrum, FFTW_ESTIMATE);
    inverse = fftwf_plan_dft_c2r_1d(n, spectrum, real, FFTW_ESTIMATE);
  }
  fftwf_free(real);
  fftwf_free(spectrum);
  if (forward == nullptr || inverse == nullptr) {
    absl::MutexLock lock(&planner_mu);
    if (forward != nullptr) fftwf_destroy_plan(forward);
    if (inverse != nullptr) fftwf_destroy_plan(inverse);
    return absl::InternalError(absl::StrCat("FFTW could not plan size ", n));
  }
  return std::unique_ptr<RealFft>(new RealFft(n, forward, inverse));
}

RealFft::RealFft(int n, void* forward_plan, void* inverse_plan)
    : n_(n), forward_plan_(forward_plan), inverse_plan_(inverse_plan) {}

RealFft::~RealFft() {
  absl::MutexLock lock(&planner_mu);
  fftwf_destroy_plan(static_cast<fftwf_plan>(forward_plan_));
  fftwf_destroy_plan(static_cast<fftwf_plan>(inverse_plan_));
}

void RealFft::Forward(Buffers& buffers) const {
  fftwf_execute_dft_r2c(static_cast<fftwf_plan>(forward_plan_), buffers.real_,
                        AsFftw(buffers.spectrum_));
}

void RealFft::Inverse(Buffers& buffers) const {
  fftwf_execute_dft_c2r(static_cast<fftwf_plan>(inverse_plan_),
                        AsFftw(buffers.spectrum_), buffers.real_);
}

void RealFft::PowerSpectrum(Buffers& buffers, absl::Span<float> power) const {
  const float* x = reinterpret_cast<const float*>(buffers.spectrum_);
  const int bins = std::min(num_bins(), static_cast<int>(power.size()));
  float* out = power.data();
  for (int k = 0; k < bins; ++k) {
    out[k] = x[2 * k] * x[2 * k] + x[2 * k + 1] * x[2 * k + 1];
  }
}

}  // namespace soundsearch
