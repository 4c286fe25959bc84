// RpcRunner: the common shape of every unary handler. It checks
// authentication for mutating methods, refuses work while the collection is
// loading, moves the work off the gRPC reactor thread onto a bounded worker
// pool, honours the call's deadline and cancellation, maps absl::Status to
// grpc::Status in one place and records the RPC's metrics.
#ifndef SOUNDSEARCH_SERVER_RPC_RUNNER_H_
#define SOUNDSEARCH_SERVER_RPC_RUNNER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server_metrics.h"
#include "worker_pool.h"

namespace soundsearch {

// Checks `authorization: Bearer <token>` metadata. An empty token disables
// the check. Thread-safe (immutable).
class BearerAuth {
 public:
  explicit BearerAuth(std::string token) : token_(std::move(token)) {}
  bool enabled() const { return !token_.empty(); }
  // OK, or UNAUTHENTICATED naming what is missing.
  absl::Status Check(const grpc::CallbackServerContext& context) const;

 private:
  std::string token_;
};

// Thread-safe. All pointers are borrowed and must outlive the runner.
class RpcRunner {
 public:
  RpcRunner(ServerMetrics* metrics, WorkerPool* pool, const BearerAuth* auth,
            const std::atomic<bool>* ready)
      : metrics_(metrics), pool_(pool), auth_(auth), ready_(ready) {}

  enum class Access { kRead, kMutate };

  // Runs `work(deadline)` on the pool and finishes the call with its status.
  // `work` fills the response itself; it runs at most once.
  grpc::ServerUnaryReactor* Run(
      grpc::CallbackServerContext* context, const char* method, Access access,
      std::function<absl::Status(absl::Time deadline)> work) const;

  // Finishes `reactor` now with `status`, recording metrics for `method`
  // started at `start`. For handlers with their own reactor (streams).
  void Finish(grpc::ServerUnaryReactor* reactor, const char* method,
              std::chrono::steady_clock::time_point start,
              const absl::Status& status) const;

  // The checks Run does before queueing: readiness and, for kMutate,
  // authentication.
  absl::Status Admit(const grpc::CallbackServerContext& context,
                     Access access) const;

  ServerMetrics* metrics() const { return metrics_; }

 private:
  ServerMetrics* const metrics_;
  WorkerPool* const pool_;
  const BearerAuth* const auth_;
  const std::atomic<bool>* const ready_;
};

absl::Time DeadlineOf(const grpc::CallbackServerContext& context);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_RPC_RUNNER_H_
