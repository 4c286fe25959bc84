// TorchFlatIndex: the exact VectorIndex of kind "torch_flat", computed by
// libtorch: the live vectors are one [n, dim] float32 tensor (rows grown by
// doubling), on the GPU when libtorch sees CUDA, else on the CPU. A search is
// one matrix product Q * X^T (Euclidean: ||q||^2 + ||x||^2 - 2 q.x, clamped at
// 0, square root, negated) followed by torch::topk. Exclusions, the filter
// predicate and min_score are applied on the host while walking the top-k
// candidates in score order; when too few of them qualify the candidate list
// is widened (x4, up to every row), so k hits come back whenever k ids
// qualify. Results equal kFlat's (FAISS IndexFlat) up to float rounding and
// the order of ties.
//
// Every contract of VectorIndex holds (score convention, validation, Add
// replacing ids, Remove, SearchBatch, snapshots). Snapshot: the header and
// trailer of docs/index.md with kind = 3, stage = 0, and the FAISS section
// replaced by the raw float32 rows in label order (docs/index.md).
//
// Thread-safety: every method may be called concurrently. Searches take a
// shared lock and run in parallel; Add/Remove validate and normalise their
// input without a lock, then hold the exclusive lock while they copy rows
// into the tensor (a growth reallocates and copies the whole tensor once per
// doubling). On the CPU, libtorch parallelises a matrix product with its own
// intra-op thread pool (at::set_num_threads).
//
// This header includes no libtorch header; only core/neural does.
#ifndef SOUNDSEARCH_CORE_NEURAL_TORCH_FLAT_INDEX_H_
#define SOUNDSEARCH_CORE_NEURAL_TORCH_FLAT_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "neural/torch_device.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {

class TorchFlatIndex : public VectorIndex {
 public:
  // Its name in the index kind table and its snapshot code (docs/index.md).
  static constexpr char kKindName[] = "torch_flat";
  static constexpr uint32_t kSnapshotCode = 3;

  // options.index.kind must be kKindName. InvalidArgument for invalid
  // options; FailedPrecondition for kCuda without CUDA. The device: where
  // the tensor lives; kAuto (what the registered kind uses) is CUDA when
  // torch::cuda::is_available(), else the CPU.
  static absl::StatusOr<std::unique_ptr<TorchFlatIndex>> Create(
      const VectorIndexOptions& options, TorchDevice device = TorchDevice::kAuto);

  // Reads a snapshot written by Save (statuses as VectorIndex::Load).
  static absl::StatusOr<LoadedVectorIndex> Load(
      const std::string& path, const VectorIndexOptions& expected,
      TorchDevice device = TorchDevice::kAuto);

  ~TorchFlatIndex() override;

  absl::Status Add(absl::Span<const int64_t> ids,
                   absl::Span<const float> vectors) override;
  absl::StatusOr<int64_t> Remove(absl::Span<const int64_t> ids) override;
  absl::StatusOr<std::vector<SearchHit>> Search(
      absl::Span<const float> query,
      const SearchOptions& options) const override;
  absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchBatch(
      absl::Span<const float> queries, const SearchOptions& options,
      absl::Span<const int64_t> exclude_per_query = {}) const override;
  absl::Status Save(const std::string& path,
                    const SnapshotMarks& marks) const override;

  int64_t size() const override;
  bool Contains(int64_t id) const override;
  const VectorIndexOptions& options() const override { return options_; }
  // Tensor capacity (rows * dim * 4, plus the cached squared norms), id
  // vector and id map. On CUDA the tensor bytes are GPU memory.
  size_t MemoryBytes() const override;
  int64_t tombstones() const override { return 0; }
  bool trained() const override { return true; }

  // "cpu" or "cuda:<n>": where the vectors live.
  std::string device() const;

 private:
  struct Impl;
  TorchFlatIndex(const VectorIndexOptions& options,
                 std::unique_ptr<Impl> impl);

  const VectorIndexOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_NEURAL_TORCH_FLAT_INDEX_H_
