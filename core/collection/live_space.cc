#include "collection/live_space.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
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

// Why a projected vector cannot be held by an index of `metric` (the index
// refuses it: VectorIndex::Add); empty when it can.
std::string Unindexable(absl::Span<const float> vector, Metric metric) {
  bool zero = true;
  for (float x : vector) {
    if (!std::isfinite(x)) return "its vector holds a value that is not finite";
    if (x != 0) zero = false;
  }
  if (zero && metric == Metric::kCosine) {
    return "its vector is all zeros, which cosine similarity cannot rank "
           "(silent or constant audio?)";
  }
  return "";
}

// Visits the stored raw vectors of `space`, decoded, in increasing id order,
// up to `batch` at a time; `visit` may move from the vectors it is given.
// An undecodable raw vector goes to *unusable, or, when it is null, ends
// the visit with DataLoss naming it.
using RawBatchVisitor = std::function<absl::Status(
    std::vector<int64_t>* ids, std::vector<RawEmbedding>* raws)>;
absl::Status ForEachRawBatch(const SoundStore& store, const std::string& space,
                             size_t batch, const RawBatchVisitor& visit,
                             UnusableSounds* unusable) {
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
          const std::string why =
              absl::StrCat("raw vector in space '", space,
                           "' does not decode: ", raw.status().message());
          if (unusable != nullptr) {
            (*unusable)[id] = why;
            return true;
          }
          status = absl::DataLossError(absl::StrCat("sound ", id, ": ", why));
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

// Projects one raw vector and adds it; what fails goes to *unusable.
absl::Status AddOne(const Space& space, int64_t id, const RawEmbedding& raw,
                    VectorIndex& index, UnusableSounds& unusable) {
  auto vector = space.Project(raw);
  if (!vector.ok()) {
    unusable[static_cast<uint64_t>(id)] =
        absl::StrCat("space '", space.name(), "': ", vector.status().message());
    return absl::OkStatus();
  }
  const std::string why = Unindexable(*vector, space.config().metric);
  if (!why.empty()) {
    unusable[static_cast<uint64_t>(id)] =
        absl::StrCat("space '", space.name(), "': ", why);
    return absl::OkStatus();
  }
  const int64_t ids[] = {id};
  absl::Status added = index.Add(ids, *vector);
  if (absl::IsInvalidArgument(added)) {
    unusable[static_cast<uint64_t>(id)] =
        absl::StrCat("space '", space.name(), "': ", added.message());
    return absl::OkStatus();
  }
  return added;
}

// Projects `raws` with `space` and adds them to `index` under `ids`,
// kRebuildBatch at a time: the one batch loop of Rebuild and Refit. With
// `unusable`, vectors that cannot be indexed are left out and listed there;
// without, the first one fails the call.
absl::Status AddProjected(const Space& space, absl::Span<const int64_t> ids,
                          absl::Span<const RawEmbedding> raws,
                          VectorIndex& index, UnusableSounds* unusable) {
  const int dim = space.index_dim();
  const Metric metric = space.config().metric;
  for (size_t begin = 0; begin < ids.size(); begin += kRebuildBatch) {
    const size_t n = std::min(kRebuildBatch, ids.size() - begin);
    auto batch_ids = ids.subspan(begin, n);
    auto batch_raws = raws.subspan(begin, n);
    auto vectors = space.ProjectBatch(batch_raws);
    if (!vectors.ok() && unusable == nullptr) return vectors.status();
    if (!vectors.ok()) {  // find the culprits one by one
      for (size_t i = 0; i < n; ++i) {
        RETURN_IF_ERROR(
            AddOne(space, batch_ids[i], batch_raws[i], index, *unusable));
      }
      continue;
    }
    std::vector<int64_t> keep_ids;
    std::vector<float> keep;
    keep_ids.reserve(n);
    keep.reserve(vectors->size());
    for (size_t i = 0; i < n; ++i) {
      absl::Span<const float> row(vectors->data() + i * dim, dim);
      const std::string why = Unindexable(row, metric);
      if (why.empty()) {
        keep_ids.push_back(batch_ids[i]);
        keep.insert(keep.end(), row.begin(), row.end());
        continue;
      }
      if (unusable == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "space '", space.name(), "': sound ", batch_ids[i], ": ", why));
      }
      (*unusable)[static_cast<uint64_t>(batch_ids[i])] =
          absl::StrCat("space '", space.name(), "': ", why);
    }
    absl::Status added = index.Add(keep_ids, keep);
    if (added.ok()) continue;
    if (unusable == nullptr || !absl::IsInvalidArgument(added)) return added;
    for (size_t i = 0; i < n; ++i) {
      if (unusable->count(static_cast<uint64_t>(batch_ids[i])) > 0) continue;
      RETURN_IF_ERROR(
          AddOne(space, batch_ids[i], batch_raws[i], index, *unusable));
    }
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
    absl::Mutex* write_mu, LiveSpaceLoad* load) {
  if (space == nullptr || store == nullptr || write_mu == nullptr ||
      load == nullptr) {
    return absl::InvalidArgumentError("LiveSpace::Open: null argument");
  }
  std::unique_ptr<LiveSpace> live(new LiveSpace(
      space->config(), std::move(snapshot_path), store, write_mu));
  RETURN_IF_ERROR(live->Load(std::move(space), load));
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

absl::Status LiveSpace::Load(std::unique_ptr<Space> space,
                             LiveSpaceLoad* load) {
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
  std::string why;
  // A snapshot of other index options written under another projection
  // version (a refit, or the first fit, can change the dimension; a crash
  // between the fit and the next snapshot leaves it) is the normal way to a
  // rebuild, not a foreign snapshot.
  std::optional<SnapshotMarks> other_options_marks;
  if (absl::IsFailedPrecondition(snapshot.status())) {
    auto marks = VectorIndex::ReadMarks(snapshot_path_);
    if (marks.ok()) other_options_marks = *marks;
  }
  if (other_options_marks.has_value() &&
      other_options_marks->projection_version != view->projection_version) {
    why = "snapshot of another projection version";
  } else if (!snapshot.ok()) {
    why =
        absl::IsNotFound(snapshot.status())
            ? "no snapshot"
            : absl::StrCat("snapshot unusable: ", snapshot.status().message());
  } else if (snapshot->marks.projection_version != view->projection_version) {
    why = "snapshot of another projection version";
  } else if (snapshot->marks.store_sequence > last) {
    why = "snapshot ahead of the store (of another store?)";
  } else if (snapshot->marks.store_sequence < store_->TruncatedThrough()) {
    why = "the change log no longer reaches back to the snapshot";
  }
  if (why.empty()) {
    view->index = std::move(snapshot->index);
    absl::Status replayed =
        Replay(*view, snapshot->marks.store_sequence, &load->unusable);
    if (replayed.ok()) {
      absl::MutexLock lock(&log_mu_);
      snapshot_sequence_ = snapshot->marks.store_sequence;
      snapshot_projection_ = view->projection_version;
    } else if (absl::IsDataLoss(replayed) ||
               absl::IsFailedPrecondition(replayed)) {
      load->undecodable_log_entry = absl::IsDataLoss(replayed);
      why =
          absl::StrCat("replaying the change log failed: ", replayed.message());
    } else {
      return replayed;
    }
  }
  if (!why.empty()) {
    // Rebuild from the source of truth.
    ASSIGN_OR_RETURN(std::unique_ptr<VectorIndex> index,
                     VectorIndex::Create(index_options));
    RETURN_IF_ERROR(Rebuild(*view->space, *index, &load->unusable));
    view->index = std::move(index);
    load->rebuilt_because = why;
  }
  Publish(std::move(view));
  return absl::OkStatus();
}

absl::Status LiveSpace::Rebuild(const Space& space, VectorIndex& index,
                                UnusableSounds* unusable) const {
  return ForEachRawBatch(
      *store_, name(), kRebuildBatch,
      [&](std::vector<int64_t>* ids, std::vector<RawEmbedding>* raws) {
        return AddProjected(space, *ids, *raws, index, unusable);
      },
      unusable);
}

absl::Status LiveSpace::Replay(const SpaceView& view, uint64_t after,
                               UnusableSounds* unusable) const {
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
      if (unusable == nullptr) {
        status = raw.status();
        return false;
      }
      (*unusable)[change.id] =
          absl::StrCat("raw vector in space '", name(),
                       "' does not decode: ", raw.status().message());
      status = view.index->Remove(ids).status();
      return status.ok();
    }
    if (unusable == nullptr) {
      auto vector = view.space->Project(*raw);
      if (!vector.ok()) {
        status = vector.status();
        return false;
      }
      status = view.index->Add(ids, *vector);
      return status.ok();
    }
    status = view.index->Remove(ids).status();
    if (status.ok()) {
      status = AddOne(*view.space, ids[0], *raw, *view.index, *unusable);
    }
    return status.ok();
  }));
  return status;
}

void LiveSpace::PinLog(std::optional<uint64_t> after) {
  absl::MutexLock lock(&log_mu_);
  log_pin_ = after;
}

std::optional<uint64_t> LiveSpace::LogNeededAfter() const {
  absl::MutexLock lock(&log_mu_);
  if (snapshot_sequence_.has_value() && log_pin_.has_value()) {
    return std::min(*snapshot_sequence_, *log_pin_);
  }
  return snapshot_sequence_.has_value() ? snapshot_sequence_ : log_pin_;
}

// ---- Writes (under the writer lock) -----------------------------------------

absl::Status LiveSpace::CheckUsable(const SpaceView& view,
                                    const RawEmbedding& raw) const {
  ASSIGN_OR_RETURN(std::vector<float> vector, view.space->Project(raw));
  const std::string why = Unindexable(vector, config_.metric);
  if (why.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("space '", name(), "': ", why, "; nothing was stored"));
}

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
  absl::MutexLock snapshot_lock(&snapshot_mu_);
  if (diverged()) {
    return absl::FailedPreconditionError(
        absl::StrCat("space '", name(),
                     "': index out of step with the store after an "
                     "error; no snapshot until it is rebuilt"));
  }
  std::shared_ptr<const SpaceView> v = view();
  {
    absl::MutexLock lock(&log_mu_);
    if (snapshot_sequence_.has_value() && *snapshot_sequence_ >= sequence &&
        snapshot_projection_ == v->projection_version) {
      return absl::OkStatus();  // the file on disk is as new already
    }
  }
  SnapshotMarks marks;
  marks.store_sequence = sequence;
  marks.projection_version = v->projection_version;
  RETURN_IF_ERROR(v->index->Save(snapshot_path_, marks));
  SnapshotMark mark;
  mark.sequence = sequence;
  mark.location = snapshot_path_;
  {
    // The file is what the next load reads: it needs the log after it.
    absl::MutexLock lock(&log_mu_);
    snapshot_sequence_ = sequence;
    snapshot_projection_ = v->projection_version;
  }
  return store_->PutSnapshotMark(name(), mark);
}

// ---- Refit ------------------------------------------------------------------

absl::StatusOr<RefitResult> LiveSpace::Refit(bool only_unfitted,
                                             const SwapHook& on_swap,
                                             UnusableSounds* unusable) {
  absl::MutexLock refit_lock(&refit_mu_);
  const std::shared_ptr<const SpaceView> current = view();
  if (only_unfitted && current->projection_version != 0) {
    return RefitResult{name(), current->projection_version, 0, 0};
  }
  const auto start = Clock::now();
  // Changes after `after` are replayed into the new index before the swap.
  // Reading it before the raw vectors is safe: replay is idempotent. The log
  // after it stays until the swap.
  const uint64_t after = store_->LastSequence();
  PinLog(after);
  struct Unpin {
    LiveSpace* live;
    ~Unpin() { live->PinLog(std::nullopt); }
  } unpin{this};
  UnusableSounds left_out;
  // Fit needs every raw vector at once: one batch of all of them.
  std::vector<int64_t> ids;
  std::vector<RawEmbedding> raws;
  RETURN_IF_ERROR(ForEachRawBatch(
      *store_, name(), /*batch=*/SIZE_MAX,
      [&](std::vector<int64_t>* all_ids, std::vector<RawEmbedding>* all_raws) {
        ids = std::move(*all_ids);
        raws = std::move(*all_raws);
        return absl::OkStatus();
      },
      &left_out));
  // A raw vector of another size would fail the whole fit: leave it out.
  {
    const size_t pooled = static_cast<size_t>(current->space->pooled_dim());
    size_t kept = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (raws[i].pooled.size() != pooled) {
        left_out[static_cast<uint64_t>(ids[i])] =
            absl::StrCat("space '", name(), "': raw vector of ",
                         raws[i].pooled.size(), " values, expected ", pooled);
        continue;
      }
      if (kept != i) {
        ids[kept] = ids[i];
        raws[kept] = std::move(raws[i]);
      }
      ++kept;
    }
    ids.resize(kept);
    raws.resize(kept);
  }
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
  RETURN_IF_ERROR(AddProjected(*next->space, ids, raws, *index, &left_out));
  next->index = std::move(index);
  {
    absl::MutexLock lock(write_mu_);
    ASSIGN_OR_RETURN(next->projection_version,
                     store_->PutModel(name(), kFittedStateModel, blob));
    RETURN_IF_ERROR(Replay(*next, after, &left_out));
    Publish(next);
    if (on_swap) on_swap(next);
  }
  if (unusable != nullptr) unusable->insert(left_out.begin(), left_out.end());
  return RefitResult{name(), next->projection_version,
                     static_cast<uint64_t>(next->index->size()),
                     SecondsSince(start)};
}

absl::Status LiveSpace::Reindex(UnusableSounds* unusable) {
  absl::MutexLock refit_lock(&refit_mu_);
  const std::shared_ptr<const SpaceView> current = view();
  const uint64_t after = store_->LastSequence();
  PinLog(after);
  struct Unpin {
    LiveSpace* live;
    ~Unpin() { live->PinLog(std::nullopt); }
  } unpin{this};
  UnusableSounds left_out;
  auto next = std::make_shared<SpaceView>();
  next->space = current->space;
  next->projection_version = current->projection_version;
  ASSIGN_OR_RETURN(next->index, VectorIndex::Create(current->index->options()));
  RETURN_IF_ERROR(Rebuild(*next->space, *next->index, &left_out));
  {
    absl::MutexLock lock(write_mu_);
    RETURN_IF_ERROR(Replay(*next, after, &left_out));
    Publish(next);
    diverged_.store(false);
  }
  if (unusable != nullptr) unusable->insert(left_out.begin(), left_out.end());
  return absl::OkStatus();
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
