// BM_EvaluateRetrieval: full label- and instance-based evaluation (exact
// search, full ranking for R1) of a synthetic FSD50K-sized collection:
// 10,231 clips x 100 dims, 200 labels, 1-3 labels per clip.
// Args: {items, dim, threads}.
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "soundsearch/retrieval_eval.h"

namespace soundsearch {
namespace {

void BM_EvaluateRetrieval(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int dim = static_cast<int>(state.range(1));
  std::mt19937 rng(1);
  std::normal_distribution<float> gauss;
  std::uniform_int_distribution<int> label(0, 199);
  std::uniform_int_distribution<int> extra(0, 2);
  std::vector<std::vector<float>> centroid(200, std::vector<float>(dim));
  for (auto& c : centroid) {
    for (float& x : c) x = gauss(rng);
  }
  std::vector<LabeledItem> items(n);
  std::vector<float> v(static_cast<size_t>(n) * dim);
  for (int i = 0; i < n; ++i) {
    const int first = label(rng);
    items[i].id = std::to_string(i);
    items[i].labels.push_back("L" + std::to_string(first));
    for (int e = extra(rng); e > 0; --e) {
      items[i].labels.push_back("L" + std::to_string(label(rng)));
    }
    for (int k = 0; k < dim; ++k) {
      v[static_cast<size_t>(i) * dim + k] =
          centroid[first][k] + 2.0f * gauss(rng);
    }
  }
  RetrievalEvalOptions options;
  options.num_threads = static_cast<int>(state.range(2));
  for (auto _ : state) {
    absl::StatusOr<RetrievalReport> report =
        EvaluateRetrieval(items, v, dim, Metric::kCosine, options);
    if (!report.ok()) {
      state.SkipWithError(std::string(report.status().message()).c_str());
      break;
    }
    state.counters["map15"] = report->macro.map[0];
  }
  state.counters["queries/s"] = benchmark::Counter(
      static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EvaluateRetrieval)
    ->Args({2000, 100, 1})
    ->Args({10231, 100, 1})
    ->Args({10231, 100, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace soundsearch

BENCHMARK_MAIN();
