// RpcRunner: the common shape of every handler. It refuses work while the
// server is loading, checks the caller's token against the role the method
// needs (rpc/rpc_roles.h: one table, checked here and nowhere else),
// reserves the request's bytes from the server's RequestBudget, moves the
// work off the gRPC reactor thread onto a bounded worker pool, honours the
// call's deadline and cancellation, maps absl::Status to grpc::Status in one
// place and reports the RPC to an RpcObserver.
#ifndef SOUNDSEARCH_RPC_RPC_RUNNER_H_
#define SOUNDSEARCH_RPC_RPC_RUNNER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message_lite.h"
#include "grpcpp/grpcpp.h"
#include "rpc/bearer_auth.h"
#include "rpc/request_budget.h"
#include "rpc/rpc_observer.h"
#include "soundsearch/worker_pool.h"

namespace soundsearch {

// Thread-safe. All pointers are borrowed and must outlive the runner;
// `observer` and `budget` may be null (no budget: nothing is reserved).
class RpcRunner {
 public:
  RpcRunner(RpcObserver* observer, WorkerPool* pool, const BearerAuth* auth,
            RequestBudget* budget, const std::atomic<bool>* ready)
      : observer_(observer),
        pool_(pool),
        auth_(auth),
        budget_(budget),
        ready_(ready) {}

  // Admits the call (Admit, then the request's serialised size from the
  // budget), runs `work(deadline)` on the pool and finishes the call with its
  // status. `work` fills the response itself; it runs at most once. The
  // request's bytes stay reserved until the call finishes. `method` is the
  // RPC's name in the role table ("QueryByExample").
  grpc::ServerUnaryReactor* Run(
      grpc::CallbackServerContext* context, const char* method,
      const google::protobuf::MessageLite& request,
      std::function<absl::Status(absl::Time deadline)> work) const;

  // Finishes `reactor` now with `status`, reporting `method` started at
  // `start`. For unary handlers with their own flow (uploads).
  void Finish(grpc::ServerUnaryReactor* reactor, const char* method,
              std::chrono::steady_clock::time_point start,
              const absl::Status& status) const;

  // Maps `status` (ToGrpcStatus) and reports `method` started at `start`;
  // the caller finishes its own reactor with the result (streams).
  grpc::Status Complete(const char* method,
                        std::chrono::steady_clock::time_point start,
                        const absl::Status& status) const;

  // The checks Run does before anything else: readiness (UNAVAILABLE), then
  // the token against RequiredRole(method) (UNAUTHENTICATED,
  // PERMISSION_DENIED; PERMISSION_DENIED too for a method without a role).
  absl::Status Admit(const grpc::CallbackServerContext& context,
                     const char* method) const;

  // Reserves `bytes` for a call of `method` (OK and nothing reserved
  // without a budget); ResourceExhausted when they do not fit.
  absl::Status Reserve(int64_t bytes, const char* method,
                       RequestBudget::Reservation* out) const;

  // For another transport (the HTTP API), on the caller's thread: the same
  // admission as Run (readiness, then the token of `authorization`, the
  // value of the request's authorization header or nullopt, against
  // RequiredRole(method)), `request_bytes` reserved from the budget, the same
  // pool (ResourceExhausted when full), the same deadline checks and the
  // same report to the observer under `method`. Blocks until `work` has run
  // on the pool and returns its status.
  absl::Status RunAndWait(
      const char* method, std::optional<absl::string_view> authorization,
      int64_t request_bytes, absl::Time deadline,
      std::function<absl::Status(absl::Time deadline)> work) const;

 private:
  RpcObserver* const observer_;
  WorkerPool* const pool_;
  const BearerAuth* const auth_;
  RequestBudget* const budget_;
  const std::atomic<bool>* const ready_;
};

absl::Time DeadlineOf(const grpc::CallbackServerContext& context);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_RPC_RUNNER_H_
