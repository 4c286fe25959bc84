#include "collection/live_space.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collection/collection_evaluation.h"
#include "faiss/faiss_blas.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

// Model kind under which a space's fitted state (codebook + projection) is
// kept in the store. The store's model version is the projection version
// recorded in index snapshots.
constexpr char kFittedStateModel[] = "fitted_state";
// Vectors projected and added to an index per call while (re)building.
constexpr size_t kRebuildBatch = 4096;

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

VectorIndexOptions IndexOptionsFor(const SpaceConfig& config, int dim) {
  VectorIndexOptions o;
  o.dim = dim;
  o.metric = config.metric;
  o.index = config.index;
  return o;
}

// Visits the stored raw vectors of `space`, decoded, in increasing id order,
// up to `batch` at a time; `visit` may move from the vectors it is given.
// DataLoss names an undecodable raw vector.
using RawBatchVisitor = std::function<absl::Status(
    std::vector<int64_t>* ids, std::vector<RawEmbedding>* raws)>;
absl::Status ForEachRawBatch(const SoundStore& store, const std::string& space,
                             size_t batch, const RawBatchVisitor& visit) {
  std::vector<int64_t> ids;
  std::vector<RawEmbedding> raws;
  absl::Status status;
  auto flush = [&]() -> absl::Status {
    if (ids.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(visit(&ids, &raws));
    ids.clear();
    raws.clear();
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(
      store.ForEachRaw(space, [&](uint64_t id, absl::string_view bytes) {
        auto raw = RawEmbedding::Decode(bytes);
        if (!raw.ok()) {
          status = absl::DataLossError(
              absl::StrCat("raw vector of sound ", id, " in space '", space,
                           "': ", raw.status().message()));
          return false;
        }
        ids.push_back(static_cast<int64_t>(id));
        raws.push_back(*std::move(raw));
        if (ids.size() >= batch) {
          status = flush();
          if (!status.ok()) return false;
        }
        return true;
      }));
  RETURN_IF_ERROR(status);
  return flush();
}

// Projects `raws` with `space` and adds them to `index` under `ids`,
// kRebuildBatch at a time: the one batch loop of Rebuild and Refit.
absl::Status AddProjected(const Space& space, absl::Span<const int64_t> ids,
                          absl::Span<const RawEmbedding> raws,
                          VectorIndex& index) {
  for (size_t begin = 0; begin < ids.size(); begin += kRebuildBatch) {
    const size_t n = std::min(kRebuildBatch, ids.size() - begin);
    ASSIGN_OR_RETURN(std::vector<float> vectors,
                     space.ProjectBatch(raws.subspan(begin, n)));
    RETURN_IF_ERROR(index.Add(ids.subspan(begin, n), vectors));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> ReadVector(const SoundStore& store,
                                              const Space& space, uint64_t id) {
  ASSIGN_OR_RETURN(std::string bytes, store.GetRaw(space.name(), id));
  ASSIGN_OR_RETURN(RawEmbedding raw, RawEmbedding::Decode(bytes));
  return space.Project(raw);
}

}  // namespace

// ---- Open -------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<LiveSpace>> LiveSpace::Open(
    std::unique_ptr<Space> space, std::string snapshot_path, SoundStore* store,
    absl::Mutex* write_mu) {
  if (space == nullptr || store == nullptr || write_mu == nullptr) {
    return absl::InvalidArgumentError("LiveSpace::Open: null argument");
  }
  std::unique_ptr<LiveSpace> live(new LiveSpace(
      space->config(), std::move(snapshot_path), store, write_mu));
  RETURN_IF_ERROR(live->Load(std::move(space)));
  return live;
}

LiveSpace::LiveSpace(SpaceConfig config, std::string snapshot_path,
                     SoundStore* store, absl::Mutex* write_mu)
    : config_(std::move(config)),
      snapshot_path_(std::move(snapshot_path)),
      store_(store),
      write_mu_(write_mu) {}

std::shared_ptr<const SpaceView> LiveSpace::view() const {
  absl::MutexLock lock(&view_mu_);
  return view_;
}

void LiveSpace::Publish(std::shared_ptr<const SpaceView> view) {
  absl::MutexLock lock(&view_mu_);
  view_ = std::move(view);
}

absl::Status LiveSpace::Load(std::unique_ptr<Space> space) {
  auto view = std::make_shared<SpaceView>();
  auto model = store_->GetModel(name(), kFittedStateModel);
  if (model.ok()) {
    auto fitted = space->WithFittedState(model->bytes);
    if (!fitted.ok()) {
      return absl::Status(
          fitted.status().code(),
          absl::StrCat("space '", name(), "': stored fitted state unusable (",
                       fitted.status().message(),
                       "); was the space's config changed? Use a new space "
                       "name for a different recipe"));
    }
    view->space = *std::move(fitted);
    view->projection_version = model->version;
  } else if (absl::IsNotFound(model.status())) {
    view->space = std::move(space);
  } else {
    return model.status();
  }

  const VectorIndexOptions index_options =
      IndexOptionsFor(config_, view->space->index_dim());
  auto snapshot = VectorIndex::Load(snapshot_path_, index_options);
  const uint64_t last = store_->LastSequence();
  if (snapshot.ok() &&
      snapshot->marks.projection_version == view->projection_version &&
      snapshot->marks.store_sequence <= last) {
    view->index = std::move(snapshot->index);
    RETURN_IF_ERROR(Replay(*view, snapshot->marks.store_sequence));
  } else {
    // Missing, corrupt, of other options, of another projection, or ahead of
    // the store (a snapshot from another store): rebuild from the source of
    // truth.
    ASSIGN_OR_RETURN(std::unique_ptr<VectorIndex> index,
                     VectorIndex::Create(index_options));
    RETURN_IF_ERROR(Rebuild(*view->space, *index));
    view->index = std::move(index);
  }
  Publish(std::move(view));
  return absl::OkStatus();
}

absl::Status LiveSpace::Rebuild(const Space& space, VectorIndex& index) const {
  return ForEachRawBatch(
      *store_, name(), kRebuildBatch,
      [&](std::vector<int64_t>* ids, std::vector<RawEmbedding>* raws) {
        return AddProjected(space, *ids, *raws, index);
      });
}

absl::Status LiveSpace::Replay(const SpaceView& view, uint64_t after) const {
  absl::Status status;
  RETURN_IF_ERROR(store_->ForEachChangeSince(after, [&](const Change& change) {
    const int64_t ids[] = {static_cast<int64_t>(change.id)};
    if (change.kind == ChangeKind::kDelete) {
      status = view.index->Remove(ids).status();
      return status.ok();
    }
    // kAdd: index the sound's current raw vector.
    auto bytes = store_->GetRaw(name(), change.id);
    if (absl::IsNotFound(bytes.status())) {
      // Deleted later in the log, or stored without this space.
      status = view.index->Remove(ids).status();
      return status.ok();
    }
    if (!bytes.ok()) {
      status = bytes.status();
      return false;
    }
    auto raw = RawEmbedding::Decode(*bytes);
    if (!raw.ok()) {
      status = raw.status();
      return false;
    }
    auto vector = view.space->Project(*raw);
    if (!vector.ok()) {
      status = vector.status();
      return false;
    }
    status = view.index->Add(ids, *vector);
    return status.ok();
  }));
  return status;
}

// ---- Writes (under the writer lock) -----------------------------------------

absl::Status LiveSpace::Add(uint64_t id, const RawEmbedding& raw) {
  std::shared_ptr<const SpaceView> v = view();
  ASSIGN_OR_RETURN(std::vector<float> vector, v->space->Project(raw));
  const int64_t ids[] = {static_cast<int64_t>(id)};
  return v->index->Add(ids, vector);
}

absl::Status LiveSpace::Remove(uint64_t id) {
  const int64_t ids[] = {static_cast<int64_t>(id)};
  return view()->index->Remove(ids).status();
}

absl::Status LiveSpace::SaveSnapshot(uint64_t sequence) {
  std::shared_ptr<const SpaceView> v = view();
  SnapshotMarks marks;
  marks.store_sequence = sequence;
  marks.projection_version = v->projection_version;
  RETURN_IF_ERROR(v->index->Save(snapshot_path_, marks));
  SnapshotMark mark;
  mark.sequence = sequence;
  mark.location = snapshot_path_;
  return store_->PutSnapshotMark(name(), mark);
}

// ---- Refit ------------------------------------------------------------------

absl::StatusOr<RefitResult> LiveSpace::Refit(bool only_unfitted,
                                             const SwapHook& on_swap) {
  absl::MutexLock refit_lock(&refit_mu_);
  const std::shared_ptr<const SpaceView> current = view();
  if (only_unfitted && current->projection_version != 0) {
    return RefitResult{name(), current->projection_version, 0, 0};
  }
  const auto start = Clock::now();
  // Changes after `after` are replayed into the new index before the swap.
  // Reading it before the raw vectors is safe: replay is idempotent.
  const uint64_t after = store_->LastSequence();
  // Fit needs every raw vector at once: one batch of all of them.
  std::vector<int64_t> ids;
  std::vector<RawEmbedding> raws;
  RETURN_IF_ERROR(ForEachRawBatch(
      *store_, name(), /*batch=*/SIZE_MAX,
      [&](std::vector<int64_t>* all_ids, std::vector<RawEmbedding>* all_raws) {
        ids = std::move(*all_ids);
        raws = std::move(*all_raws);
        return absl::OkStatus();
      }));
  if (raws.size() < 2) {
    return absl::FailedPreconditionError(
        absl::StrCat("space '", name(), "' holds ", raws.size(),
                     " sounds; fitting needs at least 2"));
  }

  // The current space's encoder goes on serving the new view.
  auto next = std::make_shared<SpaceView>();
  ASSIGN_OR_RETURN(next->space, current->space->Fit(raws));
  ASSIGN_OR_RETURN(std::string blob, next->space->SerializeFittedState());
  ASSIGN_OR_RETURN(
      std::unique_ptr<VectorIndex> index,
      VectorIndex::Create(IndexOptionsFor(config_, next->space->index_dim())));
  RETURN_IF_ERROR(AddProjected(*next->space, ids, raws, *index));
  next->index = std::move(index);
  {
    absl::MutexLock lock(write_mu_);
    ASSIGN_OR_RETURN(next->projection_version,
                     store_->PutModel(name(), kFittedStateModel, blob));
    RETURN_IF_ERROR(Replay(*next, after));
    Publish(next);
    if (on_swap) on_swap(next);
  }
  return RefitResult{name(), next->projection_version,
                     static_cast<uint64_t>(next->index->size()),
                     SecondsSince(start)};
}

// ---- Queries ----------------------------------------------------------------

absl::StatusOr<std::vector<float>> LiveSpace::StoredVector(
    const SpaceView& view, uint64_t id) const {
  return ReadVector(*store_, *view.space, id);
}

absl::StatusOr<std::vector<float>> LiveSpace::QueryVector(const SpaceView& view,
                                                          uint64_t id) const {
  auto copy = view.index->Vector(static_cast<int64_t>(id));
  if (copy.ok()) return copy;
  // Not in the index (NotFound names the sound properly below) or no copy
  // kept: the source of truth.
  return StoredVector(view, id);
}

void LiveSpace::SetSearchBatching(const SearchBatchingOptions& options,
                                  SearchObserver* observer) {
  observer_ = observer;
  omp_threads_ = options.omp_threads;
  if (options.enabled) {
    coalescer_ = std::make_unique<SearchCoalescer>(name(), options, observer);
  } else {
    coalescer_.reset();
  }
}

absl::StatusOr<QueryResult> LiveSpace::Search(
    const SpaceView& view, absl::Span<const float> vector,
    const QueryOptions& options, std::optional<uint64_t> exclude,
    std::shared_ptr<const IdSet> allowed) const {
  SpaceQuery query{vector, &options, exclude, std::move(allowed)};
  return std::move(SearchMany(view, {&query, 1})[0]);
}

std::vector<absl::StatusOr<QueryResult>> LiveSpace::SearchMany(
    const SpaceView& view, absl::Span<const SpaceQuery> queries) const {
  // The OpenMP threads of this thread's index searches (a leader runs its
  // batch on its own thread, inside this call).
  ScopedOmpThreads omp_threads(omp_threads_);
  QueryResult empty;
  empty.space = name();
  empty.collection_size = static_cast<uint64_t>(view.index->size());
  std::vector<absl::StatusOr<QueryResult>> out(queries.size(), empty);

  // Unfiltered queries: one batched search (coalesced with other callers').
  std::vector<CoalescedQuery> plain;
  std::vector<size_t> rows;
  for (size_t i = 0; i < queries.size(); ++i) {
    const SpaceQuery& q = queries[i];
    if (q.allowed != nullptr) continue;
    CoalescedQuery c;
    c.vector = q.vector;
    c.k = q.options->k;
    c.exact = q.options->exact;
    if (q.exclude.has_value()) c.exclude = static_cast<int64_t>(*q.exclude);
    if (q.options->min_score.has_value()) c.min_score = *q.options->min_score;
    plain.push_back(c);
    rows.push_back(i);
  }
  if (!plain.empty()) {
    const auto start = Clock::now();
    std::vector<CoalescedResult> hits;
    // Coalesce only where a batch is cheaper (VectorIndex::PrefersBatches);
    // graph and quantised searches run on the caller's thread.
    const bool coalesce =
        coalescer_ != nullptr &&
        std::all_of(plain.begin(), plain.end(), [&](const CoalescedQuery& c) {
          return view.index->PrefersBatches(c.exact);
        });
    if (coalesce) {
      hits = coalescer_->Search(*view.index, plain);
    } else {
      // BatchSearch takes one k and exact flag per call.
      hits.resize(plain.size(), absl::InternalError("not searched"));
      std::vector<bool> done(plain.size(), false);
      for (size_t i = 0; i < plain.size(); ++i) {
        if (done[i]) continue;
        std::vector<CoalescedQuery> group;
        std::vector<size_t> members;
        for (size_t j = i; j < plain.size(); ++j) {
          if (!done[j] && plain[j].k == plain[i].k &&
              plain[j].exact == plain[i].exact) {
            group.push_back(plain[j]);
            members.push_back(j);
            done[j] = true;
          }
        }
        const auto group_start = Clock::now();
        std::vector<CoalescedResult> group_hits =
            BatchSearch(*view.index, group);
        if (observer_ != nullptr) {
          observer_->OnIndexSearch(name(), static_cast<int>(group.size()),
                                   SecondsSince(group_start));
        }
        for (size_t m = 0; m < members.size(); ++m) {
          hits[members[m]] = std::move(group_hits[m]);
        }
      }
    }
    const double seconds = SecondsSince(start);
    for (size_t j = 0; j < rows.size(); ++j) {
      if (!hits[j].ok()) {
        out[rows[j]] = hits[j].status();
        continue;
      }
      QueryResult& result = *out[rows[j]];
      result.search_seconds = seconds;
      result.hits.reserve(hits[j]->size());
      for (const SearchHit& hit : *hits[j]) {
        result.hits.push_back({static_cast<uint64_t>(hit.id), hit.score});
      }
    }
  }

  // Filtered queries: alone, with the filter inside the index search.
  for (size_t i = 0; i < queries.size(); ++i) {
    const SpaceQuery& q = queries[i];
    if (q.allowed == nullptr) continue;
    if (q.allowed->empty()) continue;  // nothing qualifies
    SearchOptions search;
    search.k = q.options->k;
    search.exact = q.options->exact;
    if (q.options->min_score.has_value()) {
      search.min_score = *q.options->min_score;
    }
    const int64_t excluded[] = {
        q.exclude.has_value() ? static_cast<int64_t>(*q.exclude) : 0};
    if (q.exclude.has_value()) search.exclude_ids = excluded;
    std::shared_ptr<const IdSet> allowed = q.allowed;
    search.filter = [allowed](int64_t id) { return allowed->contains(id); };
    const auto start = Clock::now();
    auto hits = view.index->Search(q.vector, search);
    const double seconds = SecondsSince(start);
    if (observer_ != nullptr) observer_->OnIndexSearch(name(), 1, seconds);
    if (!hits.ok()) {
      out[i] = hits.status();
      continue;
    }
    QueryResult& result = *out[i];
    result.search_seconds = seconds;
    result.hits.reserve(hits->size());
    for (const SearchHit& hit : *hits) {
      result.hits.push_back({static_cast<uint64_t>(hit.id), hit.score});
    }
  }
  return out;
}

WordSpace LiveSpace::WordSpaceOf(std::shared_ptr<const SpaceView> view) const {
  WordSpace ws;
  ws.name = name();
  ws.projection_version = view->projection_version;
  const SoundStore* store = store_;
  ws.vector = [store, view](uint64_t id) {
    return ReadVector(*store, *view->space, id);
  };
  return ws;
}

SpaceStatus LiveSpace::Status() const {
  std::shared_ptr<const SpaceView> v = view();
  SpaceStatus s;
  s.config = config_;
  s.raw_dim = v->space->pooled_dim();
  s.index_dim = v->space->index_dim();
  s.fitted = v->projection_version != 0;
  s.projection_version = v->projection_version;
  s.vectors = static_cast<uint64_t>(v->index->size());
  s.sample_rate = v->space->sample_rate();
  return s;
}

// ---- Evaluation -------------------------------------------------------------

absl::StatusOr<SpaceEvaluation> LiveSpace::Evaluate(
    const EvaluationRequest& request) {
  const Metric metric = config_.metric;
  ASSIGN_OR_RETURN(SpaceEvaluation evaluation,
                   EvaluateStoredSpace(*store_, name(), metric,
                                       WordSpaceOf(view()).vector, request));
  RETURN_IF_ERROR(
      store_->PutEvaluation(name(), EncodeStoredEvaluation(evaluation)));
  return evaluation;
}

absl::StatusOr<SpaceEvaluation> LiveSpace::LastEvaluation() const {
  auto stored = store_->GetEvaluation(name());
  if (absl::IsNotFound(stored.status())) {
    // Written before evaluations had their own slot.
    auto legacy = store_->GetModel(name(), kLegacyEvaluationModelKind);
    if (absl::IsNotFound(legacy.status())) {
      return absl::NotFoundError(
          absl::StrCat("space '", name(), "' has not been evaluated"));
    }
    RETURN_IF_ERROR(legacy.status());
    return DecodeStoredEvaluation(legacy->bytes);
  }
  RETURN_IF_ERROR(stored.status());
  return DecodeStoredEvaluation(*stored);
}

}  // namespace soundsearch
