// libFuzzer target: ParseSpaceConfigs (soundsearch/space_config.h) on
// arbitrary JSON text, then Space::Create of every config it accepts. Any
// crash, sanitizer report or broken contract is a bug: an accepted config
// validates, and the space it describes can be created.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "fuzz_support.h"
#include "soundsearch/space.h"
#include "soundsearch/space_config.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  soundsearch::fuzz::WriteSeedsIfAsked({
      R"({"spaces": [{"name": "dsp", "encoder": {"kind": "dsp"}}]})",
      R"({"spaces": [{"name": "dsp", "encoder": {"kind": "dsp",
          "sample_rate": 22050}, "pooling": "mean_std", "scaling": "minmax",
          "pca_dims": 100, "metric": "cosine", "min_fit_items": 200,
          "index": {"type": "hnsw", "hnsw_m": 16, "hnsw_ef_search": 32}}]})",
      R"({"spaces": [{"name": "boaw", "encoder": {"kind": "boaw"},
          "pca_dims": 0, "metric": "ip", "codebook": {"k": 8, "seed": 1},
          "index": {"type": "ivf", "ivf_nlist": 4, "ivf_nprobe": 2}},
          {"name": "m", "encoder": {"kind": "mfcc"}, "metric": "l2",
           "pooling": "median", "scaling": "zscore"}],
          "other": {"ignored": true}})",
      R"({"spaces": [{"name": "t", "encoder": {"kind": "torchscript",
          "model_path": "/no/model.pt"}, "auto_tags": {"top_k": 3}}]})",
      R"({"spaces": []})",
      R"({"spaces": [{"name": "x", "encoder": {"kind": "dsp"},
          "index": {"hnsw_m": 1}}]})",
      R"([1, 2, "not an object"])",
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using soundsearch::fuzz::Check;
  const auto configs = soundsearch::ParseSpaceConfigs(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!configs.ok()) {
    Check(!configs.status().message().empty(), "space_config_fuzzer",
          "an error has a message");
    return 0;
  }
  Check(!configs->empty(), "space_config_fuzzer", "at least one space");
  for (const soundsearch::SpaceConfig& config : *configs) {
    Check(soundsearch::ValidateSpaceConfig(config).ok(), "space_config_fuzzer",
          "an accepted config validates");
    // Creating may still fail (e.g. a model file that does not exist), but
    // never crash.
    auto space = soundsearch::Space::Create(config);
    if (space.ok()) {
      Check(*space != nullptr, "space_config_fuzzer", "a created space");
    }
  }
  return 0;
}
