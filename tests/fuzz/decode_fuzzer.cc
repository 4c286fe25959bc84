// libFuzzer target: AudioDecoder::DecodeBytes on arbitrary bytes. Any crash,
// sanitizer report, leak, hang (-timeout) or broken output contract is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/string_view.h"
#include "soundsearch/audio_decoder.h"

namespace {

const soundsearch::AudioDecoder& Decoder() {
  static const soundsearch::AudioDecoder* decoder = [] {
    soundsearch::AudioDecoderOptions options;
    options.target_sample_rate = 8000;  // cheapest output
    options.max_duration_seconds = 30;
    options.timeout_seconds = 10;
    auto created = soundsearch::AudioDecoder::Create(options);
    if (!created.ok()) std::abort();
    return created->release();
  }();
  return *decoder;
}

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "decode_fuzzer: contract broken: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto result = Decoder().DecodeBytes(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!result.ok()) return 0;
  Check(!result->samples.empty(), "an OK result has samples");
  Check(result->sample_rate == 8000, "output at the requested rate");
  Check(result->samples.size() <= 30u * 8000u, "max duration respected");
  for (float x : result->samples) Check(std::isfinite(x), "finite samples");
  return 0;
}
