// ThreadSanitizer support for the TSan build (scripts/test --sanitize,
// SOUNDSEARCH_SANITIZE=thread): Debian's abseil is not instrumented, so
// TSan cannot see absl::Mutex, absl::CondVar and absl::Notification
// synchronise, and would report every access those guard as a race. This
// file, linked into each test program of that build (never elsewhere),
// interposes their out-of-line members; calls from inside
// libabsl_synchronization and from gRPC go through the PLT and reach these
// too.
//  - Lock, Unlock, their reader and try forms: abseil's own (found with
//    dlsym(RTLD_NEXT)), with TSan's mutex annotations around them.
//  - Await, LockWhen and their timed forms: rebuilt here from those, by
//    evaluating the condition on the calling thread with the lock held and
//    sleeping unlocked between evaluations (a short backoff). abseil's own
//    would evaluate conditions inside its uninstrumented code, also on
//    other threads, where no annotation can say the lock is held.
//  - CondVar waits: abseil's own, the mutex annotated as released during
//    the wait; Notification: a release on Notify, an acquire on waking.
#if !defined(__SANITIZE_THREAD__) && defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define __SANITIZE_THREAD__ 1
#endif
#endif
#ifndef __SANITIZE_THREAD__
#error "tsan_absl_mutex.cc belongs to the ThreadSanitizer build only"
#endif

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

#define SOUNDSEARCH_STR2(x) #x
#define SOUNDSEARCH_STR(x) SOUNDSEARCH_STR2(x)

namespace {

// "_ZN4absl<n><inline namespace>" + `rest` (with K after N for a const
// member): the Itanium mangling of a member of abseil's versioned
// namespace.
void* Real(const char* rest, bool const_member = false) {
  const char* ns = SOUNDSEARCH_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name =
      std::string(const_member ? "_ZNK4absl" : "_ZN4absl") +
      std::to_string(std::strlen(ns)) + ns + rest;
  void* f = dlsym(RTLD_NEXT, name.c_str());
  if (f == nullptr) {
    std::fprintf(stderr, "tsan_absl_mutex: %s not found\n", name.c_str());
    std::abort();
  }
  return f;
}

template <typename F>
F RealAs(const char* rest, bool const_member = false) {
  return reinterpret_cast<F>(Real(rest, const_member));
}

constexpr unsigned kRead = __tsan_mutex_read_lock;

void Acquired(void* mu, unsigned flags) {
  __tsan_mutex_pre_lock(mu, flags);
  __tsan_mutex_post_lock(mu, flags, 0);
}
void Releasing(void* mu, unsigned flags) {
  __tsan_mutex_pre_unlock(mu, flags);
  __tsan_mutex_post_unlock(mu, flags);
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

using Plain = void (*)(Mutex*);
using TryFn = bool (*)(Mutex*);

Mutex::~Mutex() {
  static auto real = RealAs<Plain>("5MutexD1Ev");
  __tsan_mutex_destroy(this, 0);
  real(this);
}

void Mutex::Lock() {
  static auto real = RealAs<Plain>("5Mutex4LockEv");
  __tsan_mutex_pre_lock(this, 0);
  real(this);
  __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::ReaderLock() {
  static auto real = RealAs<Plain>("5Mutex10ReaderLockEv");
  __tsan_mutex_pre_lock(this, kRead);
  real(this);
  __tsan_mutex_post_lock(this, kRead, 0);
}

void Mutex::Unlock() {
  static auto real = RealAs<Plain>("5Mutex6UnlockEv");
  __tsan_mutex_pre_unlock(this, 0);
  real(this);
  __tsan_mutex_post_unlock(this, 0);
}

void Mutex::ReaderUnlock() {
  static auto real = RealAs<Plain>("5Mutex12ReaderUnlockEv");
  __tsan_mutex_pre_unlock(this, kRead);
  real(this);
  __tsan_mutex_post_unlock(this, kRead);
}

bool Mutex::TryLock() {
  static auto real = RealAs<TryFn>("5Mutex7TryLockEv");
  __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
  const bool locked = real(this);
  __tsan_mutex_post_lock(
      this, __tsan_mutex_try_lock | (locked ? 0 : __tsan_mutex_try_lock_failed),
      0);
  return locked;
}

bool Mutex::ReaderTryLock() {
  static auto real = RealAs<TryFn>("5Mutex13ReaderTryLockEv");
  __tsan_mutex_pre_lock(this, kRead | __tsan_mutex_try_lock);
  const bool locked = real(this);
  __tsan_mutex_post_lock(this,
                         kRead | __tsan_mutex_try_lock |
                             (locked ? 0 : __tsan_mutex_try_lock_failed),
                         0);
  return locked;
}

namespace {

// Waits, unlocked, a little longer each time (10 us to 1 ms).
class Backoff {
 public:
  void Pause() {
    struct timespec ts = {0, micros_ * 1000};
    nanosleep(&ts, nullptr);
    micros_ = micros_ < 1000 ? micros_ * 2 : 1000;
  }

 private:
  long micros_ = 10;
};

// Evaluates `cond` with `mu` held until it holds or `deadline` passes;
// true when it holds. `mu` is held on return either way.
bool WaitHolding(Mutex* mu, const Condition& cond, bool reader, Time deadline) {
  Backoff backoff;
  for (;;) {
    if (cond.Eval()) return true;
    if (Now() >= deadline) return false;
    if (reader) {
      mu->ReaderUnlock();
      backoff.Pause();
      mu->ReaderLock();
    } else {
      mu->Unlock();
      backoff.Pause();
      mu->Lock();
    }
  }
}

}  // namespace

void Mutex::LockWhen(const Condition& cond) {
  Lock();
  WaitHolding(this, cond, false, InfiniteFuture());
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  ReaderLock();
  WaitHolding(this, cond, true, InfiniteFuture());
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  const Time deadline = Now() + timeout;
  Lock();
  return WaitHolding(this, cond, false, deadline);
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  Lock();
  return WaitHolding(this, cond, false, deadline);
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  const Time deadline = Now() + timeout;
  ReaderLock();
  return WaitHolding(this, cond, true, deadline);
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  ReaderLock();
  return WaitHolding(this, cond, true, deadline);
}

// Await is called with the mutex held (a writer lock: abseil's Await does
// not take reader locks) and returns with it held.
void Mutex::Await(const Condition& cond) {
  WaitHolding(this, cond, false, InfiniteFuture());
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  return WaitHolding(this, cond, false, Now() + timeout);
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  return WaitHolding(this, cond, false, deadline);
}

// CondVar waits release `mu` and hold it again on return.
void CondVar::Wait(Mutex* mu) {
  static auto real =
      RealAs<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEPNS0_5MutexE");
  Releasing(mu, 0);
  real(this, mu);
  Acquired(mu, 0);
}

// abseil's own WaitWithTimeout calls WaitWithDeadline, which resolves to the
// one below: going there directly annotates the release and the re-lock
// once (annotating here too reported "unlock of an unlocked mutex").
bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  return WaitWithDeadline(mu, Now() + timeout);
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static auto real = RealAs<bool (*)(CondVar*, Mutex*, Time)>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Releasing(mu, 0);
  const bool r = real(this, mu, deadline);
  Acquired(mu, 0);
  return r;
}

// A notification publishes what its notifier did before Notify to whoever
// sees it notified.
void Notification::Notify() {
  static auto real = RealAs<void (*)(Notification*)>("12Notification6NotifyEv");
  __tsan_release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  static auto real = RealAs<void (*)(const Notification*)>(
      "12Notification19WaitForNotificationEv", /*const_member=*/true);
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  static auto real = RealAs<bool (*)(const Notification*, Duration)>(
      "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE",
      /*const_member=*/true);
  const bool r = real(this, timeout);
  if (r) __tsan_acquire(const_cast<Notification*>(this));
  return r;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  static auto real = RealAs<bool (*)(const Notification*, Time)>(
      "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE",
      /*const_member=*/true);
  const bool r = real(this, deadline);
  if (r) __tsan_acquire(const_cast<Notification*>(this));
  return r;
}

ABSL_NAMESPACE_END
}  // namespace absl
