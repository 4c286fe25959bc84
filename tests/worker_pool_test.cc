#include "soundsearch/worker_pool.h"

#include <atomic>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskAndDrainsOnShutdown) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool({.threads = 2, .max_queue = 1000});
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE(pool.TrySubmit([&ran] { ran.fetch_add(1); }).ok());
    }
    pool.Shutdown();
    EXPECT_EQ(ran.load(), 500);
  }
  EXPECT_EQ(ran.load(), 500);
}

TEST(WorkerPoolTest, FullQueueIsResourceExhausted) {
  WorkerPool pool({.threads = 1, .max_queue = 2});
  absl::Notification release;
  absl::Notification started;
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.Notify();
    release.WaitForNotification();
  }).ok());
  started.WaitForNotification();  // the worker is busy; queue is empty
  EXPECT_TRUE(pool.TrySubmit([] {}).ok());
  EXPECT_TRUE(pool.TrySubmit([] {}).ok());
  EXPECT_EQ(pool.queue_depth(), 2u);
  absl::Status full = pool.TrySubmit([] {});
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find("full"), absl::string_view::npos);
  release.Notify();
  pool.Shutdown();
  EXPECT_EQ(pool.queue_depth(), 0u);
}

TEST(WorkerPoolTest, RefusesAfterShutdownAndValidatesOptions) {
  WorkerPool pool({.threads = 1, .max_queue = 1});
  pool.Shutdown();
  EXPECT_EQ(pool.TrySubmit([] {}).code(), absl::StatusCode::kUnavailable);
  pool.Shutdown();  // idempotent
  EXPECT_EQ(WorkerPool::Validate({.threads = 0, .max_queue = 1}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WorkerPool::Validate({.threads = 1, .max_queue = 0}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(WorkerPool::Validate({}).ok());
}

}  // namespace
}  // namespace soundsearch
