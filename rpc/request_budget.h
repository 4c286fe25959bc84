// RequestBudget: the bytes of requests the server holds at once (calls
// admitted and not finished: queued for a worker, being worked on, uploads
// in the ingest queue, streamed uploads being assembled), across every
// client. A call that would take the total above the budget is refused at
// once with RESOURCE_EXHAUSTED (retry later) instead of waiting in memory:
// with 100 MiB uploads and a 1 GiB budget, at most 10 such uploads are held
// at a time, however many clients send them.
//
// Thread-safe (one atomic counter). Every change is also reported to an
// optional RpcObserver, which keeps the total for /metrics.
#ifndef SOUNDSEARCH_RPC_REQUEST_BUDGET_H_
#define SOUNDSEARCH_RPC_REQUEST_BUDGET_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rpc/rpc_observer.h"

namespace soundsearch {

class RequestBudget {
 public:
  // max_bytes > 0. `observer` (may be null) must outlive the budget.
  explicit RequestBudget(int64_t max_bytes, RpcObserver* observer = nullptr)
      : max_bytes_(max_bytes), observer_(observer) {}
  RequestBudget(const RequestBudget&) = delete;
  RequestBudget& operator=(const RequestBudget&) = delete;

  // Bytes held by one call; given back when destroyed (or by Release).
  // Move-only. A default-constructed one holds nothing.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& other) noexcept;
    Reservation& operator=(Reservation&& other) noexcept;
    ~Reservation() { Release(); }

    // Adds `bytes` to what this call holds: ResourceExhausted (and nothing
    // added) when the budget has not that much left. For uploads that grow
    // chunk by chunk. The reservation must come from TryReserve.
    absl::Status Grow(int64_t bytes, absl::string_view method);
    void Release();
    int64_t bytes() const { return bytes_; }

   private:
    friend class RequestBudget;
    Reservation(RequestBudget* budget, int64_t bytes)
        : budget_(budget), bytes_(bytes) {}
    RequestBudget* budget_ = nullptr;
    int64_t bytes_ = 0;
  };

  // Reserves `bytes` (>= 0) for one call of `method`; ResourceExhausted
  // naming the method and the budget when they do not fit.
  absl::Status TryReserve(int64_t bytes, absl::string_view method,
                          Reservation* out);

  int64_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  int64_t max_bytes() const { return max_bytes_; }

 private:
  bool TryAdd(int64_t bytes);
  void Subtract(int64_t bytes);

  const int64_t max_bytes_;
  RpcObserver* const observer_;
  std::atomic<int64_t> in_use_{0};
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_REQUEST_BUDGET_H_
