#include "support/test_server.h"

#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/generic_stub.h"

namespace soundsearch {
namespace test {
namespace {

constexpr char kServing[] = "\x08\x01";  // HealthCheckResponse{SERVING}

}  // namespace

ServerOptions LoopbackServerOptions(const std::string& data_dir) {
  ServerOptions options;
  options.data_dir = data_dir;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "";
  options.http_listen = "";
  return options;
}

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::Start(
    const ServerOptions& options,
    std::shared_ptr<grpc::ChannelCredentials> credentials,
    const std::string& host) {
  auto started = SoundsearchServer::Start(options);
  if (!started.ok()) return started.status();
  std::unique_ptr<TestServer> t(new TestServer());
  t->server_ = *std::move(started);
  t->target_ = absl::StrCat(host, ":", t->server_->port());
  t->channel_ = grpc::CreateChannel(t->target_, std::move(credentials));
  absl::Status serving = WaitForServing(t->channel_);
  if (!serving.ok()) return serving;
  t->query_ = v1::Query::NewStub(t->channel_);
  t->ingest_ = v1::Ingest::NewStub(t->channel_);
  t->evaluation_ = v1::Evaluation::NewStub(t->channel_);
  t->meta_ = v1::Meta::NewStub(t->channel_);
  return t;
}

TestServer::~TestServer() {
  if (server_ != nullptr) server_->Shutdown();
}

std::unique_ptr<grpc::ClientContext> CallContext(
    const std::string& token, std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!token.empty()) {
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
  return ctx;
}

absl::StatusOr<std::string> HealthCheck(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  grpc::GenericStub generic(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue cq;
  // HealthCheckRequest{service}: field 1, length-delimited (names < 128 B).
  std::string request_bytes;
  if (!service.empty()) {
    request_bytes =
        std::string("\x0a", 1) + static_cast<char>(service.size()) + service;
  }
  grpc::Slice encoded(request_bytes);
  grpc::ByteBuffer request(&encoded, 1);
  auto call = generic.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check",
                                       request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  const bool got = cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!got) return absl::InternalError("health check: no completion");
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("health check: ", status.error_message()));
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    return absl::InternalError("health check: unreadable response");
  }
  std::string bytes;
  for (const auto& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                          grpc::ClientContext* context,
                          const std::string& method,
                          const grpc::ByteBuffer& request,
                          std::string* response) {
  grpc::GenericStub generic(channel);
  grpc::ByteBuffer reply;
  absl::Mutex mu;
  bool done = false;
  grpc::Status result;
  generic.UnaryCall(context, method, grpc::StubOptions(), &request, &reply,
                    [&](grpc::Status status) {
                      absl::MutexLock lock(&mu);
                      result = std::move(status);
                      done = true;
                    });
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&done));
  }
  response->clear();
  std::vector<grpc::Slice> slices;
  if (result.ok() && reply.Dump(&slices).ok()) {
    for (const auto& slice : slices) {
      response->append(reinterpret_cast<const char*>(slice.begin()),
                       slice.size());
    }
  }
  return result;
}

absl::Status WaitForServing(const std::shared_ptr<grpc::Channel>& channel,
                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  for (;;) {
    absl::StatusOr<std::string> health = HealthCheck(channel);
    if (health.ok() && *health == std::string(kServing, 2)) {
      return absl::OkStatus();
    }
    last = health.ok() ? absl::StrCat("response bytes \"",
                                      absl::CHexEscape(*health), "\"")
                       : health.status().ToString();
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("server not SERVING in time; last answer: ", last));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace test
}  // namespace soundsearch
