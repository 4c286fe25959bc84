// Times-real-time of a whole space on one core: Space::Embed (encode + pool)
// then Space::Project with a fitted state, for the built-in `dsp` space and a
// `boaw` space (mfcc frames -> 300-word codebook histogram -> PCA 100). The
// spaces are fitted on 60 synthetic clips first. One 10 s clip per
// iteration, single thread; x_realtime = audio seconds per CPU second.
//   cmake --build build --target embed_space_benchmark -j2
//   build/bin/embed_space_benchmark
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "soundsearch/space.h"

namespace soundsearch {
namespace {

// A harmonic tone over noise; `seed` varies pitch and noise.
std::vector<float> MakeClip(int sample_rate, double seconds, uint32_t seed) {
  const int n = static_cast<int>(seconds * sample_rate);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pitch(80, 800);
  std::normal_distribution<float> noise(0.0f, 0.02f + 0.01f * (seed % 5));
  const double f0 = pitch(rng);
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) {
    double v = 0.0;
    for (int h = 1; h <= 6; ++h) {
      v += 0.1 / h * std::sin(2 * M_PI * f0 * h * i / sample_rate);
    }
    x[i] = static_cast<float>(v) + noise(rng);
  }
  return x;
}

void RunSpace(benchmark::State& state, SpaceConfig config) {
  auto space = Space::Create(config);
  if (!space.ok()) {
    state.SkipWithError(std::string(space.status().message()).c_str());
    return;
  }
  std::vector<RawEmbedding> collection;
  for (uint32_t seed = 0; seed < 60; ++seed) {
    auto raw = (*space)->Embed(MakeClip((*space)->sample_rate(), 2.0, seed));
    if (!raw.ok()) {
      state.SkipWithError(std::string(raw.status().message()).c_str());
      return;
    }
    collection.push_back(*std::move(raw));
  }
  auto fitted = (*space)->Fit(collection);
  if (!fitted.ok()) {
    state.SkipWithError(std::string(fitted.status().message()).c_str());
    return;
  }
  constexpr double kSeconds = 10.0;
  const std::vector<float> clip =
      MakeClip((*fitted)->sample_rate(), kSeconds, 1234);
  for (auto _ : state) {
    auto raw = (*fitted)->Embed(clip);
    auto vector = (*fitted)->Project(*raw);
    benchmark::DoNotOptimize(vector->data());
  }
  state.counters["x_realtime"] = benchmark::Counter(
      kSeconds * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["index_dim"] = (*fitted)->index_dim();
}

void BM_EmbedSpaceDsp(benchmark::State& state) {
  SpaceConfig config = DefaultSpaceConfig();
  config.pca_dims = 50;  // capped by the 60 fitting clips anyway
  RunSpace(state, config);
}
BENCHMARK(BM_EmbedSpaceDsp)->Unit(benchmark::kMillisecond);

void BM_EmbedSpaceBoaw(benchmark::State& state) {
  SpaceConfig config = DefaultSpaceConfig();
  config.name = "boaw";
  config.boaw = true;
  config.encoder.kind = "mfcc";
  config.pooling = Pooling::kMeanStd;
  config.scaling = Scaling::kNone;
  config.pca_dims = 50;
  RunSpace(state, config);
}
BENCHMARK(BM_EmbedSpaceBoaw)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace soundsearch

BENCHMARK_MAIN();
