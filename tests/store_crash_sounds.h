// Deterministic sounds shared by store_crash_child (which writes them) and
// store_crash_test (which checks them after killing the child).
#ifndef SOUNDSEARCH_TESTS_STORE_CRASH_SOUNDS_H_
#define SOUNDSEARCH_TESTS_STORE_CRASH_SOUNDS_H_

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/sound_record.h"

namespace soundsearch {
namespace crash_test {

inline constexpr int kDspDim = 100;
inline constexpr int kNeuralDim = 527;
inline const char* const kSpaces[] = {"dsp", "neural"};

inline SoundRecord CrashSound(int round, int index) {
  SoundRecord s;
  s.external_id = absl::StrCat("ext-", round, "-", index);
  s.name = absl::StrCat("round ", round, " sound ", index);
  s.tags = {"crash", absl::StrCat("r", round)};
  s.class_labels = {absl::StrCat("L", index % 5)};
  s.duration_seconds = 0.5 * index;
  s.source = "store_crash_child";
  s.content_hash = Sha256Hex(absl::StrCat("crash content ", round, "/", index));
  s.added_unix_micros = 1000000 + index;
  return s;
}

inline std::string CrashRaw(int round, int index, int dim) {
  std::vector<float> v(dim);
  for (int i = 0; i < dim; ++i) v[i] = round * 1e4f + index + i * 1e-3f;
  std::string out(v.size() * sizeof(float), '\0');
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

inline std::map<std::string, std::string> CrashRawBySpace(int round,
                                                          int index) {
  return {{"dsp", CrashRaw(round, index, kDspDim)},
          {"neural", CrashRaw(round, index, kNeuralDim)}};
}

}  // namespace crash_test
}  // namespace soundsearch

#endif  // SOUNDSEARCH_TESTS_STORE_CRASH_SOUNDS_H_
