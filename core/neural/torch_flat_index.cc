// TorchFlatIndex: exact search by libtorch matrix product + top-k. Every
// c10::Error / std::exception thrown by libtorch is caught in this file and
// returned as absl::Status (Internal).
#include "neural/torch_flat_index.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "index/add_batch_check.h"
#include "index/snapshot_file.h"
#include "neural/torch_kind_entries.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

// Snapshot layout: docs/index.md; the frame is index/snapshot_file.h.

// Score matrices are computed in chunks of queries of at most this many
// elements (128 MB of float32).
constexpr int64_t kMaxScoreElements = int64_t{1} << 25;

absl::Status TorchError(const char* what, const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  return absl::InternalError(absl::StrCat(
      "TorchFlatIndex ", what, ": ",
      c10 != nullptr ? c10->what_without_backtrace() : e.what()));
}

absl::StatusOr<torch::Device> ResolveDevice(TorchDevice device) {
  const bool cuda = torch::cuda::is_available();
  switch (device) {
    case TorchDevice::kCpu:
      return torch::Device(torch::kCPU);
    case TorchDevice::kCuda:
      if (!cuda) {
        return absl::FailedPreconditionError(
            "TorchFlatIndex: CUDA requested but libtorch sees no CUDA device");
      }
      return torch::Device(torch::kCUDA, 0);
    case TorchDevice::kAuto:
      break;
  }
  return cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

// Checks n rows of dim values: finite, and non-zero under cosine; copies
// them into `out`, L2-normalised under cosine. `what` names the argument.
absl::Status PrepareRows(const float* in, int64_t n, int dim, Metric metric,
                         const char* what, std::vector<float>* out) {
  out->assign(in, in + n * dim);
  for (int64_t r = 0; r < n; ++r) {
    float* row = out->data() + r * dim;
    double sq = 0;
    for (int j = 0; j < dim; ++j) {
      if (!std::isfinite(row[j])) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " ", r, " has a non-finite value"));
      }
      sq += static_cast<double>(row[j]) * row[j];
    }
    if (metric == Metric::kCosine) {
      if (sq == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " ", r, " is all zero (cosine metric)"));
      }
      const float inv = static_cast<float>(1.0 / std::sqrt(sq));
      for (int j = 0; j < dim; ++j) row[j] *= inv;
    }
  }
  return absl::OkStatus();
}

}  // namespace

struct TorchFlatIndex::Impl {
  explicit Impl(torch::Device d) : device(d) {}

  const torch::Device device;
  mutable absl::Mutex mu;
  torch::Tensor data;     // [capacity, dim] float32 on `device`
  torch::Tensor sqnorms;  // [capacity] squared norms (Euclidean only)
  int64_t n = 0;          // live rows: data[0, n)
  std::vector<int64_t> ids;                     // row -> server id
  absl::flat_hash_map<int64_t, int64_t> where;  // server id -> row

  int64_t capacity() const { return data.defined() ? data.size(0) : 0; }

  // Grows the tensors to hold `rows` rows. Caller holds mu exclusively.
  void Reserve(int64_t rows, int dim, bool euclidean) {
    if (rows <= capacity()) return;
    const int64_t cap = std::max<int64_t>({rows, 2 * capacity(), 64});
    const auto opts =
        torch::TensorOptions().dtype(torch::kFloat32).device(device);
    torch::Tensor grown = torch::empty({cap, dim}, opts);
    if (n > 0) grown.narrow(0, 0, n).copy_(data.narrow(0, 0, n));
    data = grown;
    if (euclidean) {
      torch::Tensor norms = torch::empty({cap}, opts);
      if (n > 0) norms.narrow(0, 0, n).copy_(sqnorms.narrow(0, 0, n));
      sqnorms = norms;
    }
  }
};

TorchFlatIndex::TorchFlatIndex(const VectorIndexOptions& options,
                               std::unique_ptr<Impl> impl)
    : options_(options), impl_(std::move(impl)) {}

TorchFlatIndex::~TorchFlatIndex() = default;

absl::StatusOr<std::unique_ptr<TorchFlatIndex>> TorchFlatIndex::Create(
    const VectorIndexOptions& options, TorchDevice device) {
  RETURN_IF_ERROR(ValidateVectorIndexOptions(options));
  if (options.index.kind != kKindName) {
    return absl::InvalidArgumentError(
        absl::StrCat("TorchFlatIndex: index.kind must be ", kKindName));
  }
  try {
    ASSIGN_OR_RETURN(torch::Device d, ResolveDevice(device));
    return std::unique_ptr<TorchFlatIndex>(
        new TorchFlatIndex(options, std::make_unique<Impl>(d)));
  } catch (const std::exception& e) {
    return TorchError("Create", e);
  }
}

std::string TorchFlatIndex::device() const { return impl_->device.str(); }

int64_t TorchFlatIndex::size() const {
  absl::ReaderMutexLock lock(&impl_->mu);
  return impl_->n;
}

bool TorchFlatIndex::Contains(int64_t id) const {
  absl::ReaderMutexLock lock(&impl_->mu);
  return impl_->where.contains(id);
}

size_t TorchFlatIndex::MemoryBytes() const {
  absl::ReaderMutexLock lock(&impl_->mu);
  const Impl& s = *impl_;
  size_t bytes = static_cast<size_t>(s.capacity()) * options_.dim * 4;
  if (s.sqnorms.defined()) bytes += static_cast<size_t>(s.capacity()) * 4;
  bytes += s.ids.capacity() * sizeof(int64_t);
  bytes += s.where.capacity() * (sizeof(std::pair<int64_t, int64_t>) + 1);
  return bytes;
}

absl::Status TorchFlatIndex::Add(absl::Span<const int64_t> ids,
                                 absl::Span<const float> vectors) {
  const int dim = options_.dim;
  RETURN_IF_ERROR(CheckAddBatch(ids, vectors, dim));
  if (ids.empty()) return absl::OkStatus();
  const int64_t m = static_cast<int64_t>(ids.size());
  std::vector<float> rows;
  RETURN_IF_ERROR(
      PrepareRows(vectors.data(), m, dim, options_.metric, "Add: vector", &rows));
  const bool euclidean = options_.metric == Metric::kEuclidean;
  try {
    torch::Tensor src =
        torch::from_blob(rows.data(), {m, dim}, torch::kFloat32);
    torch::Tensor src_norms;
    if (euclidean) src_norms = (src * src).sum(1);
    absl::MutexLock lock(&impl_->mu);
    Impl& s = *impl_;
    std::vector<int64_t> target(m);
    int64_t fresh = 0;
    for (int64_t i = 0; i < m; ++i) {
      auto it = s.where.find(ids[i]);
      target[i] = it != s.where.end() ? it->second : s.n + fresh++;
    }
    s.Reserve(s.n + fresh, dim, euclidean);
    torch::Tensor index =
        torch::from_blob(target.data(), {m}, torch::kInt64).to(s.device);
    s.data.index_copy_(0, index, src.to(s.device));
    if (euclidean) s.sqnorms.index_copy_(0, index, src_norms.to(s.device));
    s.ids.resize(s.n + fresh);
    for (int64_t i = 0; i < m; ++i) {
      s.ids[target[i]] = ids[i];
      s.where[ids[i]] = target[i];
    }
    s.n += fresh;
  } catch (const std::exception& e) {
    return TorchError("Add", e);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> TorchFlatIndex::Remove(absl::Span<const int64_t> ids) {
  try {
    absl::MutexLock lock(&impl_->mu);
    Impl& s = *impl_;
    int64_t removed = 0;
    for (int64_t id : ids) {
      auto it = s.where.find(id);
      if (it == s.where.end()) continue;
      const int64_t row = it->second;
      const int64_t last = s.n - 1;
      s.where.erase(it);
      if (row != last) {
        // Move the last row into the hole.
        s.data.narrow(0, row, 1).copy_(s.data.narrow(0, last, 1));
        if (s.sqnorms.defined()) {
          s.sqnorms.narrow(0, row, 1).copy_(s.sqnorms.narrow(0, last, 1));
        }
        s.ids[row] = s.ids[last];
        s.where[s.ids[row]] = row;
      }
      s.ids.pop_back();
      --s.n;
      ++removed;
    }
    return removed;
  } catch (const std::exception& e) {
    return TorchError("Remove", e);
  }
}

absl::StatusOr<std::vector<SearchHit>> TorchFlatIndex::Search(
    absl::Span<const float> query, const SearchOptions& options) const {
  if (query.size() != static_cast<size_t>(options_.dim)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Search: query has ", query.size(), " floats, dim is ", options_.dim));
  }
  ASSIGN_OR_RETURN(std::vector<std::vector<SearchHit>> hits,
                   SearchBatch(query, options));
  return std::move(hits[0]);
}

absl::StatusOr<std::vector<std::vector<SearchHit>>> TorchFlatIndex::SearchBatch(
    absl::Span<const float> queries, const SearchOptions& options,
    absl::Span<const int64_t> exclude_per_query) const {
  const int dim = options_.dim;
  if (queries.empty() || queries.size() % dim != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("SearchBatch: ", queries.size(),
                     " floats is not n >= 1 queries of dim ", dim));
  }
  const int64_t nq = static_cast<int64_t>(queries.size() / dim);
  if (options.k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Search: k must be >= 1, got ", options.k));
  }
  if (!exclude_per_query.empty() &&
      exclude_per_query.size() != static_cast<size_t>(nq)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SearchBatch: exclude_per_query has ", exclude_per_query.size(),
        " ids for ", nq, " queries"));
  }
  std::vector<float> q;
  RETURN_IF_ERROR(
      PrepareRows(queries.data(), nq, dim, options_.metric, "query", &q));
  const absl::flat_hash_set<int64_t> excluded(options.exclude_ids.begin(),
                                              options.exclude_ids.end());
  std::vector<std::vector<SearchHit>> result(nq);
  try {
    absl::ReaderMutexLock lock(&impl_->mu);
    const Impl& s = *impl_;
    if (s.n == 0) return result;
    const int64_t n = s.n;
    const torch::Tensor x = s.data.narrow(0, 0, n);
    const int64_t base = std::min<int64_t>(
        n, static_cast<int64_t>(options.k) + excluded.size() +
               (exclude_per_query.empty() ? 0 : 1));
    const int64_t chunk = std::max<int64_t>(1, kMaxScoreElements / n);
    for (int64_t q0 = 0; q0 < nq; q0 += chunk) {
      const int64_t qn = std::min(chunk, nq - q0);
      torch::Tensor qt =
          torch::from_blob(q.data() + q0 * dim, {qn, dim}, torch::kFloat32)
              .to(s.device);
      torch::Tensor scores = torch::mm(qt, x.t());  // [qn, n]
      if (options_.metric == Metric::kEuclidean) {
        torch::Tensor qnorm = (qt * qt).sum(1, /*keepdim=*/true);
        scores = (qnorm + s.sqnorms.narrow(0, 0, n).unsqueeze(0) - 2 * scores)
                     .clamp_min_(0)
                     .sqrt_()
                     .neg_();
      }
      // Walks candidates of query row `r` (in `scores`), widening as needed.
      auto top = [&](const torch::Tensor& row_scores, int64_t kk) {
        auto [values, indices] = torch::topk(row_scores, kk, /*dim=*/-1,
                                             /*largest=*/true, /*sorted=*/true);
        return std::make_pair(values.to(torch::kCPU).contiguous(),
                              indices.to(torch::kCPU).contiguous());
      };
      auto [values, indices] = top(scores, base);
      for (int64_t r = 0; r < qn; ++r) {
        const int64_t qi = q0 + r;
        const bool has_own = !exclude_per_query.empty();
        const int64_t own = has_own ? exclude_per_query[qi] : -1;
        torch::Tensor v = values[r];
        torch::Tensor ix = indices[r];
        int64_t kk = base;
        std::vector<SearchHit>& hits = result[qi];
        while (true) {
          hits.clear();
          const float* vp = v.data_ptr<float>();
          const int64_t* ip = ix.data_ptr<int64_t>();
          bool below_min = false;
          for (int64_t c = 0; c < kk && static_cast<int>(hits.size()) < options.k;
               ++c) {
            if (vp[c] < options.min_score) {
              below_min = true;
              break;
            }
            const int64_t id = s.ids[ip[c]];
            if ((has_own && id == own) || excluded.contains(id)) continue;
            if (options.filter && !options.filter(id)) continue;
            hits.push_back(SearchHit{id, vp[c]});
          }
          if (static_cast<int>(hits.size()) >= options.k || below_min ||
              kk >= n) {
            break;
          }
          kk = std::min<int64_t>(n, kk * 4);
          auto wider = top(scores[r], kk);
          v = wider.first;
          ix = wider.second;
        }
      }
    }
  } catch (const std::exception& e) {
    return TorchError("Search", e);
  }
  return result;
}

absl::Status TorchFlatIndex::Save(const std::string& path,
                                  const SnapshotMarks& marks) const {
  ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> out,
                   AtomicFileWriter::Open(path));
  absl::ReaderMutexLock lock(&impl_->mu);
  const Impl& s = *impl_;
  torch::Tensor host;
  try {
    if (s.n > 0) {
      host = s.data.narrow(0, 0, s.n).to(torch::kCPU).contiguous();
    }
  } catch (const std::exception& e) {
    return TorchError("Save", e);
  }
  SnapshotHeader h = NewSnapshotHeader();
  h.dim = static_cast<uint32_t>(options_.dim);
  h.metric = static_cast<uint32_t>(options_.metric);
  h.kind = kSnapshotCode;
  h.stage = 0;
  h.store_sequence = marks.store_sequence;
  h.projection_version = marks.projection_version;
  h.num_labels = static_cast<uint64_t>(s.n);
  RETURN_IF_ERROR(out->Append(&h, sizeof(h)));
  RETURN_IF_ERROR(out->Append(s.ids.data(), s.ids.size() * sizeof(int64_t)));
  const uint64_t payload = static_cast<uint64_t>(s.n) * options_.dim * 4;
  if (payload > 0) RETURN_IF_ERROR(out->Append(host.data_ptr<float>(), payload));
  return FinishSnapshot(*out, payload);
}

absl::StatusOr<LoadedVectorIndex> TorchFlatIndex::Load(
    const std::string& path, const VectorIndexOptions& expected,
    TorchDevice device) {
  RETURN_IF_ERROR(ValidateVectorIndexOptions(expected));
  ASSIGN_OR_RETURN(VerifiedSnapshot snapshot, OpenVerifiedSnapshot(path));
  const std::unique_ptr<RandomAccessFile>& file = snapshot.file;
  const SnapshotHeader& h = snapshot.header;
  const SnapshotTrailer& t = snapshot.trailer;
  auto corrupt = [&](const std::string& why) {
    return absl::DataLossError(absl::StrCat("snapshot ", path, ": ", why));
  };
  if (expected.index.kind != kKindName) {
    return absl::InvalidArgumentError(
        absl::StrCat("TorchFlatIndex::Load: index.kind must be ", kKindName));
  }
  if (h.dim != static_cast<uint32_t>(expected.dim) ||
      h.metric != static_cast<uint32_t>(expected.metric) ||
      h.kind != kSnapshotCode || h.hnsw_m != 0 || h.ivf_nlist != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot ", path, " has dim ", h.dim, " metric ", h.metric, " kind ",
        h.kind, "; expected dim ", expected.dim, " metric ",
        static_cast<int>(expected.metric), " kind ", kSnapshotCode));
  }
  const uint64_t body = snapshot.body_bytes();
  const uint64_t row_bytes = static_cast<uint64_t>(h.dim) * 4;
  if (h.num_labels > body / (sizeof(int64_t) + row_bytes) ||
      t.payload_bytes != h.num_labels * row_bytes ||
      h.num_labels * sizeof(int64_t) + t.payload_bytes != body) {
    return corrupt("section sizes do not add up");
  }
  if (h.stage != 0 || h.num_tombstones != 0) {
    return corrupt("stage or tombstones do not match kind torch_flat");
  }
  const int64_t n = static_cast<int64_t>(h.num_labels);
  const int dim = expected.dim;
  std::vector<int64_t> ids(n);
  RETURN_IF_ERROR(file->ReadAt(sizeof(h), n * sizeof(int64_t), ids.data()));
  absl::flat_hash_map<int64_t, int64_t> where;
  where.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0) return corrupt("negative id");
    if (!where.try_emplace(ids[i], i).second) {
      return corrupt(absl::StrCat("id ", ids[i], " appears twice"));
    }
  }
  try {
    ASSIGN_OR_RETURN(torch::Device d, ResolveDevice(device));
    auto impl = std::make_unique<Impl>(d);
    torch::Tensor host = torch::empty({std::max<int64_t>(n, 1), dim},
                                      torch::kFloat32);
    if (n > 0) {
      RETURN_IF_ERROR(file->ReadAt(sizeof(h) + n * sizeof(int64_t),
                                   t.payload_bytes, host.data_ptr<float>()));
      if (!torch::isfinite(host).all().item<bool>()) {
        return corrupt("non-finite vector value");
      }
    }
    const bool euclidean = expected.metric == Metric::kEuclidean;
    impl->Reserve(n, dim, euclidean);
    if (n > 0) {
      torch::Tensor rows = host.narrow(0, 0, n);
      impl->data.narrow(0, 0, n).copy_(rows);
      if (euclidean) impl->sqnorms.narrow(0, 0, n).copy_((rows * rows).sum(1));
    }
    impl->n = n;
    impl->ids = std::move(ids);
    impl->where = std::move(where);
    LoadedVectorIndex loaded;
    loaded.marks.store_sequence = h.store_sequence;
    loaded.marks.projection_version = h.projection_version;
    loaded.index = std::unique_ptr<VectorIndex>(
        new TorchFlatIndex(expected, std::move(impl)));
    return loaded;
  } catch (const std::exception& e) {
    return TorchError("Load", e);
  }
}

IndexKind TorchFlatIndexKind() {
  IndexKind kind;
  kind.name = TorchFlatIndex::kKindName;
  kind.snapshot_code = TorchFlatIndex::kSnapshotCode;
  kind.create = [](const VectorIndexOptions& options)
      -> absl::StatusOr<std::unique_ptr<VectorIndex>> {
    ASSIGN_OR_RETURN(std::unique_ptr<TorchFlatIndex> index,
                     TorchFlatIndex::Create(options));
    return std::unique_ptr<VectorIndex>(std::move(index));
  };
  kind.load = [](const std::string& path, const VectorIndexOptions& expected) {
    return TorchFlatIndex::Load(path, expected);
  };
  return kind;
}

}  // namespace soundsearch
