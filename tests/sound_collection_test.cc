// SoundCollection: store, spaces and indexes kept in agreement across ingest,
// delete, refit and restart (with missing, stale, corrupt and out-of-date
// snapshots). Real RocksDB, real FFmpeg decoding of WAV bytes made here.
#include "soundsearch/sound_collection.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soundsearch/index_kinds.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/vector_index.h"
#include "support/test_audio.h"
#include "vector_index_test_util.h"

namespace soundsearch {
namespace {

constexpr int kRate = 22050;

// An index kind whose writes fail on demand: a FAISS flat index behind a
// switch, for the error paths of Commit and Delete.
std::atomic<bool> g_fail_add{false};
std::atomic<bool> g_fail_remove{false};

class FlakyIndex final : public testing_util::ForwardingVectorIndex {
 public:
  FlakyIndex(std::unique_ptr<VectorIndex> inner, VectorIndexOptions options)
      : ForwardingVectorIndex(std::move(inner)), options_(std::move(options)) {}
  absl::Status Add(absl::Span<const int64_t> ids,
                   absl::Span<const float> vectors) override {
    if (g_fail_add) return absl::InternalError("injected add failure");
    return ForwardingVectorIndex::Add(ids, vectors);
  }
  absl::StatusOr<int64_t> Remove(absl::Span<const int64_t> ids) override {
    if (g_fail_remove) return absl::InternalError("injected remove failure");
    return ForwardingVectorIndex::Remove(ids);
  }
  const VectorIndexOptions& options() const override { return options_; }
  int64_t tombstones() const override { return 0; }
  bool trained() const override { return true; }

 private:
  VectorIndexOptions options_;
};

void RegisterFlakyIndex() {
  static const bool registered = [] {
    IndexKind kind;
    kind.name = "flaky_test";
    kind.snapshot_code = 9911;
    auto as_flat = [](VectorIndexOptions o) {
      o.index.kind = "flat";
      return o;
    };
    kind.create = [as_flat](const VectorIndexOptions& o)
        -> absl::StatusOr<std::unique_ptr<VectorIndex>> {
      auto inner = VectorIndex::Create(as_flat(o));
      if (!inner.ok()) return inner.status();
      return std::unique_ptr<VectorIndex>(new FlakyIndex(*std::move(inner), o));
    };
    kind.load = [as_flat](const std::string& path, const VectorIndexOptions& o)
        -> absl::StatusOr<LoadedVectorIndex> {
      auto loaded = VectorIndex::Load(path, as_flat(o));
      if (!loaded.ok()) return loaded.status();
      loaded->index.reset(new FlakyIndex(std::move(loaded->index), o));
      return loaded;
    };
    return RegisterIndexKind(std::move(kind)).ok();
  }();
  EXPECT_TRUE(registered);
}

// The store sequence a snapshot file reflects (docs/index.md: header offset
// 40, little-endian u64); 0 when there is no file.
uint64_t SnapshotSequence(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char header[48] = {};
  if (!in.read(header, sizeof(header))) return 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(header[40 + i]);
  return v;
}

class SoundCollectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
  }

  CollectionOptions Options() const {
    CollectionOptions options;
    options.data_dir = dir_->File("data");
    SpaceConfig space = DefaultSpaceConfig();
    space.pca_dims = 8;
    space.min_fit_items = 10;
    options.spaces = {space};
    return options;
  }

  void Open(CollectionOptions options) {
    collection_.reset();
    auto opened = SoundCollection::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    collection_ = *std::move(opened);
  }
  void Open() { Open(Options()); }

  // WAV bytes: a tone (kind 0) or noise (kind 1), distinct per `n`.
  std::string Sound(int kind, int n) {
    std::vector<float> pcm = kind == 0
                                 ? test::Sine(300 + 13 * n, 0.6, kRate, 0.5f)
                                 : test::WhiteNoise(0.6, kRate, 0.3f, 1 + n);
    const std::string path = dir_->File(absl::StrCat("s", counter_++, ".wav"));
    EXPECT_TRUE(test::WritePcm16Wav(path, pcm, kRate, 1).ok());
    return *test::ReadFileBytes(path);
  }

  uint64_t Add(int kind, int n) {
    SoundInput input;
    input.external_id = absl::StrCat(kind == 0 ? "tone-" : "noise-", n);
    input.labels = {kind == 0 ? "tone" : "noise"};
    input.tags = {kind == 0 ? "Sine" : "hiss", "demo"};
    auto added = collection_->Add(Sound(kind, n), input);
    EXPECT_TRUE(added.ok()) << added.status();
    EXPECT_FALSE(added->duplicate);
    return added.ok() ? added->id : 0;
  }

  // Every stored sound is in the index (it finds itself first), nothing
  // else is, and the index holds exactly the stored count.
  void ExpectStoreAndIndexAgree(const std::vector<uint64_t>& live,
                                const std::vector<uint64_t>& deleted) {
    const auto spaces = collection_->Spaces();
    ASSERT_EQ(spaces.size(), 1u);
    EXPECT_EQ(spaces[0].vectors, live.size());
    EXPECT_EQ(collection_->size(), live.size());
    for (uint64_t id : live) {
      QueryOptions q;
      q.k = 1;
      q.include_query = true;
      auto result = collection_->QueryById(id, q);
      ASSERT_TRUE(result.ok()) << result.status();
      ASSERT_EQ(result->hits.size(), 1u);
      EXPECT_NEAR(result->hits[0].score, 1.0, 1e-4) << id;
    }
    if (live.empty()) return;
    QueryOptions all;
    all.k = 1000;
    all.include_query = true;
    auto result = collection_->QueryById(live[0], all);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->hits.size(), live.size());
    for (const QueryHit& hit : result->hits) {
      for (uint64_t gone : deleted) EXPECT_NE(hit.id, gone);
    }
  }

  std::string SnapshotPath() const { return dir_->File("data/index/dsp.idx"); }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<SoundCollection> collection_;
  int counter_ = 0;
};

TEST_F(SoundCollectionTest, AddAutoFitQueryFilterDelete) {
  Open();
  std::vector<uint64_t> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(Add(0, i));
    ids.push_back(Add(1, i));
  }
  // min_fit_items = 10: the 10th sound fitted the space.
  const auto spaces = collection_->Spaces();
  EXPECT_TRUE(spaces[0].fitted);
  EXPECT_EQ(spaces[0].index_dim, 8);
  EXPECT_EQ(spaces[0].vectors, 12u);

  QueryOptions q;
  q.k = 5;
  auto result = collection_->QueryById(ids[0], q);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->hits.size(), 5u);
  for (const QueryHit& hit : result->hits) {
    EXPECT_NE(hit.id, ids[0]);
    EXPECT_EQ(collection_->Get(hit.id)->class_labels[0], "tone");
  }
  // Tags were lower-cased on ingest; filters match them.
  EXPECT_EQ(collection_->Get(ids[0])->tags[0], "sine");
  q.k = 20;
  q.filter.labels_any = {"noise"};
  result = collection_->QueryById(ids[0], q);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->hits.size(), 6u);
  q.filter = {};
  q.filter.tags_all = {"sine", "demo"};
  result = collection_->QueryById(ids[1], q);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->hits.size(), 6u);
  q.filter = {};
  q.filter.tags_any = {"nothing-has-this"};
  result = collection_->QueryById(ids[1], q);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->hits.empty());

  // Same bytes again: duplicate.
  auto dup = collection_->Add(Sound(0, 0), {});
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->id, ids[0]);

  ASSERT_TRUE(collection_->Delete(ids[2]).ok());
  EXPECT_EQ(collection_->Delete(ids[2]).code(), absl::StatusCode::kNotFound);
  std::vector<uint64_t> live(ids);
  live.erase(live.begin() + 2);
  ExpectStoreAndIndexAgree(live, {ids[2]});

  // Errors.
  EXPECT_EQ(collection_->QueryById(987654, {}).status().code(),
            absl::StatusCode::kNotFound);
  QueryOptions bad_space;
  bad_space.space = "nope";
  EXPECT_EQ(collection_->QueryById(ids[0], bad_space).status().code(),
            absl::StatusCode::kNotFound);
  QueryOptions bad_k;
  bad_k.k = 0;
  EXPECT_EQ(collection_->QueryById(ids[0], bad_k).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(collection_->Add("", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(collection_->Add("definitely not audio", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  SoundInput taken;
  taken.external_id = "tone-0";
  EXPECT_EQ(collection_->Add(Sound(0, 99), taken).status().code(),
            absl::StatusCode::kAlreadyExists);
  ExpectStoreAndIndexAgree(live, {ids[2]});
}

// PrepareBatch gives Prepare's result per upload; bad uploads (garbage,
// empty, bad tag) fail alone with Prepare's error, a stored sound is a
// duplicate, and the batch commits like single uploads.
TEST_F(SoundCollectionTest, PrepareBatchEqualsPreparePerUpload) {
  Open();
  const uint64_t stored = Add(0, 0);
  const std::string stored_bytes = Sound(0, 0);  // same bytes as `stored`
  std::vector<std::string> audio = {
      Sound(0, 1),  "not audio at all", Sound(1, 2), "",
      stored_bytes, Sound(1, 3),        Sound(0, 4)};
  std::vector<SoundInput> inputs(audio.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    inputs[i].external_id = absl::StrCat("batch-", i);
    inputs[i].tags = {"Batch"};
    inputs[i].labels = {"x"};
  }
  inputs[6].tags = {std::string(1000, 'x')};  // too long a tag
  std::vector<PrepareRequest> requests;
  for (size_t i = 0; i < audio.size(); ++i) {
    requests.push_back({audio[i], &inputs[i]});
  }
  std::vector<absl::StatusOr<PreparedSound>> batch =
      collection_->PrepareBatch(requests);
  ASSERT_EQ(batch.size(), audio.size());
  for (size_t i = 0; i < audio.size(); ++i) {
    SCOPED_TRACE(i);
    auto one = collection_->Prepare(audio[i], inputs[i]);
    ASSERT_EQ(batch[i].ok(), one.ok()) << batch[i].status() << one.status();
    if (!one.ok()) {
      EXPECT_EQ(batch[i].status(), one.status());
      continue;
    }
    EXPECT_EQ(batch[i]->duplicate, one->duplicate);
    EXPECT_EQ(batch[i]->duplicate_id, one->duplicate_id);
    EXPECT_TRUE(batch[i]->record == one->record);
    ASSERT_EQ(batch[i]->raw.size(), one->raw.size());
    for (const auto& [space, raw] : one->raw) {
      EXPECT_TRUE(batch[i]->raw.at(space) == raw) << space;
    }
    EXPECT_EQ(batch[i]->audio_info.sample_rate, one->audio_info.sample_rate);
    EXPECT_TRUE(batch[i]->audio_info.samples.empty());
    EXPECT_EQ(batch[i]->embed_seconds.size(), one->embed_seconds.size());
  }
  EXPECT_EQ(batch[1].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(batch[3].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(batch[6].ok());
  ASSERT_TRUE(batch[4].ok());
  EXPECT_TRUE(batch[4]->duplicate);
  EXPECT_EQ(batch[4]->duplicate_id, stored);
  std::vector<uint64_t> live = {stored};
  for (size_t i : {0, 2, 5}) {
    ASSERT_TRUE(batch[i].ok());
    EXPECT_FALSE(batch[i]->duplicate);
    EXPECT_GT(batch[i]->record.duration_seconds, 0.5);
    auto committed = collection_->Commit(std::move(batch[i]).value());
    ASSERT_TRUE(committed.ok()) << committed.status();
    EXPECT_FALSE(committed->duplicate);
    live.push_back(committed->id);
  }
  ExpectStoreAndIndexAgree(live, {});
  EXPECT_TRUE(collection_->PrepareBatch({}).empty());
}

// QueryByIdBatch (a BatchQueryByExample by sound): the unfiltered queries are
// searched together; each answer equals QueryById's, filters, exclusions,
// include_query and errors per query.
TEST_F(SoundCollectionTest, QueryByIdBatchEqualsQueryById) {
  Open();
  std::vector<uint64_t> ids;
  for (int n = 0; n < 12; ++n) ids.push_back(Add(n % 2, n));
  std::vector<SoundCollection::IdQuery> queries;
  for (size_t i = 0; i < ids.size(); ++i) {
    SoundCollection::IdQuery q;
    q.id = ids[i];
    q.options.k = 3 + static_cast<int>(i % 4);
    if (i % 3 == 1) q.options.filter.tags_any = {"sine"};
    if (i % 5 == 2) q.options.include_query = true;
    if (i % 4 == 3) q.options.min_score = 0.5f;
    queries.push_back(q);
  }
  SoundCollection::IdQuery unknown;
  unknown.id = 987654;
  queries.push_back(unknown);
  SoundCollection::IdQuery bad_space;
  bad_space.id = ids[0];
  bad_space.options.space = "nope";
  queries.push_back(bad_space);
  auto batch = collection_->QueryByIdBatch(queries);
  ASSERT_EQ(batch.size(), queries.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    SCOPED_TRACE(i);
    auto one = collection_->QueryById(queries[i].id, queries[i].options);
    ASSERT_TRUE(one.ok()) << one.status();
    ASSERT_TRUE(batch[i].ok()) << batch[i].status();
    ASSERT_EQ(batch[i]->hits.size(), one->hits.size());
    for (size_t j = 0; j < one->hits.size(); ++j) {
      EXPECT_EQ(batch[i]->hits[j].id, one->hits[j].id);
      EXPECT_EQ(batch[i]->hits[j].score, one->hits[j].score);
    }
    EXPECT_EQ(batch[i]->space, one->space);
  }
  EXPECT_EQ(batch[ids.size()].status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(batch[ids.size() + 1].status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SoundCollectionTest, RestartFromSnapshotAndReplay) {
  Open();
  std::vector<uint64_t> live;
  for (int i = 0; i < 6; ++i) live.push_back(Add(i % 2, i));
  collection_.reset();  // writes the snapshot
  ASSERT_TRUE(std::filesystem::exists(SnapshotPath()));

  // Changes after the snapshot, then a "crash" (no snapshot on close).
  CollectionOptions no_snapshot = Options();
  no_snapshot.snapshot_on_close = false;
  Open(no_snapshot);
  for (int i = 6; i < 9; ++i) live.push_back(Add(i % 2, i));
  ASSERT_TRUE(collection_->Delete(live[1]).ok());
  const uint64_t deleted = live[1];
  live.erase(live.begin() + 1);
  collection_.reset();

  Open();  // stale snapshot: replays the change log after it
  ExpectStoreAndIndexAgree(live, {deleted});
}

// What filters and word vectors see, for comparing two opens.
std::string FilterView(SoundCollection& c) {
  std::string out;
  auto list = [&](SoundFilter filter) {
    ListRequest request;
    request.filter = std::move(filter);
    request.limit = 1000;
    auto result = c.ListSounds(request);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return;
    for (const SoundRecord& r : result->sounds)
      absl::StrAppend(&out, r.id, ",");
    absl::StrAppend(&out, ";");
  };
  SoundFilter f;
  list(f);
  f.tags_any = {"sine"};
  list(f);
  f = {};
  f.labels_any = {"noise"};
  list(f);
  f = {};
  f.tags_all = {"hiss", "demo"};
  f.min_duration_seconds = 0.5;
  list(f);
  for (const char* word : {"sine", "noise", "demo"}) {
    auto v = c.WordVector("", word);
    absl::StrAppend(
        &out, word, "=",
        v.ok() ? absl::StrCat(v->sounds_total, "/", v->sounds_used) : "none",
        ";");
  }
  return out;
}

TEST_F(SoundCollectionTest, OpenStateReadsOnlyTheRecordsChangedSince) {
  Open();
  std::vector<uint64_t> live;
  for (int i = 0; i < 6; ++i) live.push_back(Add(i % 2, i));
  EXPECT_EQ(collection_->open_report().records_read_because, "no open state");
  const std::string before = FilterView(*collection_);
  collection_.reset();  // writes the snapshots and the open state
  ASSERT_TRUE(std::filesystem::exists(dir_->File("data/index/open_state")));

  Open();  // a clean restart: no record read
  EXPECT_EQ(collection_->open_report().records_read_because, "");
  EXPECT_EQ(FilterView(*collection_), before);

  // Changes after the open state, then a "crash" (no snapshot on close):
  // the next open reads only the records the change log names.
  CollectionOptions no_snapshot = Options();
  no_snapshot.snapshot_on_close = false;
  Open(no_snapshot);
  for (int i = 6; i < 9; ++i) live.push_back(Add(i % 2, i));
  ASSERT_TRUE(collection_->Delete(live[1]).ok());
  ASSERT_TRUE(collection_->Delete(live[6]).ok());  // added since, deleted
  const std::string after = FilterView(*collection_);
  EXPECT_NE(after, before);
  collection_.reset();
  Open(no_snapshot);
  EXPECT_EQ(collection_->open_report().records_read_because, "");
  EXPECT_EQ(FilterView(*collection_), after);
  collection_.reset();

  // The same state read from every record agrees.
  std::filesystem::remove(dir_->File("data/index/open_state"));
  Open(no_snapshot);
  EXPECT_EQ(collection_->open_report().records_read_because, "no open state");
  EXPECT_EQ(FilterView(*collection_), after);
}

TEST_F(SoundCollectionTest, OpenStateIsNotTrustedAfterAWriteOutsideTheLog) {
  Open();
  for (int i = 0; i < 4; ++i) Add(i % 2, i);
  const std::string before = FilterView(*collection_);
  collection_.reset();
  {
    // A write the change log does not name (as a repair or a hand edit).
    SoundStoreOptions so;
    so.path = dir_->File("data/store");
    auto store = SoundStore::Open(so);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->PutEvaluation("dsp", "{}").ok());
  }
  Open();
  EXPECT_EQ(collection_->open_report().records_read_because,
            "the store was written outside the change log since the open "
            "state was saved");
  EXPECT_EQ(FilterView(*collection_), before);

  // A damaged open state is not used either.
  collection_.reset();
  {
    std::fstream f(dir_->File("data/index/open_state"),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x7f');
  }
  Open();
  EXPECT_EQ(collection_->open_report().records_read_because,
            "open state: checksum mismatch");
  EXPECT_EQ(FilterView(*collection_), before);
}

TEST_F(SoundCollectionTest, MissingAndCorruptSnapshotsAreRebuilt) {
  Open();
  std::vector<uint64_t> live;
  for (int i = 0; i < 5; ++i) live.push_back(Add(i % 2, i));
  collection_.reset();

  std::filesystem::remove(SnapshotPath());
  Open();
  ExpectStoreAndIndexAgree(live, {});
  collection_.reset();

  // Flip bytes in the middle of the snapshot.
  {
    std::fstream f(SnapshotPath(),
                   std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good());
    f.seekp(static_cast<std::streamoff>(
        std::filesystem::file_size(SnapshotPath()) / 2));
    f.write("\xde\xad\xbe\xef", 4);
  }
  Open();
  ExpectStoreAndIndexAgree(live, {});
  collection_.reset();

  // A truncated one.
  std::filesystem::resize_file(SnapshotPath(), 10);
  Open();
  ExpectStoreAndIndexAgree(live, {});
}

TEST_F(SoundCollectionTest, SnapshotOfAnotherProjectionIsRebuilt) {
  Open();
  std::vector<uint64_t> live;
  for (int i = 0; i < 12; ++i) live.push_back(Add(i % 2, i));
  collection_.reset();  // snapshot with the projection fitted at 10 sounds

  CollectionOptions no_snapshot = Options();
  no_snapshot.snapshot_on_close = false;
  Open(no_snapshot);
  const uint64_t before = collection_->Spaces()[0].projection_version;
  auto refit = collection_->Refit("dsp");
  ASSERT_TRUE(refit.ok()) << refit.status();
  EXPECT_GT(refit->projection_version, before);
  EXPECT_EQ(refit->items, 12u);
  QueryOptions q;
  q.k = 5;
  auto expected = collection_->QueryById(live[0], q);
  ASSERT_TRUE(expected.ok());
  collection_.reset();

  Open();  // the snapshot's projection version is old: rebuild
  EXPECT_EQ(collection_->Spaces()[0].projection_version,
            refit->projection_version);
  ExpectStoreAndIndexAgree(live, {});
  auto after = collection_->QueryById(live[0], q);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->hits.size(), expected->hits.size());
  for (size_t i = 0; i < after->hits.size(); ++i) {
    EXPECT_EQ(after->hits[i].id, expected->hits[i].id);
    EXPECT_NEAR(after->hits[i].score, expected->hits[i].score, 1e-5);
  }
}

TEST_F(SoundCollectionTest, QueriesAndIngestsKeepWorkingDuringRefits) {
  Open();
  std::vector<uint64_t> live;
  for (int i = 0; i < 12; ++i) live.push_back(Add(i % 2, i));
  std::vector<std::string> uploads;
  for (int i = 0; i < 8; ++i) uploads.push_back(Sound(0, 100 + i));
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::thread reader([&] {
    QueryOptions q;
    q.k = 3;
    while (!stop) {
      auto result = collection_->QueryById(live[0], q);
      if (!result.ok() || result->hits.size() != 3) errors++;
    }
  });
  std::thread writer([&] {
    for (const std::string& audio : uploads) {
      if (!collection_->Add(audio, {}).ok()) errors++;
    }
  });
  for (int i = 0; i < 3; ++i) {
    auto refit = collection_->Refit("dsp");
    EXPECT_TRUE(refit.ok()) << refit.status();
  }
  writer.join();
  stop = true;
  reader.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(collection_->Spaces()[0].vectors, 20u);
  EXPECT_EQ(collection_->size(), 20u);
}

// Evaluation reports have their own slot in the store; a report kept the old
// way (as the model "eval_report", which spent a model version per
// evaluation) is still found until the next Evaluate replaces it.
TEST_F(SoundCollectionTest, EvaluationsHaveTheirOwnSlotAndOldOnesAreRead) {
  Open();
  EXPECT_EQ(collection_->LastEvaluation("dsp").status().code(),
            absl::StatusCode::kNotFound);
  collection_.reset();
  auto store_options = [&] {
    SoundStoreOptions o;
    o.path = dir_->File("data/store");
    return o;
  };
  {
    auto store = SoundStore::Open(store_options());
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)
                    ->PutModel("dsp", "eval_report",
                               R"({"space": "dsp", "unix_ms": 1234,
                                   "reference_mode": true,
                                   "cutoffs": [15, 150],
                                   "macro": {"map@15": 0.5, "map@150": 0.25,
                                             "mr1": 1.5},
                                   "report": {"labels": []}})")
                    .ok());
  }

  Open();
  auto old = collection_->LastEvaluation("");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->space, "dsp");
  EXPECT_EQ(old->unix_ms, 1234);
  EXPECT_TRUE(old->reference_mode);
  EXPECT_DOUBLE_EQ(old->macro.map[0], 0.5);
  EXPECT_DOUBLE_EQ(old->macro.mr1, 1.5);

  for (int i = 0; i < 4; ++i) Add(i % 2, i);
  EvaluationRequest request;
  request.space = "dsp";
  auto evaluated = collection_->Evaluate(request);
  ASSERT_TRUE(evaluated.ok()) << evaluated.status();
  auto latest = collection_->LastEvaluation("dsp");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->unix_ms, evaluated->unix_ms);
  EXPECT_NE(latest->unix_ms, 1234);
  EXPECT_FALSE(latest->reference_mode);
  EXPECT_DOUBLE_EQ(latest->macro.map[0], evaluated->macro.map[0]);
  collection_.reset();

  // The new report is in its own slot; the old record is left as it was
  // (no model version spent).
  auto store = SoundStore::Open(store_options());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->GetEvaluation("dsp").ok());
  auto legacy = (*store)->GetModel("dsp", "eval_report");
  ASSERT_TRUE(legacy.ok()) << legacy.status();
  EXPECT_EQ(legacy->version, 1u);
}

// A Commit whose index update fails stores nothing: the add is undone in
// the store, so the same bytes and external id can come again.
TEST_F(SoundCollectionTest, CommitWhoseIndexFailsLeavesNothingStored) {
  RegisterFlakyIndex();
  CollectionOptions options = Options();
  options.spaces[0].index.kind = "flaky_test";
  Open(options);
  std::vector<uint64_t> live = {Add(0, 1), Add(0, 2)};
  g_fail_add = true;
  SoundInput input;
  input.external_id = "tone-3";
  auto failed = collection_->Add(Sound(0, 3), input);
  g_fail_add = false;
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(failed.status().message()),
              ::testing::HasSubstr("space 'dsp': injected add failure"));
  EXPECT_TRUE(
      absl::IsNotFound(collection_->GetByExternalId("tone-3").status()));
  EXPECT_EQ(collection_->size(), 2u);
  live.push_back(Add(0, 3));  // neither a duplicate nor ALREADY_EXISTS
  ExpectStoreAndIndexAgree(live, {});
  EXPECT_TRUE(collection_->SaveSnapshots().ok());
}

// A Delete whose index update fails is durable, and the index is rebuilt
// from the store before Delete returns; when the rebuild fails too, queries
// still never return the sound, no snapshot records the disagreement, and
// the next Open rebuilds.
TEST_F(SoundCollectionTest, DeleteWhoseIndexFailsRebuildsThatIndex) {
  RegisterFlakyIndex();
  CollectionOptions options = Options();
  options.spaces[0].index.kind = "flaky_test";
  Open(options);
  std::vector<uint64_t> live;
  for (int n = 0; n < 5; ++n) live.push_back(Add(0, n));
  ASSERT_TRUE(collection_->SaveSnapshots().ok());
  g_fail_remove = true;
  ASSERT_TRUE(collection_->Delete(live[0]).ok());  // rebuilt: no Remove used
  const uint64_t gone = live[0];
  live.erase(live.begin());
  ExpectStoreAndIndexAgree(live, {gone});

  g_fail_add = true;  // the rebuild fails too
  absl::Status deleted = collection_->Delete(live[0]);
  g_fail_add = false;
  g_fail_remove = false;
  EXPECT_EQ(deleted.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(deleted.message()),
              ::testing::HasSubstr(absl::StrCat(
                  "sound ", live[0], " was deleted from the store")));
  const uint64_t gone2 = live[0];
  live.erase(live.begin());
  QueryOptions q;
  q.k = 100;
  q.include_query = true;
  auto result = collection_->QueryById(live[0], q);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->hits.size(), live.size());
  for (const QueryHit& hit : result->hits) EXPECT_NE(hit.id, gone2);
  EXPECT_EQ(collection_->SaveSnapshots().code(),
            absl::StatusCode::kFailedPrecondition);
  Open(options);  // the old snapshot and the log, replayed
  ExpectStoreAndIndexAgree(live, {gone, gone2});
}

// Snapshots are written every few changes by a background thread and the
// log is truncated behind them, so that a restart without a clean stop
// replays only the changes since the last snapshot.
TEST_F(SoundCollectionTest, PeriodicSnapshotsBoundTheReplayAfterACrash) {
  CollectionOptions options = Options();
  options.snapshot_every_changes = 4;
  options.snapshot_every_seconds = 0;
  options.snapshot_on_close = false;  // as after a crash
  options.auto_fit = false;
  Open(options);
  std::vector<uint64_t> live;
  for (int n = 0; n < 10; ++n) live.push_back(Add(0, n));
  // The thread looks every second; wait (bounded) until it caught up.
  for (int i = 0; i < 300 && SnapshotSequence(SnapshotPath()) < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const uint64_t snapshot = SnapshotSequence(SnapshotPath());
  ASSERT_GE(snapshot, 8u);
  collection_.reset();
  {
    SoundStoreOptions store_options;
    store_options.path = dir_->File("data/store");
    auto store = SoundStore::Open(store_options);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->TruncatedThrough(), snapshot);
    EXPECT_EQ((*store)->LastSequence(), 10u);
  }
  Open(options);
  const CollectionOpenReport& report = collection_->open_report();
  EXPECT_TRUE(report.rebuilt.empty()) << report.rebuilt.begin()->second;
  EXPECT_EQ(report.replayed_changes, 10 - snapshot);
  EXPECT_TRUE(report.quarantined.empty());
  ExpectStoreAndIndexAgree(live, {});
}

TEST_F(SoundCollectionTest, BadOptionsAreRefused) {
  CollectionOptions options = Options();
  options.data_dir.clear();
  EXPECT_EQ(SoundCollection::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options();
  options.spaces.push_back(options.spaces[0]);
  auto twice = SoundCollection::Open(options);
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(twice.status().message().find("twice"), absl::string_view::npos);
  options = Options();
  options.default_space = "missing";
  EXPECT_EQ(SoundCollection::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
