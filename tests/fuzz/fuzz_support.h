// Shared by the libFuzzer targets of tests/fuzz: the contract check that
// turns a broken invariant into a crash libFuzzer reports, and the seeds a
// target writes when run_fuzzer.sh asks for them.
#ifndef SOUNDSEARCH_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define SOUNDSEARCH_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace soundsearch {
namespace fuzz {

// Aborts (a crash libFuzzer records with its input) when `condition` fails.
inline void Check(bool condition, const char* fuzzer, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "%s: contract broken: %s\n", fuzzer, what);
    std::abort();
  }
}

// When SOUNDSEARCH_FUZZ_WRITE_SEEDS names a folder, writes `seeds` there
// (seed_0, seed_1, ...) and exits 0: run_fuzzer.sh makes the starting
// corpus this way, from the code's own writers.
inline void WriteSeedsIfAsked(const std::vector<std::string>& seeds) {
  const char* dir = std::getenv("SOUNDSEARCH_FUZZ_WRITE_SEEDS");
  if (dir == nullptr || *dir == '\0') return;
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream out(std::string(dir) + "/seed_" + std::to_string(i),
                      std::ios::binary);
    out.write(seeds[i].data(), static_cast<std::streamsize>(seeds[i].size()));
    if (!out) {
      std::fprintf(stderr, "cannot write seed %zu into %s\n", i, dir);
      std::exit(1);
    }
  }
  std::fprintf(stderr, "wrote %zu seeds into %s\n", seeds.size(), dir);
  std::exit(0);
}

}  // namespace fuzz
}  // namespace soundsearch

#endif  // SOUNDSEARCH_TESTS_FUZZ_FUZZ_SUPPORT_H_
