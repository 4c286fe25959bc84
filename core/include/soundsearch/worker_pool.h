// WorkerPool: a fixed set of threads draining a bounded FIFO of tasks. The
// ingest pipeline runs decode+embed+store on it and the RPC runner runs the
// query and admin handlers on it, so that gRPC reactors never block, and so
// that a flood of work is refused (ResourceExhausted) instead of exhausting
// memory.
#ifndef SOUNDSEARCH_WORKER_POOL_H_
#define SOUNDSEARCH_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace soundsearch {

struct WorkerPoolOptions {
  int threads = 2;          // > 0
  size_t max_queue = 256;   // tasks waiting (not counting running ones), > 0
};

// Thread-safe: every method may be called from any thread.
class WorkerPool {
 public:
  // options must be valid (threads > 0, max_queue > 0); checked by Validate.
  explicit WorkerPool(const WorkerPoolOptions& options);
  // Shuts down (draining queued tasks) and joins the threads.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  static absl::Status Validate(const WorkerPoolOptions& options);

  // Queues `task`. ResourceExhausted when max_queue tasks are already
  // waiting; Unavailable once Shutdown has begun. A task must not throw.
  absl::Status TrySubmit(std::function<void()> task);

  // Stops accepting tasks, runs every task already queued, joins the
  // threads. Idempotent.
  void Shutdown();

  // Tasks waiting (not yet started).
  size_t queue_depth() const;

 private:
  void Loop();

  const WorkerPoolOptions options_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
  absl::Mutex join_mu_;  // serialises Shutdown's join
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_WORKER_POOL_H_
