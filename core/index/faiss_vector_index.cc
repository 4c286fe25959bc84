#include "index/faiss_vector_index.h"

#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "faiss/faiss_blas.h"
#include "faiss/faiss_status.h"
#include "index/add_batch_check.h"
#include "index/flat_scan.h"
#include "index/hnsw_search.h"
#include "index/hnsw_storage.h"
#include "index/snapshot_file.h"
#include "soundsearch/index_kinds.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

using FaissId = faiss::Index::idx_t;
using Stage = FaissVectorIndex::Stage;

constexpr int64_t kTombstone = -1;
// Extra candidates asked of a float scan whose scores are then recomputed
// (Rescore): FAISS's BLAS path (batches) and its one-query path round
// differently, so the k-th and (k+1)-th may swap; a few more candidates
// make the recomputed top k the same either way.
constexpr int64_t kRescoreMargin = 4;

faiss::MetricType FaissMetric(Metric metric) {
  return metric == Metric::kEuclidean ? faiss::METRIC_L2
                                      : faiss::METRIC_INNER_PRODUCT;
}

// Converts a FAISS distance to our score (higher is better).
float ToScore(Metric metric, float faiss_distance) {
  if (metric == Metric::kEuclidean) {
    return -std::sqrt(std::max(faiss_distance, 0.0f));
  }
  return faiss_distance;
}

// The score of `x` for query `q` (dim floats each), computed the same way
// whatever the batch: a float sum in index order, as FAISS's own one-query
// kernels (fvec_inner_product / fvec_L2sqr) do it.
float ExactScore(Metric metric, const float* q, const float* x, size_t dim) {
  float acc = 0;
  if (metric == Metric::kEuclidean) {
    for (size_t j = 0; j < dim; ++j) {
      const float d = q[j] - x[j];
      acc += d * d;
    }
    return ToScore(metric, acc);
  }
  for (size_t j = 0; j < dim; ++j) acc += q[j] * x[j];
  return acc;
}

// Best first; equal scores by ascending id, so that the order does not
// depend on how FAISS happened to visit them.
void SortHits(std::vector<SearchHit>* hits) {
  std::sort(hits->begin(), hits->end(),
            [](const SearchHit& a, const SearchHit& b) {
              return a.score != b.score ? a.score > b.score : a.id < b.id;
            });
}

// Validates and (for cosine) normalises n vectors of length dim. Returns a
// pointer to the vectors to use: `in` itself, or `scratch`.
absl::StatusOr<const float*> PrepareVectors(const VectorIndexOptions& options,
                                            absl::Span<const float> in,
                                            const char* what,
                                            std::vector<float>* scratch) {
  const size_t dim = options.dim;
  const size_t n = in.size() / dim;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!std::isfinite(in[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " ", i / dim, " has a non-finite value at ", i % dim));
    }
  }
  if (options.metric != Metric::kCosine) return in.data();
  scratch->assign(in.begin(), in.end());
  for (size_t i = 0; i < n; ++i) {
    float* v = scratch->data() + i * dim;
    double norm2 = 0;
    for (size_t j = 0; j < dim; ++j) norm2 += double{v[j]} * v[j];
    if (!(norm2 > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " ", i, " is all zero: cosine similarity is undefined"));
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(norm2));
    for (size_t j = 0; j < dim; ++j) v[j] *= inv;
  }
  return scratch->data();
}

// Accepts a FAISS label when it maps to a live server id that is neither
// excluded nor rejected by the caller's filter.
class LabelSelector final : public faiss::IDSelector {
 public:
  LabelSelector(const std::vector<int64_t>* positional_labels,
                absl::Span<const int64_t> excluded, const IdPredicate* filter)
      : labels_(positional_labels), excluded_(excluded), filter_(filter) {
    if (excluded_.size() > kLinearScanMax) {
      excluded_set_.insert(excluded_.begin(), excluded_.end());
    }
  }

  bool is_member(idx_t label) const override {
    int64_t id = label;
    if (labels_ != nullptr) {
      if (label < 0 || static_cast<size_t>(label) >= labels_->size()) {
        return false;
      }
      id = (*labels_)[label];
      if (id == kTombstone) return false;
    }
    if (IsExcluded(id)) return false;
    return filter_ == nullptr || (*filter_)(id);
  }

  bool IsExcluded(int64_t id) const {
    if (excluded_.size() > kLinearScanMax) return excluded_set_.contains(id);
    return std::find(excluded_.begin(), excluded_.end(), id) != excluded_.end();
  }

 private:
  static constexpr size_t kLinearScanMax = 16;
  const std::vector<int64_t>* labels_;  // null: labels are server ids
  absl::Span<const int64_t> excluded_;
  absl::flat_hash_set<int64_t> excluded_set_;
  const IdPredicate* filter_;  // may be null
};

// faiss::IOWriter over our atomic file writer.
class SnapshotIOWriter final : public faiss::IOWriter {
 public:
  explicit SnapshotIOWriter(AtomicFileWriter* out) : out_(out) {
    name = "soundsearch snapshot";
  }
  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    if (!out_->Append(ptr, size * nitems).ok()) return 0;
    return nitems;
  }

 private:
  AtomicFileWriter* out_;
};

// faiss::IOReader over a byte range of a file.
class RangeIOReader final : public faiss::IOReader {
 public:
  RangeIOReader(const RandomAccessFile* file, uint64_t offset, uint64_t size)
      : file_(file), pos_(offset), end_(offset + size) {
    name = "soundsearch snapshot";
  }
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0) return nitems;
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(nitems, (end_ - pos_) / size));
    if (!file_->ReadAt(pos_, n * size, ptr).ok()) return 0;
    pos_ += n * size;
    return n;
  }
  uint64_t remaining() const { return end_ - pos_; }

 private:
  const RandomAccessFile* file_;
  uint64_t pos_;
  uint64_t end_;
};

// Snapshot layout: docs/index.md; the frame is index/snapshot_file.h.

size_t HashMapBytes(const absl::flat_hash_map<int64_t, int64_t>& m) {
  return m.capacity() * (sizeof(std::pair<int64_t, int64_t>) + 1);
}

}  // namespace

// --- State ------------------------------------------------------------------
FaissVectorIndex::State::State() = default;
FaissVectorIndex::State::State(State&&) noexcept = default;
FaissVectorIndex::State& FaissVectorIndex::State::operator=(State&&) noexcept =
    default;
FaissVectorIndex::State::~State() = default;

FaissVectorIndex::FaissVectorIndex(const VectorIndexOptions& options,
                                   State state)
    : options_(options), kind_(KindOf(options)), state_(std::move(state)) {}

FaissVectorIndex::Kind FaissVectorIndex::KindOf(
    const VectorIndexOptions& options) {
  const std::string& k = options.index.kind;
  if (k == kHnswName) return Kind::kHnsw;
  if (k == kIvfName) return Kind::kIvf;
  if (k == kSq8Name) return Kind::kSq8;
  if (k == kFp16Name) return Kind::kFp16;
  if (k == kAutoName) return Kind::kAuto;
  return Kind::kFlat;
}

std::vector<IndexKind> FaissVectorIndex::Kinds() {
  std::vector<IndexKind> kinds;
  for (const auto& [name, kind] :
       {std::pair<const char*, Kind>{kFlatName, Kind::kFlat},
        {kHnswName, Kind::kHnsw},
        {kIvfName, Kind::kIvf},
        {kSq8Name, Kind::kSq8},
        {kFp16Name, Kind::kFp16},
        {kAutoName, Kind::kAuto}}) {
    IndexKind entry;
    entry.name = name;
    entry.snapshot_code = static_cast<uint32_t>(kind);
    entry.create = [](const VectorIndexOptions& options)
        -> absl::StatusOr<std::unique_ptr<VectorIndex>> {
      ASSIGN_OR_RETURN(std::unique_ptr<FaissVectorIndex> index,
                       Create(options));
      return std::unique_ptr<VectorIndex>(std::move(index));
    };
    entry.load = &Load;
    kinds.push_back(std::move(entry));
  }
  return kinds;
}

FaissVectorIndex::~FaissVectorIndex() {
  // A background build holds `this`: wait for it (its result is dropped
  // with the index).
  std::thread builder;
  {
    absl::MutexLock lock(&write_mu_);
    builder = std::move(builder_);
  }
  if (builder.joinable()) builder.join();
}

absl::StatusOr<FaissVectorIndex::State> FaissVectorIndex::NewState(
    const VectorIndexOptions& options, Stage stage) {
  std::string key;
  switch (stage) {
    case Stage::kExact:
      key = "Flat";
      break;
    case Stage::kHnsw:
      key = absl::StrCat("HNSW", options.index.hnsw_m, ",Flat");
      break;
    case Stage::kIvf:
      key = absl::StrCat("IVF", options.index.ivf_nlist, ",Flat");
      break;
    case Stage::kSq:
      key = options.index.kind == kFp16Name ? "SQfp16" : "SQ8";
      break;
  }
  State state;
  state.stage = stage;
  RETURN_IF_ERROR(CallFaiss("index_factory", [&] {
    state.index.reset(faiss::index_factory(options.dim, key.c_str(),
                                           FaissMetric(options.metric)));
    if (stage == Stage::kHnsw) {
      faiss::HNSW& hnsw = dynamic_cast<faiss::IndexHNSW&>(*state.index).hnsw;
      hnsw.efConstruction = options.index.hnsw_ef_construction;
      // FAISS 1.7.3 sizes the search queue from this member and ignores
      // SearchParametersHNSW::efSearch there, so it is set once here (never
      // while searches run).
      hnsw.efSearch = options.index.hnsw_ef_search;
      UseVectorisedStorage(dynamic_cast<faiss::IndexHNSW&>(*state.index));
    }
  }));
  return state;
}

absl::StatusOr<std::unique_ptr<FaissVectorIndex>> FaissVectorIndex::Create(
    const VectorIndexOptions& options) {
  RETURN_IF_ERROR(ValidateVectorIndexOptions(options));
  TuneFaissBlas();
  const Kind kind = KindOf(options);
  const Stage stage = kind == Kind::kHnsw   ? Stage::kHnsw
                      : kind == Kind::kFp16 ? Stage::kSq
                                            : Stage::kExact;
  ASSIGN_OR_RETURN(State state, NewState(options, stage));
  return std::unique_ptr<FaissVectorIndex>(
      new FaissVectorIndex(options, std::move(state)));
}

// --- Writes -----------------------------------------------------------------
absl::Status FaissVectorIndex::Add(absl::Span<const int64_t> ids,
                                   absl::Span<const float> vectors) {
  RETURN_IF_ERROR(CheckAddBatch(ids, vectors, options_.dim));
  if (ids.empty()) return absl::OkStatus();
  std::vector<float> scratch;
  ASSIGN_OR_RETURN(const float* data,
                   PrepareVectors(options_, vectors, "Add: vector", &scratch));
  std::vector<int64_t> id_vec(ids.begin(), ids.end());

  absl::MutexLock write_lock(&write_mu_);
  {
    absl::WriterMutexLock lock(&mu_);
    RETURN_IF_ERROR(AddToState(state_, id_vec, data));
  }
  LogForBuild(/*remove=*/false, id_vec, data);
  return MaybeReorganize();
}

void FaissVectorIndex::LogForBuild(bool remove, absl::Span<const int64_t> ids,
                                   const float* vectors) {
  if (!building_) return;
  LoggedWrite w;
  w.remove = remove;
  w.ids.assign(ids.begin(), ids.end());
  if (!remove) w.vectors.assign(vectors, vectors + ids.size() * options_.dim);
  build_log_.push_back(std::move(w));
}

absl::Status FaissVectorIndex::AddToState(State& state,
                                          const std::vector<int64_t>& ids,
                                          const float* vectors) const {
  const size_t dim = options_.dim;
  switch (state.stage) {
    case Stage::kExact:
    case Stage::kSq: {
      auto& flat = dynamic_cast<faiss::IndexFlatCodes&>(*state.index);
      state.where.reserve(state.where.size() + ids.size());
      const bool all_new =
          std::none_of(ids.begin(), ids.end(),
                       [&](int64_t id) { return state.where.contains(id); });
      if (all_new) {  // the common case: no copy
        const int64_t base = flat.ntotal;
        RETURN_IF_ERROR(CallFaiss("add", [&] {
          flat.add(static_cast<FaissId>(ids.size()), vectors);
        }));
        state.labels.insert(state.labels.end(), ids.begin(), ids.end());
        for (size_t i = 0; i < ids.size(); ++i) {
          state.where.emplace(ids[i], base + static_cast<int64_t>(i));
        }
        return absl::OkStatus();
      }
      std::vector<int64_t> new_ids;
      std::vector<float> new_vectors;
      for (size_t i = 0; i < ids.size(); ++i) {
        auto it = state.where.find(ids[i]);
        if (it != state.where.end()) {  // replace in place
          RETURN_IF_ERROR(CallFaiss("sa_encode", [&] {
            flat.sa_encode(1, vectors + i * dim,
                           flat.codes.data() + it->second * flat.code_size);
          }));
        } else {
          new_ids.push_back(ids[i]);
          new_vectors.insert(new_vectors.end(), vectors + i * dim,
                             vectors + (i + 1) * dim);
        }
      }
      if (new_ids.empty()) return absl::OkStatus();
      const int64_t base = flat.ntotal;
      RETURN_IF_ERROR(CallFaiss("add", [&] {
        flat.add(static_cast<FaissId>(new_ids.size()), new_vectors.data());
      }));
      for (size_t i = 0; i < new_ids.size(); ++i) {
        state.labels.push_back(new_ids[i]);
        state.where[new_ids[i]] = base + static_cast<int64_t>(i);
      }
      return absl::OkStatus();
    }
    case Stage::kHnsw: {
      state.where.reserve(state.where.size() + ids.size());
      const int64_t base = state.index->ntotal;
      RETURN_IF_ERROR(CallFaiss("add", [&] {
        state.index->add(static_cast<FaissId>(ids.size()), vectors);
      }));
      for (size_t i = 0; i < ids.size(); ++i) {
        auto [it, inserted] =
            state.where.try_emplace(ids[i], base + static_cast<int64_t>(i));
        if (!inserted) {  // replaced: the old node becomes a tombstone
          state.labels[it->second] = kTombstone;
          ++state.tombstones;
          it->second = base + static_cast<int64_t>(i);
        }
        state.labels.push_back(ids[i]);
      }
      return absl::OkStatus();
    }
    case Stage::kIvf: {
      std::vector<FaissId> existing;
      for (int64_t id : ids) {
        if (state.where.contains(id)) existing.push_back(id);
      }
      static_assert(sizeof(FaissId) == sizeof(int64_t), "id width");
      RETURN_IF_ERROR(CallFaiss("add", [&] {
        if (!existing.empty()) {
          faiss::IDSelectorArray sel(existing.size(), existing.data());
          state.index->remove_ids(sel);
        }
        state.index->add_with_ids(static_cast<FaissId>(ids.size()), vectors,
                                  reinterpret_cast<const FaissId*>(ids.data()));
      }));
      for (int64_t id : ids) state.where[id] = id;
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown stage");
}

absl::StatusOr<int64_t> FaissVectorIndex::Remove(
    absl::Span<const int64_t> ids) {
  absl::MutexLock write_lock(&write_mu_);
  int64_t removed;
  {
    absl::WriterMutexLock lock(&mu_);
    ASSIGN_OR_RETURN(removed, RemoveFromState(state_, ids));
  }
  if (removed > 0) LogForBuild(/*remove=*/true, ids, nullptr);
  RETURN_IF_ERROR(MaybeReorganize());
  return removed;
}

absl::StatusOr<int64_t> FaissVectorIndex::RemoveFromState(
    State& state, absl::Span<const int64_t> ids) const {
  int64_t removed = 0;
  switch (state.stage) {
    case Stage::kExact:
    case Stage::kSq: {
      auto& flat = dynamic_cast<faiss::IndexFlatCodes&>(*state.index);
      for (int64_t id : ids) {
        auto it = state.where.find(id);
        if (it == state.where.end()) continue;
        const int64_t pos = it->second;
        const int64_t last = flat.ntotal - 1;
        state.where.erase(it);
        if (pos != last) {  // move the last vector into the hole
          std::memcpy(flat.codes.data() + pos * flat.code_size,
                      flat.codes.data() + last * flat.code_size,
                      flat.code_size);
          state.labels[pos] = state.labels[last];
          state.where[state.labels[pos]] = pos;
        }
        state.labels.pop_back();
        flat.codes.resize(last * flat.code_size);
        flat.ntotal = last;
        ++removed;
      }
      return removed;
    }
    case Stage::kHnsw:
      for (int64_t id : ids) {
        auto it = state.where.find(id);
        if (it == state.where.end()) continue;
        state.labels[it->second] = kTombstone;
        ++state.tombstones;
        state.where.erase(it);
        ++removed;
      }
      return removed;
    case Stage::kIvf: {
      std::vector<FaissId> present;
      for (int64_t id : ids) {
        if (state.where.erase(id) > 0) present.push_back(id);
      }
      if (!present.empty()) {
        faiss::IDSelectorArray sel(present.size(), present.data());
        RETURN_IF_ERROR(
            CallFaiss("remove_ids", [&] { state.index->remove_ids(sel); }));
      }
      return static_cast<int64_t>(present.size());
    }
  }
  return removed;
}

void FaissVectorIndex::CopyLive(const State& state, std::vector<int64_t>* ids,
                                std::vector<float>* vectors) const {
  const size_t dim = options_.dim;
  ids->clear();
  vectors->clear();
  ids->reserve(state.where.size());
  vectors->reserve(state.where.size() * dim);
  const faiss::IndexFlatCodes* flat = nullptr;
  if (state.stage == Stage::kExact || state.stage == Stage::kSq) {
    flat = &dynamic_cast<const faiss::IndexFlatCodes&>(*state.index);
  } else if (state.stage == Stage::kHnsw) {
    flat = &dynamic_cast<const faiss::IndexFlatCodes&>(
        *dynamic_cast<const faiss::IndexHNSW&>(*state.index).storage);
  }
  if (flat != nullptr) {
    std::vector<float> decoded(state.stage == Stage::kSq ? dim : 0);
    for (size_t pos = 0; pos < state.labels.size(); ++pos) {
      if (state.labels[pos] == kTombstone) continue;
      ids->push_back(state.labels[pos]);
      const uint8_t* code = flat->codes.data() + pos * flat->code_size;
      const float* v = reinterpret_cast<const float*>(code);
      if (state.stage == Stage::kSq) {
        flat->sa_decode(1, code, decoded.data());
        v = decoded.data();
      }
      vectors->insert(vectors->end(), v, v + dim);
    }
    return;
  }
  // kIvf: reconstruct through the direct map.
  std::vector<float> v(dim);
  for (const auto& [id, label] : state.where) {
    state.index->reconstruct(label, v.data());
    ids->push_back(id);
    vectors->insert(vectors->end(), v.begin(), v.end());
  }
}

absl::StatusOr<FaissVectorIndex::State> FaissVectorIndex::BuildState(
    Stage stage, const std::vector<int64_t>& ids,
    const std::vector<float>& vectors) const {
  ASSIGN_OR_RETURN(State state, NewState(options_, stage));
  if (stage == Stage::kSq && !state.index->is_trained) {
    RETURN_IF_ERROR(CallFaiss("train", [&] {
      state.index->train(static_cast<FaissId>(ids.size()), vectors.data());
    }));
  }
  if (stage == Stage::kIvf) {
    RETURN_IF_ERROR(CallFaiss("train", [&] {
      auto& ivf = dynamic_cast<faiss::IndexIVF&>(*state.index);
      ivf.train(static_cast<FaissId>(ids.size()), vectors.data());
      ivf.set_direct_map_type(faiss::DirectMap::Hashtable);
    }));
  }
  RETURN_IF_ERROR(AddToState(state, ids, vectors.data()));
  return state;
}

absl::Status FaissVectorIndex::MaybeReorganize() {
  if (building_) return absl::OkStatus();  // one at a time
  if (writes_before_retry_ > 0) {
    --writes_before_retry_;
    return absl::OkStatus();
  }
  Stage target;
  {
    absl::ReaderMutexLock lock(&mu_);
    const int64_t live = static_cast<int64_t>(state_.where.size());
    if (kind_ == Kind::kIvf && state_.stage == Stage::kExact) {
      const int64_t threshold = options_.index.ivf_train_min_vectors > 0
                                    ? options_.index.ivf_train_min_vectors
                                    : int64_t{39} * options_.index.ivf_nlist;
      if (live < threshold) return absl::OkStatus();
      target = Stage::kIvf;
    } else if (kind_ == Kind::kSq8 && state_.stage == Stage::kExact) {
      if (live < options_.index.sq_train_min_vectors) return absl::OkStatus();
      target = Stage::kSq;
    } else if (kind_ == Kind::kAuto && state_.stage == Stage::kExact) {
      if (live < options_.index.auto_hnsw_min_vectors) {
        return absl::OkStatus();
      }
      target = Stage::kHnsw;
    } else if (state_.stage == Stage::kHnsw && state_.tombstones > 0 &&
               static_cast<double>(state_.tombstones) >
                   options_.index.hnsw_rebuild_tombstone_fraction *
                       static_cast<double>(state_.labels.size())) {
      target = Stage::kHnsw;
    } else {
      return absl::OkStatus();
    }
  }
  // write_mu_ is held: state_ cannot change while we copy. Copy under the
  // shared lock, build with no lock, swap under a short exclusive one.
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  {
    absl::ReaderMutexLock lock(&mu_);
    CopyLive(state_, &ids, &vectors);
  }
  if (static_cast<int64_t>(ids.size()) >=
      options_.index.background_build_min_vectors) {
    // Writers go on; their writes are logged from now on (LogForBuild).
    if (builder_.joinable()) builder_.join();  // the last one, finished
    building_ = true;
    builder_ = std::thread(&FaissVectorIndex::BuildInBackground, this, target,
                           std::move(ids), std::move(vectors));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(State fresh, BuildState(target, ids, vectors));
  State old;
  {
    absl::WriterMutexLock lock(&mu_);
    old = std::exchange(state_, std::move(fresh));
  }
  return absl::OkStatus();  // `old` is freed here, outside the lock
}

void FaissVectorIndex::BuildInBackground(Stage target, std::vector<int64_t> ids,
                                         std::vector<float> vectors) {
  absl::StatusOr<State> fresh = BuildState(target, ids, vectors);
  ids = {};
  vectors = {};
  std::function<void()> hook;
  {
    absl::MutexLock lock(&write_mu_);
    hook = before_swap_for_testing_;
  }
  if (hook) hook();
  State old;
  absl::MutexLock write_lock(&write_mu_);
  // Replay what writers did meanwhile, in order (Add replaces, Remove of an
  // id added later in the log is the same as in state_).
  for (size_t i = 0; fresh.ok() && i < build_log_.size(); ++i) {
    const LoggedWrite& w = build_log_[i];
    if (w.remove) {
      absl::StatusOr<int64_t> removed = RemoveFromState(*fresh, w.ids);
      if (!removed.ok()) fresh = removed.status();
    } else if (absl::Status s = AddToState(*fresh, w.ids, w.vectors.data());
               !s.ok()) {
      fresh = s;
    }
  }
  build_log_.clear();
  building_ = false;
  if (!fresh.ok()) {
    last_build_status_ = fresh.status();
    writes_before_retry_ = 1000;
    return;
  }
  last_build_status_ = absl::OkStatus();
  absl::WriterMutexLock lock(&mu_);
  old = std::exchange(state_, *std::move(fresh));
}  // `old` is freed after both locks are released

absl::Status FaissVectorIndex::WaitForBackgroundBuild() {
  absl::MutexLock lock(
      &write_mu_, absl::Condition(
                      +[](bool* building) { return !*building; }, &building_));
  return last_build_status_;
}

void FaissVectorIndex::SetBeforeSwapForTesting(std::function<void()> fn) {
  absl::MutexLock lock(&write_mu_);
  before_swap_for_testing_ = std::move(fn);
}

bool FaissVectorIndex::background_build_running() {
  absl::MutexLock lock(&write_mu_);
  return building_;
}

// --- Search -----------------------------------------------------------------
absl::StatusOr<std::vector<SearchHit>> FaissVectorIndex::Search(
    absl::Span<const float> query, const SearchOptions& options) const {
  if (query.size() != static_cast<size_t>(options_.dim)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Search: query has ", query.size(), " floats, dim is ", options_.dim));
  }
  ASSIGN_OR_RETURN(auto batch, SearchBatch(query, options, {}));
  return std::move(batch[0]);
}

absl::StatusOr<std::vector<std::vector<SearchHit>>>
FaissVectorIndex::SearchBatch(
    absl::Span<const float> queries, const SearchOptions& options,
    absl::Span<const int64_t> exclude_per_query) const {
  const size_t dim = options_.dim;
  if (queries.empty() || queries.size() % dim != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Search: ", queries.size(),
                     " floats is not a positive multiple of dim ", dim));
  }
  const int64_t n = static_cast<int64_t>(queries.size() / dim);
  if (!exclude_per_query.empty() &&
      exclude_per_query.size() != static_cast<size_t>(n)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Search: exclude_per_query has ", exclude_per_query.size(),
                     " ids for ", n, " queries"));
  }
  if (options.k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Search: k must be >= 1, got ", options.k));
  }
  if (std::isnan(options.min_score)) {
    return absl::InvalidArgumentError("Search: min_score is NaN");
  }
  std::vector<float> scratch;
  ASSIGN_OR_RETURN(
      const float* data,
      PrepareVectors(options_, queries, "Search: query", &scratch));
  absl::ReaderMutexLock lock(&mu_);
  return SearchState(state_, data, n, options, exclude_per_query);
}

absl::StatusOr<std::vector<std::vector<SearchHit>>>
FaissVectorIndex::SearchState(
    const State& state, const float* queries, int64_t n,
    const SearchOptions& options,
    absl::Span<const int64_t> exclude_per_query) const {
  std::vector<std::vector<SearchHit>> results(n);
  const int64_t live = static_cast<int64_t>(state.where.size());
  if (live == 0) return results;
  const size_t dim = options_.dim;

  const bool positional = state.stage != Stage::kIvf;
  const IdPredicate* filter = options.filter ? &options.filter : nullptr;
  LabelSelector selector(positional ? &state.labels : nullptr,
                         options.exclude_ids, filter);
  const bool use_selector =
      filter != nullptr || !options.exclude_ids.empty() || state.tombstones > 0;

  // The float vectors a flat scan reads (kExact, and the storage of kHnsw),
  // for Rescore; null for the other stages.
  const faiss::IndexFlatCodes* floats = nullptr;
  if (state.stage == Stage::kExact) {
    floats = &dynamic_cast<const faiss::IndexFlatCodes&>(*state.index);
  } else if (state.stage == Stage::kHnsw) {
    floats = &dynamic_cast<const faiss::IndexFlatCodes&>(
        *dynamic_cast<const faiss::IndexHNSW&>(*state.index).storage);
  }
  // A flat scan over float vectors (exact stage, or HNSW bypassed).
  const bool flat_scan = state.stage == Stage::kExact ||
                         (state.stage == Stage::kHnsw && options.exact);

  // Ask for one more hit per query when that query's own id is to be dropped
  // afterwards (the selector is shared by the whole batch).
  const int64_t extra = exclude_per_query.empty() ? 0 : 1;
  const int64_t wanted = options.k + extra;
  const int64_t k =
      std::min<int64_t>(wanted + (flat_scan ? kRescoreMargin : 0), live);

  // How many hits a complete answer has, when known without a scan (no
  // filter): live ids minus the excluded ones that are present.
  int64_t excluded_live = 0;
  for (int64_t id : options.exclude_ids) {
    if (state.where.contains(id)) ++excluded_live;
  }

  std::vector<float> distances(static_cast<size_t>(n * k));
  std::vector<FaissId> labels(static_cast<size_t>(n * k));

  faiss::SearchParameters flat_params;
  faiss::SearchParametersHNSW hnsw_params;
  faiss::SearchParametersIVF ivf_params;
  faiss::SearchParameters* params = &flat_params;
  const faiss::Index* searched = state.index.get();
  if (state.stage == Stage::kHnsw && options.exact) {
    searched = floats;  // the graph's storage: an exact scan
  } else if (state.stage == Stage::kHnsw) {
    hnsw_params.efSearch =
        static_cast<int>(std::max<int64_t>(options_.index.hnsw_ef_search, k));
    params = &hnsw_params;
  } else if (state.stage == Stage::kIvf) {
    ivf_params.nprobe =
        options.exact
            ? options_.index.ivf_nlist  // all lists: exact for IVFFlat
            : std::min(options_.index.ivf_nprobe, options_.index.ivf_nlist);
    params = &ivf_params;
  }
  params->sel = use_selector ? &selector : nullptr;
  // Small batches of a flat float scan take the blocked kernel, faster than
  // FAISS's sgemm path there (docs/performance.md): on one OpenMP thread (the
  // serving path, where batches run side by side), or on all of this
  // thread's OpenMP threads, each scanning its own rows, when the scan is
  // large enough to split (kFlatScanMinRowsPerThread). Otherwise (builds and
  // evaluation with many threads over a smaller index) FAISS spreads the
  // queries over the cores. The candidates are rescored below either way.
  const int threads = std::max(1, omp_get_max_threads());
  if (flat_scan && n <= kFlatScanMaxBatch &&
      (threads == 1 || floats->ntotal >= 2 * kFlatScanMinRowsPerThread) &&
      FlatScanAccelerated() && floats->code_size == dim * sizeof(float) &&
      (floats->metric_type == faiss::METRIC_INNER_PRODUCT ||
       floats->metric_type == faiss::METRIC_L2)) {
    FlatScanRowFilter row_filter;
    if (use_selector) {
      row_filter = [&selector](int64_t row) { return selector.is_member(row); };
    }
    FlatScan(floats->metric_type == faiss::METRIC_L2
                 ? FlatScanMetric::kL2
                 : FlatScanMetric::kInnerProduct,
             reinterpret_cast<const float*>(floats->codes.data()),
             floats->ntotal, dim, queries, n, k, row_filter, distances.data(),
             labels.data(), BestFlatScanIsa(), threads);
  } else if (const auto* graph =
                 dynamic_cast<const faiss::IndexHNSW*>(searched);
             params == &hnsw_params && graph != nullptr &&
             CanSearchHnsw(*graph)) {
    // FAISS's answers, with the neighbours' vectors prefetched
    // (index/hnsw_search.h).
    RETURN_IF_ERROR(CallFaiss("search", [&] {
      SearchHnsw(*graph, n, queries, k, hnsw_params, distances.data(),
                 labels.data());
    }));
  } else {
    RETURN_IF_ERROR(CallFaiss("search", [&] {
      searched->search(n, queries, k, distances.data(), labels.data(), params);
    }));
  }

  const Metric metric = options_.metric;
  // `rescore`: recompute each candidate's score from the float vectors
  // (ExactScore), so that the scores and the order do not depend on the
  // batch (BLAS or not).
  auto collect = [&](int64_t q, const float* d, const FaissId* l, int64_t kk,
                     bool rescore, std::vector<SearchHit>* out) {
    out->clear();
    for (int64_t j = 0; j < kk; ++j) {
      if (l[j] < 0) continue;
      const int64_t id = positional ? state.labels[l[j]] : l[j];
      if (id == kTombstone) continue;
      if (extra != 0 && id == exclude_per_query[q]) continue;
      float score = ToScore(metric, d[j]);
      if (rescore) {
        score = ExactScore(metric, queries + q * dim,
                           reinterpret_cast<const float*>(
                               floats->codes.data() + l[j] * floats->code_size),
                           dim);
      }
      out->push_back({id, score});
    }
    SortHits(out);
  };

  std::vector<float> fallback_d;
  std::vector<FaissId> fallback_l;
  const bool approximate = !options.exact && (state.stage == Stage::kHnsw ||
                                              state.stage == Stage::kIvf);
  for (int64_t q = 0; q < n; ++q) {
    std::vector<SearchHit>& hits = results[q];
    collect(q, distances.data() + q * k, labels.data() + q * k, k, flat_scan,
            &hits);
    // Approximate kinds may come back short (HNSW with a selective filter or
    // many tombstones, IVF when the probed lists hold too few qualifying
    // ids). If a complete answer could hold more, redo this query exactly.
    if (approximate && static_cast<int64_t>(hits.size()) < options.k) {
      bool maybe_more = true;
      if (filter == nullptr) {
        int64_t own_live = extra != 0 &&
                                   state.where.contains(exclude_per_query[q]) &&
                                   !selector.IsExcluded(exclude_per_query[q])
                               ? 1
                               : 0;
        maybe_more =
            static_cast<int64_t>(hits.size()) < live - excluded_live - own_live;
      }
      if (maybe_more) {
        const int64_t fk = std::min<int64_t>(
            wanted + (state.stage == Stage::kHnsw ? kRescoreMargin : 0), live);
        fallback_d.resize(fk);
        fallback_l.resize(fk);
        RETURN_IF_ERROR(CallFaiss("exact fallback search", [&] {
          if (state.stage == Stage::kHnsw) {
            faiss::SearchParameters p;
            p.sel = use_selector ? &selector : nullptr;
            floats->search(1, queries + q * dim, fk, fallback_d.data(),
                           fallback_l.data(), &p);
          } else {
            faiss::SearchParametersIVF p;
            p.nprobe =
                options_.index.ivf_nlist;  // all lists: exact for IVFFlat
            p.sel = use_selector ? &selector : nullptr;
            state.index->search(1, queries + q * dim, fk, fallback_d.data(),
                                fallback_l.data(), &p);
          }
        }));
        collect(q, fallback_d.data(), fallback_l.data(), fk,
                state.stage == Stage::kHnsw, &hits);
      }
    }
    // Drop below min_score and cut to k.
    size_t keep = 0;
    while (keep < hits.size() && keep < static_cast<size_t>(options.k) &&
           hits[keep].score >= options.min_score) {
      ++keep;
    }
    hits.resize(keep);
  }
  return results;
}

bool FaissVectorIndex::PrefersBatches(bool exact) const {
  absl::ReaderMutexLock lock(&mu_);
  return state_.stage == Stage::kExact ||
         (exact && state_.stage == Stage::kHnsw);
}

bool FaissVectorIndex::PrefersWideBatches(bool exact) const {
  if (!FlatScanAccelerated()) return false;
  absl::ReaderMutexLock lock(&mu_);
  const bool flat =
      state_.stage == Stage::kExact || (exact && state_.stage == Stage::kHnsw);
  return flat && state_.index != nullptr &&
         state_.index->ntotal >= 2 * kFlatScanMinRowsPerThread;
}

absl::StatusOr<std::vector<float>> FaissVectorIndex::Vector(int64_t id) const {
  const size_t dim = options_.dim;
  absl::ReaderMutexLock lock(&mu_);
  const State& s = state_;
  auto it = s.where.find(id);
  if (it == s.where.end()) {
    return absl::NotFoundError(absl::StrCat("id ", id, " is not in the index"));
  }
  std::vector<float> v(dim);
  switch (s.stage) {
    case Stage::kExact:
    case Stage::kHnsw: {
      const faiss::IndexFlatCodes& flat =
          s.stage == Stage::kExact
              ? dynamic_cast<const faiss::IndexFlatCodes&>(*s.index)
              : dynamic_cast<const faiss::IndexFlatCodes&>(
                    *dynamic_cast<const faiss::IndexHNSW&>(*s.index).storage);
      std::memcpy(v.data(), flat.codes.data() + it->second * flat.code_size,
                  dim * sizeof(float));
      return v;
    }
    case Stage::kIvf:
      RETURN_IF_ERROR(CallFaiss(
          "reconstruct", [&] { s.index->reconstruct(it->second, v.data()); }));
      return v;
    case Stage::kSq:
      break;
  }
  return absl::UnimplementedError(
      "a scalar-quantised index keeps no exact vector copies");
}

// --- Introspection ----------------------------------------------------------
int64_t FaissVectorIndex::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return static_cast<int64_t>(state_.where.size());
}

bool FaissVectorIndex::Contains(int64_t id) const {
  absl::ReaderMutexLock lock(&mu_);
  return state_.where.contains(id);
}

int64_t FaissVectorIndex::tombstones() const {
  absl::ReaderMutexLock lock(&mu_);
  return state_.tombstones;
}

bool FaissVectorIndex::trained() const {
  absl::ReaderMutexLock lock(&mu_);
  return !((kind_ == Kind::kIvf || kind_ == Kind::kSq8) &&
           state_.stage == Stage::kExact);
}

FaissVectorIndex::Stage FaissVectorIndex::stage() const {
  absl::ReaderMutexLock lock(&mu_);
  return state_.stage;
}

void FaissVectorIndex::WithFaissIndex(
    absl::FunctionRef<void(const faiss::Index&)> fn) const {
  absl::ReaderMutexLock lock(&mu_);
  fn(*state_.index);
}

size_t FaissVectorIndex::MemoryBytes() const {
  absl::ReaderMutexLock lock(&mu_);
  const State& s = state_;
  size_t bytes = HashMapBytes(s.where) + s.labels.capacity() * sizeof(int64_t);
  switch (s.stage) {
    case Stage::kExact:
    case Stage::kSq:
      bytes +=
          dynamic_cast<const faiss::IndexFlatCodes&>(*s.index).codes.capacity();
      break;
    case Stage::kHnsw: {
      const auto& hnsw = dynamic_cast<const faiss::IndexHNSW&>(*s.index);
      bytes += dynamic_cast<const faiss::IndexFlatCodes&>(*hnsw.storage)
                   .codes.capacity();
      bytes += hnsw.hnsw.neighbors.capacity() * sizeof(int32_t) +
               hnsw.hnsw.levels.capacity() * sizeof(int) +
               hnsw.hnsw.offsets.capacity() * sizeof(size_t);
      break;
    }
    case Stage::kIvf: {
      const auto& ivf = dynamic_cast<const faiss::IndexIVF&>(*s.index);
      const size_t ntotal = static_cast<size_t>(ivf.ntotal);
      bytes += ntotal * (ivf.code_size + sizeof(FaissId));
      bytes += static_cast<size_t>(ivf.nlist) * options_.dim * sizeof(float);
      // Direct-map hash table (std::unordered_map node per id).
      bytes += ntotal * 40;
      break;
    }
  }
  return bytes;
}

// --- Snapshots --------------------------------------------------------------
absl::Status FaissVectorIndex::Save(const std::string& path,
                                    const SnapshotMarks& marks) const {
  ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> out,
                   AtomicFileWriter::Open(path));
  // Writers wait only while the bytes go to the file, not for its fsync.
  mu_.ReaderLock();
  absl::Cleanup unlock = [this] { mu_.ReaderUnlock(); };
  const State& s = state_;
  std::vector<int64_t> ivf_ids;
  const std::vector<int64_t>* labels = &s.labels;
  if (s.stage == Stage::kIvf) {
    ivf_ids.reserve(s.where.size());
    for (const auto& entry : s.where) ivf_ids.push_back(entry.first);
    std::sort(ivf_ids.begin(), ivf_ids.end());
    labels = &ivf_ids;
  }
  SnapshotHeader h = NewSnapshotHeader();
  h.dim = static_cast<uint32_t>(options_.dim);
  h.metric = static_cast<uint32_t>(options_.metric);
  h.kind = static_cast<uint32_t>(kind_);
  h.stage = static_cast<uint32_t>(s.stage);
  h.hnsw_m =
      kind_ == Kind::kHnsw || kind_ == Kind::kAuto ? options_.index.hnsw_m : 0;
  h.ivf_nlist = kind_ == Kind::kIvf ? options_.index.ivf_nlist : 0;
  h.store_sequence = marks.store_sequence;
  h.projection_version = marks.projection_version;
  h.num_labels = labels->size();
  h.num_tombstones = static_cast<uint64_t>(s.tombstones);
  RETURN_IF_ERROR(out->Append(&h, sizeof(h)));
  RETURN_IF_ERROR(
      out->Append(labels->data(), labels->size() * sizeof(int64_t)));
  const uint64_t before = out->bytes_written();
  {
    SnapshotIOWriter writer(out.get());
    RETURN_IF_ERROR(CallFaiss(
        "write_index", [&] { faiss::write_index(s.index.get(), &writer); }));
  }
  std::move(unlock).Invoke();
  return FinishSnapshot(*out, out->bytes_written() - before);
}

absl::StatusOr<LoadedVectorIndex> FaissVectorIndex::Load(
    const std::string& path, const VectorIndexOptions& expected) {
  RETURN_IF_ERROR(ValidateVectorIndexOptions(expected));
  TuneFaissBlas();
  ASSIGN_OR_RETURN(VerifiedSnapshot snapshot, OpenVerifiedSnapshot(path));
  const std::unique_ptr<RandomAccessFile>& file = snapshot.file;
  const SnapshotHeader& h = snapshot.header;
  const SnapshotTrailer& t = snapshot.trailer;
  auto corrupt = [&](const std::string& why) {
    return absl::DataLossError(absl::StrCat("snapshot ", path, ": ", why));
  };
  const Kind kind = KindOf(expected);
  const uint32_t want_m =
      kind == Kind::kHnsw || kind == Kind::kAuto ? expected.index.hnsw_m : 0;
  const uint32_t want_nlist = kind == Kind::kIvf ? expected.index.ivf_nlist : 0;
  if (h.dim != static_cast<uint32_t>(expected.dim) ||
      h.metric != static_cast<uint32_t>(expected.metric) ||
      h.kind != static_cast<uint32_t>(kind) || h.hnsw_m != want_m ||
      h.ivf_nlist != want_nlist) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot ", path, " has dim ", h.dim, " metric ", h.metric, " kind ",
        h.kind, " hnsw_m ", h.hnsw_m, " ivf_nlist ", h.ivf_nlist,
        "; expected dim ", expected.dim, " metric ",
        static_cast<int>(expected.metric), " kind ",
        static_cast<uint32_t>(kind), " hnsw_m ", want_m, " ivf_nlist ",
        want_nlist));
  }
  const uint64_t body = snapshot.body_bytes();
  if (h.num_labels > body / sizeof(int64_t) ||
      h.num_labels * sizeof(int64_t) + t.payload_bytes != body) {
    return corrupt("section sizes do not add up");
  }
  Stage stage;
  switch (h.stage) {
    case 0:
      stage = Stage::kExact;
      break;
    case 1:
      stage = Stage::kHnsw;
      break;
    case 2:
      stage = Stage::kIvf;
      break;
    case 3:
      stage = Stage::kSq;
      break;
    default:
      return corrupt(absl::StrCat("unknown stage ", h.stage));
  }
  const bool stage_ok =
      (kind == Kind::kFlat && stage == Stage::kExact) ||
      (kind == Kind::kHnsw && stage == Stage::kHnsw) ||
      (kind == Kind::kIvf &&
       (stage == Stage::kExact || stage == Stage::kIvf)) ||
      (kind == Kind::kSq8 && (stage == Stage::kExact || stage == Stage::kSq)) ||
      (kind == Kind::kFp16 && stage == Stage::kSq) ||
      (kind == Kind::kAuto &&
       (stage == Stage::kExact || stage == Stage::kHnsw));
  if (!stage_ok) return corrupt("stage does not match kind");

  State state;
  state.stage = stage;
  state.labels.resize(h.num_labels);
  RETURN_IF_ERROR(file->ReadAt(sizeof(h), h.num_labels * sizeof(int64_t),
                               state.labels.data()));
  RangeIOReader reader(file.get(), sizeof(h) + h.num_labels * sizeof(int64_t),
                       t.payload_bytes);
  absl::Status read = CallFaiss("faiss could not read the index", [&] {
    state.index.reset(faiss::read_index(&reader));
  });
  if (!read.ok()) return corrupt(std::string(read.message()));
  const faiss::Index& idx = *state.index;
  bool type_ok = false;
  switch (stage) {
    case Stage::kExact:
      type_ok = dynamic_cast<const faiss::IndexFlat*>(&idx) != nullptr;
      break;
    case Stage::kHnsw:
      type_ok = dynamic_cast<const faiss::IndexHNSWFlat*>(&idx) != nullptr;
      break;
    case Stage::kIvf: {
      const auto* ivf = dynamic_cast<const faiss::IndexIVFFlat*>(&idx);
      type_ok = ivf != nullptr && ivf->is_trained &&
                ivf->direct_map.type == faiss::DirectMap::Hashtable &&
                ivf->nlist == static_cast<size_t>(expected.index.ivf_nlist);
      break;
    }
    case Stage::kSq: {
      const auto* sq = dynamic_cast<const faiss::IndexScalarQuantizer*>(&idx);
      type_ok = sq != nullptr && sq->is_trained &&
                sq->sq.qtype == (kind == Kind::kFp16
                                     ? faiss::ScalarQuantizer::QT_fp16
                                     : faiss::ScalarQuantizer::QT_8bit);
      break;
    }
  }
  if (!type_ok || idx.d != expected.dim ||
      idx.metric_type != FaissMetric(expected.metric) ||
      static_cast<uint64_t>(idx.ntotal) != h.num_labels ||
      reader.remaining() != 0) {
    return corrupt("faiss index does not match the header");
  }
  if (stage == Stage::kIvf) {
    // The IVF lists hold the ids themselves: they must be the id section's
    // (found by snapshot_fuzzer: otherwise a search returns ids the index
    // says it does not contain).
    const auto& stored =
        dynamic_cast<const faiss::IndexIVFFlat&>(idx).direct_map.hashtable;
    if (stored.size() != state.labels.size()) {
      return corrupt("the ids of the faiss index and the id section differ");
    }
    for (const int64_t id : state.labels) {
      if (stored.count(id) == 0) {
        return corrupt("the ids of the faiss index and the id section differ");
      }
    }
  }
  state.where.reserve(state.labels.size());
  for (size_t i = 0; i < state.labels.size(); ++i) {
    const int64_t id = state.labels[i];
    if (id == kTombstone && stage == Stage::kHnsw) {
      ++state.tombstones;
      continue;
    }
    if (id < 0) return corrupt("negative id");
    const int64_t label = stage == Stage::kIvf ? id : static_cast<int64_t>(i);
    if (!state.where.try_emplace(id, label).second) {
      return corrupt(absl::StrCat("id ", id, " appears twice"));
    }
  }
  if (static_cast<uint64_t>(state.tombstones) != h.num_tombstones) {
    return corrupt("tombstone count does not match the header");
  }
  if (stage == Stage::kHnsw) {
    faiss::HNSW& hnsw = dynamic_cast<faiss::IndexHNSW&>(*state.index).hnsw;
    hnsw.efConstruction = expected.index.hnsw_ef_construction;
    hnsw.efSearch = expected.index.hnsw_ef_search;  // see NewState
    UseVectorisedStorage(dynamic_cast<faiss::IndexHNSW&>(*state.index));
  }
  LoadedVectorIndex loaded;
  loaded.marks.store_sequence = h.store_sequence;
  loaded.marks.projection_version = h.projection_version;
  loaded.index = std::unique_ptr<VectorIndex>(
      new FaissVectorIndex(expected, std::move(state)));
  return loaded;
}

}  // namespace soundsearch
