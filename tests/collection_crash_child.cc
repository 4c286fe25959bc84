// Child process of collection_crash_test: opens the collection in argv[1]
// and adds distinct generated sounds in a loop, printing "ACK <id>" on
// stdout (flushed) after each Add returns. It runs until killed.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "soundsearch/sound_collection.h"
#include "support/test_audio.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: collection_crash_child DATA_DIR FIRST_N\n");
    return 2;
  }
  soundsearch::CollectionOptions options;
  options.data_dir = argv[1];
  soundsearch::SpaceConfig space = soundsearch::DefaultSpaceConfig();
  space.pca_dims = 8;
  space.min_fit_items = 10;
  options.spaces = {space};
  auto collection = soundsearch::SoundCollection::Open(options);
  if (!collection.ok()) {
    std::fprintf(stderr, "open: %s\n", collection.status().ToString().c_str());
    return 1;
  }
  const std::string wav = std::string(argv[1]) + ".child.wav";
  for (int n = std::stoi(argv[2]);; ++n) {
    auto pcm = soundsearch::test::Sine(200 + n, 0.3, 22050, 0.5f);
    if (!soundsearch::test::WritePcm16Wav(wav, pcm, 22050, 1).ok()) return 1;
    auto bytes = soundsearch::test::ReadFileBytes(wav);
    soundsearch::SoundInput input;
    input.external_id = absl::StrCat("crash-", n);
    auto added = (*collection)->Add(*bytes, input);
    if (!added.ok()) {
      std::fprintf(stderr, "add: %s\n", added.status().ToString().c_str());
      return 1;
    }
    std::printf("ACK %llu\n", static_cast<unsigned long long>(added->id));
    std::fflush(stdout);
  }
}
