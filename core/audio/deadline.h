// Deadline: a wall-clock limit on one decoding call, checked from FFmpeg's
// callbacks. Thread-safe (immutable after construction).
#ifndef SOUNDSEARCH_AUDIO_DEADLINE_H_
#define SOUNDSEARCH_AUDIO_DEADLINE_H_

#include <chrono>

namespace soundsearch {

class Deadline {
 public:
  // seconds <= 0 means no limit.
  explicit Deadline(double seconds)
      : unlimited_(seconds <= 0),
        end_(std::chrono::steady_clock::now() +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                 std::chrono::duration<double>(unlimited_ ? 0.0 : seconds))) {}

  bool Expired() const {
    return !unlimited_ && std::chrono::steady_clock::now() >= end_;
  }

 private:
  bool unlimited_;
  std::chrono::steady_clock::time_point end_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_AUDIO_DEADLINE_H_
