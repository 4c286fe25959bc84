// The one place where absl::Status becomes an HTTP status and a JSON error
// body, for the HTTP/JSON API (server/http_api.h). It follows the gRPC
// mapping (rpc/grpc_status.h): same code name, same message, same error
// reason.
#ifndef SOUNDSEARCH_RPC_HTTP_STATUS_H_
#define SOUNDSEARCH_RPC_HTTP_STATUS_H_

#include <string>

#include "absl/status/status.h"

namespace soundsearch {

// 200 for OK. InvalidArgument, FailedPrecondition and OutOfRange: 400;
// Unauthenticated 401; PermissionDenied 403; NotFound 404; AlreadyExists
// 409; ResourceExhausted 413 when it carries the reason UPLOAD_TOO_LARGE,
// else 429; Cancelled 499; Unimplemented 501; Unavailable 503;
// DeadlineExceeded 504; anything else 500.
int HttpStatusOf(const absl::Status& status);

// {"error": {"code": "NOT_FOUND", "http": 404, "message": "...",
// "reason": "..."}} (reason only when the status carries one).
std::string HttpErrorJson(const absl::Status& status);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_HTTP_STATUS_H_
