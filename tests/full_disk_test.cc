// A full disk (issue 11): a real server whose data directory lives on a
// small tmpfs that this test mounts (CI runs as root) and then fills with a
// file of its own. While the store cannot write: uploads get UNAVAILABLE
// with a clear message, grpc.health.v1 reports the writer
// (soundsearch.v1.Ingest) NOT_SERVING while the server and its queries stay
// SERVING, and nothing acknowledged is lost. Once the file is removed,
// writing resumes by itself. The test prints how the failure was produced.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "support/test_audio.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

constexpr int kRate = 22050;
const std::string kServing("\x08\x01", 2);
const std::string kNotServing("\x08\x02", 2);

// Writes zeros to `path` until the file system refuses (ENOSPC).
int64_t FillDisk(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  std::vector<char> block(64 << 10, 0);
  int64_t written = 0;
  for (size_t size = block.size(); size > 0;) {
    const ssize_t n = write(fd, block.data(), size);
    if (n > 0) {
      written += n;
    } else if (errno == ENOSPC) {
      size /= 2;  // top up to the last block
    } else {
      break;
    }
  }
  fsync(fd);
  close(fd);
  return written;
}

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    mount_ = dir_->File("tmpfs");
    ASSERT_EQ(system(("mkdir -p " + mount_).c_str()), 0);
    if (mount("soundsearch-full-disk-test", mount_.c_str(), "tmpfs", 0,
              "size=24m") != 0) {
      FAIL() << "could not mount a tmpfs at " << mount_ << " ("
             << std::strerror(errno)
             << "): this test needs root (CI runs as root)";
    }
    mounted_ = true;
    std::printf(
        "full_disk_test: a real 24 MiB tmpfs mounted at %s, filled "
        "by a file\n",
        mount_.c_str());
  }
  void TearDown() override {
    server_.reset();
    if (mounted_) umount2(mount_.c_str(), MNT_DETACH);
  }

  void Start() {
    ServerOptions options = test::LoopbackServerOptions(mount_ + "/data");
    options.store_write_buffer_mb = 1;  // flush (and so need space) soon
    options.writer_check_seconds = 0.1;
    auto server = test::TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::string Wav(int n) {
    const std::string path = dir_->File("x.wav");  // off the tmpfs
    EXPECT_TRUE(test::WritePcm16Wav(path, test::Sine(200 + 3 * n, 0.25, kRate),
                                    kRate, 1)
                    .ok());
    return *test::ReadFileBytes(path);
  }
  grpc::Status Add(int n, v1::AddSoundResponse* r) {
    v1::AddSoundRequest request;
    request.set_audio(Wav(n));
    request.mutable_fields()->set_external_id(absl::StrCat("n", n));
    request.mutable_fields()->add_tags("filler tag words that take room");
    return server_->ingest().AddSound(test::CallContext().get(), request, r);
  }
  std::string Health(const std::string& service) {
    auto h = test::HealthCheck(server_->channel(), service);
    return h.ok() ? *h : h.status().ToString();
  }
  // Waits (bounded) until `service` reports `want`.
  bool AwaitHealth(const std::string& service, const std::string& want) {
    for (int i = 0; i < 600; ++i) {
      if (Health(service) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::unique_ptr<test::TempDir> dir_;
  std::string mount_;
  bool mounted_ = false;
  std::unique_ptr<test::TestServer> server_;
};

TEST_F(FullDiskTest, WritesFailUnavailableQueriesGoOnAndWritingResumes) {
  Start();
  std::vector<int> acked;
  v1::AddSoundResponse r;
  for (int n = 0; n < 5; ++n) {
    ASSERT_TRUE(Add(n, &r).ok());
    acked.push_back(n);
  }
  EXPECT_EQ(Health(""), kServing);
  EXPECT_EQ(Health("soundsearch.v1.Ingest"), kServing);

  const std::string filler = mount_ + "/filler";
  ASSERT_GT(FillDisk(filler), 0);
  // Adds go on until the store needs room it does not have (the WAL's
  // preallocated space, then a flush).
  grpc::Status failed;
  int n = 5;
  for (; n < 3000; ++n) {
    failed = Add(n, &r);
    if (!failed.ok()) break;
    acked.push_back(n);
  }
  ASSERT_FALSE(failed.ok()) << "the store never ran out of room";
  std::printf(
      "full_disk_test: %zu uploads acknowledged, the next one "
      "refused: %s\n",
      acked.size(), failed.error_message().c_str());
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(
      absl::StrContains(failed.error_message(), "the store cannot write"))
      << failed.error_message();
  EXPECT_TRUE(absl::StrContains(failed.error_message(), "No space left"))
      << failed.error_message();
  EXPECT_TRUE(absl::StrContains(failed.error_message(), "resume by themselves"))
      << failed.error_message();

  // The writer is not serving; the server and its queries are.
  EXPECT_TRUE(AwaitHealth("soundsearch.v1.Ingest", kNotServing))
      << Health("soundsearch.v1.Ingest");
  EXPECT_EQ(Health(""), kServing);
  EXPECT_EQ(Health("soundsearch.v1.Query"), kServing);
  grpc::Status refused = Add(n + 1, &r);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "cannot write"))
      << refused.error_message();
  for (int a : acked) {
    v1::GetSoundRequest get;
    get.mutable_sound()->set_external_id(absl::StrCat("n", a));
    v1::Sound sound;
    ASSERT_TRUE(
        server_->query().GetSound(test::CallContext().get(), get, &sound).ok())
        << a;
    v1::QueryByExampleRequest q;
    q.set_id(sound.id());
    q.set_k(1);
    q.set_include_query(true);
    v1::QueryByExampleResponse qr;
    ASSERT_TRUE(server_->query()
                    .QueryByExample(test::CallContext().get(), q, &qr)
                    .ok());
    ASSERT_EQ(qr.results_size(), 1);
    EXPECT_EQ(qr.results(0).sound().id(), sound.id());
  }

  // Room again: the writer comes back by itself.
  ASSERT_EQ(unlink(filler.c_str()), 0);
  EXPECT_TRUE(AwaitHealth("soundsearch.v1.Ingest", kServing))
      << Health("soundsearch.v1.Ingest");
  ASSERT_TRUE(Add(n + 2, &r).ok());
  acked.push_back(n + 2);

  // Nothing acknowledged was lost, across a restart too.
  server_.reset();
  Start();
  v1::StatsResponse stats;
  ASSERT_TRUE(
      server_->query().Stats(test::CallContext().get(), {}, &stats).ok());
  EXPECT_EQ(stats.sounds(), acked.size());
  for (int a : acked) {
    v1::GetSoundRequest get;
    get.mutable_sound()->set_external_id(absl::StrCat("n", a));
    v1::Sound sound;
    EXPECT_TRUE(
        server_->query().GetSound(test::CallContext().get(), get, &sound).ok())
        << a;
  }
}

}  // namespace
}  // namespace soundsearch
