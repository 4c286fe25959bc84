// The soundsearchd binary as an operator runs it: it refuses to listen off
// loopback without tokens (unless --insecure), refuses out-of-range flags,
// reloads its tokens on SIGHUP, and keeps its memory bounded under a flood:
// 200 concurrent 100 MiB query uploads from a test client leave it alive
// with its peak RSS under the bound docs/operations.md states, and it then
// answers a normal query.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rpc/grpc_status.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_server.h"

#ifndef SOUNDSEARCHD_PATH
#error "SOUNDSEARCHD_PATH must name the soundsearchd executable"
#endif

namespace soundsearch {
namespace {

// The documented bound (docs/operations.md, "Memory"): with the default
// memory flags, peak RSS under this flood (200 calls over 8 connections)
// stays below 2.5 GiB.
constexpr int64_t kRssBoundBytes = int64_t{5} << 29;

// A running soundsearchd with its stderr in a file.
class Daemon {
 public:
  // Starts soundsearchd with `args`; waits until it prints its port (or
  // exits).
  static std::unique_ptr<Daemon> Start(const std::string& dir,
                                       const std::vector<std::string>& args) {
    auto d = std::unique_ptr<Daemon>(new Daemon);
    // One log per daemon: a daemon started after another must not be
    // mistaken for it by reading its log before the child has opened its own.
    static int started = 0;
    d->log_ = absl::StrCat(dir, "/soundsearchd-", started++, ".log");
    d->pid_ = fork();
    if (d->pid_ == 0) {
      const int fd = open(d->log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 2);
      std::vector<std::string> argv = {SOUNDSEARCHD_PATH};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      execv(c[0], c.data());
      _exit(127);
    }
    for (;;) {
      const std::string log = d->Log();
      const size_t at = log.find("serving gRPC on port ");
      if (at != std::string::npos) {
        const std::string rest = log.substr(at + 21);
        const size_t end = rest.find_first_not_of("0123456789");
        if (end != std::string::npos &&
            absl::SimpleAtoi(rest.substr(0, end), &d->port_)) {
          break;
        }
      }
      int status = 0;
      if (waitpid(d->pid_, &status, WNOHANG) == d->pid_) {
        d->exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        d->pid_ = -1;
        return d;
      }
      usleep(20000);
    }
    d->channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", d->port_),
                                      grpc::InsecureChannelCredentials());
    EXPECT_TRUE(
        test::WaitForServing(d->channel_, std::chrono::seconds(120)).ok());
    return d;
  }

  ~Daemon() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }

  bool running() const { return pid_ > 0 && kill(pid_, 0) == 0; }
  int exit_code() const { return exit_code_; }
  int port() const { return port_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void Signal(int sig) const { kill(pid_, sig); }

  // A field of /proc/<pid>/status in bytes (VmHWM: peak RSS, VmRSS).
  int64_t StatusBytes(const std::string& field) const {
    std::ifstream in(absl::StrCat("/proc/", pid_, "/status"));
    std::string line;
    while (std::getline(in, line)) {
      if (absl::StartsWith(line, field + ":")) {
        int64_t kb = 0;
        std::istringstream fields(line.substr(field.size() + 1));
        fields >> kb;
        return kb * 1024;
      }
    }
    return -1;
  }

 private:
  Daemon() = default;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  int port_ = 0;
  std::string log_;
  std::shared_ptr<grpc::Channel> channel_;
};

class SoundsearchdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
  }
  std::vector<std::string> Args(std::vector<std::string> more) const {
    std::vector<std::string> args = {"--data-dir=" + dir_->File("data"),
                                     "--listen=127.0.0.1:0",
                                     "--metrics-listen="};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  std::unique_ptr<test::TempDir> dir_;
};

TEST_F(SoundsearchdTest, RefusesAnOpenListenerOffLoopbackAndBadFlags) {
  auto open =
      Daemon::Start(dir_->path(), {"--data-dir=" + dir_->File("data"),
                                   "--listen=0.0.0.0:0", "--metrics-listen="});
  EXPECT_EQ(open->exit_code(), 1);
  EXPECT_TRUE(absl::StrContains(open->Log(), "refusing to listen on 0.0.0.0:0"))
      << open->Log();
  auto insecure = Daemon::Start(
      dir_->path(), {"--data-dir=" + dir_->File("data"), "--listen=0.0.0.0:0",
                     "--metrics-listen=", "--insecure"});
  EXPECT_TRUE(insecure->running()) << insecure->Log();
  insecure.reset();
  for (const char* flag : {"--ingest-queue=-1", "--max-upload-bytes=5000000000",
                           "--max-clip-seconds=nan", "--query-threads=0"}) {
    auto bad = Daemon::Start(dir_->path(), Args({flag}));
    EXPECT_EQ(bad->exit_code(), 1) << flag;
    const std::string name(flag, std::string(flag).find('='));
    EXPECT_TRUE(absl::StrContains(bad->Log(), name + " must be in"))
        << bad->Log();
  }
}

TEST_F(SoundsearchdTest, ReloadsItsTokensOnSighup) {
  const std::string tokens = dir_->File("tokens");
  ASSERT_TRUE(test::WriteFileBytes(tokens, "admin first-token-0\n").ok());
  auto d = Daemon::Start(
      dir_->path(),
      Args({"--auth-token-file=" + tokens, "--auth-reload-seconds=0",
            "--import-root=" + dir_->path(), "--import-root", "/tmp"}));
  ASSERT_TRUE(d->running()) << d->Log();
  auto stub = v1::Query::NewStub(d->channel());
  v1::StatsResponse stats;
  ASSERT_TRUE(
      stub->Stats(test::CallContext("first-token-0").get(), {}, &stats).ok());
  ASSERT_TRUE(test::WriteFileBytes(tokens, "read second-token-0\n").ok());
  d->Signal(SIGHUP);
  grpc::Status status;
  for (int i = 0; i < 600; ++i) {
    status = stub->Stats(test::CallContext("second-token-0").get(), {}, &stats);
    if (status.ok()) break;
    usleep(50000);
  }
  EXPECT_TRUE(status.ok()) << status.error_message() << d->Log();
  EXPECT_EQ(stub->Stats(test::CallContext("first-token-0").get(), {}, &stats)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(absl::StrContains(d->Log(), "0 admin, 1 read")) << d->Log();
}

TEST_F(SoundsearchdTest, TwoHundredConcurrentHundredMiBUploadsStayBounded) {
  // The default memory flags: --grpc-memory-bytes 512 MiB,
  // --request-memory-bytes 1 GiB, --max-concurrent-streams 8.
  auto d = Daemon::Start(dir_->path(), Args({"--query-threads=2"}));
  ASSERT_TRUE(d->running()) << d->Log();
  // One sound to query afterwards.
  const std::string wav_path = dir_->File("tone.wav");
  ASSERT_TRUE(
      test::WritePcm16Wav(wav_path, test::Sine(440, 1, 22050, 0.5f), 22050, 1)
          .ok());
  const std::string wav = *test::ReadFileBytes(wav_path);
  {
    auto ingest = v1::Ingest::NewStub(d->channel());
    v1::AddSoundRequest add;
    add.set_audio(wav);
    v1::AddSoundResponse added;
    ASSERT_TRUE(ingest->AddSound(test::CallContext().get(), add, &added).ok());
  }
  const int64_t rss_before = d->StatusBytes("VmRSS");

  // The flood: one 100 MiB serialised QueryByExampleRequest shared by every
  // call (a refcounted slice: the client holds it once), 200 calls at once
  // over 8 connections.
  std::string payload;
  {
    v1::QueryByExampleRequest q;
    q.set_audio(std::string(100 << 20, '\0'));
    payload = q.SerializeAsString();
  }
  const grpc::Slice slice(payload);
  payload.clear();
  payload.shrink_to_fit();
  constexpr int kCalls = 200, kChannels = 8;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < kChannels; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // own connection
    args.SetInt("grpc.channel_id", c);                   // distinct channels
    channels.push_back(
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", d->port()),
                                  grpc::InsecureChannelCredentials(), args));
  }
  absl::Mutex mu;
  std::map<grpc::StatusCode, int> codes;
  std::map<std::string, int> messages;  // by their first 60 characters
  int done = 0;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ByteBuffer>> requests, responses;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (auto& channel : channels) {
    stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  }
  std::atomic<int64_t> peak{0};
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling.load()) {
      peak = std::max<int64_t>(peak.load(), d->StatusBytes("VmRSS"));
      usleep(20000);
    }
  });
  for (int i = 0; i < kCalls; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(std::chrono::system_clock::now() +
                                  std::chrono::seconds(600));
    requests.push_back(std::make_unique<grpc::ByteBuffer>(&slice, 1));
    responses.push_back(std::make_unique<grpc::ByteBuffer>());
    stubs[i % kChannels]->UnaryCall(
        contexts.back().get(), "/soundsearch.v1.Query/QueryByExample",
        grpc::StubOptions(), requests.back().get(), responses.back().get(),
        [&](grpc::Status status) {
          absl::MutexLock lock(&mu);
          ++codes[status.error_code()];
          ++messages[status.error_message().substr(0, 60)];
          ++done;
        });
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n == kCalls; }, &done));
  }
  sampling = false;
  sampler.join();
  const int64_t hwm = d->StatusBytes("VmHWM");
  std::string summary;
  for (const auto& [code, n] : codes) {
    absl::StrAppend(&summary, " ", std::string(GrpcCodeName(code)), "=", n);
  }
  for (const auto& [message, n] : messages) {
    absl::StrAppend(&summary, "\n  ", n, " x \"", message, "\"");
  }
  std::printf(
      "flood of %d x 100 MiB: RSS before %.0f MiB, peak sampled %.0f "
      "MiB, VmHWM %.0f MiB; codes:%s\n",
      kCalls, rss_before / 1048576.0, peak.load() / 1048576.0, hwm / 1048576.0,
      summary.c_str());
  ASSERT_TRUE(d->running()) << d->Log();
  EXPECT_GT(hwm, 0);
  EXPECT_LT(hwm, kRssBoundBytes);
  // None succeeded (zeros are not audio) and each ended with a code that
  // names what happened: not audio, or refused for memory.
  EXPECT_EQ(codes.count(grpc::StatusCode::OK), 0u) << summary;
  EXPECT_EQ(codes.count(grpc::StatusCode::UNKNOWN), 0u) << summary;
  EXPECT_EQ(codes.count(grpc::StatusCode::INTERNAL), 0u) << summary;

  // Afterwards: a normal query is answered.
  auto query = v1::Query::NewStub(d->channel());
  v1::QueryByExampleRequest q;
  q.set_audio(wav);
  q.set_k(1);
  q.set_include_query(true);
  v1::QueryByExampleResponse r;
  grpc::Status s = query->QueryByExample(test::CallContext().get(), q, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.results_size(), 1);
}

}  // namespace
}  // namespace soundsearch
