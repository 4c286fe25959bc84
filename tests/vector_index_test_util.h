// Shared helpers for the VectorIndex tests: generated vectors and a
// brute-force reference written independently of FAISS.
#ifndef SOUNDSEARCH_TESTS_VECTOR_INDEX_TEST_UTIL_H_
#define SOUNDSEARCH_TESTS_VECTOR_INDEX_TEST_UTIL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "soundsearch/vector_index.h"

namespace soundsearch {
namespace testing_util {

// n x dim Gaussian vectors.
inline std::vector<float> RandomVectors(int64_t n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<size_t>(n) * dim);
  for (float& x : v) x = g(rng);
  return v;
}

// n x dim vectors around `clusters` random centres (spread `noise`),
// L2-normalised: the shape of PCA-projected clip embeddings.
inline std::vector<float> ClusteredVectors(int64_t n, int dim, int clusters,
                                           float noise, uint32_t seed) {
  std::vector<float> centres = RandomVectors(clusters, dim, seed);
  std::mt19937 rng(seed + 1);
  std::normal_distribution<float> g;
  std::uniform_int_distribution<int> pick(0, clusters - 1);
  std::vector<float> v(static_cast<size_t>(n) * dim);
  for (int64_t i = 0; i < n; ++i) {
    const float* c = centres.data() + static_cast<size_t>(pick(rng)) * dim;
    double norm2 = 0;
    for (int j = 0; j < dim; ++j) {
      float x = c[j] + noise * g(rng);
      v[i * dim + j] = x;
      norm2 += double{x} * x;
    }
    const float inv = static_cast<float>(1 / std::sqrt(norm2));
    for (int j = 0; j < dim; ++j) v[i * dim + j] *= inv;
  }
  return v;
}

inline std::vector<int64_t> SparseIds(int64_t n, int64_t stride,
                                      int64_t offset) {
  std::vector<int64_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[i] = offset + i * stride;
  return ids;
}

// Score of x against q under the documented convention, in double.
inline double ReferenceScore(Metric metric, const float* q, const float* x,
                             int dim) {
  double dot = 0, qq = 0, xx = 0, l2 = 0;
  for (int j = 0; j < dim; ++j) {
    dot += double{q[j]} * x[j];
    qq += double{q[j]} * q[j];
    xx += double{x[j]} * x[j];
    l2 += (double{q[j]} - x[j]) * (double{q[j]} - x[j]);
  }
  switch (metric) {
    case Metric::kCosine:
      return dot / std::sqrt(qq * xx);
    case Metric::kInnerProduct:
      return dot;
    case Metric::kEuclidean:
      return -std::sqrt(l2);
  }
  return 0;
}

// Brute-force top-k over (ids, vectors) with the SearchOptions semantics.
inline std::vector<SearchHit> BruteForce(Metric metric, int dim,
                                         const std::vector<int64_t>& ids,
                                         const std::vector<float>& vectors,
                                         const float* query,
                                         const SearchOptions& options) {
  std::vector<std::pair<double, int64_t>> all;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t id = ids[i];
    if (std::find(options.exclude_ids.begin(), options.exclude_ids.end(), id) !=
        options.exclude_ids.end()) {
      continue;
    }
    if (options.filter && !options.filter(id)) continue;
    double s = ReferenceScore(metric, query, vectors.data() + i * dim, dim);
    if (s < options.min_score) continue;
    all.push_back({s, id});
  }
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  if (all.size() > static_cast<size_t>(options.k)) all.resize(options.k);
  std::vector<SearchHit> hits;
  for (const auto& [s, id] : all) hits.push_back({id, static_cast<float>(s)});
  return hits;
}

// Fraction of `truth`'s ids found in `got`.
inline double Recall(const std::vector<SearchHit>& got,
                     const std::vector<SearchHit>& truth) {
  if (truth.empty()) return 1.0;
  int found = 0;
  for (const SearchHit& t : truth) {
    for (const SearchHit& g : got) {
      if (g.id == t.id) {
        ++found;
        break;
      }
    }
  }
  return static_cast<double>(found) / truth.size();
}

// A VectorIndex that forwards every call to `inner`: tests derive from it
// and override what they inject or record.
class ForwardingVectorIndex : public VectorIndex {
 public:
  explicit ForwardingVectorIndex(std::unique_ptr<VectorIndex> inner)
      : inner_(std::move(inner)) {}
  absl::Status Add(absl::Span<const int64_t> ids,
                   absl::Span<const float> vectors) override {
    return inner_->Add(ids, vectors);
  }
  absl::StatusOr<int64_t> Remove(absl::Span<const int64_t> ids) override {
    return inner_->Remove(ids);
  }
  absl::StatusOr<std::vector<SearchHit>> Search(
      absl::Span<const float> query, const SearchOptions& o) const override {
    return inner_->Search(query, o);
  }
  absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchBatch(
      absl::Span<const float> queries, const SearchOptions& o,
      absl::Span<const int64_t> exclude) const override {
    return inner_->SearchBatch(queries, o, exclude);
  }
  absl::Status Save(const std::string& path,
                    const SnapshotMarks& marks) const override {
    return inner_->Save(path, marks);
  }
  int64_t size() const override { return inner_->size(); }
  bool Contains(int64_t id) const override { return inner_->Contains(id); }
  const VectorIndexOptions& options() const override {
    return inner_->options();
  }
  size_t MemoryBytes() const override { return inner_->MemoryBytes(); }
  int64_t tombstones() const override { return inner_->tombstones(); }
  bool trained() const override { return inner_->trained(); }
  bool PrefersBatches(bool exact) const override {
    return inner_->PrefersBatches(exact);
  }
  bool PrefersWideBatches(bool exact) const override {
    return inner_->PrefersWideBatches(exact);
  }

 private:
  std::unique_ptr<VectorIndex> inner_;
};

}  // namespace testing_util
}  // namespace soundsearch

#endif  // SOUNDSEARCH_TESTS_VECTOR_INDEX_TEST_UTIL_H_
