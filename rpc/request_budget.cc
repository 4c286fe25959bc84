#include "rpc/request_budget.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace soundsearch {
namespace {

absl::Status Exhausted(absl::string_view method, int64_t bytes,
                       int64_t max_bytes) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "server is busy: ", method, " would take the requests it holds above ",
      max_bytes, " bytes (--request-memory-bytes) with ", bytes,
      " more; retry later"));
}

}  // namespace

bool RequestBudget::TryAdd(int64_t bytes) {
  int64_t current = in_use_.load(std::memory_order_relaxed);
  do {
    if (bytes > max_bytes_ - current) return false;
  } while (!in_use_.compare_exchange_weak(current, current + bytes,
                                          std::memory_order_relaxed));
  if (observer_ != nullptr && bytes != 0) observer_->OnRequestMemory(bytes);
  return true;
}

void RequestBudget::Subtract(int64_t bytes) {
  in_use_.fetch_sub(bytes, std::memory_order_relaxed);
  if (observer_ != nullptr && bytes != 0) observer_->OnRequestMemory(-bytes);
}

absl::Status RequestBudget::TryReserve(int64_t bytes, absl::string_view method,
                                       Reservation* out) {
  out->Release();
  if (bytes < 0) bytes = 0;
  if (!TryAdd(bytes)) return Exhausted(method, bytes, max_bytes_);
  *out = Reservation(this, bytes);
  return absl::OkStatus();
}

RequestBudget::Reservation::Reservation(Reservation&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)) {}

RequestBudget::Reservation& RequestBudget::Reservation::operator=(
    Reservation&& other) noexcept {
  if (this != &other) {
    Release();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

absl::Status RequestBudget::Reservation::Grow(int64_t bytes,
                                              absl::string_view method) {
  if (budget_ == nullptr || bytes <= 0) return absl::OkStatus();
  if (!budget_->TryAdd(bytes)) {
    return Exhausted(method, bytes_ + bytes, budget_->max_bytes_);
  }
  bytes_ += bytes;
  return absl::OkStatus();
}

void RequestBudget::Reservation::Release() {
  if (budget_ != nullptr) {
    budget_->Subtract(bytes_);
  }
  budget_ = nullptr;
  bytes_ = 0;
}

}  // namespace soundsearch
