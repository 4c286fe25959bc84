#include "soundsearch/error_reason.h"

#include "absl/strings/cord.h"

namespace soundsearch {

absl::Status WithErrorReason(absl::Status status, absl::string_view reason) {
  if (!status.ok() && !reason.empty()) {
    status.SetPayload(kErrorReasonUrl, absl::Cord(reason));
  }
  return status;
}

std::string ErrorReasonOf(const absl::Status& status) {
  const auto reason = status.GetPayload(kErrorReasonUrl);  // absl::optional
  return reason.has_value() ? std::string(*reason) : std::string();
}

absl::Status UploadTooLargeError(absl::string_view message) {
  return WithErrorReason(absl::ResourceExhaustedError(message),
                         kReasonUploadTooLarge);
}

}  // namespace soundsearch
