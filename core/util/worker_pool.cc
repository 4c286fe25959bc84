#include "soundsearch/worker_pool.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace soundsearch {

absl::Status WorkerPool::Validate(const WorkerPoolOptions& options) {
  if (options.threads <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker threads must be > 0, got ", options.threads));
  }
  if (options.max_queue == 0) {
    return absl::InvalidArgumentError("worker queue length must be > 0");
  }
  return absl::OkStatus();
}

WorkerPool::WorkerPool(const WorkerPoolOptions& options) : options_(options) {
  threads_.reserve(options_.threads);
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this] { Loop(); });
  }
}

WorkerPool::~WorkerPool() { Shutdown(); }

absl::Status WorkerPool::TrySubmit(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("server is shutting down");
  if (queue_.size() >= options_.max_queue) {
    return absl::ResourceExhaustedError(
        absl::StrCat("worker queue is full (", options_.max_queue,
                     " tasks waiting); retry later"));
  }
  queue_.push_back(std::move(task));
  return absl::OkStatus();
}

void WorkerPool::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  absl::MutexLock join_lock(&join_mu_);
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

size_t WorkerPool::queue_depth() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void WorkerPool::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkerPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return p->stopping_ || !p->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace soundsearch
