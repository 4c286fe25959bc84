#include "text/word_suggestions.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "soundsearch/text_terms.h"

namespace soundsearch {

int EditDistance(absl::string_view a, absl::string_view b) {
  const size_t n = a.size(), m = b.size();
  // Three rows: i - 2, i - 1, i.
  std::vector<int> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::vector<std::string> NearestKnownWords(
    const std::vector<std::string>& words,
    const std::vector<std::string>& vocabulary, int max) {
  std::set<std::string> known;
  for (const std::string& phrase : vocabulary) {
    for (std::string& w : SplitWords(phrase)) known.insert(std::move(w));
  }
  const std::set<std::string> asked(words.begin(), words.end());
  // (distance, query word index, word)
  std::vector<std::tuple<int, size_t, std::string>> ranked;
  for (const std::string& candidate : known) {
    if (asked.count(candidate) > 0) continue;
    int best = -1;
    size_t best_word = 0;
    for (size_t i = 0; i < words.size(); ++i) {
      const int d = EditDistance(words[i], candidate);
      if (best < 0 || d < best) {
        best = d;
        best_word = i;
      }
    }
    if (best >= 0) ranked.emplace_back(best, best_word, candidate);
  }
  const size_t n =
      std::min(ranked.size(), static_cast<size_t>(std::max(0, max)));
  std::partial_sort(ranked.begin(), ranked.begin() + n, ranked.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(std::get<2>(ranked[i]));
  return out;
}

}  // namespace soundsearch
