// The store's previews: their own column family in blob files, the counters
// kept with them (GetPreviewStats) across add, replace, delete, quarantine and
// reopen, the move of previews written by earlier builds into the "default"
// family, and Check's findings about them. Real RocksDB in a temp dir.
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/sound_store.h"
#include "store/key_codec.h"

namespace soundsearch {
namespace {

using ::testing::HasSubstr;

SoundRecord MakeSound(int n) {
  SoundRecord s;
  s.external_id = absl::StrCat("fs-", n);
  s.name = absl::StrCat("sound ", n, ".wav");
  s.content_hash = Sha256Hex(absl::StrCat("content of sound ", n));
  return s;
}

// A preview-sized value, different for each n.
std::string PreviewBytes(int n, size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i)
    out[i] = static_cast<char>((n * 31 + i) % 251);
  return out;
}

class PreviewStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "preview_store_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    dir_ = tmpl;
    path_ = dir_ + "/db";
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(int write_buffer_mb = 0) {
    store_.reset();
    SoundStoreOptions options;
    options.path = path_;
    options.write_buffer_mb = write_buffer_mb;
    auto opened = SoundStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
  uint64_t Add(int n, absl::string_view preview) {
    auto added = store_->AddSound(MakeSound(n), {}, preview);
    EXPECT_TRUE(added.ok()) << added.status();
    return added.ok() ? added->id : 0;
  }
  void ExpectStats(uint64_t count, uint64_t bytes) {
    PreviewStats stats = store_->GetPreviewStats();
    EXPECT_EQ(stats.count, count);
    EXPECT_EQ(stats.bytes, bytes);
  }
  int BlobFiles() const {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(path_)) {
      if (e.path().extension() == ".blob") ++n;
    }
    return n;
  }
  // Opens the closed store's database with every family, as RocksDB itself.
  struct RawDb {
    std::unique_ptr<rocksdb::DB> db;
    std::map<std::string, rocksdb::ColumnFamilyHandle*> families;
    ~RawDb() {
      for (auto& [name, h] : families) db->DestroyColumnFamilyHandle(h);
    }
  };
  std::unique_ptr<RawDb> OpenRaw() {
    store_.reset();
    auto raw = std::make_unique<RawDb>();
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(options, path_, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& name : names)
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s =
        rocksdb::DB::Open(options, path_, descriptors, &handles, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    raw->db.reset(db);
    for (size_t i = 0; i < handles.size(); ++i) {
      raw->families[names[i]] = handles[i];
    }
    return raw;
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<SoundStore> store_;
};

TEST_F(PreviewStoreTest, CountersFollowAddReplaceDeleteAndReopen) {
  ExpectStats(0, 0);
  const uint64_t a = Add(1, PreviewBytes(1, 5000));
  const uint64_t b = Add(2, PreviewBytes(2, 7000));
  const uint64_t c = Add(3, "");  // no preview
  ExpectStats(2, 12000);
  ASSERT_TRUE(store_->PutPreview(b, PreviewBytes(2, 9000)).ok());  // replace
  ExpectStats(2, 14000);
  ASSERT_TRUE(store_->PutPreview(c, PreviewBytes(3, 100)).ok());  // backfill
  ExpectStats(3, 14100);
  EXPECT_EQ(store_->PutPreview(999, "x").code(), absl::StatusCode::kNotFound);
  Reopen();
  ExpectStats(3, 14100);
  EXPECT_EQ(*store_->GetPreview(b), PreviewBytes(2, 9000));
  ASSERT_TRUE(store_->DeleteSound(a).ok());
  ExpectStats(2, 9100);
  EXPECT_EQ(store_->GetPreview(a).status().code(), absl::StatusCode::kNotFound);
  Reopen();
  ExpectStats(2, 9100);
  auto check = store_->Check(/*repair=*/false);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->problems.empty()) << check->problems.front();
}

TEST_F(PreviewStoreTest, PreviewsLiveInBlobFilesThatCopiesCarry) {
  Reopen(/*write_buffer_mb=*/1);
  std::vector<uint64_t> ids;
  for (int n = 1; n <= 40; ++n) ids.push_back(Add(n, PreviewBytes(n, 40000)));
  // Reopening replays the write-ahead log into table files, and the
  // previews' family writes its values (>= 4 KiB) to blob files.
  Reopen(1);
  EXPECT_GT(BlobFiles(), 0);
  ExpectStats(40, 40 * 40000);
  for (int n = 1; n <= 40; ++n) {
    auto got = store_->GetPreview(ids[n - 1]);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, PreviewBytes(n, 40000));
  }
  // A copy of the stopped store's directory (a backup) carries them.
  store_.reset();
  const std::string copy = dir_ + "/copy";
  std::filesystem::copy(path_, copy, std::filesystem::copy_options::recursive);
  SoundStoreOptions options;
  options.path = copy;
  auto copied = SoundStore::Open(options);
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ((*copied)->GetPreviewStats().count, 40u);
  EXPECT_EQ(*(*copied)->GetPreview(ids[7]), PreviewBytes(8, 40000));
  copied->reset();
  Reopen(1);
  for (size_t i = 0; i < 20; ++i) ASSERT_TRUE(store_->DeleteSound(ids[i]).ok());
  ExpectStats(20, 20 * 40000);
  Reopen(1);
  ExpectStats(20, 20 * 40000);
  EXPECT_EQ(store_->GetPreview(ids[3]).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(*store_->GetPreview(ids[30]), PreviewBytes(31, 40000));
}

// A store written before the "previews" family: previews in "default" under
// "preview/" id, no counters, no family. The first open moves them.
TEST_F(PreviewStoreTest, PreviewsOfAnEarlierBuildAreMovedAtOpen) {
  const uint64_t a = Add(1, PreviewBytes(1, 6000));
  const uint64_t b = Add(2, PreviewBytes(2, 8000));
  Add(3, "");
  {
    auto raw = OpenRaw();
    rocksdb::ColumnFamilyHandle* meta = raw->families.at("default");
    rocksdb::WriteBatch batch;
    batch.Put(meta, PreviewKey(a), PreviewBytes(1, 6000));
    batch.Put(meta, PreviewKey(b), PreviewBytes(2, 8000));
    batch.Delete(meta, std::string(kPreviewCountKey));
    batch.Delete(meta, std::string(kPreviewBytesKey));
    ASSERT_TRUE(raw->db->Write(rocksdb::WriteOptions(), &batch).ok());
    rocksdb::ColumnFamilyHandle* previews = raw->families.at("previews");
    ASSERT_TRUE(raw->db->DropColumnFamily(previews).ok());
    raw->db->DestroyColumnFamilyHandle(previews);
    raw->families.erase("previews");
  }
  Reopen();
  ExpectStats(2, 14000);
  EXPECT_EQ(*store_->GetPreview(a), PreviewBytes(1, 6000));
  EXPECT_EQ(*store_->GetPreview(b), PreviewBytes(2, 8000));
  ASSERT_TRUE(store_->DeleteSound(a).ok());
  ExpectStats(1, 8000);
  auto check = store_->Check(/*repair=*/false);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->problems.empty()) << check->problems.front();
  {
    auto raw = OpenRaw();
    std::unique_ptr<rocksdb::Iterator> it(raw->db->NewIterator(
        rocksdb::ReadOptions(), raw->families.at("default")));
    it->Seek(std::string(kPreviewKeyPrefix));
    EXPECT_FALSE(it->Valid() && it->key().starts_with(kPreviewKeyPrefix.data()))
        << "a preview was left in the default family";
  }
  Reopen();
  ExpectStats(1, 8000);
  EXPECT_EQ(*store_->GetPreview(b), PreviewBytes(2, 8000));
}

TEST_F(PreviewStoreTest, QuarantineTakesThePreviewWithTheSound) {
  const uint64_t a = Add(1, PreviewBytes(1, 6000));
  Add(2, PreviewBytes(2, 8000));
  auto moved = store_->QuarantineSounds({{a, "a test"}});
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 1u);
  ExpectStats(1, 8000);
  EXPECT_EQ(store_->GetPreview(a).status().code(), absl::StatusCode::kNotFound);
  bool kept = false;
  ASSERT_TRUE(store_
                  ->ForEachQuarantined([&](const QuarantinedRecord& r) {
                    if (r.family == "previews" && r.sound_id == a) {
                      kept = r.value == PreviewBytes(1, 6000);
                    }
                    return true;
                  })
                  .ok());
  EXPECT_TRUE(kept) << "the preview is not in the quarantine";
  Reopen();
  ExpectStats(1, 8000);
  auto check = store_->Check(/*repair=*/false);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->problems.empty()) << check->problems.front();
}

TEST_F(PreviewStoreTest, CheckFindsOrphanPreviewsAndWrongCounters) {
  Add(1, PreviewBytes(1, 6000));
  {
    auto raw = OpenRaw();
    rocksdb::WriteBatch batch;
    batch.Put(raw->families.at("previews"), EncodeU64BigEndian(77),
              PreviewBytes(77, 5000));
    batch.Put(raw->families.at("default"), std::string(kPreviewCountKey),
              EncodeU64LittleEndian(9));
    ASSERT_TRUE(raw->db->Write(rocksdb::WriteOptions(), &batch).ok());
  }
  Reopen();
  auto check = store_->Check(/*repair=*/false);
  ASSERT_TRUE(check.ok()) << check.status();
  std::string all;
  for (const std::string& p : check->problems) all += p + "\n";
  EXPECT_THAT(all, HasSubstr("a preview of sound 77, which does not exist"));
  EXPECT_THAT(all, HasSubstr("preview counters say 9"));
  auto repaired = store_->Check(/*repair=*/true);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_EQ(repaired->unrepaired, 0u);
  ExpectStats(1, 6000);
  Reopen();
  ExpectStats(1, 6000);
  auto again = store_->Check(/*repair=*/false);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->problems.empty()) << again->problems.front();
}

}  // namespace
}  // namespace soundsearch
