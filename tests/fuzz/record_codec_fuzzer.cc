// libFuzzer target: the store's record codecs (store/record_codec.h) on
// arbitrary bytes: sound records, change-log entries, snapshot marks,
// stored models. The first byte picks the codec. Any crash, sanitizer
// report or broken contract is a bug: what decodes re-encodes, and the
// re-encoding decodes to the same bytes again (the codec is a fixed point
// after one round).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "fuzz_support.h"
#include "store/record_codec.h"

namespace {

using soundsearch::fuzz::Check;

template <typename Decode, typename Encode>
void RoundTrip(absl::string_view bytes, Decode decode, Encode encode) {
  auto first = decode(bytes);
  if (!first.ok()) {
    Check(!first.status().message().empty(), "record_codec_fuzzer",
          "an error has a message");
    return;
  }
  const std::string once = encode(*first);
  auto second = decode(once);
  Check(second.ok(), "record_codec_fuzzer", "an encoding decodes");
  Check(encode(*second) == once, "record_codec_fuzzer",
        "encode(decode(encode(x))) == encode(x)");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  soundsearch::SoundRecord sound;
  sound.id = 42;
  sound.external_id = "412017";
  sound.name = "dog bark";
  sound.tags = {"dog", "bark"};
  sound.class_labels = {"Dog", "Bark"};
  sound.duration_seconds = 2.5;
  sound.source = "upload";
  sound.content_hash = std::string(64, 'a');
  sound.added_unix_micros = 1700000000000000;
  sound.auto_tags = {{"animal", 0.9f}};
  soundsearch::Change change;
  change.sequence = 7;
  change.kind = soundsearch::ChangeKind::kAdd;
  change.id = 42;
  soundsearch::SnapshotMark mark;
  mark.sequence = 9;
  mark.location = "index/dsp.idx";
  soundsearch::StoredModel model;
  model.version = 3;
  model.bytes = std::string("\x01\x02\x03\x00\xff", 5);
  soundsearch::fuzz::WriteSeedsIfAsked({
      std::string(1, '\0') + soundsearch::EncodeSoundRecord(sound),
      "\x01" + soundsearch::EncodeChange(change),
      "\x02" + soundsearch::EncodeSnapshotMark(mark),
      "\x03" + soundsearch::EncodeModel(model, 1700000000000000),
      std::string(1, '\0'),
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1,
                                size - 1);
  switch (data[0] % 4) {
    case 0:
      RoundTrip(bytes, soundsearch::DecodeSoundRecord,
                soundsearch::EncodeSoundRecord);
      break;
    case 1:
      RoundTrip(
          bytes,
          [](absl::string_view b) { return soundsearch::DecodeChange(5, b); },
          soundsearch::EncodeChange);
      break;
    case 2:
      RoundTrip(bytes, soundsearch::DecodeSnapshotMark,
                soundsearch::EncodeSnapshotMark);
      break;
    case 3:
      RoundTrip(bytes, soundsearch::DecodeModel,
                [](const soundsearch::StoredModel& m) {
                  return soundsearch::EncodeModel(m, 1);
                });
      break;
  }
  return 0;
}
