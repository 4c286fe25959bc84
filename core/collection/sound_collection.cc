#include "soundsearch/sound_collection.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "collection/collection_queries.h"
#include "collection/live_space.h"
#include "collection/open_state.h"
#include "collection/query_hits.h"
#include "collection/tag_index.h"
#include "collection/word_index.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/sound_limits.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space.h"
#include "soundsearch/status_macros.h"
#include "soundsearch/text.h"

namespace soundsearch {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Lower-cases, trims and de-duplicates tags, keeping their first order.
absl::StatusOr<std::vector<std::string>> NormaliseTags(
    const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& tag : tags) {
    std::string t(absl::StripAsciiWhitespace(absl::AsciiStrToLower(tag)));
    if (t.empty()) continue;
    if (t.size() > kMaxTagBytes) {
      return absl::InvalidArgumentError(absl::StrCat("tag longer than ",
                                                     kMaxTagBytes, " bytes: '",
                                                     t.substr(0, 32), "...'"));
    }
    if (seen.insert(t).second) out.push_back(std::move(t));
  }
  return out;
}

// Whether `tags` holds one of `wanted` (SpaceConfig::only_if_auto_tags).
bool HasAnyAutoTag(const std::vector<AutoTag>& tags,
                   const std::vector<std::string>& wanted) {
  for (const AutoTag& t : tags) {
    if (std::find(wanted.begin(), wanted.end(), t.tag) != wanted.end()) {
      return true;
    }
  }
  return false;
}

}  // namespace

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
  absl::StatusOr<PreviewAdded> AddPreview(uint64_t id, absl::string_view audio,
                                          bool replace) const;
  absl::StatusOr<QueryResult> QueryById(uint64_t id,
                                        const QueryOptions& options) const;
  absl::StatusOr<QueryResult> QueryByAudio(absl::string_view audio,
                                           const QueryOptions& options) const;
  std::vector<absl::StatusOr<QueryResult>> QueryByIdBatch(
      absl::Span<const SoundCollection::IdQuery> queries) const;
  absl::StatusOr<RefitResult> Refit(absl::string_view space,
                                    bool only_unfitted);
  absl::Status SaveSnapshots();
  // Fills tags_ and the word memberships: from the open state when it is
  // usable (reading only the records the change log names after it), else
  // from every record. Undecodable records go to *bad.
  absl::Status LoadRecords(std::map<uint64_t, std::string>* bad);
  // Loads the open state and the records changed since; why not when it
  // cannot (then tags_ and the memberships are left empty), "" when done.
  absl::StatusOr<std::string> LoadOpenState(
      std::map<uint64_t, std::string>* bad);
  // Saves the open state (after the index snapshots).
  absl::Status SaveOpenState(uint64_t sequence);
  // Deletes the open state file, so that the next Open reads every record,
  // and saves none any more in this process.
  void DropOpenState();
  std::string OpenStatePath() const;
  std::vector<SpaceStatus> Spaces() const;
  const CollectionOpenReport& open_report() const { return report_; }
  absl::Status ResumeWrites();

  // The named space (empty: the default one); NotFound naming the spaces.
  absl::StatusOr<LiveSpace*> FindSpace(absl::string_view name) const;
  const std::string& default_space() const { return default_space_; }
  SoundStore& store() const { return *store_; }
  const TagIndex& tags() const { return tags_; }
  const WordIndex& words() const { return *words_; }
  const CollectionQueries& queries() const { return *queries_; }

 private:
  std::vector<WordSpace> WordSpaces() const;
  // Refit's swap hook: every word vector of the space follows the new view.
  LiveSpace::SwapHook RecomputeWords(const LiveSpace& live);
  void MaybeAutoFit();
  // After a refit of `part`: every concat fusion over it rebuilds its index
  // under the part's new view (off to the side). An error marks the fusion
  // diverged and is returned.
  absl::Status RefreshFusions(const LiveSpace& part);
  // Takes sounds whose raw vectors cannot be indexed out of service: out of
  // the tag and word indexes and every index, and into the store's
  // quarantine. With the writer lock held (or before the collection is
  // shared).
  // `update_words`: recompute the word vectors they averaged (false at Open,
  // where only memberships exist yet).
  void QuarantineUnusable(const UnusableSounds& unusable,
                          bool update_words = true)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Deletes sound `id` from the store after a failed Commit, retrying a
  // little; the error of the last try.
  absl::Status UndoAdd(uint64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Retries the undos that failed and the word vectors whose write failed.
  void RetryPending() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Truncates the change log behind the oldest snapshot still needed.
  void TruncateLog();
  // The periodic snapshot thread's loop.
  void SnapshotLoop();
  // Asks the snapshot thread for snapshots now (after a refit).
  void RequestSnapshot();

  CollectionOptions options_;
  std::unique_ptr<SoundStore> store_;
  std::unique_ptr<AudioDecoder> decoder_;
  std::vector<std::unique_ptr<LiveSpace>> spaces_;  // fixed after Open
  // Fused spaces (SpaceConfig::fusion), over spaces_; fixed after Open.
  std::vector<std::unique_ptr<LiveSpace>> fused_;
  std::string default_space_;
  TagIndex tags_;
  std::unique_ptr<WordIndex> words_;            // created in Open
  std::unique_ptr<CollectionQueries> queries_;  // created in Open
  // Serialises Commit, Delete and the swap at the end of a refit, so that
  // every index reflects exactly the store's change log up to
  // LastSequence() whenever the lock is free (SaveSnapshots reads the
  // sequence under it).
  absl::Mutex write_mu_;
  // Sounds a failed Commit could not delete again from the store yet.
  std::set<uint64_t> pending_undo_ ABSL_GUARDED_BY(write_mu_);
  CollectionOpenReport report_;  // fixed after Open

  // The periodic snapshots.
  absl::Mutex snapshot_mu_;
  absl::CondVar snapshot_cv_;
  bool stopping_ ABSL_GUARDED_BY(snapshot_mu_) = false;
  // Set after a refit: the snapshots on disk are of the old projection, so
  // a restart would rebuild; the snapshot thread writes new ones at once.
  bool snapshot_requested_ ABSL_GUARDED_BY(snapshot_mu_) = false;
  // The oldest sequence the current snapshots reflect (0: some space has
  // none): the changes after it would be replayed at a restart.
  std::atomic<uint64_t> snapshot_base_{0};
  // Serialises the open state's saves and drops.
  absl::Mutex open_state_mu_;
  // Set when a quarantine could not be written: the records it left out of
  // service are still in the store, and only a full read of the records at
  // the next Open finds them again, so no open state is saved any more.
  bool state_dropped_ ABSL_GUARDED_BY(open_state_mu_) = false;
  std::thread snapshot_thread_;
};

// ---- Open -------------------------------------------------------------------

absl::Status SoundCollection::Impl::Open(const CollectionOptions& options) {
  const auto open_start = Clock::now();
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
  RETURN_IF_ERROR(ValidateSpaceFusions(options_.spaces));
  default_space_ = options_.default_space.empty() ? options_.spaces[0].name
                                                  : options_.default_space;
  if (names.count(default_space_) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("default_space: no space named '", default_space_, "'"));
  }
  if (!(options_.snapshot_every_seconds >= 0)) {
    return absl::InvalidArgumentError(
        "snapshot_every_seconds: must be >= 0 (0 disables it)");
  }

  const std::filesystem::path root(options_.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(root / "index", ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create data directory ", (root / "index").string(),
                     ": ", ec.message()));
  }

  SoundStoreOptions store_options;
  store_options.path = (root / "store").string();
  store_options.sync_writes = options_.sync_writes;
  store_options.write_buffer_mb = options_.store_write_buffer_mb;
  store_options.memtable_budget_mb = options_.store_memtable_budget_mb;
  ASSIGN_OR_RETURN(store_, SoundStore::Open(store_options));
  ASSIGN_OR_RETURN(decoder_, AudioDecoder::Create(options_.decoder));
  RETURN_IF_ERROR(WordIndex::ValidateOptions(options_.words));
  RETURN_IF_ERROR(ValidateSearchBatchingOptions(options_.search_batching));
  words_ = std::make_unique<WordIndex>(options_.words, store_.get());

  // One bad record never stops Open: a sound whose record does not decode
  // is quarantined (kept in the store, out of service).
  std::map<uint64_t, std::string> bad;
  auto phase_start = Clock::now();
  RETURN_IF_ERROR(LoadRecords(&bad));
  if (!bad.empty()) {
    // A quarantine logs a DELETE of each sound (which the next open state
    // load replays); one that cannot be written leaves them in the store,
    // where only a read of every record finds them again.
    auto moved = store_->QuarantineSounds(bad);
    if (!moved.ok()) DropOpenState();
    for (const auto& [id, why] : bad) {
      report_.quarantined.push_back(absl::StrCat(
          "sound ", id, ": ", why,
          moved.ok() ? ""
                     : absl::StrCat(" (left out of service; the "
                                    "quarantine could not be written: ",
                                    moved.status().message(), ")")));
    }
  }

  report_.records_seconds = SecondsSince(phase_start);
  phase_start = Clock::now();
  UnusableSounds unusable;
  bool bad_log_entry = false;
  for (const SpaceConfig& config : options_.spaces) {
    if (config.fusion.enabled()) continue;  // below, once its parts are open
    // The space's encoder is created here, once: every later view of the
    // space (refits included) shares it.
    ASSIGN_OR_RETURN(std::unique_ptr<Space> space, Space::Create(config));
    LiveSpaceLoad load;
    ASSIGN_OR_RETURN(
        std::unique_ptr<LiveSpace> live,
        LiveSpace::Open(std::move(space),
                        (root / "index" / SnapshotFileName(config)).string(),
                        store_.get(), &write_mu_, &load));
    if (!load.rebuilt_because.empty()) {
      report_.rebuilt[config.name] = load.rebuilt_because;
    } else if (std::optional<uint64_t> s = live->LogNeededAfter()) {
      report_.replayed_changes += store_->LastSequence() - *s;
    }
    live->SetSearchBatching(options_.search_batching, options_.search_observer);
    unusable.insert(load.unusable.begin(), load.unusable.end());
    bad_log_entry = bad_log_entry || load.undecodable_log_entry;
    spaces_.push_back(std::move(live));
  }
  if (bad_log_entry) {
    auto n = store_->QuarantineUndecodableChanges();
    report_.quarantined.push_back(
        n.ok() ? absl::StrCat("change log: ", *n,
                              " entries that do not decode (the indexes were "
                              "rebuilt instead of replayed)")
               : absl::StrCat("change log: entries that do not decode could "
                              "not be quarantined: ",
                              n.status().message()));
  }
  if (!unusable.empty()) {
    absl::MutexLock lock(&write_mu_);
    QuarantineUnusable(unusable, /*update_words=*/false);
    for (const auto& [id, why] : unusable) {
      report_.quarantined.push_back(absl::StrCat("sound ", id, ": ", why));
    }
  }
  for (const SpaceConfig& config : options_.spaces) {
    if (!config.fusion.enabled()) continue;
    std::vector<const LiveSpace*> parts;
    for (const std::string& part : config.fusion.of) {
      ASSIGN_OR_RETURN(LiveSpace * live, FindSpace(part));
      parts.push_back(live);
    }
    LiveSpaceLoad load;
    ASSIGN_OR_RETURN(std::unique_ptr<LiveSpace> live,
                     LiveSpace::OpenFused(config, std::move(parts),
                                          store_.get(), &write_mu_, &load));
    live->SetSearchBatching(options_.search_batching, options_.search_observer);
    fused_.push_back(std::move(live));
  }
  report_.indexes_seconds = SecondsSince(phase_start);
  phase_start = Clock::now();
  for (const auto& live : spaces_) {
    RETURN_IF_ERROR(words_->Load(live->WordSpaceOf(live->view())));
  }
  // Fused spaces have word vectors too: means of their fused vectors.
  for (const auto& live : fused_) {
    RETURN_IF_ERROR(words_->Load(live->WordSpaceOf(live->view())));
  }
  report_.words_seconds = SecondsSince(phase_start);
  uint64_t quarantined = 0;
  store_
      ->ForEachQuarantined([&quarantined](const QuarantinedRecord& r) {
        if (r.family == "sounds" || r.family == "changes") ++quarantined;
        return true;
      })
      .IgnoreError();
  report_.quarantine_size = quarantined;
  QueryContext query_context;
  query_context.store = store_.get();
  query_context.decoder = decoder_.get();
  query_context.tags = &tags_;
  query_context.words = words_.get();
  for (const SpaceConfig& config : options_.spaces) {  // in config order
    ASSIGN_OR_RETURN(LiveSpace * live, FindSpace(config.name));
    query_context.spaces.push_back(live);
  }
  query_context.default_space = default_space_;
  query_context.text = options_.text;
  ASSIGN_OR_RETURN(queries_,
                   CollectionQueries::Create(std::move(query_context)));
  MaybeAutoFit();
  uint64_t base = store_->LastSequence();
  for (const auto& live : spaces_) {
    base = std::min(base, live->LogNeededAfter().value_or(0));
  }
  snapshot_base_.store(base);
  if (options_.snapshot_every_changes > 0 ||
      options_.snapshot_every_seconds > 0) {
    snapshot_thread_ = std::thread([this] { SnapshotLoop(); });
  }
  report_.seconds = SecondsSince(open_start);
  return absl::OkStatus();
}

SoundCollection::Impl::~Impl() {
  {
    absl::MutexLock lock(&snapshot_mu_);
    stopping_ = true;
    snapshot_cv_.SignalAll();
  }
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  if (store_ != nullptr && options_.snapshot_on_close) {
    SaveSnapshots().IgnoreError();  // the store stays the source of truth
  }
}

void SoundCollection::Impl::RequestSnapshot() {
  absl::MutexLock lock(&snapshot_mu_);
  snapshot_requested_ = true;
  snapshot_cv_.SignalAll();
}

void SoundCollection::Impl::SnapshotLoop() {
  const uint64_t every = options_.snapshot_every_changes;
  const double seconds = options_.snapshot_every_seconds;
  auto last = Clock::now();
  auto next_try = last;  // after a failure, wait before trying again
  absl::MutexLock lock(&snapshot_mu_);
  while (!stopping_) {
    snapshot_cv_.WaitWithTimeout(&snapshot_mu_, absl::Seconds(1));
    if (stopping_) break;
    const auto now = Clock::now();
    const uint64_t sequence = store_->LastSequence();
    const uint64_t base = snapshot_base_.load();
    const uint64_t changes = sequence > base ? sequence - base : 0;
    const bool due =
        snapshot_requested_ || (every > 0 && changes >= every) ||
        (seconds > 0 && changes > 0 &&
         std::chrono::duration<double>(now - last).count() >= seconds);
    if (!due || now < next_try || !store_->WriteHealth().ok()) continue;
    snapshot_requested_ = false;
    snapshot_mu_.Unlock();
    absl::Status saved = SaveSnapshots();
    snapshot_mu_.Lock();
    last = Clock::now();
    if (!saved.ok()) next_try = last + std::chrono::seconds(30);
  }
}

// ---- Ingest -----------------------------------------------------------------

absl::StatusOr<PreparedSound> SoundCollection::Impl::PrepareAndDecode(
    absl::string_view audio, const SoundInput& input,
    std::map<int, DecodedAudio>* decoded) const {
  RETURN_IF_ERROR(CheckSoundMetadata(input.external_id, input.name,
                                     input.source, input.tags, input.labels));
  // Every string that enters the store is valid UTF-8 (soundsearch/text.h).
  RETURN_IF_ERROR(CheckUtf8("external id", input.external_id));
  RETURN_IF_ERROR(CheckUtf8("name", input.name));
  RETURN_IF_ERROR(CheckUtf8("source", input.source));
  for (size_t i = 0; i < input.tags.size(); ++i) {
    RETURN_IF_ERROR(CheckUtf8(absl::StrCat("tag ", i + 1), input.tags[i]));
  }
  for (size_t i = 0; i < input.labels.size(); ++i) {
    RETURN_IF_ERROR(CheckUtf8(absl::StrCat("label ", i + 1), input.labels[i]));
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
  for (const auto& live : spaces_) {
    const int rate = live->view()->space->sample_rate();
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

  for (const auto& live : spaces_) {
    if (embedding.empty()) break;
    auto view = live->view();
    const int rate = view->space->sample_rate();
    std::vector<absl::Span<const float>> clips;
    clips.reserve(embedding.size());
    // Sounds this space is gated off for (only_if_auto_tags) get an empty
    // embedding without running the encoder.
    const std::vector<std::string>& gate =
        view->space->config().only_if_auto_tags;
    std::vector<size_t> running;
    for (size_t i : embedding) {
      if (gate.empty() || HasAnyAutoTag(results[i]->record.auto_tags, gate)) {
        running.push_back(i);
        clips.push_back(decoded[i].at(rate).samples);
      } else {
        results[i]->raw.emplace(live->name(), view->space->EmptyEmbedding());
        results[i]->embed_seconds[live->name()] = 0;
      }
    }
    const bool speech = view->space->encoder()->term_layout() != nullptr;
    const auto embed_start = Clock::now();
    std::vector<std::vector<AutoTag>> auto_tags;
    std::vector<SpokenContent> spoken;
    absl::StatusOr<std::vector<absl::StatusOr<RawEmbedding>>> embedded =
        std::vector<absl::StatusOr<RawEmbedding>>();
    if (!running.empty()) {
      embedded = view->space->EmbedBatch(clips, &auto_tags,
                                         speech ? &spoken : nullptr);
    }
    const double share =
        running.empty()
            ? 0.0
            : SecondsSince(embed_start) / static_cast<double>(running.size());
    std::vector<size_t> still;
    size_t k = 0;
    for (size_t i : embedding) {
      if (k >= running.size() || running[k] != i) {  // gated off
        still.push_back(i);
        continue;
      }
      const size_t at = k++;
      if (!embedded.ok()) {
        results[i] = embedded.status();
        continue;
      }
      if (!(*embedded)[at].ok()) {
        results[i] = (*embedded)[at].status();
        continue;
      }
      // A vector the metric cannot rank would fail the index (and, once
      // stored, every rebuild): refused before anything is written.
      absl::Status usable = live->CheckUsable(*view, (*embedded)[at].value());
      if (!usable.ok()) {
        results[i] = usable;
        continue;
      }
      PreparedSound& prepared = *results[i];
      prepared.embed_seconds[live->name()] = share;
      prepared.raw.emplace(live->name(), std::move((*embedded)[at]).value());
      MergeAutoTags(auto_tags[at], &prepared.record.auto_tags);
      if (speech) prepared.record.spoken.push_back(std::move(spoken[at]));
      still.push_back(i);
    }
    embedding = std::move(still);
  }

  for (size_t i : embedding) {
    PreparedSound& prepared = *results[i];
    if (options_.previews.enabled) {
      // The lowest decoded rate that MP3 carries (decoded is ordered).
      for (const auto& [rate, audio] : decoded[i]) {
        if (!PreviewSampleRateSupported(rate)) continue;
        auto preview = EncodePreview(audio.samples, rate, options_.previews);
        // A sound without a preview is still a sound: keep going.
        if (preview.ok()) prepared.preview = *std::move(preview);
        break;
      }
    }
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
  auto being_undone = [](uint64_t id) {
    return absl::UnavailableError(
        absl::StrCat("sound ", id,
                     " with these bytes is being undone after a failed "
                     "add; retry once the store can write again"));
  };
  if (prepared.duplicate) {
    absl::MutexLock lock(&write_mu_);
    if (pending_undo_.count(prepared.duplicate_id) > 0) {
      return being_undone(prepared.duplicate_id);
    }
    return CommitResult{prepared.duplicate_id, true};
  }
  std::map<std::string, std::string> raw_by_space;
  for (const auto& [space, raw] : prepared.raw) {
    raw_by_space[space] = raw.Encode();
  }
  // The time added is set here rather than by the store, so that the tag
  // index (time filters) sees the stored value.
  if (prepared.record.added_unix_micros == 0) {
    prepared.record.added_unix_micros = absl::ToUnixMicros(absl::Now());
  }
  CommitResult result;
  {
    absl::MutexLock lock(&write_mu_);
    RetryPending();
    ASSIGN_OR_RETURN(
        AddResult added,
        store_->AddSound(prepared.record, raw_by_space, prepared.preview));
    result.id = added.id;
    if (added.duplicate) {
      if (pending_undo_.count(added.id) > 0) return being_undone(added.id);
      result.duplicate = true;
      return result;
    }
    absl::Status indexed;
    for (const auto& live : spaces_) {
      indexed = live->Add(added.id, prepared.raw.at(live->name()));
      if (!indexed.ok()) {
        indexed = absl::Status(
            indexed.code(),
            absl::StrCat("space '", live->name(), "': ", indexed.message()));
        break;
      }
    }
    for (const auto& live : fused_) {
      if (!indexed.ok()) break;
      indexed = live->AddFused(added.id);
      if (!indexed.ok()) {
        indexed = absl::Status(
            indexed.code(),
            absl::StrCat("space '", live->name(), "': ", indexed.message()));
      }
    }
    if (!indexed.ok()) {
      // Undo, so that store and indexes keep agreeing.
      for (const auto& live : spaces_) live->Remove(added.id).IgnoreError();
      for (const auto& live : fused_) live->Remove(added.id).IgnoreError();
      absl::Status undone = UndoAdd(added.id);
      if (!undone.ok()) {
        // Retried at every later write and by ResumeWrites; until then no
        // snapshot is written, so a restart replays the add and indexes the
        // sound: store and indexes agree either way.
        pending_undo_.insert(added.id);
        return absl::Status(indexed.code(),
                            absl::StrCat(indexed.message(),
                                         "; the store could not undo the "
                                         "add yet (",
                                         undone.message(), "): it is retried"));
      }
      return indexed;
    }
    prepared.record.id = added.id;
    tags_.Add(prepared.record);
    // The sound is committed whatever happens here; word vectors whose write
    // fails are written again later (RetryPending) and recomputed at Open.
    words_->AddSound(prepared.record, WordSpaces()).IgnoreError();
  }
  MaybeAutoFit();
  return result;
}

absl::Status SoundCollection::Impl::UndoAdd(uint64_t id) {
  absl::Status undone;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Milliseconds(10 * attempt * attempt));
    undone = store_->DeleteSound(id).status();
    if (undone.ok() || absl::IsNotFound(undone)) return absl::OkStatus();
  }
  return undone;
}

void SoundCollection::Impl::RetryPending() {
  for (auto it = pending_undo_.begin(); it != pending_undo_.end();) {
    absl::Status undone = store_->DeleteSound(*it).status();
    if (undone.ok() || absl::IsNotFound(undone)) {
      it = pending_undo_.erase(it);
    } else {
      break;  // the store still refuses: later
    }
  }
  if (words_->pending() > 0) words_->RetryPending(WordSpaces()).IgnoreError();
}

absl::Status SoundCollection::Impl::ResumeWrites() {
  RETURN_IF_ERROR(store_->Resume());
  absl::MutexLock lock(&write_mu_);
  RetryPending();
  if (!pending_undo_.empty()) {
    return absl::UnavailableError(
        absl::StrCat(pending_undo_.size(), " failed add(s) not undone yet"));
  }
  return absl::OkStatus();
}

absl::Status SoundCollection::Impl::Delete(uint64_t id) {
  std::vector<LiveSpace*> out_of_step;
  absl::Status index_error;
  {
    absl::MutexLock lock(&write_mu_);
    RetryPending();
    ASSIGN_OR_RETURN(SoundRecord record, store_->GetSound(id));
    RETURN_IF_ERROR(store_->DeleteSound(id).status());
    pending_undo_.erase(id);
    // The delete is durable: every index must follow, even when one fails.
    std::vector<LiveSpace*> all;
    for (const auto& live : spaces_) all.push_back(live.get());
    for (const auto& live : fused_) all.push_back(live.get());
    for (LiveSpace* live : all) {
      absl::Status removed = live->Remove(id);
      if (!removed.ok()) removed = live->Remove(id);  // once more
      if (!removed.ok()) {
        live->MarkDiverged();
        out_of_step.push_back(live);
        if (index_error.ok()) {
          index_error = absl::Status(
              removed.code(),
              absl::StrCat("space '", live->name(), "': ", removed.message()));
        }
      }
    }
    tags_.Remove(record);
    words_->RemoveSound(record, WordSpaces()).IgnoreError();  // as in Commit
  }
  // An index that could not drop the sound is rebuilt from the store (off
  // to the side, then swapped in); until then the query service drops hits
  // whose sound is gone.
  for (LiveSpace* live : out_of_step) {
    UnusableSounds unusable;
    absl::Status rebuilt = live->Reindex(&unusable);
    if (!unusable.empty()) {
      absl::MutexLock lock(&write_mu_);
      QuarantineUnusable(unusable);
    }
    if (!rebuilt.ok()) {
      return absl::InternalError(absl::StrCat(
          "sound ", id, " was deleted from the store, but ",
          index_error.message(), "; rebuilding that index failed too (",
          rebuilt.message(),
          "): it is rebuilt at the next start, and "
          "queries never return the sound"));
    }
  }
  return absl::OkStatus();
}

void SoundCollection::Impl::QuarantineUnusable(const UnusableSounds& unusable,
                                               bool update_words) {
  const std::vector<WordSpace> word_spaces =
      update_words ? WordSpaces() : std::vector<WordSpace>();
  for (const auto& [id, why] : unusable) {
    auto record = store_->GetSound(id);
    if (record.ok()) {
      tags_.Remove(*record);
      words_->RemoveSound(*record, word_spaces).IgnoreError();
    }
    for (const auto& live : spaces_) live->Remove(id).IgnoreError();
    for (const auto& live : fused_) live->Remove(id).IgnoreError();
  }
  // When the quarantine cannot be written the sounds stay out of service in
  // this process; the next Open finds them again (reading every record: no
  // open state, which would leave them out, is saved any more).
  if (!store_->QuarantineSounds(unusable).ok()) DropOpenState();
}

void SoundCollection::Impl::MaybeAutoFit() {
  if (!options_.auto_fit) return;
  const uint64_t count = store_->Count();
  for (const auto& live : spaces_) {
    auto view = live->view();
    if (view->projection_version == 0 &&
        view->space->needs_fit(static_cast<int64_t>(count))) {
      // A failed automatic fit leaves the space serving unreduced vectors;
      // the next ingest or an explicit Refit tries again.
      UnusableSounds unusable;
      if (live->Refit(/*only_unfitted=*/true, RecomputeWords(*live), &unusable)
              .ok()) {
        RefreshFusions(*live).IgnoreError();  // the fusion is marked diverged
        RequestSnapshot();
      }
      if (!unusable.empty()) {
        absl::MutexLock lock(&write_mu_);
        QuarantineUnusable(unusable);
      }
    }
  }
}

// ---- Refit ------------------------------------------------------------------

absl::StatusOr<RefitResult> SoundCollection::Impl::Refit(absl::string_view name,
                                                         bool only_unfitted) {
  ASSIGN_OR_RETURN(LiveSpace * live, FindSpace(name));
  UnusableSounds unusable;
  absl::StatusOr<RefitResult> result =
      live->Refit(only_unfitted, RecomputeWords(*live), &unusable);
  if (result.ok()) RequestSnapshot();
  if (!unusable.empty()) {
    absl::MutexLock lock(&write_mu_);
    QuarantineUnusable(unusable);
  }
  if (result.ok() && !live->fused()) RETURN_IF_ERROR(RefreshFusions(*live));
  return result;
}

absl::Status SoundCollection::Impl::RefreshFusions(const LiveSpace& part) {
  absl::Status first;
  for (const auto& fused : fused_) {
    const auto& parts = fused->parts();
    if (std::find(parts.begin(), parts.end(), &part) == parts.end()) continue;
    // A concat fusion rebuilds its index from the part's new projection; a
    // late one has none. Either way its vectors, and so its word vectors,
    // follow the new projection.
    if (fused->config().fusion.kind == SpaceFusionKind::kConcat) {
      absl::Status rebuilt = fused->Reindex();
      if (!rebuilt.ok()) {
        fused->MarkDiverged();
        if (first.ok()) {
          first = absl::Status(
              rebuilt.code(),
              absl::StrCat("space '", fused->name(), "' (a fusion of '",
                           part.name(),
                           "'): rebuilding its index after the refit failed: ",
                           rebuilt.message()));
        }
        continue;
      }
    }
    absl::MutexLock lock(&write_mu_);
    words_->RecomputeSpace(fused->WordSpaceOf(fused->view())).IgnoreError();
  }
  return first;
}

LiveSpace::SwapHook SoundCollection::Impl::RecomputeWords(
    const LiveSpace& live) {
  // Runs under the writer lock. Index vectors changed: every word vector of
  // the space follows. The new projection is in place whatever happens here;
  // Open recomputes vectors left stale.
  return [this, &live](std::shared_ptr<const SpaceView> view) {
    words_->RecomputeSpace(live.WordSpaceOf(std::move(view))).IgnoreError();
  };
}

absl::Status SoundCollection::Impl::SaveSnapshots() {
  uint64_t sequence = 0;
  {
    // Every index reflects exactly the log up to LastSequence() while the
    // lock is held; a snapshot taken after releasing it reflects at least
    // that much, and replaying the changes after `sequence` again at load
    // is harmless.
    absl::MutexLock lock(&write_mu_);
    if (!pending_undo_.empty()) {
      return absl::FailedPreconditionError(
          "a failed add is not undone yet; no snapshot until it is");
    }
    sequence = store_->LastSequence();
  }
  absl::Status first;
  for (const auto& live : spaces_) {
    absl::Status saved = live->SaveSnapshot(sequence);
    if (first.ok()) first = saved;
  }
  TruncateLog();
  // After the truncation (a write the state is stamped after). It needs
  // the log after `sequence`, which TruncateLog left: it cut behind the
  // index snapshots, none newer than `sequence`. When this save fails, an
  // older state stays: the next Open finds the log too short for it and
  // reads every record.
  absl::Status state = SaveOpenState(sequence);
  if (first.ok()) first = state;
  uint64_t base = sequence;
  for (const auto& live : spaces_) {
    base = std::min(base, live->LogNeededAfter().value_or(0));
  }
  snapshot_base_.store(base);
  return first;
}

std::string SoundCollection::Impl::OpenStatePath() const {
  return (std::filesystem::path(options_.data_dir) / "index" / "open_state")
      .string();
}

void SoundCollection::Impl::DropOpenState() {
  absl::MutexLock lock(&open_state_mu_);
  state_dropped_ = true;
  std::error_code ec;
  std::filesystem::remove(OpenStatePath(), ec);
}

absl::Status SoundCollection::Impl::SaveOpenState(uint64_t sequence) {
  absl::MutexLock lock(&open_state_mu_);
  if (state_dropped_) return absl::OkStatus();
  OpenStateMarks marks;
  marks.store_sequence = sequence;
  // Read after the writes of this save (the snapshot marks, the log
  // truncation): what moves it from here on is a logged change after
  // `sequence`, replayed at load, or a write the next Open must not trust
  // this state across.
  marks.database_sequence = store_->DatabaseSequence();
  marks.options = OpenStateOptions(options_.words);
  return soundsearch::SaveOpenState(OpenStatePath(), marks, tags_, *words_);
}

absl::Status SoundCollection::Impl::LoadRecords(
    std::map<uint64_t, std::string>* bad) {
  ASSIGN_OR_RETURN(report_.records_read_because, LoadOpenState(bad));
  if (report_.records_read_because.empty()) return absl::OkStatus();
  bad->clear();
  return store_->ForEachSoundOrBad(
      [this](const SoundRecord& record) {
        tags_.Add(record);
        words_->AddMembership(record);
        return true;
      },
      [bad](uint64_t id, const absl::Status& error) {
        (*bad)[id] = std::string(error.message());
        return true;
      });
}

absl::StatusOr<std::string> SoundCollection::Impl::LoadOpenState(
    std::map<uint64_t, std::string>* bad) {
  return LoadOpenStateWithTail(OpenStatePath(), *store_,
                               OpenStateOptions(options_.words), &tags_,
                               words_.get(), bad);
}

void SoundCollection::Impl::TruncateLog() {
  std::optional<uint64_t> through;
  std::vector<const LiveSpace*> all;
  for (const auto& live : spaces_) all.push_back(live.get());
  for (const auto& live : fused_)
    all.push_back(live.get());  // while reindexing
  for (const LiveSpace* live : all) {
    std::optional<uint64_t> needed = live->LogNeededAfter();
    if (!needed.has_value()) continue;  // rebuilds from the raw vectors
    through = through.has_value() ? std::min(*through, *needed) : *needed;
  }
  if (through.has_value() && *through > store_->TruncatedThrough()) {
    // A failure leaves a longer log: harmless, tried again next time.
    store_->TruncateChangeLog(*through).IgnoreError();
  }
}

// ---- Queries ----------------------------------------------------------------

absl::StatusOr<LiveSpace*> SoundCollection::Impl::FindSpace(
    absl::string_view name) const {
  if (name.empty()) name = default_space_;
  for (const auto& live : spaces_) {
    if (live->name() == name) return live.get();
  }
  for (const auto& live : fused_) {
    if (live->name() == name) return live.get();
  }
  std::string known;
  for (const auto& live : spaces_) {
    absl::StrAppend(&known, known.empty() ? "" : ", ", live->name());
  }
  for (const auto& live : fused_) absl::StrAppend(&known, ", ", live->name());
  return absl::NotFoundError(
      absl::StrCat("unknown space '", name, "' (spaces: ", known, ")"));
}

absl::StatusOr<QueryResult> SoundCollection::Impl::QueryById(
    uint64_t id, const QueryOptions& options) const {
  ExampleQuery query;
  query.positive.push_back(QueryExample{id, {}});
  return queries_->QueryByExamples(query, options);
}

std::vector<absl::StatusOr<QueryResult>> SoundCollection::Impl::QueryByIdBatch(
    absl::Span<const SoundCollection::IdQuery> queries) const {
  std::vector<absl::StatusOr<QueryResult>> out(
      queries.size(), absl::InternalError("not searched"));
  // Per space: its view (taken once), the queries' vectors and rows.
  struct Group {
    LiveSpace* live;
    std::shared_ptr<const SpaceView> view;
    std::vector<std::vector<float>> vectors;
    std::vector<double> vector_seconds;
    std::vector<size_t> rows;
  };
  std::vector<Group> groups;
  for (size_t i = 0; i < queries.size(); ++i) {
    const IdQuery& q = queries[i];
    if (q.options.k < 1) {
      out[i] = absl::InvalidArgumentError(
          absl::StrCat("k must be >= 1, got ", q.options.k));
      continue;
    }
    auto live = FindSpace(q.options.space);
    if (!live.ok()) {
      out[i] = live.status();
      continue;
    }
    // A re-ranking space (SpaceConfig::rerank) re-scores in the query layer,
    // an expanded query (the space's "expand" or the query's own) searches
    // twice: such a query takes the one-by-one path.
    const int expand = q.options.expand_neighbours.value_or(
        (*live)->config().expand.neighbours);
    if ((*live)->config().rerank.kind != RerankKind::kNone || expand != 0) {
      out[i] = QueryById(q.id, q.options);
      continue;
    }
    auto group = std::find_if(groups.begin(), groups.end(),
                              [&](const Group& g) { return g.live == *live; });
    if (group == groups.end()) {
      groups.push_back(Group{*live, (*live)->view(), {}, {}, {}});
      group = groups.end() - 1;
    }
    const auto start = Clock::now();
    auto vector = group->live->QueryVector(*group->view, q.id);
    const double seconds = SecondsSince(start);
    if (absl::IsNotFound(vector.status())) {
      absl::Status known = store_->GetSound(q.id).status();
      out[i] = !known.ok() ? known
                           : absl::NotFoundError(absl::StrCat(
                                 "sound ", q.id, " has no vector in space '",
                                 group->live->name(), "'"));
      continue;
    }
    if (!vector.ok()) {
      out[i] = vector.status();
      continue;
    }
    group->vectors.push_back(*std::move(vector));
    group->vector_seconds.push_back(seconds);
    group->rows.push_back(i);
  }
  for (Group& g : groups) {
    std::vector<LiveSpace::SpaceQuery> batch;
    batch.reserve(g.rows.size());
    for (size_t j = 0; j < g.rows.size(); ++j) {
      const IdQuery& q = queries[g.rows[j]];
      LiveSpace::SpaceQuery sq;
      sq.vector = g.vectors[j];
      sq.options = &q.options;
      if (!q.options.include_query) sq.exclude = q.id;
      if (!q.options.filter.empty()) sq.allowed = tags_.Match(q.options.filter);
      batch.push_back(std::move(sq));
    }
    std::vector<absl::StatusOr<QueryResult>> results =
        g.live->SearchMany(*g.view, batch);
    for (size_t j = 0; j < g.rows.size(); ++j) {
      if (results[j].ok()) {
        results[j]->vector_seconds = g.vector_seconds[j];
        DropGoneHits(*g.live, *store_, &results[j]->hits);
      }
      out[g.rows[j]] = std::move(results[j]);
    }
  }
  return out;
}

absl::StatusOr<QueryResult> SoundCollection::Impl::QueryByAudio(
    absl::string_view audio, const QueryOptions& options) const {
  if (audio.empty()) {
    return absl::InvalidArgumentError("audio example is empty (0 bytes)");
  }
  ExampleQuery query;
  query.positive.push_back(QueryExample{0, audio});
  return queries_->QueryByExamples(query, options);
}

std::vector<SpaceStatus> SoundCollection::Impl::Spaces() const {
  std::vector<SpaceStatus> out;
  for (const SpaceConfig& config : options_.spaces) {  // in config order
    auto live = FindSpace(config.name);
    if (!live.ok()) continue;
    out.push_back((*live)->Status());
    const ClassVocabulary* classes = queries_->Classes(config.name);
    out.back().classes = classes == nullptr ? 0 : classes->size();
    out.back().classes_in_ontology =
        classes == nullptr ? 0 : classes->matched_to_ontology();
  }
  return out;
}

std::vector<WordSpace> SoundCollection::Impl::WordSpaces() const {
  std::vector<WordSpace> out;
  for (const auto& live : spaces_) {
    out.push_back(live->WordSpaceOf(live->view()));
  }
  for (const auto& live : fused_) {
    out.push_back(live->WordSpaceOf(live->view()));
  }
  return out;
}

// ---- SoundCollection --------------------------------------------------------

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

std::vector<absl::StatusOr<SoundRecord>> SoundCollection::GetMany(
    absl::Span<const uint64_t> ids) const {
  return impl_->store().GetSounds(ids);
}

absl::StatusOr<std::string> SoundCollection::GetPreview(uint64_t id) const {
  RETURN_IF_ERROR(impl_->store().GetSound(id).status());
  return impl_->store().GetPreview(id);
}

absl::StatusOr<PreviewAdded> SoundCollection::Impl::AddPreview(
    uint64_t id, absl::string_view audio, bool replace) const {
  if (!options_.previews.enabled) {
    return absl::FailedPreconditionError(
        "previews are off (--previews=off): no preview is made");
  }
  if (audio.empty()) {
    return absl::InvalidArgumentError("audio is empty (0 bytes)");
  }
  SoundRecord record;
  if (id == 0) {
    auto found = store_->FindByContentHash(Sha256Hex(audio));
    if (absl::IsNotFound(found.status())) {
      return absl::NotFoundError(
          "no sound was added with these bytes (give the sound's id or "
          "external id to attach a preview made from other bytes)");
    }
    ASSIGN_OR_RETURN(record, std::move(found));
  } else {
    ASSIGN_OR_RETURN(record, store_->GetSound(id));
  }
  PreviewAdded added;
  added.id = record.id;
  if (!replace) {
    auto existing = store_->GetPreview(record.id);
    if (existing.ok()) {
      added.skipped = true;
      added.bytes = existing->size();
      return added;
    }
    if (!absl::IsNotFound(existing.status())) return existing.status();
  }
  // The rate ingest uses: the lowest space rate that MP3 carries.
  int rate = 0;
  for (const auto& live : spaces_) {
    const int r = live->view()->space->sample_rate();
    if (PreviewSampleRateSupported(r) && (rate == 0 || r < rate)) rate = r;
  }
  if (rate == 0) {
    return absl::FailedPreconditionError(
        "no space's sample rate is one MP3 carries: no preview is made");
  }
  DecodeRequest request;
  request.sample_rate = rate;
  ASSIGN_OR_RETURN(DecodedAudio decoded, decoder_->DecodeBytes(audio, request));
  ASSIGN_OR_RETURN(std::string preview,
                   EncodePreview(decoded.samples, rate, options_.previews));
  RETURN_IF_ERROR(store_->PutPreview(record.id, preview));
  added.bytes = preview.size();
  return added;
}

absl::StatusOr<PreviewAdded> SoundCollection::AddPreview(
    uint64_t id, absl::string_view audio, bool replace) {
  return impl_->AddPreview(id, audio, replace);
}

PreviewStats SoundCollection::GetPreviewStats() const {
  return impl_->store().GetPreviewStats();
}

absl::StatusOr<SoundRecord> SoundCollection::GetByExternalId(
    absl::string_view ext) const {
  return impl_->store().FindByExternalId(ext);
}

absl::StatusOr<QueryResult> SoundCollection::QueryById(
    uint64_t id, const QueryOptions& options) const {
  return impl_->QueryById(id, options);
}

std::vector<absl::StatusOr<QueryResult>> SoundCollection::QueryByIdBatch(
    absl::Span<const IdQuery> queries) const {
  return impl_->QueryByIdBatch(queries);
}

absl::StatusOr<QueryResult> SoundCollection::QueryByAudio(
    absl::string_view audio, const QueryOptions& options) const {
  return impl_->QueryByAudio(audio, options);
}

absl::StatusOr<QueryResult> SoundCollection::QueryByExamples(
    const ExampleQuery& query, const QueryOptions& options) const {
  return impl_->queries().QueryByExamples(query, options);
}

absl::StatusOr<TextQueryResult> SoundCollection::QueryByText(
    absl::string_view text, const TextQueryOptions& options) const {
  return impl_->queries().QueryByText(text, options);
}

absl::StatusOr<ListResult> SoundCollection::ListSounds(
    const ListRequest& request) const {
  return impl_->queries().ListSounds(request);
}

absl::StatusOr<SoundDescription> SoundCollection::DescribeSound(
    const QueryExample& example, const DescribeOptions& options) const {
  return impl_->queries().DescribeSound(example, options);
}

absl::StatusOr<RefitResult> SoundCollection::Refit(absl::string_view space) {
  return impl_->Refit(space, /*only_unfitted=*/false);
}

absl::Status SoundCollection::SaveSnapshots() { return impl_->SaveSnapshots(); }

const CollectionOpenReport& SoundCollection::open_report() const {
  return impl_->open_report();
}

absl::Status SoundCollection::WriterHealth() const {
  return impl_->store().WriteHealth();
}

absl::Status SoundCollection::ResumeWrites() { return impl_->ResumeWrites(); }

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
  ASSIGN_OR_RETURN(LiveSpace * live, impl_->FindSpace(space));
  return impl_->words().Get(live->name(), word);
}

absl::StatusOr<WordPairCosine> SoundCollection::WordSimilarity(
    absl::string_view space, absl::string_view a, absl::string_view b) const {
  ASSIGN_OR_RETURN(LiveSpace * live, impl_->FindSpace(space));
  return impl_->words().Similarity(live->name(), a, b);
}

absl::StatusOr<std::vector<WordNeighbour>> SoundCollection::NearestWords(
    absl::string_view space, absl::string_view word, int k) const {
  ASSIGN_OR_RETURN(LiveSpace * live, impl_->FindSpace(space));
  return impl_->words().Nearest(live->name(), word, k);
}

absl::StatusOr<SpaceEvaluation> SoundCollection::Evaluate(
    const EvaluationRequest& request) {
  ASSIGN_OR_RETURN(LiveSpace * live, impl_->FindSpace(request.space));
  return live->Evaluate(request);
}

absl::StatusOr<SpaceEvaluation> SoundCollection::LastEvaluation(
    absl::string_view space) const {
  ASSIGN_OR_RETURN(LiveSpace * live, impl_->FindSpace(space));
  return live->LastEvaluation();
}

}  // namespace soundsearch
