// BM_EmbedClip for the "torchscript" encoder: a realistic small CNN
// (~420k parameters, ~90 M multiply-adds per 1 s window) over our C++ log-mel
// front end, defined here with torch::jit::Module::define so that no Python
// or downloaded model is needed. Reports times-real-time:
//   xRT           audio seconds per wall second
//   xRT_per_core  xRT / intra-op threads
//   xRT_per_cpu_s audio seconds per second of process CPU time (all
//                 threads), which holds up better than wall time on a busy
//                 machine (OpenMP spin-waiting counts as CPU, though).
//
//   cmake --build build --target embed_torchscript_benchmark -j2
//   build/bin/embed_torchscript_benchmark
#include <ATen/Parallel.h>
#include <stdlib.h>
#include <time.h>
#include <torch/script.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "soundsearch/encoder.h"
#include "soundsearch/torch_kinds.h"

namespace soundsearch {
namespace {

constexpr int kRate = 16000;
constexpr int kClipSeconds = 32;  // 32 windows of 1 s: two batches of 16

// Input [B, 1, 64 mels, 101 frames]; four 3x3 conv blocks (32, 64, 128, 256
// channels, max-pool 2 after the first three), mean over time and frequency,
// then a 256 -> 128 projection.
constexpr char kCnn[] = R"(
def forward(self, x):
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.w1, self.b1, [1, 1], [1, 1])), [2, 2])
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.w2, self.b2, [1, 1], [1, 1])), [2, 2])
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.w3, self.b3, [1, 1], [1, 1])), [2, 2])
    x = torch.relu(torch.conv2d(x, self.w4, self.b4, [1, 1], [1, 1]))
    return torch.matmul(x.mean([2, 3]), self.proj)
)";

constexpr char kSpec[] = R"({
  "sample_rate": 16000, "window_seconds": 1.0, "device": "cpu",
  "input": {"kind": "log_mel", "layout": "batch_1_mels_frames",
            "n_fft": 512, "win_length": 400, "hop_length": 160,
            "n_mels": 64, "f_min": 50, "f_max": 8000},
  "output": {"kind": "clip", "dim": 128}
})";

// Writes the model and its spec once per process; returns the model path.
const std::string& ModelPath() {
  static const std::string* path = [] {
    char pattern[] = "/tmp/embed_torchscript_benchmark.XXXXXX";
    std::string dir = mkdtemp(pattern);
    torch::jit::Module module("cnn");
    torch::manual_seed(1);
    const int channels[] = {1, 32, 64, 128, 256};
    int64_t params = 0;
    for (int i = 1; i <= 4; ++i) {
      at::Tensor w = torch::randn({channels[i], channels[i - 1], 3, 3}) *
                     std::sqrt(2.0 / (9.0 * channels[i - 1]));
      module.register_parameter("w" + std::to_string(i), w, false);
      module.register_parameter("b" + std::to_string(i),
                                torch::zeros({channels[i]}), false);
      params += w.numel() + channels[i];
    }
    module.register_parameter("proj", torch::randn({256, 128}) * 0.06, false);
    params += 256 * 128;
    module.define(kCnn);
    auto* p = new std::string(dir + "/cnn.pt");
    module.save(*p);
    std::ofstream(*p + ".json") << kSpec;
    fprintf(stderr, "model: %lld parameters, %s\n",
            static_cast<long long>(params), p->c_str());
    return p;
  }();
  return *path;
}

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// args: batch size, intra-op threads.
void BM_EmbedClip(benchmark::State& state) {
  if (absl::Status torch = RegisterTorchKinds(); !torch.ok()) {
    state.SkipWithError(torch.ToString().c_str());
    return;
  }
  EncoderOptions options;
  options.kind = "torchscript";
  options.model_path = ModelPath();
  options.batch_size = static_cast<int>(state.range(0));
  options.torch_threads = static_cast<int>(state.range(1));
  options.allow_gpu = false;
  auto encoder = Encoder::Create(options);
  if (!encoder.ok()) {
    state.SkipWithError(encoder.status().ToString().c_str());
    return;
  }
  state.SetLabel("at::get_num_threads()=" +
                 std::to_string(at::get_num_threads()));
  std::vector<float> pcm(kClipSeconds * kRate);
  for (size_t i = 0; i < pcm.size(); ++i) {
    pcm[i] = 0.3f * std::sin(0.05f * i) * std::sin(0.0007f * i) +
             0.01f * std::sin(1.3f * i * i);
  }
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    auto clip = (*encoder)->Encode(pcm);
    if (!clip.ok()) {
      state.SkipWithError(clip.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(clip->frames.data.data());
  }
  const double cpu_seconds = ProcessCpuSeconds() - cpu_start;
  state.counters["xRT_per_cpu_s"] =
      kClipSeconds * static_cast<double>(state.iterations()) / cpu_seconds;
  state.counters["xRT"] = benchmark::Counter(
      kClipSeconds, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["xRT_per_core"] =
      benchmark::Counter(static_cast<double>(kClipSeconds) / state.range(1),
                         benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EmbedClip)
    ->ArgNames({"batch", "threads"})
    ->ArgsProduct({{1, 16}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace
}  // namespace soundsearch

BENCHMARK_MAIN();
