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
#include "collection/live_space.h"
#include "collection/tag_index.h"
#include "collection/word_index.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/sequence_distance.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

constexpr size_t kMaxTagLength = 256;
constexpr size_t kMaxExternalIdLength = 256;

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

// The phones `space` recognised in `record` (empty when none).
const std::vector<std::string>* PhonesOf(const SoundRecord& record,
                                         absl::string_view space) {
  for (const SpokenContent& c : record.spoken) {
    if (c.space == space) return &c.phones;
  }
  return nullptr;
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

 private:
  std::vector<WordSpace> WordSpaces() const;
  // Refit's swap hook: every word vector of the space follows the new view.
  LiveSpace::SwapHook RecomputeWords(const LiveSpace& live);
  // The ids `filter` allows; null for an empty filter.
  std::shared_ptr<const IdSet> Allowed(const SoundFilter& filter) const;
  // The query path's re-ranking hook (SpaceConfig::rerank): searches the
  // view for max(top_n, k) hits, re-scores them against `query_phones` and
  // keeps the best options.k. Without a rerank kind, Search as it is.
  absl::StatusOr<QueryResult> SearchAndRerank(
      const LiveSpace& live, const SpaceView& view,
      absl::Span<const float> vector, const QueryOptions& options,
      std::optional<uint64_t> exclude,
      const std::vector<std::string>* query_phones) const;
  void MaybeAutoFit();

  CollectionOptions options_;
  std::unique_ptr<SoundStore> store_;
  std::unique_ptr<AudioDecoder> decoder_;
  std::vector<std::unique_ptr<LiveSpace>> spaces_;  // fixed after Open
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
    const std::vector<std::string>& gate = view->space->config().only_if_auto_tags;
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

std::shared_ptr<const IdSet> SoundCollection::Impl::Allowed(
    const SoundFilter& filter) const {
  if (filter.empty()) return nullptr;
  return tags_.Match(filter);
}

absl::StatusOr<QueryResult> SoundCollection::Impl::QueryById(
    uint64_t id, const QueryOptions& options) const {
  if (options.k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("k must be >= 1, got ", options.k));
  }
  ASSIGN_OR_RETURN(LiveSpace * live, FindSpace(options.space));
  auto view = live->view();
  auto vector = live->StoredVector(*view, id);
  if (absl::IsNotFound(vector.status())) {
    RETURN_IF_ERROR(store_->GetSound(id).status());  // unknown id: NotFound
    return absl::NotFoundError(absl::StrCat(
        "sound ", id, " has no vector in space '", live->name(), "'"));
  }
  RETURN_IF_ERROR(vector.status());
  std::optional<uint64_t> exclude;
  if (!options.include_query) exclude = id;
  std::optional<SoundRecord> query;
  if (view->space->config().rerank.kind != RerankKind::kNone) {
    ASSIGN_OR_RETURN(query, store_->GetSound(id));
  }
  return SearchAndRerank(*live, *view, *vector, options, exclude,
                         query ? PhonesOf(*query, live->name()) : nullptr);
}

absl::StatusOr<QueryResult> SoundCollection::Impl::SearchAndRerank(
    const LiveSpace& live, const SpaceView& view,
    absl::Span<const float> vector, const QueryOptions& options,
    std::optional<uint64_t> exclude,
    const std::vector<std::string>* query_phones) const {
  const RerankConfig& rerank = view.space->config().rerank;
  if (rerank.kind == RerankKind::kNone) {
    return live.Search(view, vector, options, exclude,
                       Allowed(options.filter));
  }
  QueryOptions wide = options;
  wide.k = std::max(options.k, rerank.top_n);
  wide.min_score.reset();  // applies to the re-ranked scores
  ASSIGN_OR_RETURN(QueryResult result, live.Search(view, vector, wide, exclude,
                                                    Allowed(options.filter)));
  const std::vector<std::string> none;
  const std::vector<std::string>& query =
      query_phones != nullptr ? *query_phones : none;
  for (QueryHit& hit : result.hits) {
    absl::StatusOr<SoundRecord> record = store_->GetSound(hit.id);
    // A hit deleted since the search keeps its index score.
    if (!record.ok()) continue;
    const std::vector<std::string>* phones = PhonesOf(*record, live.name());
    hit.score = static_cast<float>(PhoneRerankScore(
        hit.score, rerank.weight, query, phones != nullptr ? *phones : none));
  }
  std::stable_sort(result.hits.begin(), result.hits.end(),
                   [](const QueryHit& a, const QueryHit& b) {
                     return a.score > b.score;
                   });
  if (options.min_score.has_value()) {
    result.hits.erase(
        std::remove_if(result.hits.begin(), result.hits.end(),
                       [&](const QueryHit& h) {
                         return h.score < *options.min_score;
                       }),
        result.hits.end());
  }
  if (static_cast<int>(result.hits.size()) > options.k) {
    result.hits.resize(options.k);
  }
  return result;
}

absl::StatusOr<QueryResult> SoundCollection::Impl::QueryByAudio(
    absl::string_view audio, const QueryOptions& options) const {
  if (options.k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("k must be >= 1, got ", options.k));
  }
  ASSIGN_OR_RETURN(LiveSpace * live, FindSpace(options.space));
  auto view = live->view();
  const auto start = Clock::now();
  DecodeRequest request;
  request.sample_rate = view->space->sample_rate();
  ASSIGN_OR_RETURN(DecodedAudio pcm, decoder_->DecodeBytes(audio, request));
  SpokenContent spoken;
  ASSIGN_OR_RETURN(RawEmbedding raw,
                   view->space->Embed(pcm.samples, nullptr, &spoken));
  ASSIGN_OR_RETURN(std::vector<float> vector, view->space->Project(raw));
  const double embed_seconds = SecondsSince(start);
  ASSIGN_OR_RETURN(QueryResult result,
                   SearchAndRerank(*live, *view, vector, options, std::nullopt,
                                   &spoken.phones));
  result.embed_seconds = embed_seconds;
  return result;
}

std::vector<SpaceStatus> SoundCollection::Impl::Spaces() const {
  std::vector<SpaceStatus> out;
  for (const auto& live : spaces_) out.push_back(live->Status());
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
