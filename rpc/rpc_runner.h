// RpcRunner: the common shape of every unary handler. It checks
// authentication for mutating methods, refuses work while the server is
// loading, moves the work off the gRPC reactor thread onto a bounded worker
// pool, honours the call's deadline and cancellation, maps absl::Status to
// grpc::Status in one place and reports the RPC to an RpcObserver.
#ifndef SOUNDSEARCH_RPC_RPC_RUNNER_H_
#define SOUNDSEARCH_RPC_RPC_RUNNER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "rpc/bearer_auth.h"
#include "rpc/rpc_observer.h"
#include "soundsearch/worker_pool.h"

namespace soundsearch {

// Thread-safe. All pointers are borrowed and must outlive the runner;
// `observer` may be null.
class RpcRunner {
 public:
  RpcRunner(RpcObserver* observer, WorkerPool* pool, const BearerAuth* auth,
            const std::atomic<bool>* ready)
      : observer_(observer), pool_(pool), auth_(auth), ready_(ready) {}

  enum class Access { kRead, kMutate };

  // Runs `work(deadline)` on the pool and finishes the call with its status.
  // `work` fills the response itself; it runs at most once.
  grpc::ServerUnaryReactor* Run(
      grpc::CallbackServerContext* context, const char* method, Access access,
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

  // The checks Run does before queueing: readiness and, for kMutate,
  // authentication.
  absl::Status Admit(const grpc::CallbackServerContext& context,
                     Access access) const;

  // For another transport (the HTTP API), on the caller's thread: the same
  // admission (readiness; for kMutate the `authorization` header value,
  // `has_authorization` false when the request has none), the same pool
  // (ResourceExhausted when full), the same deadline check and the same
  // report to the observer, under `method`. Blocks until `work` has run on
  // the pool and returns its status.
  absl::Status RunAndWait(
      const char* method, Access access, bool has_authorization,
      std::string_view authorization, absl::Time deadline,
      std::function<absl::Status(absl::Time deadline)> work) const;

 private:
  RpcObserver* const observer_;
  WorkerPool* const pool_;
  const BearerAuth* const auth_;
  const std::atomic<bool>* const ready_;
};

absl::Time DeadlineOf(const grpc::CallbackServerContext& context);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_RPC_RUNNER_H_
