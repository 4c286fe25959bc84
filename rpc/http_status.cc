#include "rpc/http_status.h"

#include "nlohmann/json.hpp"
#include "soundsearch/error_reason.h"

namespace soundsearch {

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return ErrorReasonOf(status) == kReasonUploadTooLarge ? 413 : 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string HttpErrorJson(const absl::Status& status) {
  nlohmann::json error = {
      {"code", absl::StatusCodeToString(status.code())},
      {"http", HttpStatusOf(status)},
      {"message", std::string(status.message())},
  };
  const std::string reason = ErrorReasonOf(status);
  if (!reason.empty()) error["reason"] = reason;
  return nlohmann::json{{"error", error}}.dump();
}

}  // namespace soundsearch
