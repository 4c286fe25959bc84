#include "soundsearch/sound_collection.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "collection/collection_queries.h"
#include "collection/live_space.h"
#include "collection/tag_index.h"
#include "collection/word_index.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/sound_limits.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space.h"
#include "soundsearch/status_macros.h"

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

  CollectionOptions options_;
  std::unique_ptr<SoundStore> store_;
  std::unique_ptr<AudioDecoder> decoder_;
  std::vector<std::unique_ptr<LiveSpace>> spaces_;  // fixed after Open
  std::string default_space_;
  TagIndex tags_;
  std::unique_ptr<WordIndex> words_;            // created in Open
  std::unique_ptr<CollectionQueries> queries_;  // created in Open
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
    // The space's encoder is created here, once: every later view of the
    // space (refits included) shares it.
    ASSIGN_OR_RETURN(std::unique_ptr<Space> space, Space::Create(config));
    ASSIGN_OR_RETURN(
        std::unique_ptr<LiveSpace> live,
        LiveSpace::Open(std::move(space),
                        (root / "index" / (config.name + ".idx")).string(),
                        store_.get(), &write_mu_));
    RETURN_IF_ERROR(words_->Load(live->WordSpaceOf(live->view())));
    spaces_.push_back(std::move(live));
  }
  QueryContext query_context;
  query_context.store = store_.get();
  query_context.decoder = decoder_.get();
  query_context.tags = &tags_;
  query_context.words = words_.get();
  for (const auto& live : spaces_) query_context.spaces.push_back(live.get());
  query_context.default_space = default_space_;
  query_context.text = options_.text;
  ASSIGN_OR_RETURN(queries_,
                   CollectionQueries::Create(std::move(query_context)));
  MaybeAutoFit();
  return absl::OkStatus();
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
  RETURN_IF_ERROR(CheckSoundMetadata(input.external_id, input.name,
                                     input.source, input.tags, input.labels));
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
      prepared.embed_seconds[live->name()] = share;
      prepared.raw.emplace(live->name(), std::move((*embedded)[k]).value());
      MergeAutoTags(auto_tags[k], &prepared.record.auto_tags);
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
  if (prepared.duplicate) return CommitResult{prepared.duplicate_id, true};
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
    ASSIGN_OR_RETURN(
        AddResult added,
        store_->AddSound(prepared.record, raw_by_space, prepared.preview));
    result.id = added.id;
    if (added.duplicate) {
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
    if (!indexed.ok()) {
      // Undo, so that store and indexes keep agreeing.
      for (const auto& live : spaces_) live->Remove(added.id).IgnoreError();
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
  for (const auto& live : spaces_) RETURN_IF_ERROR(live->Remove(id));
  tags_.Remove(record);
  words_->RemoveSound(record, WordSpaces()).IgnoreError();  // as in Commit
  return absl::OkStatus();
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
      live->Refit(/*only_unfitted=*/true, RecomputeWords(*live)).IgnoreError();
    }
  }
}

// ---- Refit ------------------------------------------------------------------

absl::StatusOr<RefitResult> SoundCollection::Impl::Refit(
    absl::string_view name, bool only_unfitted) {
  ASSIGN_OR_RETURN(LiveSpace * live, FindSpace(name));
  return live->Refit(only_unfitted, RecomputeWords(*live));
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
  absl::MutexLock lock(&write_mu_);
  const uint64_t sequence = store_->LastSequence();
  for (const auto& live : spaces_) {
    RETURN_IF_ERROR(live->SaveSnapshot(sequence));
  }
  return absl::OkStatus();
}

// ---- Queries ----------------------------------------------------------------

absl::StatusOr<LiveSpace*> SoundCollection::Impl::FindSpace(
    absl::string_view name) const {
  if (name.empty()) name = default_space_;
  for (const auto& live : spaces_) {
    if (live->name() == name) return live.get();
  }
  std::string known;
  for (const auto& live : spaces_) {
    absl::StrAppend(&known, known.empty() ? "" : ", ", live->name());
  }
  return absl::NotFoundError(
      absl::StrCat("unknown space '", name, "' (spaces: ", known, ")"));
}

absl::StatusOr<QueryResult> SoundCollection::Impl::QueryById(
    uint64_t id, const QueryOptions& options) const {
  ExampleQuery query;
  query.positive.push_back(QueryExample{id, {}});
  return queries_->QueryByExamples(query, options);
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
  for (const auto& live : spaces_) {
    out.push_back(live->Status());
    const ClassVocabulary* classes = queries_->Classes(live->name());
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

absl::StatusOr<std::string> SoundCollection::GetPreview(uint64_t id) const {
  RETURN_IF_ERROR(impl_->store().GetSound(id).status());
  return impl_->store().GetPreview(id);
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
