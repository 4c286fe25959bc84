// torch_flat_benchmark: exact search latency of "torch_flat"
// (libtorch matrix product + top-k) against "flat" (FAISS
// IndexFlat) behind the same VectorIndex interface, on the same vectors in
// the same run. Device: CUDA when libtorch sees it, else the CPU (printed).
//
//   torch_flat_benchmark [--sizes=10000,100000] [--dim=100] [--k=15]
//                        [--batch=16] [--queries=200] [--threads=1]
//                        [--metric=cosine]
//
// Latency is per call: one query (single) or one batch of --batch queries
// (batched); the two kinds alternate query by query so that noise from a
// shared machine hits both alike. --threads sets OpenMP (FAISS) and
// libtorch intra-op threads alike. ratio = torch / faiss at p50.
#include <ATen/Parallel.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "neural/torch_flat_index.h"
#include "soundsearch/torch_kinds.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {
namespace {

std::vector<int64_t> ParseSizes(const std::string& s) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(std::atoll(s.substr(start, comma - start).c_str()));
    start = comma + 1;
  }
  return out;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

int Run(int argc, char** argv) {
  if (absl::Status torch = RegisterTorchKinds(); !torch.ok()) {
    std::fprintf(stderr, "%s\n", torch.ToString().c_str());
    return 1;
  }
  std::vector<int64_t> sizes = {10000, 100000};
  int dim = 100, k = 15, batch = 16, queries = 200, threads = 1;
  std::string metric_name = "cosine";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&](const char* name) -> const char* {
      size_t n = std::strlen(name);
      return a.compare(0, n, name) == 0 ? a.c_str() + n : nullptr;
    };
    if (const char* v = val("--sizes="))
      sizes = ParseSizes(v);
    else if (const char* v = val("--dim="))
      dim = std::atoi(v);
    else if (const char* v = val("--k="))
      k = std::atoi(v);
    else if (const char* v = val("--batch="))
      batch = std::atoi(v);
    else if (const char* v = val("--queries="))
      queries = std::atoi(v);
    else if (const char* v = val("--threads="))
      threads = std::atoi(v);
    else if (const char* v = val("--metric="))
      metric_name = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  auto metric = ParseMetric(metric_name);
  if (!metric.ok()) {
    std::fprintf(stderr, "%s\n", metric.status().ToString().c_str());
    return 2;
  }
  omp_set_num_threads(threads);
  at::set_num_threads(threads);
  std::mt19937 rng(1);
  std::normal_distribution<float> g;
  std::printf("dim=%d metric=%s k=%d batch=%d queries=%d threads=%d\n", dim,
              metric_name.c_str(), k, batch, queries, threads);
  std::printf("%-8s %-10s %-8s %10s %10s %10s %8s %10s\n", "n", "kind",
              "device", "single_p50", "single_p99", "batch_p50", "ratio",
              "add_s");
  for (int64_t n : sizes) {
    std::vector<float> vectors(static_cast<size_t>(n) * dim);
    for (float& x : vectors) x = g(rng);
    std::vector<int64_t> ids(n);
    for (int64_t i = 0; i < n; ++i) ids[i] = i;
    std::vector<float> qs(static_cast<size_t>(queries) * batch * dim);
    for (float& x : qs) x = g(rng);

    VectorIndexOptions o;
    o.dim = dim;
    o.metric = *metric;
    o.index.kind = "flat";
    std::unique_ptr<VectorIndex> indexes[2];
    std::string devices[2] = {"cpu", ""};
    double add_s[2];
    for (int w = 0; w < 2; ++w) {
      auto t0 = std::chrono::steady_clock::now();
      if (w == 0) {
        indexes[0] = std::move(VectorIndex::Create(o).value());
      } else {
        o.index.kind = "torch_flat";
        auto t = TorchFlatIndex::Create(o);
        if (!t.ok()) {
          std::fprintf(stderr, "%s\n", t.status().ToString().c_str());
          return 1;
        }
        devices[1] = (*t)->device();
        indexes[1] = std::move(*t);
      }
      auto st = indexes[w]->Add(ids, vectors);
      if (!st.ok()) {
        std::fprintf(stderr, "%s\n", st.ToString().c_str());
        return 1;
      }
      add_s[w] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
    }
    SearchOptions so;
    so.k = k;
    std::vector<double> single[2], batched[2];
    for (int q = 0; q < queries; ++q) {
      for (int w = 0; w < 2; ++w) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = indexes[w]->Search(
            absl::MakeConstSpan(qs).subspan(static_cast<size_t>(q) * dim, dim),
            so);
        single[w].push_back(std::chrono::duration<double, std::micro>(
                                std::chrono::steady_clock::now() - t0)
                                .count());
        if (!r.ok()) return 1;
        t0 = std::chrono::steady_clock::now();
        auto b =
            indexes[w]->SearchBatch(absl::MakeConstSpan(qs).subspan(
                                        static_cast<size_t>(q) * batch * dim,
                                        static_cast<size_t>(batch) * dim),
                                    so);
        batched[w].push_back(std::chrono::duration<double, std::micro>(
                                 std::chrono::steady_clock::now() - t0)
                                 .count());
        if (!b.ok()) return 1;
      }
    }
    const char* names[2] = {"flat", "torch_flat"};
    for (int w = 0; w < 2; ++w) {
      std::printf("%-8lld %-10s %-8s %10.0f %10.0f %10.0f %8.2f %10.3f\n",
                  static_cast<long long>(n), names[w], devices[w].c_str(),
                  Percentile(single[w], 0.5), Percentile(single[w], 0.99),
                  Percentile(batched[w], 0.5),
                  Percentile(single[w], 0.5) / Percentile(single[0], 0.5),
                  add_s[w]);
    }
  }
  std::printf("latencies in microseconds per call\n");
  return 0;
}

}  // namespace
}  // namespace soundsearch

int main(int argc, char** argv) { return soundsearch::Run(argc, argv); }
