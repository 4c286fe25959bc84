#include "soundsearch/speech_kinds.h"

#include "soundsearch/build_info.h"
#include "soundsearch/status_macros.h"
#include "speech/speech_kind_entries.h"

namespace soundsearch {

absl::Status RegisterSpeechKinds() {
  static const absl::Status* const status = [] {
    auto run = []() -> absl::Status {
      RETURN_IF_ERROR(RegisterEncoderKind(SpeechEncoderKind()));
      // Debian's libpocketsphinx3 0.8+5prealpha; the library has no version
      // call, so the packaged version is recorded as built against.
      RegisterDependencyVersion("pocketsphinx", "5prealpha");
      return absl::OkStatus();
    };
    return new absl::Status(run());
  }();
  return *status;
}

}  // namespace soundsearch
