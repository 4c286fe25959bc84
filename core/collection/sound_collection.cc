#include "soundsearch/sound_collection.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "collection/collection_evaluation.h"
#include "collection/tag_index.h"
#include "collection/word_index.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space.h"
#include "soundsearch/status_macros.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {
namespace {

// Model kind under which a space's fitted state (codebook + projection) is
// kept in the store. The store's model version is the projection version
// recorded in index snapshots.
constexpr char kFittedStateModel[] = "fitted_state";
// Vectors added to an index per call while rebuilding.
constexpr size_t kRebuildBatch = 4096;
constexpr size_t kMaxTagLength = 256;
constexpr size_t kMaxExternalIdLength = 256;

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

// Lower-cases, trims and de-duplicates tags, keeping their first order.
absl::StatusOr<std::vector<std::string>> NormaliseTags(
    const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& tag : tags) {
    std::string t(absl::StripAsciiWhitespace(absl::AsciiStrToLower(tag)));
    if (t.empty()) continue;
    if (t.size() > kMaxTagLength) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tag longer than ", kMaxTagLength, " bytes: '", t.substr(0, 32),
          "...'"));
    }
    if (seen.insert(t).second) out.push_back(std::move(t));
  }
  return out;
}

// Adds `from` to `*into`: a tag predicted by several spaces keeps its highest
// probability; the result is sorted most probable first (ties by name).
void MergeAutoTags(const std::vector<AutoTag>& from,
                   std::vector<AutoTag>* into) {
  if (from.empty()) return;
  for (const AutoTag& tag : from) {
    auto it = std::find_if(into->begin(), into->end(),
                           [&](const AutoTag& t) { return t.tag == tag.tag; });
    if (it == into->end()) {
      into->push_back(tag);
    } else {
      it->probability = std::max(it->probability, tag.probability);
    }
  }
  std::sort(into->begin(), into->end(), [](const AutoTag& a, const AutoTag& b) {
    if (a.probability != b.probability) return a.probability > b.probability;
    return a.tag < b.tag;
  });
}

}  // namespace

// One space's searchable state: a Space (with its fitted projection) and the
// index built with that projection. Never modified once published; a refit
// publishes a new one.
struct SpaceView {
  std::shared_ptr<Space> space;
  std::shared_ptr<VectorIndex> index;
  uint64_t projection_version = 0;  // store model version; 0 = unfitted
};

struct SpaceSlot {
  SpaceConfig config;
  std::string snapshot_path;
  absl::Mutex refit_mu;  // one refit of this space at a time

  std::shared_ptr<const SpaceView> Get() const {
    absl::MutexLock lock(&mu);
    return view;
  }
  void Set(std::shared_ptr<const SpaceView> v) {
    absl::MutexLock lock(&mu);
    view = std::move(v);
  }

 private:
  mutable absl::Mutex mu;
  std::shared_ptr<const SpaceView> view ABSL_GUARDED_BY(mu);
};

class SoundCollection::Impl {
 public:
  absl::Status Open(const CollectionOptions& options);
  ~Impl();

  std::vector<absl::StatusOr<PreparedSound>> PrepareBatch(
      absl::Span<const PrepareRequest> uploads) const;
  // Checks the input, looks for a duplicate and decodes (once per distinct
  // space rate into *decoded); the first half of PrepareBatch for one upload.
  absl::StatusOr<PreparedSound> PrepareAndDecode(
      absl::string_view audio, const SoundInput& input,
      std::map<int, DecodedAudio>* decoded) const;
  absl::StatusOr<CommitResult> Commit(PreparedSound prepared);
  absl::Status Delete(uint64_t id);
  absl::StatusOr<QueryResult> QueryById(uint64_t id,
                                        const QueryOptions& options) const;
  absl::StatusOr<QueryResult> QueryByAudio(absl::string_view audio,
                                           const QueryOptions& options) const;
  absl::StatusOr<RefitResult> Refit(absl::string_view space, bool only_unfitted);
  absl::Status SaveSnapshots();
  std::vector<SpaceStatus> Spaces() const;

  const std::string& default_space() const { return default_space_; }
  SoundStore& store() const { return *store_; }
  const TagIndex& tags() const { return tags_; }

  // ---- Words and evaluation (end of this file) ----
  const WordIndex& words() const { return *words_; }
  absl::StatusOr<std::string> ResolveSpaceName(absl::string_view name) const;
  absl::StatusOr<SpaceEvaluation> Evaluate(const EvaluationRequest& request);

 private:
  // The word index's view of a space, reading vectors through `view`.
  WordSpace WordSpaceOf(const SpaceSlot& slot,
                        std::shared_ptr<const SpaceView> view) const;
  std::vector<WordSpace> WordSpaces() const;

  absl::StatusOr<SpaceSlot*> FindSpace(absl::string_view name) const;
  absl::Status LoadSpace(SpaceSlot& slot);
  // Fills `index` with every stored raw vector of the view's space.
  absl::Status RebuildIndex(const SpaceView& view, VectorIndex& index) const;
  // Applies the store changes after `after` to the view's index.
  absl::Status Replay(const SpaceView& view, uint64_t after) const;
  absl::Status IndexOne(const SpaceView& view, uint64_t id,
                        const RawEmbedding& raw) const;
  absl::StatusOr<QueryResult> Search(const SpaceView& view,
                                     absl::Span<const float> vector,
                                     const QueryOptions& options,
                                     std::optional<uint64_t> exclude) const;
  void MaybeAutoFit();

  CollectionOptions options_;
  std::unique_ptr<SoundStore> store_;
  std::unique_ptr<AudioDecoder> decoder_;
  std::vector<std::unique_ptr<SpaceSlot>> spaces_;  // fixed after Open
  std::string default_space_;
  TagIndex tags_;
  std::unique_ptr<WordIndex> words_;  // created in Open
  // Serialises Commit, Delete, the swap at the end of a refit and
  // SaveSnapshots, so that every index reflects exactly the store's change
  // log up to LastSequence() whenever the lock is free.
  absl::Mutex write_mu_;
};

// ---- Open -------------------------------------------------------------------

absl::Status SoundCollection::Impl::Open(const CollectionOptions& options) {
  options_ = options;
  if (options_.data_dir.empty()) {
    return absl::InvalidArgumentError("data_dir: required");
  }
  if (options_.spaces.empty()) options_.spaces.push_back(DefaultSpaceConfig());
  std::set<std::string> names;
  for (const SpaceConfig& config : options_.spaces) {
    RETURN_IF_ERROR(ValidateSpaceConfig(config));
    if (!names.insert(config.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("spaces: name '", config.name, "' appears twice"));
    }
  }
  default_space_ = options_.default_space.empty() ? options_.spaces[0].name
                                                  : options_.default_space;
  if (names.count(default_space_) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "default_space: no space named '", default_space_, "'"));
  }

  const std::filesystem::path root(options_.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(root / "index", ec);
  if (ec) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot create data directory ", (root / "index").string(), ": ",
        ec.message()));
  }

  SoundStoreOptions store_options;
  store_options.path = (root / "store").string();
  store_options.sync_writes = options_.sync_writes;
  ASSIGN_OR_RETURN(store_, SoundStore::Open(store_options));
  ASSIGN_OR_RETURN(decoder_, AudioDecoder::Create(options_.decoder));
  RETURN_IF_ERROR(WordIndex::ValidateOptions(options_.words));
  words_ = std::make_unique<WordIndex>(options_.words, store_.get());

  RETURN_IF_ERROR(store_->ForEachSound([this](const SoundRecord& record) {
    tags_.Add(record);
    words_->AddMembership(record);
    return true;
  }));

  for (const SpaceConfig& config : options_.spaces) {
    auto slot = std::make_unique<SpaceSlot>();
    slot->config = config;
    slot->snapshot_path = (root / "index" / (config.name + ".idx")).string();
    RETURN_IF_ERROR(LoadSpace(*slot));
    RETURN_IF_ERROR(words_->Load(WordSpaceOf(*slot, slot->Get())));
    spaces_.push_back(std::move(slot));
  }
  MaybeAutoFit();
  return absl::OkStatus();
}

absl::Status SoundCollection::Impl::LoadSpace(SpaceSlot& slot) {
  auto view = std::make_shared<SpaceView>();
  ASSIGN_OR_RETURN(view->space, Space::Create(slot.config));
  auto model = store_->GetModel(slot.config.name, kFittedStateModel);
  if (model.ok()) {
    absl::Status loaded = view->space->LoadFittedState(model->bytes);
    if (!loaded.ok()) {
      return absl::Status(
          loaded.code(),
          absl::StrCat("space '", slot.config.name,
                       "': stored fitted state unusable (", loaded.message(),
                       "); was the space's config changed? Use a new space "
                       "name for a different recipe"));
    }
    view->projection_version = model->version;
  } else if (!absl::IsNotFound(model.status())) {
    return model.status();
  }

  const VectorIndexOptions index_options =
      IndexOptionsFor(slot.config, view->space->index_dim());
  auto snapshot = VectorIndex::Load(slot.snapshot_path, index_options);
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
    RETURN_IF_ERROR(RebuildIndex(*view, *index));
    view->index = std::move(index);
  }
  slot.Set(std::move(view));
  return absl::OkStatus();
}

absl::Status SoundCollection::Impl::RebuildIndex(const SpaceView& view,
                                                 VectorIndex& index) const {
  std::vector<int64_t> ids;
  std::vector<RawEmbedding> raws;
  absl::Status status;
  auto flush = [&]() -> absl::Status {
    if (ids.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<float> vectors,
                     view.space->ProjectBatch(raws));
    RETURN_IF_ERROR(index.Add(ids, vectors));
    ids.clear();
    raws.clear();
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(store_->ForEachRaw(
      view.space->name(), [&](uint64_t id, absl::string_view bytes) {
        auto raw = RawEmbedding::Decode(bytes);
        if (!raw.ok()) {
          status = absl::DataLossError(absl::StrCat(
              "raw vector of sound ", id, " in space '", view.space->name(),
              "': ", raw.status().message()));
          return false;
        }
        ids.push_back(static_cast<int64_t>(id));
        raws.push_back(*std::move(raw));
        if (ids.size() >= kRebuildBatch) {
          status = flush();
          if (!status.ok()) return false;
        }
        return true;
      }));
  RETURN_IF_ERROR(status);
  return flush();
}

absl::Status SoundCollection::Impl::IndexOne(const SpaceView& view,
                                             uint64_t id,
                                             const RawEmbedding& raw) const {
  ASSIGN_OR_RETURN(std::vector<float> vector, view.space->Project(raw));
  const int64_t ids[] = {static_cast<int64_t>(id)};
  return view.index->Add(ids, vector);
}

absl::Status SoundCollection::Impl::Replay(const SpaceView& view,
                                           uint64_t after) const {
  const std::string& name = view.space->name();
  absl::Status status;
  RETURN_IF_ERROR(store_->ForEachChangeSince(after, [&](const Change& change) {
    const int64_t ids[] = {static_cast<int64_t>(change.id)};
    if (change.kind == ChangeKind::kDelete ||
        (change.kind == ChangeKind::kPutRaw && change.space != name)) {
      if (change.kind == ChangeKind::kDelete) {
        auto removed = view.index->Remove(ids);
        status = removed.status();
      }
      return status.ok();
    }
    // kAdd, or kPutRaw of this space: index the sound's current raw vector.
    auto bytes = store_->GetRaw(name, change.id);
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
    status = IndexOne(view, change.id, *raw);
    return status.ok();
  }));
  return status;
}

SoundCollection::Impl::~Impl() {
  if (store_ != nullptr && options_.snapshot_on_close) {
    SaveSnapshots().IgnoreError();  // the store stays the source of truth
  }
}

// ---- Ingest -----------------------------------------------------------------

absl::StatusOr<PreparedSound> SoundCollection::Impl::PrepareAndDecode(
    absl::string_view audio, const SoundInput& input,
    std::map<int, DecodedAudio>* decoded) const {
  if (input.external_id.size() > kMaxExternalIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "external id longer than ", kMaxExternalIdLength, " bytes"));
  }
  PreparedSound prepared;
  SoundRecord& record = prepared.record;
  record.external_id = input.external_id;
  record.name = input.name;
  record.source = input.source;
  record.class_labels = input.labels;
  ASSIGN_OR_RETURN(record.tags, NormaliseTags(input.tags));
  if (audio.empty()) {
    return absl::InvalidArgumentError("audio is empty (0 bytes)");
  }
  record.content_hash = Sha256Hex(audio);
  auto existing = store_->FindByContentHash(record.content_hash);
  if (existing.ok()) {
    prepared.duplicate = true;
    prepared.duplicate_id = existing->id;
    return prepared;
  }

  // Decode once per distinct sample rate among the spaces.
  const auto decode_start = Clock::now();
  for (const auto& slot : spaces_) {
    const int rate = slot->Get()->space->sample_rate();
    if (decoded->count(rate) > 0) continue;
    DecodeRequest request;
    request.sample_rate = rate;
    ASSIGN_OR_RETURN((*decoded)[rate], decoder_->DecodeBytes(audio, request));
  }
  prepared.decode_seconds = SecondsSince(decode_start);
  return prepared;
}

std::vector<absl::StatusOr<PreparedSound>> SoundCollection::Impl::PrepareBatch(
    absl::Span<const PrepareRequest> uploads) const {
  const size_t n = uploads.size();
  std::vector<absl::StatusOr<PreparedSound>> results;
  results.reserve(n);
  std::vector<std::map<int, DecodedAudio>> decoded(n);
  std::vector<size_t> embedding;  // uploads decoded and not failed yet
  for (size_t i = 0; i < n; ++i) {
    if (uploads[i].input == nullptr) {
      results.push_back(absl::InvalidArgumentError("upload without input"));
      continue;
    }
    results.push_back(
        PrepareAndDecode(uploads[i].audio, *uploads[i].input, &decoded[i]));
    if (results[i].ok() && !results[i]->duplicate) embedding.push_back(i);
  }

  for (const auto& slot : spaces_) {
    if (embedding.empty()) break;
    auto view = slot->Get();
    const int rate = view->space->sample_rate();
    std::vector<absl::Span<const float>> clips;
    clips.reserve(embedding.size());
    for (size_t i : embedding) clips.push_back(decoded[i].at(rate).samples);
    const auto embed_start = Clock::now();
    std::vector<std::vector<AutoTag>> auto_tags;
    auto embedded = view->space->EmbedBatch(clips, &auto_tags);
    const double share =
        SecondsSince(embed_start) / static_cast<double>(embedding.size());
    std::vector<size_t> still;
    for (size_t k = 0; k < embedding.size(); ++k) {
      const size_t i = embedding[k];
      if (!embedded.ok()) {
        results[i] = embedded.status();
        continue;
      }
      if (!(*embedded)[k].ok()) {
        results[i] = (*embedded)[k].status();
        continue;
      }
      PreparedSound& prepared = *results[i];
      prepared.embed_seconds[slot->config.name] = share;
      prepared.raw.emplace(slot->config.name,
                           std::move((*embedded)[k]).value());
      MergeAutoTags(auto_tags[k], &prepared.record.auto_tags);
      still.push_back(i);
    }
    embedding = std::move(still);
  }

  for (size_t i : embedding) {
    PreparedSound& prepared = *results[i];
    DecodedAudio& info = decoded[i].begin()->second;
    prepared.record.duration_seconds = info.duration_seconds;
    info.samples.clear();
    info.samples.shrink_to_fit();
    prepared.audio_info = std::move(info);
  }
  return results;
}

absl::StatusOr<CommitResult> SoundCollection::Impl::Commit(
    PreparedSound prepared) {
  if (prepared.duplicate) return CommitResult{prepared.duplicate_id, true};
  std::map<std::string, std::string> raw_by_space;
  for (const auto& [space, raw] : prepared.raw) {
    raw_by_space[space] = raw.Encode();
  }
  CommitResult result;
  {
    absl::MutexLock lock(&write_mu_);
    ASSIGN_OR_RETURN(AddResult added,
                     store_->AddSound(prepared.record, raw_by_space));
    result.id = added.id;
    if (added.duplicate) {
      result.duplicate = true;
      return result;
    }
    absl::Status indexed;
    for (const auto& slot : spaces_) {
      auto view = slot->Get();
      indexed = IndexOne(*view, added.id, prepared.raw.at(slot->config.name));
      if (!indexed.ok()) {
        indexed = absl::Status(
            indexed.code(), absl::StrCat("space '", slot->config.name,
                                         "': ", indexed.message()));
        break;
      }
    }
    if (!indexed.ok()) {
      // Undo, so that store and indexes keep agreeing.
      for (const auto& slot : spaces_) {
        const int64_t ids[] = {static_cast<int64_t>(added.id)};
        slot->Get()->index->Remove(ids).IgnoreError();
      }
      store_->DeleteSound(added.id).IgnoreError();
      return indexed;
    }
    prepared.record.id = added.id;
    tags_.Add(prepared.record);
    // The sound is committed whatever happens here; a word vector left stale
    // by a failure is recomputed at the next Open.
    words_->AddSound(prepared.record, WordSpaces()).IgnoreError();
  }
  MaybeAutoFit();
  return result;
}

absl::Status SoundCollection::Impl::Delete(uint64_t id) {
  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(SoundRecord record, store_->GetSound(id));
  RETURN_IF_ERROR(store_->DeleteSound(id).status());
  const int64_t ids[] = {static_cast<int64_t>(id)};
  for (const auto& slot : spaces_) {
    RETURN_IF_ERROR(slot->Get()->index->Remove(ids).status());
  }
  tags_.Remove(record);
  words_->RemoveSound(record, WordSpaces()).IgnoreError();  // as in Commit
  return absl::OkStatus();
}

void SoundCollection::Impl::MaybeAutoFit() {
  if (!options_.auto_fit) return;
  const uint64_t count = store_->Count();
  for (const auto& slot : spaces_) {
    auto view = slot->Get();
    if (view->projection_version == 0 &&
        view->space->needs_fit(static_cast<int64_t>(count))) {
      // A failed automatic fit leaves the space serving unreduced vectors;
      // the next ingest or an explicit Refit tries again.
      Refit(slot->config.name, /*only_unfitted=*/true).IgnoreError();
    }
  }
}

// ---- Refit --------------------------------------------------------------------

absl::StatusOr<RefitResult> SoundCollection::Impl::Refit(
    absl::string_view name, bool only_unfitted) {
  ASSIGN_OR_RETURN(SpaceSlot * slot, FindSpace(name));
  absl::MutexLock refit_lock(&slot->refit_mu);
  if (only_unfitted && slot->Get()->projection_version != 0) {
    return RefitResult{slot->config.name, slot->Get()->projection_version, 0,
                       0};
  }
  const auto start = Clock::now();
  // Changes after `after` are replayed into the new index before the swap.
  // Reading it before the raw vectors is safe: replay is idempotent.
  const uint64_t after = store_->LastSequence();
  std::vector<int64_t> ids;
  std::vector<RawEmbedding> raws;
  absl::Status status;
  RETURN_IF_ERROR(store_->ForEachRaw(
      slot->config.name, [&](uint64_t id, absl::string_view bytes) {
        auto raw = RawEmbedding::Decode(bytes);
        if (!raw.ok()) {
          status = raw.status();
          return false;
        }
        ids.push_back(static_cast<int64_t>(id));
        raws.push_back(*std::move(raw));
        return true;
      }));
  RETURN_IF_ERROR(status);
  if (raws.size() < 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "space '", slot->config.name, "' holds ", raws.size(),
        " sounds; fitting needs at least 2"));
  }

  auto view = std::make_shared<SpaceView>();
  ASSIGN_OR_RETURN(view->space, Space::Create(slot->config));
  RETURN_IF_ERROR(view->space->Fit(raws));
  ASSIGN_OR_RETURN(std::string blob, view->space->SerializeFittedState());
  ASSIGN_OR_RETURN(
      std::unique_ptr<VectorIndex> index,
      VectorIndex::Create(IndexOptionsFor(slot->config,
                                          view->space->index_dim())));
  for (size_t begin = 0; begin < ids.size(); begin += kRebuildBatch) {
    const size_t n = std::min(kRebuildBatch, ids.size() - begin);
    ASSIGN_OR_RETURN(std::vector<float> vectors,
                     view->space->ProjectBatch(
                         absl::MakeConstSpan(raws).subspan(begin, n)));
    RETURN_IF_ERROR(index->Add(absl::MakeConstSpan(ids).subspan(begin, n),
                               vectors));
  }
  view->index = std::move(index);
  {
    absl::MutexLock lock(&write_mu_);
    ASSIGN_OR_RETURN(view->projection_version,
                     store_->PutModel(slot->config.name, kFittedStateModel,
                                      blob));
    RETURN_IF_ERROR(Replay(*view, after));
    slot->Set(view);
    // Index vectors changed: every word vector of the space follows. The new
    // projection is in place whatever happens here; Open recomputes vectors
    // left stale.
    words_->RecomputeSpace(WordSpaceOf(*slot, view)).IgnoreError();
  }
  return RefitResult{slot->config.name, view->projection_version,
                     static_cast<uint64_t>(view->index->size()),
                     SecondsSince(start)};
}

absl::Status SoundCollection::Impl::SaveSnapshots() {
  absl::MutexLock lock(&write_mu_);
  const uint64_t sequence = store_->LastSequence();
  for (const auto& slot : spaces_) {
    auto view = slot->Get();
    SnapshotMarks marks;
    marks.store_sequence = sequence;
    marks.projection_version = view->projection_version;
    RETURN_IF_ERROR(view->index->Save(slot->snapshot_path, marks));
    SnapshotMark mark;
    mark.sequence = sequence;
    mark.location = slot->snapshot_path;
    RETURN_IF_ERROR(store_->PutSnapshotMark(slot->config.name, mark));
  }
  return absl::OkStatus();
}

// ---- Queries ------------------------------------------------------------------

absl::StatusOr<SpaceSlot*> SoundCollection::Impl::FindSpace(
    absl::string_view name) const {
  if (name.empty()) name = default_space_;
  for (const auto& slot : spaces_) {
    if (slot->config.name == name) return slot.get();
  }
  std::string known;
  for (const auto& slot : spaces_) {
    absl::StrAppend(&known, known.empty() ? "" : ", ", slot->config.name);
  }
  return absl::NotFoundError(
      absl::StrCat("unknown space '", name, "' (spaces: ", known, ")"));
}

absl::StatusOr<QueryResult> SoundCollection::Impl::Search(
    const SpaceView& view, absl::Span<const float> vector,
    const QueryOptions& options, std::optional<uint64_t> exclude) const {
  QueryResult result;
  result.space = view.space->name();
  result.collection_size = static_cast<uint64_t>(view.index->size());
  SearchOptions search;
  search.k = options.k;
  if (options.min_score.has_value()) search.min_score = *options.min_score;
  const int64_t excluded[] = {
      exclude.has_value() ? static_cast<int64_t>(*exclude) : 0};
  if (exclude.has_value()) search.exclude_ids = excluded;
  std::shared_ptr<const IdSet> allowed;
  if (!options.filter.empty()) {
    allowed = tags_.Match(options.filter);
    if (allowed->empty()) return result;
    search.filter = [allowed](int64_t id) { return allowed->contains(id); };
  }
  const auto start = Clock::now();
  ASSIGN_OR_RETURN(std::vector<SearchHit> hits,
                   view.index->Search(vector, search));
  result.search_seconds = SecondsSince(start);
  result.hits.reserve(hits.size());
  for (const SearchHit& hit : hits) {
    result.hits.push_back({static_cast<uint64_t>(hit.id), hit.score});
  }
  return result;
}

absl::StatusOr<QueryResult> SoundCollection::Impl::QueryById(
    uint64_t id, const QueryOptions& options) const {
  if (options.k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("k must be >= 1, got ", options.k));
  }
  ASSIGN_OR_RETURN(SpaceSlot * slot, FindSpace(options.space));
  auto view = slot->Get();
  auto bytes = store_->GetRaw(slot->config.name, id);
  if (absl::IsNotFound(bytes.status())) {
    RETURN_IF_ERROR(store_->GetSound(id).status());  // unknown id: NotFound
    return absl::NotFoundError(absl::StrCat(
        "sound ", id, " has no vector in space '", slot->config.name, "'"));
  }
  RETURN_IF_ERROR(bytes.status());
  ASSIGN_OR_RETURN(RawEmbedding raw, RawEmbedding::Decode(*bytes));
  ASSIGN_OR_RETURN(std::vector<float> vector, view->space->Project(raw));
  std::optional<uint64_t> exclude;
  if (!options.include_query) exclude = id;
  return Search(*view, vector, options, exclude);
}

absl::StatusOr<QueryResult> SoundCollection::Impl::QueryByAudio(
    absl::string_view audio, const QueryOptions& options) const {
  if (options.k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("k must be >= 1, got ", options.k));
  }
  ASSIGN_OR_RETURN(SpaceSlot * slot, FindSpace(options.space));
  auto view = slot->Get();
  const auto start = Clock::now();
  DecodeRequest request;
  request.sample_rate = view->space->sample_rate();
  ASSIGN_OR_RETURN(DecodedAudio pcm, decoder_->DecodeBytes(audio, request));
  ASSIGN_OR_RETURN(RawEmbedding raw, view->space->Embed(pcm.samples));
  ASSIGN_OR_RETURN(std::vector<float> vector, view->space->Project(raw));
  const double embed_seconds = SecondsSince(start);
  ASSIGN_OR_RETURN(QueryResult result,
                   Search(*view, vector, options, std::nullopt));
  result.embed_seconds = embed_seconds;
  return result;
}

std::vector<SpaceStatus> SoundCollection::Impl::Spaces() const {
  std::vector<SpaceStatus> out;
  for (const auto& slot : spaces_) {
    auto view = slot->Get();
    SpaceStatus s;
    s.config = slot->config;
    s.raw_dim = view->space->pooled_dim();
    s.index_dim = view->space->index_dim();
    s.fitted = view->projection_version != 0;
    s.projection_version = view->projection_version;
    s.vectors = static_cast<uint64_t>(view->index->size());
    s.sample_rate = view->space->sample_rate();
    out.push_back(std::move(s));
  }
  return out;
}

// ---- Words and evaluation
// -------------------------------------------------------

WordSpace SoundCollection::Impl::WordSpaceOf(
    const SpaceSlot& slot, std::shared_ptr<const SpaceView> view) const {
  WordSpace ws;
  ws.name = slot.config.name;
  ws.projection_version = view->projection_version;
  const SoundStore* store = store_.get();
  ws.vector = [store, view, name = ws.name](
                  uint64_t id) -> absl::StatusOr<std::vector<float>> {
    ASSIGN_OR_RETURN(std::string bytes, store->GetRaw(name, id));
    ASSIGN_OR_RETURN(RawEmbedding raw, RawEmbedding::Decode(bytes));
    return view->space->Project(raw);
  };
  return ws;
}

std::vector<WordSpace> SoundCollection::Impl::WordSpaces() const {
  std::vector<WordSpace> out;
  for (const auto& slot : spaces_)
    out.push_back(WordSpaceOf(*slot, slot->Get()));
  return out;
}

absl::StatusOr<std::string> SoundCollection::Impl::ResolveSpaceName(
    absl::string_view name) const {
  ASSIGN_OR_RETURN(SpaceSlot * slot, FindSpace(name));
  return slot->config.name;
}

absl::StatusOr<SpaceEvaluation> SoundCollection::Impl::Evaluate(
    const EvaluationRequest& request) {
  ASSIGN_OR_RETURN(SpaceSlot * slot, FindSpace(request.space));
  const Metric metric = slot->config.metric;
  ASSIGN_OR_RETURN(
      SpaceEvaluation evaluation,
      EvaluateStoredSpace(*store_, slot->config.name, metric,
                          WordSpaceOf(*slot, slot->Get()).vector, request));
  RETURN_IF_ERROR(store_
                      ->PutModel(slot->config.name, kEvaluationModelKind,
                                 EncodeStoredEvaluation(evaluation))
                      .status());
  return evaluation;
}

// ---- SoundCollection ------------------------------------------------------------

SoundCollection::SoundCollection(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

SoundCollection::~SoundCollection() = default;

absl::StatusOr<std::unique_ptr<SoundCollection>> SoundCollection::Open(
    const CollectionOptions& options) {
  auto impl = std::make_unique<Impl>();
  RETURN_IF_ERROR(impl->Open(options));
  return std::unique_ptr<SoundCollection>(new SoundCollection(std::move(impl)));
}

absl::StatusOr<PreparedSound> SoundCollection::Prepare(
    absl::string_view audio, const SoundInput& input) const {
  const PrepareRequest upload{audio, &input};
  return std::move(impl_->PrepareBatch(absl::MakeConstSpan(&upload, 1))[0]);
}

std::vector<absl::StatusOr<PreparedSound>> SoundCollection::PrepareBatch(
    absl::Span<const PrepareRequest> uploads) const {
  return impl_->PrepareBatch(uploads);
}

absl::StatusOr<CommitResult> SoundCollection::Commit(PreparedSound prepared) {
  return impl_->Commit(std::move(prepared));
}

absl::StatusOr<CommitResult> SoundCollection::Add(absl::string_view audio,
                                                  const SoundInput& input) {
  ASSIGN_OR_RETURN(PreparedSound prepared, Prepare(audio, input));
  return impl_->Commit(std::move(prepared));
}

absl::Status SoundCollection::Delete(uint64_t id) { return impl_->Delete(id); }

absl::StatusOr<SoundRecord> SoundCollection::Get(uint64_t id) const {
  return impl_->store().GetSound(id);
}

absl::StatusOr<SoundRecord> SoundCollection::GetByExternalId(
    absl::string_view ext) const {
  return impl_->store().FindByExternalId(ext);
}

absl::StatusOr<QueryResult> SoundCollection::QueryById(
    uint64_t id, const QueryOptions& options) const {
  return impl_->QueryById(id, options);
}

absl::StatusOr<QueryResult> SoundCollection::QueryByAudio(
    absl::string_view audio, const QueryOptions& options) const {
  return impl_->QueryByAudio(audio, options);
}

absl::StatusOr<RefitResult> SoundCollection::Refit(absl::string_view space) {
  return impl_->Refit(space, /*only_unfitted=*/false);
}

absl::Status SoundCollection::SaveSnapshots() { return impl_->SaveSnapshots(); }

std::vector<SpaceStatus> SoundCollection::Spaces() const {
  return impl_->Spaces();
}

const std::string& SoundCollection::default_space() const {
  return impl_->default_space();
}

uint64_t SoundCollection::size() const { return impl_->store().Count(); }

double SoundCollection::total_duration_seconds() const {
  return impl_->tags().total_duration_seconds();
}

// Words and evaluation.

absl::StatusOr<WordVectorInfo> SoundCollection::WordVector(
    absl::string_view space, absl::string_view word) const {
  ASSIGN_OR_RETURN(std::string name, impl_->ResolveSpaceName(space));
  return impl_->words().Get(name, word);
}

absl::StatusOr<WordPairCosine> SoundCollection::WordSimilarity(
    absl::string_view space, absl::string_view a, absl::string_view b) const {
  ASSIGN_OR_RETURN(std::string name, impl_->ResolveSpaceName(space));
  return impl_->words().Similarity(name, a, b);
}

absl::StatusOr<std::vector<WordNeighbour>> SoundCollection::NearestWords(
    absl::string_view space, absl::string_view word, int k) const {
  ASSIGN_OR_RETURN(std::string name, impl_->ResolveSpaceName(space));
  return impl_->words().Nearest(name, word, k);
}

int64_t SoundCollection::VocabularySize(absl::string_view space) const {
  auto name = impl_->ResolveSpaceName(space);
  return name.ok() ? impl_->words().VocabularySize(*name) : 0;
}

absl::StatusOr<SpaceEvaluation> SoundCollection::Evaluate(
    const EvaluationRequest& request) {
  return impl_->Evaluate(request);
}

absl::StatusOr<SpaceEvaluation> SoundCollection::LastEvaluation(
    absl::string_view space) const {
  ASSIGN_OR_RETURN(std::string name, impl_->ResolveSpaceName(space));
  auto model = impl_->store().GetModel(name, kEvaluationModelKind);
  if (absl::IsNotFound(model.status())) {
    return absl::NotFoundError(
        absl::StrCat("space '", name, "' has not been evaluated"));
  }
  RETURN_IF_ERROR(model.status());
  return DecodeStoredEvaluation(model->bytes);
}

}  // namespace soundsearch
