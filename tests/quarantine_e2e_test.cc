// No single bad record stops the server (issue 11): records that do not
// decode (text that is not UTF-8, written by older versions; plain garbage),
// a raw vector the metric cannot rank and a change-log entry that does not
// decode are written straight into a stopped server's RocksDB; the server
// starts, quarantines them (log line, metric), serves the rest; the real
// `soundsearchd --check` reports them and `--repair` restores what it can.
#include <sys/wait.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "soundsearch/raw_embedding.h"
#include "support/test_audio.h"
#include "support/test_http.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

constexpr int kRate = 22050;

std::string BigEndian(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}
std::string LittleEndian(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}
uint64_t FromLittleEndian(const std::string& s) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

// The stopped server's RocksDB, opened with all its column families.
class RawStore {
 public:
  explicit RawStore(const std::string& path) {
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(options, path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names)
      descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* db = nullptr;
    rocksdb::Status s =
        rocksdb::DB::Open(options, path, descriptors, &handles_, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(db);
    for (size_t i = 0; i < names.size(); ++i) by_name_[names[i]] = handles_[i];
  }
  ~RawStore() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close().PermitUncheckedError();
  }
  std::string Get(const std::string& family, const std::string& key) {
    std::string value;
    EXPECT_TRUE(db_->Get({}, by_name_.at(family), key, &value).ok())
        << family << " " << key;
    return value;
  }
  void Put(const std::string& family, const std::string& key,
           const std::string& value) {
    EXPECT_TRUE(db_->Put({}, by_name_.at(family), key, value).ok());
  }
  void Delete(const std::string& family, const std::string& key) {
    EXPECT_TRUE(db_->Delete({}, by_name_.at(family), key).ok());
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name_;
};

struct CheckRun {
  int exit_code = -1;
  std::string out;
};

class QuarantineE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
  }
  void Start() {
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    options.metrics_listen = "127.0.0.1:0";
    auto server = test::TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  std::string Wav(double freq) {
    const std::string path = dir_->File(absl::StrCat("t", freq, ".wav"));
    EXPECT_TRUE(
        test::WritePcm16Wav(path, test::Sine(freq, 1, kRate), kRate, 1).ok());
    return *test::ReadFileBytes(path);
  }
  grpc::Status Add(const std::string& audio, const std::string& ext,
                   v1::AddSoundResponse* r) {
    v1::AddSoundRequest request;
    request.set_audio(audio);
    request.mutable_fields()->set_external_id(ext);
    request.mutable_fields()->set_name(ext);
    return server_->ingest().AddSound(test::CallContext().get(), request, r);
  }
  grpc::Status Get(const std::string& ext, v1::Sound* sound) {
    v1::GetSoundRequest get;
    get.mutable_sound()->set_external_id(ext);
    return server_->query().GetSound(test::CallContext().get(), get, sound);
  }
  double Metric(const std::string& name) {
    return test::ScrapeMetric(server_->metrics_port(), name);
  }
  CheckRun Check(const std::string& flags) {
    const std::string out = dir_->File("check.txt");
    const std::string command =
        absl::StrCat(SOUNDSEARCHD_PATH, " --check ", flags, " --data-dir ",
                     dir_->File("data"), " >", out, " 2>&1");
    CheckRun run;
    const int status = std::system(command.c_str());
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = test::ReadFileBytes(out).value_or("");
    return run;
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<test::TestServer> server_;
};

TEST_F(QuarantineE2ETest, BadRecordsAreQuarantinedCheckedAndRepaired) {
  Start();
  std::vector<uint64_t> ids;
  std::vector<std::string> audio;
  for (int i = 0; i < 6; ++i) {
    audio.push_back(Wav(300 + 70 * i));
    v1::AddSoundResponse r;
    ASSERT_TRUE(Add(audio.back(), absl::StrCat("s", i), &r).ok());
    ids.push_back(r.id());
  }
  v1::Sound s4;
  ASSERT_TRUE(Get("s4", &s4).ok());
  // A running server holds the store: the check refuses, naming the lock.
  CheckRun busy = Check("");
  EXPECT_EQ(busy.exit_code, 2) << busy.out;
  EXPECT_TRUE(absl::StrContains(busy.out, "lock")) << busy.out;
  server_.reset();
  {
    RawStore raw(dir_->File("data") + "/store");
    // s1: a name that is not UTF-8 (the record older versions wrote for a
    // Latin-1 manifest row): the last value of a field wins in protobuf.
    raw.Put("sounds", BigEndian(ids[1]),
            raw.Get("sounds", BigEndian(ids[1])) + std::string("\x1a\x04"
                                                               "caf\xe9",
                                                               6));
    // s2: garbage.
    raw.Put("sounds", BigEndian(ids[2]), "\xff\xff\xff\xff not a record");
    // s3: a raw vector of zeros, which cosine cannot rank.
    const std::string key3 = std::string("dsp", 3) + '\0' + BigEndian(ids[3]);
    auto vector = RawEmbedding::Decode(raw.Get("raw", key3));
    ASSERT_TRUE(vector.ok()) << vector.status();
    for (float& x : vector->pooled) x = 0;
    raw.Put("raw", key3, vector->Encode());
    // A change-log entry after the snapshot that does not decode.
    const uint64_t last = FromLittleEndian(raw.Get("default", "last_sequence"));
    raw.Put("changes", BigEndian(last + 1), "\xff\xff garbage");
    raw.Put("default", "last_sequence", LittleEndian(last + 1));
    // s4: its content-hash lookup gone; and a lookup pointing nowhere.
    raw.Delete("content_hashes", s4.content_sha256());
    raw.Put("content_hashes", "no-such-hash", BigEndian(999));
  }

  Start();  // used to exit 1 with DATA_LOSS
  EXPECT_EQ(Metric("soundsearch_quarantined_records"), 4);  // 3 sounds, 1 entry
  v1::Sound sound;
  for (int i : {1, 2, 3}) {
    EXPECT_EQ(Get(absl::StrCat("s", i), &sound).error_code(),
              grpc::StatusCode::NOT_FOUND)
        << i;
  }
  for (int i : {0, 4, 5}) {
    ASSERT_TRUE(Get(absl::StrCat("s", i), &sound).ok()) << i;
    v1::QueryByExampleRequest q;
    q.set_id(sound.id());
    q.set_k(6);
    q.set_include_query(true);
    v1::QueryByExampleResponse qr;
    ASSERT_TRUE(server_->query()
                    .QueryByExample(test::CallContext().get(), q, &qr)
                    .ok());
    EXPECT_EQ(qr.results_size(), 3);  // only the three served sounds
  }
  // The garbage record's hash and external id were freed with it.
  v1::AddSoundResponse again;
  ASSERT_TRUE(Add(audio[2], "s2", &again).ok());
  EXPECT_FALSE(again.duplicate());
  server_.reset();

  CheckRun check = Check("");
  EXPECT_EQ(check.exit_code, 1) << check.out;
  EXPECT_TRUE(absl::StrContains(
      check.out, absl::StrCat("problem: sound ", ids[1], " is in quarantine")))
      << check.out;
  EXPECT_TRUE(
      absl::StrContains(check.out, "can be restored with its text escaped"))
      << check.out;
  EXPECT_TRUE(absl::StrContains(
      check.out, "content hash no-such-hash points at sound 999"))
      << check.out;
  EXPECT_TRUE(absl::StrContains(
      check.out, absl::StrCat("problem: sound ", s4.id(),
                              ": its content hash lookup is missing")))
      << check.out;
  CheckRun repair = Check("--repair");
  EXPECT_EQ(repair.exit_code, 0) << repair.out;
  EXPECT_TRUE(absl::StrContains(
      repair.out, absl::StrCat("repaired: restored sound ", ids[1],
                               " from quarantine (escaped name)")))
      << repair.out;
  EXPECT_TRUE(absl::StrContains(repair.out, "consistent after repair"))
      << repair.out;
  CheckRun clean = Check("");
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  EXPECT_TRUE(absl::StrContains(clean.out, "they agree")) << clean.out;
  EXPECT_TRUE(absl::StrContains(clean.out, "\nconsistent\n")) << clean.out;

  Start();
  ASSERT_TRUE(Get("s1", &sound).ok());
  EXPECT_EQ(sound.name(),
            "caf%E9");  // escaped, reversible (soundsearch/text.h)
  EXPECT_EQ(Metric("soundsearch_quarantined_records"), 3);
  v1::StatsResponse stats;
  ASSERT_TRUE(
      server_->query().Stats(test::CallContext().get(), {}, &stats).ok());
  EXPECT_EQ(stats.sounds(), 5u);  // s0, s1 (restored), s2 (added again), s4, s5
  // s4's lookup is back: its bytes are a duplicate again.
  ASSERT_TRUE(Add(audio[4], "", &again).ok());
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.id(), s4.id());
}

}  // namespace
}  // namespace soundsearch
