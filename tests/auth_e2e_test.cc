// End-to-end: token roles against a real server on loopback. Every RPC of
// the role table needs a token once tokens are configured (health does
// not), with the role the table gives it; reflection is served only without
// tokens; tokens reload on request (SIGHUP in soundsearchd) and when the
// file changes; a non-loopback listener needs tokens or --insecure.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rpc/rpc_roles.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

using Code = grpc::StatusCode;

class AuthE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    tokens_ = dir_->File("tokens");
    WriteTokens("admin first-admin-token\nread first-read-token\n");
  }

  void WriteTokens(const std::string& text) {
    ASSERT_TRUE(test::WriteFileBytes(tokens_ + ".tmp", text).ok());
    ASSERT_EQ(std::rename((tokens_ + ".tmp").c_str(), tokens_.c_str()), 0);
  }

  void Start(double reload_seconds) {
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    options.auth_token_file = tokens_;
    options.auth_reload_seconds = reload_seconds;
    auto server = test::TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // An RPC called with an empty (valid) request message.
  grpc::Status Call(const std::string& path, const std::string& token) {
    auto ctx = test::CallContext(token, std::chrono::seconds(30));
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    std::string response;
    return test::RawUnaryCall(server_->channel(), ctx.get(), path, request,
                              &response);
  }

  grpc::Status Stats(const std::string& token) {
    v1::StatsResponse stats;
    return server_->query().Stats(test::CallContext(token).get(), {}, &stats);
  }

  std::unique_ptr<test::TempDir> dir_;
  std::string tokens_;
  std::unique_ptr<test::TestServer> server_;
};

TEST_F(AuthE2ETest, EveryRpcNeedsATokenWithItsRole) {
  Start(0);
  int rpcs = 0;
  for (const RpcRole& rpc : RpcRoles()) {
    const std::string path = absl::StrCat("/", rpc.service, "/", rpc.method);
    SCOPED_TRACE(path);
    grpc::Status none = Call(path, "");
    EXPECT_EQ(none.error_code(), Code::UNAUTHENTICATED) << none.error_message();
    EXPECT_TRUE(absl::StrContains(none.error_message(), rpc.method));
    EXPECT_EQ(Call(path, "an-unknown-token").error_code(),
              Code::UNAUTHENTICATED);
    grpc::Status read = Call(path, "first-read-token");
    if (rpc.role == Role::kAdmin) {
      EXPECT_EQ(read.error_code(), Code::PERMISSION_DENIED)
          << read.error_message();
    } else {
      EXPECT_NE(read.error_code(), Code::PERMISSION_DENIED);
      EXPECT_NE(read.error_code(), Code::UNAUTHENTICATED);
    }
    grpc::Status admin = Call(path, "first-admin-token");
    EXPECT_NE(admin.error_code(), Code::PERMISSION_DENIED);
    EXPECT_NE(admin.error_code(), Code::UNAUTHENTICATED)
        << admin.error_message();
    ++rpcs;
  }
  EXPECT_GE(rpcs, 17);
  // Health needs none.
  auto health = test::HealthCheck(server_->channel());
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, std::string("\x08\x01", 2));
}

TEST_F(AuthE2ETest, ReflectionIsServedOnlyWithoutTokens) {
  Start(0);
  const std::string reflection =
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
  EXPECT_EQ(Call(reflection, "first-admin-token").error_code(),
            Code::UNIMPLEMENTED);
  server_.reset();
  auto open = test::TestServer::Start(
      test::LoopbackServerOptions(dir_->File("data-open")));
  ASSERT_TRUE(open.ok()) << open.status();
  server_ = *std::move(open);
  EXPECT_NE(Call(reflection, "").error_code(), Code::UNIMPLEMENTED);
  // Without tokens every RPC is open (loopback).
  EXPECT_TRUE(Stats("").ok());
}

TEST_F(AuthE2ETest, TokensReloadOnRequestAndKeepTheOldOnesOnABadFile) {
  Start(0);
  ASSERT_TRUE(Stats("first-read-token").ok());
  WriteTokens("second-admin-token\n");  // a bare token: admin
  ASSERT_TRUE(server_->server().ReloadTokens().ok());
  EXPECT_EQ(Stats("first-read-token").error_code(), Code::UNAUTHENTICATED);
  EXPECT_EQ(Stats("first-admin-token").error_code(), Code::UNAUTHENTICATED);
  EXPECT_TRUE(Stats("second-admin-token").ok());
  WriteTokens("writer not-a-role\n");
  absl::Status bad = server_->server().ReloadTokens();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument) << bad;
  WriteTokens("");
  EXPECT_FALSE(server_->server().ReloadTokens().ok());
  // A bad or empty file never turns the check off: the old tokens stay.
  EXPECT_TRUE(Stats("second-admin-token").ok());
  EXPECT_EQ(Stats("").error_code(), Code::UNAUTHENTICATED);
}

TEST_F(AuthE2ETest, TokensReloadWhenTheFileChanges) {
  Start(/*reload_seconds=*/0.1);
  ASSERT_TRUE(Stats("first-admin-token").ok());
  WriteTokens("read third-read-token\nadmin third-admin-token\n");
  // The watch polls the file; wait (boundedly) until it has seen the change.
  grpc::Status status = Stats("third-read-token");
  for (int i = 0; i < 600 && !status.ok(); ++i) {
    usleep(50000);
    status = Stats("third-read-token");
  }
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Stats("first-admin-token").error_code(), Code::UNAUTHENTICATED);
  // A broken edit is not loaded: the tokens stay as they were.
  WriteTokens("admin bad token line\n");
  usleep(500000);
  EXPECT_TRUE(Stats("third-admin-token").ok());
}

TEST_F(AuthE2ETest, OffLoopbackNeedsTokensOrInsecure) {
  ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
  options.listen = "0.0.0.0:0";
  auto refused = test::TestServer::Start(options);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "0.0.0.0:0"));
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "--insecure"));
  EXPECT_TRUE(
      absl::StrContains(refused.status().message(), "--auth-token-file"));
  options.listen = "[::]:0";
  EXPECT_EQ(test::TestServer::Start(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.listen = "0.0.0.0:0";
  options.insecure = true;
  auto insecure = test::TestServer::Start(options);
  ASSERT_TRUE(insecure.ok()) << insecure.status();
  insecure->reset();
  options.insecure = false;
  options.auth_token_file = tokens_;
  auto with_tokens = test::TestServer::Start(options);
  ASSERT_TRUE(with_tokens.ok()) << with_tokens.status();
}

TEST_F(AuthE2ETest, NumericOptionsAreRangeChecked) {
  struct Case {
    const char* flag;
    std::function<void(ServerOptions*)> set;
  };
  for (const Case& c : std::vector<Case>{
           {"--ingest-queue", [](ServerOptions* o) { o->ingest_queue = -1; }},
           {"--query-queue", [](ServerOptions* o) { o->query_queue = 0; }},
           {"--max-upload-bytes",
            [](ServerOptions* o) { o->max_upload_bytes = int64_t{5} << 30; }},
           {"--max-clip-seconds",
            [](ServerOptions* o) { o->max_clip_seconds = std::nan(""); }},
           {"--max-k", [](ServerOptions* o) { o->max_k = 2000000; }},
           {"--query-threads", [](ServerOptions* o) { o->query_threads = 0; }},
           {"--ingest-batch", [](ServerOptions* o) { o->ingest_batch = 5000; }},
           {"--store-memtable-budget-mb",
            [](ServerOptions* o) { o->store_memtable_budget_mb = -1; }},
           {"--grpc-memory-bytes",
            [](ServerOptions* o) { o->grpc_memory_bytes = 1 << 20; }},
           {"--request-memory-bytes",
            [](ServerOptions* o) { o->request_memory_bytes = 1 << 20; }},
           {"--max-concurrent-streams",
            [](ServerOptions* o) { o->max_concurrent_streams = 0; }},
           {"--max-batch-audio-seconds",
            [](ServerOptions* o) { o->max_batch_audio_seconds = -1; }},
           {"--manifest-jobs", [](ServerOptions* o) { o->manifest_jobs = 0; }},
           {"--job-retention-seconds",
            [](ServerOptions* o) { o->job_retention_seconds = 1e300; }},
           {"--auth-reload-seconds",
            [](ServerOptions* o) { o->auth_reload_seconds = -5; }},
           {"--max-import-file-bytes",
            [](ServerOptions* o) { o->max_import_file_bytes = 0; }},
       }) {
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    c.set(&options);
    auto started = test::TestServer::Start(options);
    EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument)
        << c.flag;
    EXPECT_TRUE(absl::StrContains(started.status().message(), c.flag))
        << started.status();
    EXPECT_TRUE(absl::StrContains(started.status().message(), "must be in"))
        << started.status();
  }
}

}  // namespace
}  // namespace soundsearch
