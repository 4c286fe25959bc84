#include "tools/progress_bar.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace soundsearch {
namespace {

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

}  // namespace

ProgressBar::ProgressBar(int64_t total, std::FILE* out, bool terminal)
    : total_(std::max<int64_t>(total, 1)),
      out_(out),
      terminal_(terminal),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

std::string ProgressBar::RateAndEta(int64_t done, int64_t total,
                                    double seconds) {
  const double rate = seconds > 0 ? done / seconds : 0;
  const double eta = rate > 0 ? (total - done) / rate : -1;
  return absl::StrFormat("%.1f files/s, ETA %s", rate, FormatDuration(eta));
}

void ProgressBar::Update(int64_t done) { Draw(done, /*final=*/false); }

void ProgressBar::Finish(int64_t done) { Draw(done, /*final=*/true); }

void ProgressBar::Draw(int64_t done, bool final) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const int percent = static_cast<int>(100 * done / total_);
  if (terminal_) {
    if (!final && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / total_);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, ' ');
    std::fprintf(out_, "\r[%s] %lld/%lld %3d%% %s\x1b[K", bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_),
                 percent, RateAndEta(done, total_, seconds).c_str());
    if (final) std::fprintf(out_, "\n");
  } else {
    const int64_t step = std::max<int64_t>(total_ / 10, 1);
    if (!final && done / step == last_plain_) return;
    last_plain_ = done / step;
    std::fprintf(out_, "progress: %lld/%lld (%d%%) %s\n",
                 static_cast<long long>(done), static_cast<long long>(total_),
                 percent, RateAndEta(done, total_, seconds).c_str());
  }
  std::fflush(out_);
}

}  // namespace soundsearch
