// RpcObserver: what the RPC layer reports about finished calls and about the
// request bytes it holds (rpc/request_budget.h). The server's
// metrics (server/server_metrics.h) implement it; the rpc layer itself never
// depends on Prometheus.
#ifndef SOUNDSEARCH_RPC_RPC_OBSERVER_H_
#define SOUNDSEARCH_RPC_RPC_OBSERVER_H_

#include <cstdint>
#include <string_view>

namespace soundsearch {

// Implementations must be thread-safe: calls come from any gRPC or worker
// thread.
class RpcObserver {
 public:
  virtual ~RpcObserver() = default;
  // One finished RPC: `method` is the short name ("QueryByExample"), `code`
  // the gRPC status code name ("OK", "NOT_FOUND", ...), `seconds` the time
  // from its arrival to its answer.
  virtual void OnRpc(std::string_view method, std::string_view code,
                     double seconds) = 0;
  // The bytes of requests the server holds changed by `delta_bytes`
  // (positive: reserved, negative: given back); their running sum is the
  // bytes held now.
  virtual void OnRequestMemory(int64_t delta_bytes) {}
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_RPC_OBSERVER_H_
