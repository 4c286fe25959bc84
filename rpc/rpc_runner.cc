#include "rpc/rpc_runner.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rpc/grpc_status.h"

namespace soundsearch {

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

grpc::Status RpcRunner::Complete(const char* method,
                                 std::chrono::steady_clock::time_point start,
                                 const absl::Status& status) const {
  grpc::Status grpc_status = ToGrpcStatus(status);
  if (observer_ != nullptr) {
    observer_->OnRpc(
        method, GrpcCodeName(grpc_status.error_code()),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  return grpc_status;
}

void RpcRunner::Finish(grpc::ServerUnaryReactor* reactor, const char* method,
                       std::chrono::steady_clock::time_point start,
                       const absl::Status& status) const {
  reactor->Finish(Complete(method, start, status));
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
