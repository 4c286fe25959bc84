// Times-real-time of the dsp and mfcc encoders on one core: one 10 s clip
// (harmonic tone + noise, made in code) per iteration, single thread.
// Counter x_realtime = seconds of audio encoded per CPU second of the one
// encoding thread (10 s / CPU time per Encode): times real time per core,
// robust to other load on a shared machine (wall time is also printed).
//   cmake --build build --target embed_dsp_benchmark -j2
//   build/bin/embed_dsp_benchmark
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "soundsearch/encoder.h"

namespace soundsearch {
namespace {

constexpr double kClipSeconds = 10.0;

std::vector<float> MakeClip(int sample_rate) {
  const int n = static_cast<int>(kClipSeconds * sample_rate);
  std::vector<float> x(n);
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.0f, 0.02f);
  for (int i = 0; i < n; ++i) {
    double v = 0.0;
    for (int h = 1; h <= 6; ++h) {
      v += 0.1 / h * std::sin(2 * M_PI * 196.0 * h * i / sample_rate);
    }
    x[i] = static_cast<float>(v) + noise(rng);
  }
  return x;
}

void RunEncoder(benchmark::State& state, EncoderOptions options) {
  auto encoder = Encoder::Create(options);
  if (!encoder.ok()) {
    state.SkipWithError(std::string(encoder.status().message()).c_str());
    return;
  }
  const std::vector<float> clip = MakeClip(options.sample_rate);
  int frames = 0;
  for (auto _ : state) {
    auto encoded = (*encoder)->Encode(clip);
    if (!encoded.ok()) {
      state.SkipWithError(std::string(encoded.status().message()).c_str());
      return;
    }
    frames = encoded->frames.num_frames();
    benchmark::DoNotOptimize(encoded->frames.data.data());
  }
  state.counters["x_realtime"] = benchmark::Counter(
      kClipSeconds * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["frames"] = frames;
  state.counters["frame_dim"] = (*encoder)->frame_dim();
}

void BM_EmbedDsp(benchmark::State& state) {
  EncoderOptions o;
  o.kind = "dsp";
  RunEncoder(state, o);
}
BENCHMARK(BM_EmbedDsp)->Unit(benchmark::kMillisecond);

void BM_EmbedDspNoPitch(benchmark::State& state) {
  EncoderOptions o;
  o.kind = "dsp";
  o.dsp_pitch = false;
  RunEncoder(state, o);
}
BENCHMARK(BM_EmbedDspNoPitch)->Unit(benchmark::kMillisecond);

void BM_EmbedMfcc(benchmark::State& state) {
  EncoderOptions o;
  o.kind = "mfcc";
  RunEncoder(state, o);
}
BENCHMARK(BM_EmbedMfcc)->Unit(benchmark::kMillisecond);

void BM_EmbedMfccDeltas(benchmark::State& state) {
  EncoderOptions o;
  o.kind = "mfcc";
  o.mfcc_deltas = true;
  RunEncoder(state, o);
}
BENCHMARK(BM_EmbedMfccDeltas)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace soundsearch

BENCHMARK_MAIN();
