// RequestBudget (rpc/request_budget.h): reservations up to the budget,
// refused beyond it, given back when released or destroyed, grown chunk by
// chunk, from many threads at once.
#include "rpc/request_budget.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

TEST(RequestBudgetTest, ReservesUpToTheBudgetAndGivesBack) {
  RequestBudget budget(100);
  RequestBudget::Reservation a, b, c;
  ASSERT_TRUE(budget.TryReserve(60, "AddSound", &a).ok());
  ASSERT_TRUE(budget.TryReserve(40, "AddSound", &b).ok());
  EXPECT_EQ(budget.in_use(), 100);
  absl::Status full = budget.TryReserve(1, "QueryByExample", &c);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(full.message(), "QueryByExample"));
  EXPECT_EQ(c.bytes(), 0);
  a.Release();
  EXPECT_EQ(budget.in_use(), 40);
  {
    RequestBudget::Reservation scoped;
    ASSERT_TRUE(budget.TryReserve(60, "AddSound", &scoped).ok());
    EXPECT_EQ(budget.in_use(), 100);
  }
  EXPECT_EQ(budget.in_use(), 40);
  RequestBudget::Reservation moved = std::move(b);
  EXPECT_EQ(budget.in_use(), 40);
  moved = RequestBudget::Reservation();
  EXPECT_EQ(budget.in_use(), 0);
}

TEST(RequestBudgetTest, GrowsUntilTheBudgetIsSpent) {
  RequestBudget budget(10);
  RequestBudget::Reservation stream;
  ASSERT_TRUE(budget.TryReserve(0, "AddSoundStream", &stream).ok());
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(stream.Grow(1, "AddSoundStream").ok());
  EXPECT_EQ(stream.Grow(1, "AddSoundStream").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(stream.bytes(), 10);
  stream.Release();
  EXPECT_EQ(budget.in_use(), 0);
}

TEST(RequestBudgetTest, ManyThreadsNeverExceedTheBudget) {
  RequestBudget budget(1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&budget] {
      for (int i = 0; i < 20000; ++i) {
        RequestBudget::Reservation r;
        if (budget.TryReserve(300, "X", &r).ok()) {
          EXPECT_LE(budget.in_use(), 1000);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(budget.in_use(), 0);
}

// Keeps the running sum of OnRequestMemory's deltas, as the server's gauge
// does.
class SummingObserver : public RpcObserver {
 public:
  void OnRpc(std::string_view, std::string_view, double) override {}
  void OnRequestMemory(int64_t delta_bytes) override {
    held_.fetch_add(delta_bytes);
    if (delta_bytes == 0) zero_deltas_.fetch_add(1);
  }
  int64_t held() const { return held_.load(); }
  int zero_deltas() const { return zero_deltas_.load(); }

 private:
  std::atomic<int64_t> held_{0};
  std::atomic<int> zero_deltas_{0};
};

TEST(RequestBudgetTest, ReportsEveryChangeToItsObserver) {
  SummingObserver observer;
  RequestBudget budget(100, &observer);
  RequestBudget::Reservation a, stream, refused;
  ASSERT_TRUE(budget.TryReserve(60, "AddSound", &a).ok());
  EXPECT_EQ(observer.held(), 60);
  ASSERT_TRUE(budget.TryReserve(0, "AddSoundStream", &stream).ok());
  ASSERT_TRUE(stream.Grow(30, "AddSoundStream").ok());
  EXPECT_EQ(observer.held(), 90);
  EXPECT_FALSE(stream.Grow(11, "AddSoundStream").ok());  // refused: no change
  EXPECT_FALSE(budget.TryReserve(20, "QueryByExample", &refused).ok());
  EXPECT_EQ(observer.held(), 90);
  a.Release();
  EXPECT_EQ(observer.held(), 30);
  stream = RequestBudget::Reservation();
  EXPECT_EQ(observer.held(), 0);
  EXPECT_EQ(observer.zero_deltas(), 0);  // empty changes are not reported
  // From many threads at once, the sum stays the bytes held.
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&budget, &observer] {
      for (int i = 0; i < 5000; ++i) {
        RequestBudget::Reservation r;
        if (budget.TryReserve(7, "X", &r).ok()) r.Grow(3, "X").IgnoreError();
        EXPECT_GE(observer.held(), 0);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(observer.held(), 0);
  EXPECT_EQ(budget.in_use(), 0);
}

}  // namespace
}  // namespace soundsearch
