// ProgressBar: progress of a bulk job on stderr. On a terminal, one line
// redrawn in place with a bar, rate and ETA; otherwise plain lines at most
// every 10% (or every `plain_every` items), so logs stay readable.
#ifndef SOUNDSEARCH_TOOLS_CLI_PROGRESS_BAR_H_
#define SOUNDSEARCH_TOOLS_CLI_PROGRESS_BAR_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace soundsearch {

// Not thread-safe: call from one thread (or under the caller's lock).
class ProgressBar {
 public:
  // total: items expected (> 0). out: where to draw (stderr).
  ProgressBar(int64_t total, std::FILE* out, bool terminal);

  // Reports `done` items finished; redraws when useful.
  void Update(int64_t done);
  // Draws the final state and ends the line.
  void Finish(int64_t done);

  // "12.3 files/s, ETA 1m05s" for `done` of total after `seconds`.
  static std::string RateAndEta(int64_t done, int64_t total, double seconds);

 private:
  void Draw(int64_t done, bool final);

  const int64_t total_;
  std::FILE* const out_;
  const bool terminal_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  int64_t last_plain_ = -1;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_TOOLS_CLI_PROGRESS_BAR_H_
