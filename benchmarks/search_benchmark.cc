// search_benchmark: VectorIndex search latency against raw FAISS on the same
// index in the same run (db_bench style table), HNSW recall@15 against exact
// search, memory per vector, and start-up time (snapshot load vs rebuild).
//
//   search_benchmark [--sizes=10000,100000] [--kinds=flat,hnsw]
//                    [--dim=100] [--k=15] [--batch=16] [--queries=N]
//                    [--threads=1] [--hnsw_m=16] [--ef_construction=40]
//                    [--ef_search=64] [--extra_ef_search=128,256]
//                    [--snapshot_dir=/tmp]
//
// Latency is per call: one query (single) or one batch of --batch queries
// (batched). Raw and wrapped calls alternate, query by query, so that noise
// from a shared machine hits both alike. ratio = ours / raw at p50.
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "index/faiss_vector_index.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {
namespace {

struct Flags {
  std::vector<int64_t> sizes = {10000, 100000};
  std::vector<std::string> kinds = {"flat", "hnsw"};
  int dim = 100;
  int k = 15;
  int batch = 16;
  int queries = 0;  // 0: chosen per size
  int threads = 1;
  int hnsw_m = 16;
  int ef_construction = 40;
  int ef_search = 64;
  std::vector<int> extra_ef_search;  // HNSW rows re-measured at these ef
  std::string snapshot_dir = "/tmp";
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    size_t eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "bad flag %s\n", a.c_str());
      return false;
    }
    std::string name = a.substr(2, eq - 2), value = a.substr(eq + 1);
    if (name == "sizes") {
      f->sizes.clear();
      for (const auto& s : Split(value))
        f->sizes.push_back(std::atoll(s.c_str()));
    } else if (name == "kinds") {
      f->kinds = Split(value);
    } else if (name == "dim") {
      f->dim = std::atoi(value.c_str());
    } else if (name == "k") {
      f->k = std::atoi(value.c_str());
    } else if (name == "batch") {
      f->batch = std::atoi(value.c_str());
    } else if (name == "queries") {
      f->queries = std::atoi(value.c_str());
    } else if (name == "threads") {
      f->threads = std::atoi(value.c_str());
    } else if (name == "hnsw_m") {
      f->hnsw_m = std::atoi(value.c_str());
    } else if (name == "ef_construction") {
      f->ef_construction = std::atoi(value.c_str());
    } else if (name == "ef_search") {
      f->ef_search = std::atoi(value.c_str());
    } else if (name == "extra_ef_search") {
      for (const auto& e : Split(value)) {
        f->extra_ef_search.push_back(std::atoi(e.c_str()));
      }
    } else if (name == "snapshot_dir") {
      f->snapshot_dir = value;
    } else {
      std::fprintf(stderr, "unknown flag --%s\n", name.c_str());
      return false;
    }
  }
  return true;
}

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Unit vectors around 1000 random centres, with noise whose variance decays
// over the dimensions like a PCA spectrum (std 0.3 / sqrt(j + 1)): the shape
// of PCA-projected clip embeddings. (Isotropic noise would make the
// within-cluster neighbourhoods a 100-dimensional random point cloud, a
// much harder and less realistic case for HNSW.)
std::vector<float> Clustered(int64_t n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  const int clusters = 1000;
  std::vector<float> centres(static_cast<size_t>(clusters) * dim);
  for (float& x : centres) x = g(rng);
  std::uniform_int_distribution<int> pick(0, clusters - 1);
  std::vector<float> v(static_cast<size_t>(n) * dim);
  for (int64_t i = 0; i < n; ++i) {
    const float* c = centres.data() + static_cast<size_t>(pick(rng)) * dim;
    double norm2 = 0;
    for (int j = 0; j < dim; ++j) {
      float x = c[j] + 0.3f / std::sqrt(j + 1.0f) * g(rng);
      v[i * dim + j] = x;
      norm2 += double{x} * x;
    }
    const float inv = static_cast<float>(1 / std::sqrt(norm2));
    for (int j = 0; j < dim; ++j) v[i * dim + j] *= inv;
  }
  return v;
}

struct Percentiles {
  double p50_us, p99_us;
};
Percentiles Summarise(std::vector<double> seconds) {
  std::sort(seconds.begin(), seconds.end());
  auto at = [&](double p) {
    size_t i = static_cast<size_t>(p * (seconds.size() - 1) + 0.5);
    return seconds[i] * 1e6;
  };
  return {at(0.50), at(0.99)};
}

void Die(const absl::Status& s, const char* what) {
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

void PrintRow(int64_t n, const std::string& kind, const char* mode,
              Percentiles raw, Percentiles ours, double recall) {
  char recall_text[32] = "-";
  if (recall >= 0)
    std::snprintf(recall_text, sizeof(recall_text), "%.4f", recall);
  std::printf("%9lld  %-8s %-8s %10.1f %10.1f %11.1f %11.1f %7.3f %7.3f  %s\n",
              static_cast<long long>(n), kind.c_str(), mode, raw.p50_us,
              raw.p99_us, ours.p50_us, ours.p99_us, ours.p50_us / raw.p50_us,
              ours.p99_us / raw.p99_us, recall_text);
  std::fflush(stdout);
}

void Run(const Flags& f) {
  omp_set_num_threads(f.threads);
  std::printf(
      "search_benchmark: dim=%d k=%d batch=%d omp_threads=%d "
      "hnsw(M=%d efC=%d efS=%d) cpus=%d\n",
      f.dim, f.k, f.batch, f.threads, f.hnsw_m, f.ef_construction, f.ef_search,
      omp_get_num_procs());
  std::vector<std::string> startup_rows;
  std::printf("\n%9s  %-8s %-8s %10s %10s %11s %11s %7s %7s  %s\n", "vectors",
              "kind", "mode", "raw_p50us", "raw_p99us", "ours_p50us",
              "ours_p99us", "r_p50", "r_p99", "recall@15");
  for (int64_t n : f.sizes) {
    const std::vector<float> data = Clustered(n, f.dim, 1);
    std::vector<int64_t> ids(n);
    for (int64_t i = 0; i < n; ++i) ids[i] = 1000 + 3 * i;  // sparse ids
    // Exact search costs O(n) per query, HNSW O(log n): flat gets fewer
    // queries at large n (at least 160), HNSW always --queries or 2000.
    const int nq_flat =
        f.queries > 0 ? f.queries
                      : static_cast<int>(std::clamp<int64_t>(
                            int64_t{2000000000} / (n * f.dim), 160, 2000));
    const int nq_hnsw = f.queries > 0 ? f.queries : 2000;
    const int nq = std::max(nq_flat, nq_hnsw);
    // Queries: slightly perturbed copies of random stored vectors (query by
    // example with sounds like those in the collection).
    std::vector<float> queries(static_cast<size_t>(nq) * f.dim);
    {
      std::mt19937 rng(2);
      std::normal_distribution<float> g;
      std::uniform_int_distribution<int64_t> pick(0, n - 1);
      for (int q = 0; q < nq; ++q) {
        const float* src = data.data() + pick(rng) * f.dim;
        for (int j = 0; j < f.dim; ++j) {
          queries[static_cast<size_t>(q) * f.dim + j] = src[j] + 0.01f * g(rng);
        }
      }
    }

    // Exact ground truth for recall (raw FAISS, all threads, batched).
    std::vector<faiss::Index::idx_t> truth(static_cast<size_t>(nq) * f.k);
    {
      faiss::IndexFlatIP exact(f.dim);
      exact.add(n, data.data());
      std::vector<float> d(truth.size());
      omp_set_num_threads(omp_get_num_procs());
      exact.search(nq, queries.data(), f.k, d.data(), truth.data());
      omp_set_num_threads(f.threads);
    }

    for (const std::string& kind_name : f.kinds) {
      VectorIndexOptions o;
      o.dim = f.dim;
      o.index.kind = kind_name;
      o.index.hnsw_m = f.hnsw_m;
      o.index.hnsw_ef_construction = f.ef_construction;
      o.index.hnsw_ef_search = f.ef_search;
      auto created = FaissVectorIndex::Create(o);
      if (!created.ok()) Die(created.status(), "create");
      std::unique_ptr<FaissVectorIndex> index = std::move(created).value();
      // Building uses every core, as a rebuild at start-up would.
      omp_set_num_threads(omp_get_num_procs());
      const double t0 = Now();
      absl::Status added = index->Add(ids, data);
      const double build_s = Now() - t0;
      omp_set_num_threads(f.threads);
      if (!added.ok()) Die(added, "add");

      // Measures `index` (searching with ef_search = ef on HNSW) and prints
      // its two rows.
      auto measure = [&](FaissVectorIndex* index, int ef) {
        SearchOptions so;
        so.k = f.k;
        const int kind_nq = o.index.kind == "flat" ? nq_flat : nq_hnsw;
        const int nq_batched = kind_nq / f.batch * f.batch;
        std::vector<double> raw_single, ours_single, raw_batch, ours_batch;
        std::vector<float> dist(static_cast<size_t>(f.batch) * f.k);
        std::vector<faiss::Index::idx_t> lab(dist.size());
        double recall_sum = 0;
        // The raw FAISS index inside ours. No writer runs during the
        // measurement, so using it after WithFaissIndex returns is safe here
        // (and avoids taking our shared lock recursively).
        const faiss::Index* raw_index = nullptr;
        index->WithFaissIndex([&](const faiss::Index& r) { raw_index = &r; });
        {
          const faiss::Index& raw = *raw_index;
          faiss::SearchParametersHNSW hp;
          hp.efSearch = std::max(ef, f.k);
          const faiss::SearchParameters* params =
              o.index.kind == "hnsw" ? &hp : nullptr;
          auto raw_search = [&](int64_t count, const float* q) {
            raw.search(count, q, f.k, dist.data(), lab.data(), params);
          };
          auto ours_search = [&](int64_t count, const float* q) {
            auto r = index->SearchBatch(
                absl::MakeConstSpan(q, static_cast<size_t>(count) * f.dim), so,
                {});
            if (!r.ok()) Die(r.status(), "search");
            return std::move(r).value();
          };
          for (int w = 0; w < 20; ++w) {  // warm up
            raw_search(1, queries.data() + (w % kind_nq) * f.dim);
            ours_search(1, queries.data() + (w % kind_nq) * f.dim);
          }
          for (int q = 0; q < kind_nq; ++q) {
            const float* qv = queries.data() + static_cast<size_t>(q) * f.dim;
            for (int order = 0; order < 2; ++order) {
              const bool raw_turn = (order == 0) == (q % 2 == 0);
              const double s = Now();
              if (raw_turn) {
                raw_search(1, qv);
                raw_single.push_back(Now() - s);
              } else {
                auto hits = ours_search(1, qv);
                ours_single.push_back(Now() - s);
                // recall@15 of what we returned against exact search.
                int found = 0;
                for (const SearchHit& h : hits[0]) {
                  for (int j = 0; j < f.k; ++j) {
                    if (ids[truth[static_cast<size_t>(q) * f.k + j]] == h.id) {
                      ++found;
                      break;
                    }
                  }
                }
                recall_sum += static_cast<double>(found) / f.k;
              }
            }
          }
          for (int b = 0; b + f.batch <= nq_batched; b += f.batch) {
            const float* qv = queries.data() + static_cast<size_t>(b) * f.dim;
            for (int order = 0; order < 2; ++order) {
              const bool raw_turn = (order == 0) == ((b / f.batch) % 2 == 0);
              const double s = Now();
              if (raw_turn) {
                raw_search(f.batch, qv);
                raw_batch.push_back(Now() - s);
              } else {
                ours_search(f.batch, qv);
                ours_batch.push_back(Now() - s);
              }
            }
          }
        }
        std::string label = kind_name;
        if (o.index.kind == "hnsw") label += std::to_string(ef);
        PrintRow(n, label, "single", Summarise(raw_single),
                 Summarise(ours_single), recall_sum / kind_nq);
        char mode[16];
        std::snprintf(mode, sizeof(mode), "batch%d", f.batch);
        PrintRow(n, label, mode, Summarise(raw_batch), Summarise(ours_batch),
                 -1);
      };
      measure(index.get(), f.ef_search);

      // Start-up: load a snapshot versus rebuild (the build above).
      const std::string path =
          f.snapshot_dir + "/search_benchmark_" + kind_name + ".snap";
      double s = Now();
      absl::Status saved = index->Save(path, SnapshotMarks{1, 1});
      const double save_s = Now() - s;
      if (!saved.ok()) Die(saved, "save");
      const size_t mem = index->MemoryBytes();
      index.reset();
      s = Now();
      auto loaded = VectorIndex::Load(path, o);
      const double load_s = Now() - s;
      if (!loaded.ok()) Die(loaded.status(), "load");
      FILE* file = std::fopen(path.c_str(), "rb");
      std::fseek(file, 0, SEEK_END);
      const double mb = std::ftell(file) / 1048576.0;
      std::fclose(file);
      // More search depths on the same graph: reload with another ef.
      if (o.index.kind == "hnsw") {
        loaded->index.reset();
        for (int ef : f.extra_ef_search) {
          VectorIndexOptions deeper = o;
          deeper.index.hnsw_ef_search = ef;
          auto again = VectorIndex::Load(path, deeper);
          if (!again.ok()) Die(again.status(), "load");
          measure(dynamic_cast<FaissVectorIndex*>(again->index.get()), ef);
        }
      }
      std::remove(path.c_str());
      char row[256];
      std::snprintf(
          row, sizeof(row), "%9lld  %-5s %9.2f %9.2f %9.2f %9.1f %9.1f %12.1f",
          static_cast<long long>(n), kind_name.c_str(), build_s, load_s, save_s,
          build_s / load_s, mb, static_cast<double>(mem) / n);
      startup_rows.push_back(row);
    }
  }
  std::printf("\n%9s  %-5s %9s %9s %9s %9s %9s %12s\n", "vectors", "kind",
              "build_s", "load_s", "save_s", "build/ld", "snap_MB",
              "mem_B/vector");
  for (const std::string& r : startup_rows) std::printf("%s\n", r.c_str());
}

}  // namespace
}  // namespace soundsearch

int main(int argc, char** argv) {
  soundsearch::Flags flags;
  if (!soundsearch::ParseFlags(argc, argv, &flags)) return 2;
  soundsearch::Run(flags);
  return 0;
}
