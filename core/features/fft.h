// RealFft: forward (real -> complex) and inverse (complex -> real) FFTs of one
// fixed size, over FFTW single precision (fftwf). Private to core.
//
// FFTW's planner is not thread-safe, so plans are made (and destroyed) under
// one process-wide mutex at construction; execution uses the new-array
// interface (fftwf_execute_dft_r2c / _c2r) on caller-owned Buffers, allocated
// with fftwf_alloc_* so that they share the alignment of the planned arrays.
//
// Why FFTW: see docs/features.md ("FFT library"); measured against a direct
// DFT and a textbook radix-2 FFT in benchmarks/fft_benchmark.cc.
#ifndef SOUNDSEARCH_CORE_FEATURES_FFT_H_
#define SOUNDSEARCH_CORE_FEATURES_FFT_H_

#include <complex>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace soundsearch {

// Thread-safety: a RealFft is immutable after Create(); Forward() and
// Inverse() are const and may run concurrently from many threads, each with
// its own Buffers. A Buffers object must not be shared between threads.
class RealFft {
 public:
  // Scratch arrays for one caller: `real` holds size() floats, `spectrum`
  // holds num_bins() complex values. Move-only.
  class Buffers {
   public:
    Buffers(Buffers&&) noexcept;
    Buffers& operator=(Buffers&&) noexcept;
    ~Buffers();
    float* real() { return real_; }
    std::complex<float>* spectrum() { return spectrum_; }
    absl::Span<float> real_span() { return absl::MakeSpan(real_, n_); }
    absl::Span<std::complex<float>> spectrum_span() {
      return absl::MakeSpan(spectrum_, n_ / 2 + 1);
    }

   private:
    friend class RealFft;
    explicit Buffers(int n);
    int n_ = 0;
    float* real_ = nullptr;
    std::complex<float>* spectrum_ = nullptr;
  };

  // n: transform length in samples, >= 2 (any size; powers of two are
  // fastest). InvalidArgument otherwise; Internal if FFTW cannot plan.
  static absl::StatusOr<std::unique_ptr<RealFft>> Create(int n);
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  int size() const { return n_; }
  int num_bins() const { return n_ / 2 + 1; }

  // Fresh, aligned scratch for this transform size.
  Buffers MakeBuffers() const { return Buffers(n_); }

  // buffers.real() (size() samples) -> buffers.spectrum() (num_bins() bins),
  // unnormalised: X[k] = sum_n x[n] exp(-2 pi i k n / N). May overwrite
  // buffers.real().
  void Forward(Buffers& buffers) const;
  // buffers.spectrum() -> buffers.real(), unnormalised (Inverse(Forward(x))
  // == N * x). Overwrites buffers.spectrum().
  void Inverse(Buffers& buffers) const;

  // Power spectrum |X[k]|^2 of buffers.spectrum() into power (num_bins()).
  void PowerSpectrum(Buffers& buffers, absl::Span<float> power) const;

 private:
  RealFft(int n, void* forward_plan, void* inverse_plan);
  int n_;
  void* forward_plan_;  // fftwf_plan
  void* inverse_plan_;  // fftwf_plan
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FEATURES_FFT_H_
