// Choice of FFT library for the DSP front end: FFTW (features/fft.h, plans
// made with FFTW_ESTIMATE) against a direct O(N^2) DFT and a textbook
// iterative radix-2 complex FFT (what one would write to drop the
// dependency), for one real frame of N samples. Results: docs/features.md.
//   build/bin/fft_benchmark
#include <fftw3.h>

#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "features/fft.h"

namespace soundsearch {
namespace {

std::vector<float> Signal(int n) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

void BM_FftwRealForward(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto fft = RealFft::Create(n);
  if (!fft.ok()) {
    state.SkipWithError("plan failed");
    return;
  }
  RealFft::Buffers buffers = (*fft)->MakeBuffers();
  const std::vector<float> x = Signal(n);
  for (auto _ : state) {
    std::copy(x.begin(), x.end(), buffers.real());
    (*fft)->Forward(buffers);
    benchmark::DoNotOptimize(buffers.spectrum());
  }
}
BENCHMARK(BM_FftwRealForward)->Arg(512)->Arg(1024)->Arg(2048);

// The same transform with an FFTW_MEASURE plan (what RealFft gives up for
// deterministic plans and instant start-up).
void BM_FftwMeasurePlan(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  float* in = fftwf_alloc_real(n);
  fftwf_complex* out = fftwf_alloc_complex(n / 2 + 1);
  fftwf_plan plan = fftwf_plan_dft_r2c_1d(n, in, out, FFTW_MEASURE);
  const std::vector<float> x = Signal(n);
  for (auto _ : state) {
    std::copy(x.begin(), x.end(), in);
    fftwf_execute(plan);
    benchmark::DoNotOptimize(out);
  }
  fftwf_destroy_plan(plan);
  fftwf_free(in);
  fftwf_free(out);
}
BENCHMARK(BM_FftwMeasurePlan)->Arg(512)->Arg(1024)->Arg(2048);

// Direct DFT of the n/2 + 1 non-negative bins with a precomputed twiddle
// table (the naive baseline).
void BM_DirectDft(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<std::complex<float>> twiddle(n);
  for (int i = 0; i < n; ++i) {
    twiddle[i] = std::polar(1.0f, static_cast<float>(-2.0 * M_PI * i / n));
  }
  const std::vector<float> x = Signal(n);
  std::vector<std::complex<float>> out(n / 2 + 1);
  for (auto _ : state) {
    for (int k = 0; k <= n / 2; ++k) {
      std::complex<float> sum = 0.0f;
      int idx = 0;
      for (int j = 0; j < n; ++j) {
        sum += x[j] * twiddle[idx];
        idx += k;
        if (idx >= n) idx -= n;
      }
      out[k] = sum;
    }
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_DirectDft)->Arg(512)->Arg(1024);

// Iterative radix-2 complex FFT (bit reversal + butterflies, precomputed
// twiddles) on the real signal promoted to complex.
void BM_Radix2ComplexFft(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  int log2n = 0;
  while ((1 << log2n) < n) ++log2n;
  std::vector<int> rev(n);
  for (int i = 0; i < n; ++i) {
    int r = 0;
    for (int b = 0; b < log2n; ++b) r |= ((i >> b) & 1) << (log2n - 1 - b);
    rev[i] = r;
  }
  std::vector<std::complex<float>> twiddle(n / 2);
  for (int i = 0; i < n / 2; ++i) {
    twiddle[i] = std::polar(1.0f, static_cast<float>(-2.0 * M_PI * i / n));
  }
  const std::vector<float> x = Signal(n);
  std::vector<std::complex<float>> a(n);
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) a[rev[i]] = x[i];
    for (int len = 2; len <= n; len <<= 1) {
      const int half = len / 2, step = n / len;
      for (int start = 0; start < n; start += len) {
        for (int j = 0; j < half; ++j) {
          const std::complex<float> t = twiddle[j * step] * a[start + j + half];
          a[start + j + half] = a[start + j] - t;
          a[start + j] += t;
        }
      }
    }
    benchmark::DoNotOptimize(a.data());
  }
}
BENCHMARK(BM_Radix2ComplexFft)->Arg(512)->Arg(1024)->Arg(2048);

}  // namespace
}  // namespace soundsearch

BENCHMARK_MAIN();
