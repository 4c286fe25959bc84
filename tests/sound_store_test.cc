#include "soundsearch/sound_store.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "soundsearch/content_hash.h"

namespace soundsearch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Encodes floats the way a caller would (the store treats them as opaque).
std::string FloatBytes(const std::vector<float>& v) {
  std::string out(v.size() * sizeof(float), '\0');
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::string RawFor(uint64_t seed, int dim) {
  std::vector<float> v(dim);
  for (int i = 0; i < dim; ++i)
    v[i] = static_cast<float>(seed * 1000 + i) * 0.5f;
  return FloatBytes(v);
}

// A sound with every field set, derived from `n`.
SoundRecord MakeSound(int n) {
  SoundRecord s;
  s.external_id = absl::StrCat("fs-", n);
  s.name = absl::StrCat("sound ", n, ".wav");
  s.tags = {"dog", absl::StrCat("tag", n), "bark"};
  s.class_labels = {"Animal", absl::StrCat("Label", n % 3)};
  s.duration_seconds = 1.25 + n;
  s.source = "https://freesound.org/s/" + std::to_string(n);
  s.content_hash = Sha256Hex(absl::StrCat("content of sound ", n));
  s.added_unix_micros = 1700000000000000 + n;
  s.auto_tags = {{"Dog", 0.875f}, {"Speech", 0.125f}};
  SpokenContent spoken;
  spoken.space = "speech";
  spoken.words = {{"seven", 0.75f, 0.25f, 0.5f}};
  spoken.phones = {"S", "EH", "V", "AH", "N"};
  spoken.lattice = {{"heaven", 0.125f}, {"seven", 0.875f}};
  spoken.truncated = n % 2 == 1;
  s.spoken = {spoken};
  return s;
}

std::map<std::string, std::string> RawBySpace(int n) {
  return {{"dsp", RawFor(n, 100)}, {"efficientat", RawFor(n + 7, 300)}};
}

class SoundStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "sound_store_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    dir_ = tmpl;
    path_ = dir_ + "/db";
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  SoundStoreOptions Options() const {
    SoundStoreOptions options;
    options.path = path_;
    return options;
  }
  void Reopen() {
    store_.reset();
    auto opened = SoundStore::Open(Options());
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
  // Adds MakeSound(n) with RawBySpace(n); returns its id.
  uint64_t Add(int n) {
    auto added = store_->AddSound(MakeSound(n), RawBySpace(n));
    EXPECT_TRUE(added.ok()) << added.status();
    if (!added.ok()) return 0;
    EXPECT_FALSE(added->duplicate);
    return added->id;
  }
  std::vector<Change> ChangesSince(uint64_t after) {
    std::vector<Change> changes;
    absl::Status s = store_->ForEachChangeSince(after, [&](const Change& c) {
      changes.push_back(c);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s;
    return changes;
  }
  std::set<uint64_t> RawIds(const std::string& space) {
    std::set<uint64_t> ids;
    absl::Status s =
        store_->ForEachRaw(space, [&](uint64_t id, absl::string_view) {
          ids.insert(id);
          return true;
        });
    EXPECT_TRUE(s.ok()) << s;
    return ids;
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<SoundStore> store_;
};

TEST_F(SoundStoreTest, EmptyStore) {
  EXPECT_EQ(store_->Count(), 0u);
  EXPECT_EQ(store_->LastSequence(), 0u);
  EXPECT_TRUE(ChangesSince(0).empty());
  EXPECT_EQ(store_->GetSound(1).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SoundStoreTest, RoundTripsEveryField) {
  const SoundRecord in = MakeSound(5);
  auto added = store_->AddSound(in, RawBySpace(5));
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->id, 1u);
  EXPECT_FALSE(added->duplicate);
  EXPECT_EQ(added->sequence, 1u);

  SoundRecord expected = in;
  expected.id = 1;
  auto got = store_->GetSound(1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, expected);
  ASSERT_EQ(got->auto_tags.size(), 2u);
  EXPECT_EQ(got->auto_tags[0].tag, "Dog");
  EXPECT_FLOAT_EQ(got->auto_tags[0].probability, 0.875f);

  auto by_ext = store_->FindByExternalId("fs-5");
  ASSERT_TRUE(by_ext.ok()) << by_ext.status();
  EXPECT_EQ(*by_ext, expected);
  auto by_hash = store_->FindByContentHash(in.content_hash);
  ASSERT_TRUE(by_hash.ok()) << by_hash.status();
  EXPECT_EQ(*by_hash, expected);

  for (const auto& [space, raw] : RawBySpace(5)) {
    auto r = store_->GetRaw(space, 1);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, raw) << space;
  }
  EXPECT_EQ(store_->Count(), 1u);
  EXPECT_EQ(store_->LastSequence(), 1u);
}

TEST_F(SoundStoreTest, FillsAddedTimeAndAcceptsNoExternalIdOrRaw) {
  SoundRecord in = MakeSound(1);
  in.added_unix_micros = 0;
  in.external_id.clear();
  const int64_t before =
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  auto added = store_->AddSound(in, {});
  ASSERT_TRUE(added.ok()) << added.status();
  const int64_t after = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto got = store_->GetSound(added->id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_GE(got->added_unix_micros, before);
  EXPECT_LE(got->added_unix_micros, after);
  EXPECT_TRUE(got->external_id.empty());
  EXPECT_EQ(store_->GetRaw("dsp", added->id).status().code(),
            absl::StatusCode::kNotFound);
  // A second sound without external id is fine: empty ids are not unique keys.
  SoundRecord other = MakeSound(2);
  other.external_id.clear();
  EXPECT_TRUE(store_->AddSound(other, {}).ok());
}

TEST_F(SoundStoreTest, IdsStartAtOneAndIncrease) {
  for (int n = 0; n < 5; ++n) EXPECT_EQ(Add(n), static_cast<uint64_t>(n + 1));
  EXPECT_EQ(store_->Count(), 5u);
}

TEST_F(SoundStoreTest, GetSoundsReadsEachIdInOrderAndNotFoundForTheMissing) {
  const uint64_t a = Add(1);
  const uint64_t b = Add(2);
  const uint64_t gone = Add(3);
  ASSERT_TRUE(store_->DeleteSound(gone).ok());
  // Reopened, the first sounds are read from SST files (recovery flushes the
  // log), the last one from the memtable.
  Reopen();
  const uint64_t c = Add(4);  // in the memtable
  const std::vector<uint64_t> ids = {c, gone, a, 999, b, a};
  const std::vector<absl::StatusOr<SoundRecord>> got = store_->GetSounds(ids);
  ASSERT_EQ(got.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const absl::StatusOr<SoundRecord> one = store_->GetSound(ids[i]);
    ASSERT_EQ(got[i].status().code(), one.status().code()) << ids[i];
    if (one.ok()) {
      EXPECT_EQ(*got[i], *one) << ids[i];
    } else {
      EXPECT_EQ(got[i].status().code(), absl::StatusCode::kNotFound);
      EXPECT_NE(got[i].status().message().find(absl::StrCat(ids[i])),
                std::string::npos)
          << got[i].status();
    }
  }
  EXPECT_TRUE(got[0].ok() && got[2].ok() && got[4].ok() && got[5].ok());
  EXPECT_TRUE(store_->GetSounds({}).empty());
}

TEST_F(SoundStoreTest, SameContentHashIsADuplicate) {
  const uint64_t id = Add(1);
  const uint64_t seq = store_->LastSequence();
  SoundRecord again = MakeSound(2);  // other fields, same content
  again.content_hash = MakeSound(1).content_hash;
  auto added = store_->AddSound(again, RawBySpace(2));
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_TRUE(added->duplicate);
  EXPECT_EQ(added->id, id);
  EXPECT_EQ(added->sequence, 0u);
  // Nothing was written.
  EXPECT_EQ(store_->Count(), 1u);
  EXPECT_EQ(store_->LastSequence(), seq);
  EXPECT_EQ(store_->GetSound(id)->name, MakeSound(1).name);
  EXPECT_EQ(*store_->GetRaw("dsp", id), RawBySpace(1).at("dsp"));
  EXPECT_EQ(store_->FindByExternalId("fs-2").status().code(),
            absl::StatusCode::kNotFound);
  // The next new sound still gets the next id.
  EXPECT_EQ(Add(3), id + 1);
}

TEST_F(SoundStoreTest, ExternalIdUsedByAnotherSoundIsAlreadyExists) {
  const uint64_t id = Add(1);
  SoundRecord clash = MakeSound(2);
  clash.external_id = MakeSound(1).external_id;
  auto added = store_->AddSound(clash, RawBySpace(2));
  EXPECT_EQ(added.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(added.status().message()), HasSubstr("fs-1"));
  EXPECT_EQ(store_->Count(), 1u);
  EXPECT_EQ(store_->LastSequence(), 1u);
  EXPECT_EQ(store_->FindByContentHash(clash.content_hash).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->FindByExternalId("fs-1")->id, id);
}

TEST_F(SoundStoreTest, RejectsBadArguments) {
  SoundRecord with_id = MakeSound(1);
  with_id.id = 9;
  EXPECT_EQ(store_->AddSound(with_id, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  SoundRecord no_hash = MakeSound(1);
  no_hash.content_hash.clear();
  EXPECT_EQ(store_->AddSound(no_hash, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddSound(MakeSound(1), {{"", "x"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddSound(MakeSound(1), {{std::string("a\0b", 3), "x"}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddSound(MakeSound(1), {{std::string(129, 's'), "x"}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Count(), 0u);
  EXPECT_EQ(store_->PutModel("dsp", "", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->PutWordVectors("dsp", {{"", "x"}}, false).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->PutEvaluation("", "x").code(),
            absl::StatusCode::kInvalidArgument);

  SoundStoreOptions no_path;
  EXPECT_EQ(SoundStore::Open(no_path).status().code(),
            absl::StatusCode::kInvalidArgument);
  SoundStoreOptions bad_cache = Options();
  bad_cache.block_cache_mb = -1;
  EXPECT_EQ(SoundStore::Open(bad_cache).status().code(),
            absl::StatusCode::kInvalidArgument);
  SoundStoreOptions bad_budget = Options();
  bad_budget.memtable_budget_mb = -1;
  EXPECT_EQ(SoundStore::Open(bad_budget).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The number of table (.sst) files in a RocksDB directory: > 0 once a
// memtable has been flushed.
int TableFiles(const std::string& path) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().extension() == ".sst") ++n;
  }
  return n;
}

// 8 MiB of raw vectors spread over two families: past a 1 MiB budget for all
// memtables they are flushed to table files; with no overall budget they stay
// in memory (each family's own 64 MiB memtable holds them).
TEST_F(SoundStoreTest, MemtablesPastTheBudgetAreFlushedToDisk) {
  for (const int budget_mb : {1, 0}) {
    SCOPED_TRACE(absl::StrCat("memtable_budget_mb ", budget_mb));
    store_.reset();
    std::filesystem::remove_all(path_);
    SoundStoreOptions options = Options();
    options.sync_writes = false;
    options.memtable_budget_mb = budget_mb;
    auto opened = SoundStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    const int kSounds = 64;
    for (int n = 1; n <= kSounds; ++n) {
      auto added = store_->AddSound(
          MakeSound(n), {{"dsp", RawFor(n, 16384)}, {"big", RawFor(n, 16384)}});
      ASSERT_TRUE(added.ok()) << added.status();
    }
    if (budget_mb > 0) {
      // Flushes run in the background: wait for the first table file.
      for (int i = 0; i < 500 && TableFiles(path_) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      EXPECT_GT(TableFiles(path_), 0);
    } else {
      EXPECT_EQ(TableFiles(path_), 0);
    }
    EXPECT_EQ(store_->Count(), static_cast<uint64_t>(kSounds));
    EXPECT_EQ(*store_->GetRaw("big", 1), RawFor(1, 16384));
    EXPECT_EQ(*store_->GetRaw("dsp", kSounds), RawFor(kSounds, 16384));
  }
}

TEST_F(SoundStoreTest, DeleteRemovesSoundRawVectorsAndLookupsAndLogsIt) {
  const uint64_t keep = Add(1);
  // A raw vector in a space the first sound does not have must go too.
  std::map<std::string, std::string> raws = RawBySpace(2);
  raws["clap"] = RawFor(99, 512);
  auto added = store_->AddSound(MakeSound(2), raws);
  ASSERT_TRUE(added.ok()) << added.status();
  const uint64_t gone = added->id;

  auto deleted = store_->DeleteSound(gone);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, store_->LastSequence());

  EXPECT_EQ(store_->GetSound(gone).status().code(),
            absl::StatusCode::kNotFound);
  for (const char* space : {"dsp", "efficientat", "clap"}) {
    EXPECT_EQ(store_->GetRaw(space, gone).status().code(),
              absl::StatusCode::kNotFound)
        << space;
    EXPECT_EQ(RawIds(space).count(gone), 0u) << space;
  }
  EXPECT_EQ(store_->FindByExternalId("fs-2").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      store_->FindByContentHash(MakeSound(2).content_hash).status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Count(), 1u);
  std::vector<Change> log = ChangesSince(0);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().kind, ChangeKind::kDelete);
  EXPECT_EQ(log.back().id, gone);
  EXPECT_EQ(log.back().sequence, *deleted);

  // The other sound is untouched.
  EXPECT_EQ(store_->GetSound(keep)->name, MakeSound(1).name);
  EXPECT_EQ(*store_->GetRaw("dsp", keep), RawBySpace(1).at("dsp"));

  EXPECT_EQ(store_->DeleteSound(gone).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteSound(12345).status().code(),
            absl::StatusCode::kNotFound);

  // Its content and external id can come back, under a new id.
  auto again = store_->AddSound(MakeSound(2), RawBySpace(2));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->duplicate);
  EXPECT_GT(again->id, gone);
  EXPECT_EQ(store_->FindByExternalId("fs-2")->id, again->id);
}

TEST_F(SoundStoreTest, ReopenKeepsEverythingAndTheIdCounterContinues) {
  for (int n = 1; n <= 3; ++n) Add(n);
  ASSERT_TRUE(store_->DeleteSound(3).ok());  // the highest id
  const uint64_t seq = store_->LastSequence();
  const std::vector<Change> log = ChangesSince(0);

  Reopen();
  EXPECT_EQ(store_->Count(), 2u);
  EXPECT_EQ(store_->LastSequence(), seq);
  for (int n = 1; n <= 2; ++n) {
    SoundRecord expected = MakeSound(n);
    expected.id = n;
    EXPECT_EQ(*store_->GetSound(n), expected);
    EXPECT_EQ(store_->FindByExternalId(expected.external_id)->id,
              static_cast<uint64_t>(n));
    EXPECT_EQ(*store_->GetRaw("efficientat", n),
              RawBySpace(n).at("efficientat"));
  }
  EXPECT_EQ(store_->GetSound(3).status().code(), absl::StatusCode::kNotFound);
  std::vector<Change> reread = ChangesSince(0);
  ASSERT_EQ(reread.size(), log.size());
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(reread[i].sequence, log[i].sequence);
    EXPECT_EQ(reread[i].kind, log[i].kind);
    EXPECT_EQ(reread[i].id, log[i].id);
  }

  // Id 3 was deleted; it is never handed out again.
  auto added = store_->AddSound(MakeSound(4), RawBySpace(4));
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->id, 4u);
  EXPECT_EQ(added->sequence, seq + 1);
}

TEST_F(SoundStoreTest, MissingStoreIsNotFoundWithoutCreateIfMissing) {
  SoundStoreOptions options;
  options.path = dir_ + "/nothing_here";
  options.create_if_missing = false;
  EXPECT_EQ(SoundStore::Open(options).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(options.path + "/CURRENT"));
}

TEST_F(SoundStoreTest, UnsyncedWritesAreKeptOverAReopen) {
  store_.reset();
  SoundStoreOptions options = Options();
  options.sync_writes = false;
  {
    auto opened = SoundStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    for (int n = 1; n <= 3; ++n) {
      auto added = (*opened)->AddSound(MakeSound(n), RawBySpace(n));
      ASSERT_TRUE(added.ok()) << added.status();
    }
  }
  Reopen();
  EXPECT_EQ(store_->Count(), 3u);
  EXPECT_EQ(*store_->GetRaw("dsp", 3), RawBySpace(3).at("dsp"));
}

TEST_F(SoundStoreTest, SecondOpenOfAnOpenStoreFailsCleanly) {
  Add(1);
  auto second = SoundStore::Open(Options());
  EXPECT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("lock"));
  // The first one is unaffected.
  EXPECT_EQ(store_->GetSound(1)->name, MakeSound(1).name);
  EXPECT_EQ(Add(2), 2u);
}

// Rewrites the schema version the way docs/storage.md describes it: key
// "schema_version" in the default column family, 8-byte little-endian.
void WriteRawDefaultKey(const std::string& path, const std::string& key,
                        const std::string& value) {
  rocksdb::DBOptions db_options;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(db_options, path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names)
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(
      rocksdb::DB::Open(db_options, path, descriptors, &handles, &db).ok());
  rocksdb::WriteOptions wo;
  wo.sync = true;
  EXPECT_TRUE(db->Put(wo, handles[0], key, value).ok());
  for (auto* h : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  EXPECT_TRUE(db->Close().ok());
  delete db;
}

TEST_F(SoundStoreTest, OtherSchemaVersionIsRefused) {
  Add(1);
  store_.reset();
  std::string version2(8, '\0');
  version2[0] = 2;
  WriteRawDefaultKey(path_, "schema_version", version2);

  auto opened = SoundStore::Open(Options());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(opened.status().message()),
              HasSubstr("schema version 2"));

  // Back to the current version, the data is intact.
  std::string version1(8, '\0');
  version1[0] = static_cast<char>(SoundStore::kSchemaVersion);
  WriteRawDefaultKey(path_, "schema_version", version1);
  Reopen();
  EXPECT_EQ(store_->GetSound(1)->name, MakeSound(1).name);
}

TEST_F(SoundStoreTest, ForeignRocksDbIsRefused) {
  store_.reset();
  const std::string foreign = dir_ + "/foreign";
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, foreign, &db).ok());
    EXPECT_TRUE(db->Put(rocksdb::WriteOptions(), "hello", "world").ok());
    EXPECT_TRUE(db->Close().ok());
    delete db;
  }
  SoundStoreOptions options;
  options.path = foreign;
  auto opened = SoundStore::Open(options);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(opened.status().message()),
              HasSubstr("not a soundsearch store"));
}

// Every string the store keeps is valid UTF-8: a proto3 string that is not
// makes the record undecodable (issue 11).
TEST_F(SoundStoreTest, TextThatIsNotUtf8IsRefused) {
  SoundRecord s = MakeSound(1);
  s.name = "caf\xe9.wav";
  auto added = store_->AddSound(s, {});
  EXPECT_EQ(added.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(added.status().message(),
              HasSubstr("name is not valid UTF-8 (byte 0xE9 at offset 3)"));
  s = MakeSound(2);
  s.tags[1] = "\xff";
  EXPECT_THAT(store_->AddSound(s, {}).status().message(),
              HasSubstr("tags[1] is not valid UTF-8"));
  // Recognised words and phones too (a configured dictionary may hold any
  // bytes; the CMU one is ASCII).
  s = MakeSound(3);
  s.spoken[0].words[0].word = "caf\xe9";
  EXPECT_THAT(store_->AddSound(s, {}).status().message(),
              HasSubstr("spoken[0].words[0] is not valid UTF-8"));
  s = MakeSound(4);
  s.spoken[0].phones[2] = "\xff";
  EXPECT_THAT(store_->AddSound(s, {}).status().message(),
              HasSubstr("spoken[0].phones[2] is not valid UTF-8"));
  EXPECT_EQ(store_->Count(), 0u);
  EXPECT_EQ(store_->LastSequence(), 0u);
}

TEST_F(SoundStoreTest, QuarantineMovesASoundAsideAndLogsADelete) {
  const uint64_t a = Add(1);
  const uint64_t b = Add(2);
  auto moved = store_->QuarantineSounds({{a, "test: bad"}, {999, "absent"}});
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 1u);
  EXPECT_TRUE(absl::IsNotFound(store_->GetSound(a).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetRaw("dsp", a).status()));
  EXPECT_TRUE(absl::IsNotFound(
      store_->FindByContentHash(MakeSound(1).content_hash).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->FindByExternalId("fs-1").status()));
  EXPECT_TRUE(store_->GetSound(b).ok());
  EXPECT_EQ(store_->Count(), 1u);
  std::vector<Change> changes = ChangesSince(2);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, ChangeKind::kDelete);
  EXPECT_EQ(changes[0].id, a);
  // Kept: the record, both raw vectors, both lookups.
  std::multiset<std::string> families;
  ASSERT_TRUE(store_
                  ->ForEachQuarantined([&](const QuarantinedRecord& r) {
                    families.insert(r.family);
                    EXPECT_EQ(r.sound_id, a);
                    EXPECT_EQ(r.reason, "test: bad");
                    return true;
                  })
                  .ok());
  EXPECT_EQ(families,
            (std::multiset<std::string>{"content_hashes", "external_ids", "raw",
                                        "raw", "sounds"}));
  // The content and the external id may be used again.
  auto again = store_->AddSound(MakeSound(1), RawBySpace(1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->duplicate);
  EXPECT_GT(again->id, b);
  // Nothing wrong for the check: the quarantine is not a problem.
  auto report = store_->Check(/*repair=*/false);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->problems.empty()) << report->problems[0];
  EXPECT_EQ(report->quarantined, 5u);
  EXPECT_EQ(report->sounds, 2u);
}

TEST_F(SoundStoreTest, TruncatedLogRefusesReadersBehindItAndSurvivesReopen) {
  for (int n = 1; n <= 5; ++n) Add(n);
  EXPECT_EQ(store_->TruncatedThrough(), 0u);
  EXPECT_EQ(store_->TruncateChangeLog(9).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->TruncateChangeLog(3).ok());
  EXPECT_EQ(store_->TruncatedThrough(), 3u);
  std::vector<Change> tail = ChangesSince(3);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].sequence, 4u);
  absl::Status behind =
      store_->ForEachChangeSince(2, [](const Change&) { return true; });
  EXPECT_EQ(behind.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(behind.message(), HasSubstr("truncated through sequence 3"));
  ASSERT_TRUE(store_->TruncateChangeLog(2).ok());  // no-op
  Reopen();
  EXPECT_EQ(store_->TruncatedThrough(), 3u);
  EXPECT_EQ(ChangesSince(3).size(), 2u);
  EXPECT_EQ(store_->LastSequence(), 5u);
  auto report = store_->Check(false);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty());
  EXPECT_EQ(report->changes, 2u);
}

TEST_F(SoundStoreTest, CheckFindsAndRepairsLookupsAndCounters) {
  const uint64_t a = Add(1);
  Add(2);
  store_.reset();
  {
    // Damage what only a bug or a disk could: a dangling lookup, a missing
    // one, a counter that lies.
    rocksdb::DBOptions db_options;
    std::vector<std::string> names;
    ASSERT_TRUE(
        rocksdb::DB::ListColumnFamilies(db_options, path_, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names)
      descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(db_options, path_, descriptors, &handles, &db).ok());
    std::map<std::string, rocksdb::ColumnFamilyHandle*> cf;
    for (size_t i = 0; i < names.size(); ++i) cf[names[i]] = handles[i];
    ASSERT_TRUE(db->Put({}, cf["content_hashes"], "nowhere",
                        std::string("\0\0\0\0\0\0\0\x63", 8))
                    .ok());
    ASSERT_TRUE(db->Delete({}, cf["external_ids"], "fs-1").ok());
    std::string count(8, '\0');
    count[0] = 7;
    ASSERT_TRUE(db->Put({}, cf["default"], "sound_count", count).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  Reopen();
  auto found = store_->Check(false);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->unrepaired, 3u);
  std::string all;
  for (const auto& p : found->problems) absl::StrAppend(&all, p, "\n");
  EXPECT_THAT(all, HasSubstr("content hash nowhere points at sound 99, which "
                             "does not exist"));
  EXPECT_THAT(all, HasSubstr(absl::StrCat("sound ", a,
                                          ": its external id lookup is "
                                          "missing")));
  EXPECT_THAT(all, HasSubstr("sound_count says 7, the store holds 2"));
  auto repaired = store_->Check(true);
  ASSERT_TRUE(repaired.ok());
  EXPECT_EQ(repaired->unrepaired, 0u);
  EXPECT_EQ(repaired->repairs.size(), 3u);
  EXPECT_EQ(store_->FindByExternalId("fs-1")->id, a);
  EXPECT_EQ(store_->Count(), 2u);
  Reopen();
  auto clean = store_->Check(false);
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->problems.empty()) << clean->problems[0];
}

TEST_F(SoundStoreTest, ModelsRoundTripWithVersions) {
  EXPECT_EQ(store_->GetModel("dsp", "pca").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(*store_->PutModel("dsp", "pca", "pca v1 bytes"), 1u);
  EXPECT_EQ(*store_->PutModel("dsp", "pca", std::string("pca\0v2", 6)), 2u);
  EXPECT_EQ(*store_->PutModel("dsp", "boaw_codebook", "codebook"), 1u);
  EXPECT_EQ(*store_->PutModel("efficientat", "pca", "other space"), 1u);

  Reopen();
  auto pca = store_->GetModel("dsp", "pca");
  ASSERT_TRUE(pca.ok()) << pca.status();
  EXPECT_EQ(pca->version, 2u);
  EXPECT_EQ(pca->bytes, std::string("pca\0v2", 6));
  EXPECT_EQ(store_->GetModel("dsp", "boaw_codebook")->bytes, "codebook");
  EXPECT_EQ(store_->GetModel("efficientat", "pca")->bytes, "other space");
  EXPECT_EQ(*store_->PutModel("dsp", "pca", "v3"), 3u);
  // Models are not sounds: no change-log entries.
  EXPECT_EQ(store_->LastSequence(), 0u);
}

// Evaluation reports have their own slot: not a model (no model version is
// spent), not logged, one per space, replaced by each put.
TEST_F(SoundStoreTest, EvaluationsRoundTripOutsideTheModels) {
  EXPECT_EQ(store_->GetEvaluation("dsp").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->PutEvaluation("dsp", "{\"first\": 1}").ok());
  ASSERT_TRUE(store_->PutEvaluation("dsp", std::string("second\0", 7)).ok());
  ASSERT_TRUE(store_->PutEvaluation("efficientat", "other").ok());
  Reopen();
  EXPECT_EQ(*store_->GetEvaluation("dsp"), std::string("second\0", 7));
  EXPECT_EQ(*store_->GetEvaluation("efficientat"), "other");
  EXPECT_EQ(store_->GetEvaluation("clap").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetModel("dsp", "eval_report").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LastSequence(), 0u);
  // A model of the space is versioned apart from its evaluations.
  EXPECT_EQ(*store_->PutModel("dsp", "fitted_state", "x"), 1u);
}

TEST_F(SoundStoreTest, WordVectorsRoundTrip) {
  const std::string dog = FloatBytes({0.5f, -1.0f, 2.0f});
  ASSERT_TRUE(store_
                  ->PutWordVectors("dsp",
                                   {{"dog", dog}, {"cat", FloatBytes({1.0f})}},
                                   /*replace_all=*/false)
                  .ok());
  ASSERT_TRUE(
      store_->PutWordVectors("efficientat", {{"dog", "other"}}, false).ok());
  EXPECT_EQ(*store_->GetWordVector("dsp", "dog"), dog);
  EXPECT_EQ(*store_->GetWordVector("efficientat", "dog"), "other");
  EXPECT_EQ(store_->GetWordVector("dsp", "bird").status().code(),
            absl::StatusCode::kNotFound);

  std::vector<std::string> words;
  ASSERT_TRUE(
      store_
          ->ForEachWordVector("dsp",
                              [&](absl::string_view w, absl::string_view) {
                                words.emplace_back(w);
                                return true;
                              })
          .ok());
  EXPECT_THAT(words, ElementsAre("cat", "dog"));

  ASSERT_TRUE(store_->DeleteWordVector("dsp", "cat").ok());
  EXPECT_EQ(store_->DeleteWordVector("dsp", "cat").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetWordVector("dsp", "cat").status().code(),
            absl::StatusCode::kNotFound);

  // Replacing a space's vocabulary removes the words not in the new set and
  // leaves other spaces alone.
  ASSERT_TRUE(store_
                  ->PutWordVectors("dsp", {{"bird", "b"}, {"rain", "r"}},
                                   /*replace_all=*/true)
                  .ok());
  Reopen();
  words.clear();
  ASSERT_TRUE(
      store_
          ->ForEachWordVector("dsp",
                              [&](absl::string_view w, absl::string_view) {
                                words.emplace_back(w);
                                return true;
                              })
          .ok());
  EXPECT_THAT(words, ElementsAre("bird", "rain"));
  EXPECT_EQ(*store_->GetWordVector("efficientat", "dog"), "other");
  ASSERT_TRUE(store_->PutWordVectors("dsp", {{"wind", "w"}}, false).ok());
  EXPECT_EQ(*store_->GetWordVector("dsp", "bird"), "b");
  EXPECT_EQ(*store_->GetWordVector("dsp", "wind"), "w");
}

TEST_F(SoundStoreTest, SnapshotMarksRoundTrip) {
  EXPECT_EQ(store_->GetSnapshotMark("dsp").status().code(),
            absl::StatusCode::kNotFound);
  Add(1);
  Add(2);
  ASSERT_TRUE(
      store_->PutSnapshotMark("dsp", {2, "/var/snap/dsp-2.faiss"}).ok());
  ASSERT_TRUE(store_->PutSnapshotMark("efficientat", {1, "e-1"}).ok());
  EXPECT_EQ(store_->PutSnapshotMark("dsp", {3, "future"}).code(),
            absl::StatusCode::kInvalidArgument);
  Reopen();
  auto mark = store_->GetSnapshotMark("dsp");
  ASSERT_TRUE(mark.ok()) << mark.status();
  EXPECT_EQ(mark->sequence, 2u);
  EXPECT_EQ(mark->location, "/var/snap/dsp-2.faiss");
  EXPECT_EQ(store_->GetSnapshotMark("efficientat")->sequence, 1u);
}

TEST_F(SoundStoreTest, ReplayingChangesAfterAMarkRebuildsTheCurrentState) {
  for (int n = 1; n <= 4; ++n) Add(n);
  // An "index" of space dsp built at sequence S.
  const uint64_t mark = store_->LastSequence();
  std::map<uint64_t, std::string> index;
  ASSERT_TRUE(store_
                  ->ForEachRaw("dsp",
                               [&](uint64_t id, absl::string_view raw) {
                                 index[id] = std::string(raw);
                                 return true;
                               })
                  .ok());
  ASSERT_EQ(index.size(), 4u);

  // Later changes: adds, deletes (old and new).
  const uint64_t a5 = Add(5);
  const uint64_t a6 = Add(6);
  ASSERT_TRUE(store_->DeleteSound(2).ok());
  ASSERT_TRUE(store_->DeleteSound(a6).ok());

  std::vector<Change> changes = ChangesSince(mark);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].kind, ChangeKind::kAdd);
  EXPECT_EQ(changes[0].id, a5);
  EXPECT_EQ(changes[2].kind, ChangeKind::kDelete);
  EXPECT_EQ(changes[2].id, 2u);
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].sequence, mark + 1 + i);
  }

  // Replay, as an index would.
  for (const Change& c : changes) {
    switch (c.kind) {
      case ChangeKind::kAdd: {
        auto raw = store_->GetRaw("dsp", c.id);
        if (raw.ok()) {
          index[c.id] = *raw;
        } else {
          // Deleted again later in the log; its delete follows.
          EXPECT_EQ(raw.status().code(), absl::StatusCode::kNotFound);
        }
        break;
      }
      case ChangeKind::kDelete:
        index.erase(c.id);
        break;
    }
  }
  std::map<uint64_t, std::string> now;
  ASSERT_TRUE(store_
                  ->ForEachRaw("dsp",
                               [&](uint64_t id, absl::string_view raw) {
                                 now[id] = std::string(raw);
                                 return true;
                               })
                  .ok());
  EXPECT_EQ(index, now);
  EXPECT_EQ(now.size(), 4u);  // 1, 3, 4, 5

  EXPECT_TRUE(ChangesSince(store_->LastSequence()).empty());
}

TEST_F(SoundStoreTest, IterationsStopWhenTheCallbackSaysSo) {
  for (int n = 1; n <= 5; ++n) Add(n);
  int seen = 0;
  ASSERT_TRUE(
      store_->ForEachSound([&](const SoundRecord&) { return ++seen < 2; })
          .ok());
  EXPECT_EQ(seen, 2);
  seen = 0;
  std::vector<uint64_t> ids;
  ASSERT_TRUE(store_
                  ->ForEachRaw("dsp",
                               [&](uint64_t id, absl::string_view) {
                                 ids.push_back(id);
                                 return ids.size() < 3;
                               })
                  .ok());
  EXPECT_THAT(ids, ElementsAre(1u, 2u, 3u));
  std::vector<uint64_t> seqs;
  ASSERT_TRUE(store_
                  ->ForEachChangeSince(1,
                                       [&](const Change& c) {
                                         seqs.push_back(c.sequence);
                                         return false;
                                       })
                  .ok());
  EXPECT_THAT(seqs, ElementsAre(2u));
  std::vector<uint64_t> all;
  ASSERT_TRUE(store_
                  ->ForEachSound([&](const SoundRecord& s) {
                    all.push_back(s.id);
                    return true;
                  })
                  .ok());
  EXPECT_THAT(all, ElementsAre(1u, 2u, 3u, 4u, 5u));
}

TEST_F(SoundStoreTest, ConcurrentAddsGetUniqueIdsAndLoseNothing) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 40;
  const SoundRecord shared = MakeSound(100000);  // every thread adds it too
  std::vector<std::vector<uint64_t>> ids(kThreads);
  std::vector<uint64_t> shared_ids(kThreads);
  std::atomic<int> shared_new{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        auto added = store_->AddSound(MakeSound(n), RawBySpace(n));
        if (!added.ok() || added->duplicate) {
          ++failures;
          continue;
        }
        ids[t].push_back(added->id);
        if (i == kPerThread / 2) {
          auto s = store_->AddSound(shared, RawBySpace(100000));
          if (!s.ok()) {
            ++failures;
            continue;
          }
          shared_ids[t] = s->id;
          if (!s->duplicate) ++shared_new;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_EQ(shared_new.load(), 1);
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(shared_ids[t], shared_ids[0]);

  const uint64_t total = kThreads * kPerThread + 1;
  std::set<uint64_t> unique;
  for (const auto& v : ids) unique.insert(v.begin(), v.end());
  unique.insert(shared_ids[0]);
  EXPECT_EQ(unique.size(), total);
  EXPECT_EQ(*unique.begin(), 1u);
  EXPECT_EQ(*unique.rbegin(), total);  // dense: no id lost

  for (bool reopened : {false, true}) {
    if (reopened) Reopen();
    SCOPED_TRACE(reopened ? "after reopen" : "before reopen");
    EXPECT_EQ(store_->Count(), total);
    EXPECT_EQ(store_->LastSequence(), total);
    for (int t = 0; t < kThreads; ++t) {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        auto got = store_->FindByExternalId(MakeSound(n).external_id);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(got->id, ids[t][i]);
        EXPECT_EQ(*store_->GetRaw("dsp", got->id), RawBySpace(n).at("dsp"));
      }
    }
    std::set<uint64_t> logged;
    uint64_t previous = 0;
    for (const Change& c : ChangesSince(0)) {
      EXPECT_EQ(c.kind, ChangeKind::kAdd);
      EXPECT_GT(c.sequence, previous);
      previous = c.sequence;
      logged.insert(c.id);
    }
    EXPECT_EQ(logged, unique);
  }
}

// Adds racing on the same contents, deletes racing on the same ids, and a
// reader checking the LastSequence contract all along. Afterwards the store
// must agree with itself and with its change log.
TEST_F(SoundStoreTest, ConcurrentMixedWritesKeepTheStoreConsistent) {
  constexpr int kThreads = 4;
  constexpr int kContents = 30;
  std::atomic<bool> writers_done{false};
  std::atomic<int> failures{0};
  std::atomic<int> reader_checks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kContents; ++n) {
        auto added = store_->AddSound(MakeSound(n), RawBySpace(n));
        if (!added.ok()) {
          ++failures;
          ADD_FAILURE() << added.status();
          continue;
        }
        if (n % kThreads == t) {
          auto deleted = store_->DeleteSound(added->id);
          if (!deleted.ok() &&
              deleted.status().code() != absl::StatusCode::kNotFound) {
            ++failures;
            ADD_FAILURE() << deleted.status();
          }
        }
      }
    });
  }
  std::thread reader([&] {
    while (!writers_done.load()) {
      // Every change up to LastSequence() is visible, densely (no write fails).
      const uint64_t last = store_->LastSequence();
      uint64_t seen = 0;
      absl::Status s = store_->ForEachChangeSince(0, [&](const Change& c) {
        if (c.sequence > last) return false;
        EXPECT_EQ(c.sequence, seen + 1);
        seen = c.sequence;
        return true;
      });
      EXPECT_TRUE(s.ok()) << s;
      EXPECT_EQ(seen, last);
      ++reader_checks;
    }
  });
  for (auto& th : threads) th.join();
  writers_done = true;
  reader.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_GT(reader_checks.load(), 0);

  for (bool reopened : {false, true}) {
    if (reopened) Reopen();
    SCOPED_TRACE(reopened ? "after reopen" : "before reopen");
    std::set<uint64_t> live;
    std::set<std::string> hashes;
    ASSERT_TRUE(
        store_
            ->ForEachSound([&](const SoundRecord& s) {
              live.insert(s.id);
              EXPECT_TRUE(hashes.insert(s.content_hash).second)
                  << "content stored twice: " << s.name;
              EXPECT_EQ(store_->FindByContentHash(s.content_hash)->id, s.id);
              EXPECT_EQ(store_->FindByExternalId(s.external_id)->id, s.id);
              EXPECT_TRUE(store_->GetRaw("dsp", s.id).ok());
              return true;
            })
            .ok());
    EXPECT_EQ(store_->Count(), live.size());
    for (const char* space : {"dsp", "efficientat"}) {
      for (uint64_t id : RawIds(space)) {
        EXPECT_EQ(live.count(id), 1u)
            << "orphan raw vector " << space << " " << id;
      }
    }
    std::set<uint64_t> replayed;
    uint64_t expected_sequence = 1;
    for (const Change& c : ChangesSince(0)) {
      EXPECT_EQ(c.sequence, expected_sequence++);
      if (c.kind == ChangeKind::kAdd) {
        EXPECT_TRUE(replayed.insert(c.id).second) << "id added twice " << c.id;
      } else {
        EXPECT_EQ(c.kind, ChangeKind::kDelete);
        EXPECT_EQ(replayed.erase(c.id), 1u) << "delete of absent id " << c.id;
      }
    }
    EXPECT_EQ(expected_sequence - 1, store_->LastSequence());
    EXPECT_EQ(replayed, live);
  }
}

}  // namespace
}  // namespace soundsearch
