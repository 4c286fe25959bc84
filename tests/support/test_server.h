// Test support: a real soundsearch server for end-to-end tests, set up the
// way every such test needs it: SoundsearchServer (as soundsearchd runs it)
// on a loopback port chosen by the kernel, in a data directory the test owns,
// health checked until SERVING, with a channel and one stub per service.
// Part of `soundsearch_test_server`; include as "support/test_server.h".
//
// Thread-safety: the stubs and the channel may be used from many threads;
// Start and the destructor are called by one thread.
#ifndef SOUNDSEARCH_TESTS_SUPPORT_TEST_SERVER_H_
#define SOUNDSEARCH_TESTS_SUPPORT_TEST_SERVER_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "server/soundsearch_server.h"
#include "soundsearch/v1/common.grpc.pb.h"
#include "soundsearch/v1/evaluation.grpc.pb.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"

namespace soundsearch {
namespace test {

// Options for a server storing its data in `data_dir`: gRPC on
// 127.0.0.1:0, no metrics endpoint (set metrics_listen to "127.0.0.1:0" for
// one), no HTTP API (http_listen "127.0.0.1:0" for one), everything else at
// its default.
ServerOptions LoopbackServerOptions(const std::string& data_dir);

class TestServer {
 public:
  // Starts a server with `options`, connects to `host`:port with
  // `credentials` ("localhost" and SSL credentials for a TLS server whose
  // certificate names localhost) and waits until grpc.health.v1 reports
  // SERVING. Returns SoundsearchServer::Start's error as it is, or the
  // health check's.
  static absl::StatusOr<std::unique_ptr<TestServer>> Start(
      const ServerOptions& options,
      std::shared_ptr<grpc::ChannelCredentials> credentials =
          grpc::InsecureChannelCredentials(),
      const std::string& host = "127.0.0.1");
  // Shuts the server down (drains, writes snapshots, closes the store).
  ~TestServer();

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  SoundsearchServer& server() const { return *server_; }
  int port() const { return server_->port(); }
  int metrics_port() const { return server_->metrics_port(); }
  int http_port() const { return server_->http_port(); }
  // "127.0.0.1:<port>" (or the host given to Start).
  const std::string& target() const { return target_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  v1::Query::Stub& query() const { return *query_; }
  v1::Ingest::Stub& ingest() const { return *ingest_; }
  v1::Evaluation::Stub& evaluation() const { return *evaluation_; }
  v1::Meta::Stub& meta() const { return *meta_; }

 private:
  TestServer() = default;

  std::unique_ptr<SoundsearchServer> server_;
  std::string target_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Query::Stub> query_;
  std::unique_ptr<v1::Ingest::Stub> ingest_;
  std::unique_ptr<v1::Evaluation::Stub> evaluation_;
  std::unique_ptr<v1::Meta::Stub> meta_;
};

// A client context whose deadline is `timeout` from now and that carries
// `authorization: Bearer <token>` when `token` is not empty.
std::unique_ptr<grpc::ClientContext> CallContext(
    const std::string& token = "",
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// grpc.health.v1.Health/Check of `service` ("" is the whole server) through
// the generic stub (Debian ships no health stubs): the HealthCheckResponse
// bytes ("\x08\x01" is SERVING, "\x08\x02" NOT_SERVING), or the call's
// error.
absl::StatusOr<std::string> HealthCheck(
    const std::shared_ptr<grpc::Channel>& channel,
    const std::string& service = "");

// A unary call of `method` ("/soundsearch.v1.Query/Stats") whose request is
// the bytes `request` as they are (well-typed or not), through the generic
// stub; blocks until it ends. `*response` gets the reply's bytes.
grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                          grpc::ClientContext* context,
                          const std::string& method,
                          const grpc::ByteBuffer& request,
                          std::string* response);

// Checks health until it reports SERVING; DeadlineExceeded (with the last
// answer) when it has not within `timeout`.
absl::Status WaitForServing(
    const std::shared_ptr<grpc::Channel>& channel,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace test
}  // namespace soundsearch

#endif  // SOUNDSEARCH_TESTS_SUPPORT_TEST_SERVER_H_
