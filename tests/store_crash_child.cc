// Helper process of store_crash_test: opens the store at argv[1] and, for
// round argv[2], adds CrashSound(round, 0), CrashSound(round, 1)... forever,
// deleting every 5th acknowledged sound right after it is added. Each
// acknowledged operation is printed (and flushed) only after the store call
// returned OK:
//   A <index> <id> <sequence>
//   D <id> <sequence>
// The parent kills it with SIGKILL at a random moment.
#include <cstdio>
#include <cstdlib>

#include "soundsearch/sound_store.h"
#include "store_crash_sounds.h"

int main(int argc, char** argv) {
  using namespace soundsearch;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <store path> <round>\n", argv[0]);
    return 2;
  }
  const int round = std::atoi(argv[2]);
  SoundStoreOptions options;
  options.path = argv[1];
  auto store = SoundStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  for (int index = 0;; ++index) {
    auto added = (*store)->AddSound(crash_test::CrashSound(round, index),
                                    crash_test::CrashRawBySpace(round, index));
    if (!added.ok() || added->duplicate) {
      std::fprintf(stderr, "add %d: %s\n", index,
                   added.ok() ? "unexpected duplicate"
                              : added.status().ToString().c_str());
      return 1;
    }
    std::printf("A %d %llu %llu\n", index,
                static_cast<unsigned long long>(added->id),
                static_cast<unsigned long long>(added->sequence));
    std::fflush(stdout);
    if (index % 5 == 4) {
      auto deleted = (*store)->DeleteSound(added->id);
      if (!deleted.ok()) {
        std::fprintf(stderr, "delete: %s\n",
                     deleted.status().ToString().c_str());
        return 1;
      }
      std::printf("D %llu %llu\n", static_cast<unsigned long long>(added->id),
                  static_cast<unsigned long long>(*deleted));
      std::fflush(stdout);
    }
  }
}
