#include "rpc_runner.h"

#include <exception>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc_status.h"

namespace soundsearch {

absl::Status BearerAuth::Check(const grpc::CallbackServerContext& context) const {
  if (!enabled()) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "this call changes the collection and needs an "
        "`authorization: Bearer <token>` header");
  }
  const std::string value(it->second.data(), it->second.size());
  const std::string expected = "Bearer " + token_;
  // Constant-time comparison: do not leak the token through timing.
  bool same = value.size() == expected.size();
  unsigned char diff = 0;
  for (size_t i = 0; i < value.size() && i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(value[i] ^ expected[i]);
  }
  if (!same || diff != 0) {
    return absl::UnauthenticatedError("bearer token is not valid");
  }
  return absl::OkStatus();
}

absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

absl::Status RpcRunner::Admit(const grpc::CallbackServerContext& context,
                              Access access) const {
  if (!ready_->load(std::memory_order_acquire)) {
    return absl::UnavailableError(
        "server is loading its indexes; retry shortly");
  }
  if (access == Access::kMutate) return auth_->Check(context);
  return absl::OkStatus();
}

void RpcRunner::Finish(grpc::ServerUnaryReactor* reactor, const char* method,
                       std::chrono::steady_clock::time_point start,
                       const absl::Status& status) const {
  grpc::Status grpc_status = ToGrpcStatus(status);
  metrics_->ObserveRpc(
      method, GrpcCodeName(grpc_status.error_code()),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count());
  reactor->Finish(grpc_status);
}

grpc::ServerUnaryReactor* RpcRunner::Run(
    grpc::CallbackServerContext* context, const char* method, Access access,
    std::function<absl::Status(absl::Time deadline)> work) const {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const auto start = std::chrono::steady_clock::now();
  absl::Status admitted = Admit(*context, access);
  if (!admitted.ok()) {
    Finish(reactor, method, start, admitted);
    return reactor;
  }
  const absl::Time deadline = DeadlineOf(*context);
  absl::Status queued = pool_->TrySubmit(
      [this, reactor, context, method, start, deadline,
       work = std::move(work)] {
        absl::Status status;
        if (context->IsCancelled()) {
          status = absl::CancelledError("the client cancelled the call");
        } else if (absl::Now() > deadline) {
          status = absl::DeadlineExceededError(
              "deadline passed before the server could start the call");
        } else {
          try {
            status = work(deadline);
          } catch (const std::exception& e) {
            // A bug in one request must not take the server down.
            status = absl::InternalError(absl::StrCat("internal error: ", e.what()));
          }
          if (status.ok() && absl::Now() > deadline) {
            status = absl::DeadlineExceededError("deadline exceeded");
          }
        }
        Finish(reactor, method, start, status);
      });
  if (!queued.ok()) {
    if (absl::IsResourceExhausted(queued)) {
      queued = absl::ResourceExhaustedError(
          absl::StrCat("server is busy (", method, " queue full); retry later"));
    }
    Finish(reactor, method, start, queued);
  }
  return reactor;
}

}  // namespace soundsearch
