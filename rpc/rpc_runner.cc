#include "rpc/rpc_runner.h"

#include <exception>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "rpc/grpc_status.h"
#include "rpc/rpc_roles.h"

namespace soundsearch {

absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

absl::Status RpcRunner::Admit(const grpc::CallbackServerContext& context,
                              const char* method) const {
  if (!ready_->load(std::memory_order_acquire)) {
    return absl::UnavailableError(
        "server is loading its indexes; retry shortly");
  }
  const std::optional<Role> role = RequiredRole(method);
  if (!role.has_value()) {
    // A handler whose method is missing from the role table: fail closed.
    return absl::PermissionDeniedError(
        absl::StrCat(method, " has no role in the server's role table"));
  }
  return auth_->Check(context, method, *role);
}

absl::Status RpcRunner::Reserve(int64_t bytes, const char* method,
                                RequestBudget::Reservation* out) const {
  if (budget_ == nullptr) return absl::OkStatus();
  return budget_->TryReserve(bytes, method, out);
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
    grpc::CallbackServerContext* context, const char* method,
    const google::protobuf::MessageLite& request,
    std::function<absl::Status(absl::Time deadline)> work) const {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const auto start = std::chrono::steady_clock::now();
  absl::Status admitted = Admit(*context, method);
  // The request stays in memory until the call finishes: its bytes count
  // against the budget while it waits in the pool's queue and runs.
  auto reservation = std::make_shared<RequestBudget::Reservation>();
  if (admitted.ok()) {
    admitted = Reserve(static_cast<int64_t>(request.ByteSizeLong()), method,
                       reservation.get());
  }
  if (!admitted.ok()) {
    Finish(reactor, method, start, admitted);
    return reactor;
  }
  const absl::Time deadline = DeadlineOf(*context);
  absl::Status queued =
      pool_->TrySubmit([this, reactor, context, method, start, deadline,
                        reservation, work = std::move(work)] {
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
            status =
                absl::InternalError(absl::StrCat("internal error: ", e.what()));
          }
          if (status.ok() && absl::Now() > deadline) {
            status = absl::DeadlineExceededError("deadline exceeded");
          }
        }
        reservation->Release();
        Finish(reactor, method, start, status);
      });
  if (!queued.ok()) {
    if (absl::IsResourceExhausted(queued)) {
      queued = absl::ResourceExhaustedError(absl::StrCat(
          "server is busy (", method, " queue full); retry later"));
    }
    Finish(reactor, method, start, queued);
  }
  return reactor;
}

absl::Status RpcRunner::RunAndWait(
    const char* method, std::optional<absl::string_view> authorization,
    int64_t request_bytes, absl::Time deadline,
    std::function<absl::Status(absl::Time deadline)> work) const {
  const auto start = std::chrono::steady_clock::now();
  absl::Status status;
  const std::optional<Role> role = RequiredRole(method);
  if (!ready_->load(std::memory_order_acquire)) {
    status =
        absl::UnavailableError("server is loading its indexes; retry shortly");
  } else if (!role.has_value()) {
    status = absl::PermissionDeniedError(
        absl::StrCat(method, " has no role in the server's role table"));
  } else {
    status = auth_->CheckHeader(authorization, method, *role);
  }
  RequestBudget::Reservation reservation;
  if (status.ok()) status = Reserve(request_bytes, method, &reservation);
  if (!status.ok()) {
    Complete(method, start, status);
    return status;
  }
  absl::Notification done;
  absl::Status queued = pool_->TrySubmit([&] {
    if (absl::Now() > deadline) {
      status = absl::DeadlineExceededError(
          "deadline passed before the server could start the call");
    } else {
      try {
        status = work(deadline);
      } catch (const std::exception& e) {
        status =
            absl::InternalError(absl::StrCat("internal error: ", e.what()));
      }
      if (status.ok() && absl::Now() > deadline) {
        status = absl::DeadlineExceededError("deadline exceeded");
      }
    }
    done.Notify();
  });
  if (!queued.ok()) {
    if (absl::IsResourceExhausted(queued)) {
      queued = absl::ResourceExhaustedError(absl::StrCat(
          "server is busy (", method, " queue full); retry later"));
    }
    status = queued;
  } else {
    done.WaitForNotification();
  }
  reservation.Release();
  Complete(method, start, status);
  return status;
}

}  // namespace soundsearch
