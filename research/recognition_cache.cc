#include "research/recognition_cache.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace soundsearch {
namespace {

constexpr absl::string_view kKeyPrefix = "# recognition ";
constexpr size_t kColumns = 6;

bool HasLineBreak(absl::string_view s) {
  return s.find_first_of("\r\n") != absl::string_view::npos;
}

// Reads "name:number" items separated by spaces; false for an item without
// a number.
template <typename Fn>
bool ForEachItem(absl::string_view column, Fn fn) {
  for (absl::string_view item :
       absl::StrSplit(column, ' ', absl::SkipEmpty())) {
    const size_t colon = item.rfind(':');
    float number = 0;
    if (colon == absl::string_view::npos || colon == 0 ||
        !absl::SimpleAtof(item.substr(colon + 1), &number)) {
      return false;
    }
    fn(std::string(item.substr(0, colon)), number);
  }
  return true;
}

absl::StatusOr<SpokenContent> ParseLine(const std::vector<std::string>& parts) {
  SpokenContent c;
  if (parts[1] != "0" && parts[1] != "1") {
    return absl::DataLossError("truncated is neither 0 nor 1");
  }
  c.truncated = parts[1] == "1";
  if (!ForEachItem(parts[2], [&c](std::string word, float confidence) {
        SpokenWord w;
        w.word = std::move(word);
        w.confidence = confidence;
        c.words.push_back(std::move(w));
      })) {
    return absl::DataLossError("bad word:confidence item");
  }
  c.phones = absl::StrSplit(parts[3], ' ', absl::SkipEmpty());
  if (!ForEachItem(parts[4], [&c](std::string word, float count) {
        c.lattice.push_back({std::move(word), count});
      })) {
    return absl::DataLossError("bad lattice word:count item");
  }
  std::vector<absl::string_view> scores =
      absl::StrSplit(parts[5], ' ', absl::SkipEmpty());
  if (scores.size() != 2 ||
      !absl::SimpleAtof(scores[0], &c.word_score_per_frame) ||
      !absl::SimpleAtof(scores[1], &c.phone_score_per_frame)) {
    return absl::DataLossError("bad scores");
  }
  return c;
}

}  // namespace

absl::Status WriteRecognitionCache(const std::string& path,
                                   absl::string_view key,
                                   const std::vector<std::string>& ids,
                                   const std::vector<SpokenContent>& spoken) {
  if (ids.size() != spoken.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("recognition cache: ", ids.size(), " ids but ",
                     spoken.size(), " recognitions"));
  }
  if (key.empty() || HasLineBreak(key)) {
    return absl::InvalidArgumentError(
        "recognition cache: the key must be one non-empty line");
  }
  for (const std::string& id : ids) {
    if (id.empty() || id.find('\t') != std::string::npos || HasLineBreak(id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("recognition cache: id \"", id,
                       "\" is empty or holds a tab or line break"));
    }
  }
  const std::string temp = path + ".tmp";
  {
    std::ofstream f(temp, std::ios::binary | std::ios::trunc);
    f << kKeyPrefix << key << "\n";
    for (size_t i = 0; i < ids.size(); ++i) {
      const SpokenContent& c = spoken[i];
      std::vector<std::string> words;
      for (const SpokenWord& w : c.words) {
        words.push_back(absl::StrFormat("%s:%.4f", w.word, w.confidence));
      }
      std::vector<std::string> lattice;
      for (const LatticeWord& w : c.lattice) {
        lattice.push_back(absl::StrFormat("%s:%.4f", w.word, w.expected_count));
      }
      f << ids[i] << "\t" << (c.truncated ? 1 : 0) << "\t"
        << absl::StrJoin(words, " ") << "\t" << absl::StrJoin(c.phones, " ")
        << "\t" << absl::StrJoin(lattice, " ") << "\t"
        << absl::StrFormat("%.5f %.5f", c.word_score_per_frame,
                           c.phone_score_per_frame)
        << "\n";
    }
    f.close();
    if (!f) {
      std::remove(temp.c_str());
      return absl::InternalError(
          absl::StrCat("recognition cache: cannot write ", temp));
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(temp.c_str());
    return absl::InternalError(absl::StrCat("recognition cache: cannot rename ",
                                            temp, ": ", std::strerror(e)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SpokenContent>> ReadRecognitionCache(
    const std::string& path, absl::string_view key,
    const std::vector<std::string>& ids) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  std::string line;
  if (!std::getline(f, line) || !absl::StartsWith(line, kKeyPrefix)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": written before recognition caches were keyed"));
  }
  if (absl::string_view(line).substr(kKeyPrefix.size()) != key) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": recognised with other options (",
                     absl::string_view(line).substr(kKeyPrefix.size()), ")"));
  }
  std::map<std::string, SpokenContent> by_id;
  int line_number = 1;
  while (std::getline(f, line)) {
    ++line_number;
    std::vector<std::string> parts = absl::StrSplit(line, '\t');
    absl::StatusOr<SpokenContent> c =
        parts.size() == kColumns
            ? ParseLine(parts)
            : absl::DataLossError(
                  absl::StrCat(parts.size(), " columns, not ", kColumns));
    if (!c.ok()) {
      return absl::DataLossError(
          absl::StrCat(path, ":", line_number, ": ", c.status().message()));
    }
    by_id[parts[0]] = std::move(c).value();
  }
  std::vector<SpokenContent> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      return absl::NotFoundError(absl::StrCat(path, ": no entry for ", id));
    }
    out.push_back(it->second);
  }
  return out;
}

}  // namespace soundsearch
