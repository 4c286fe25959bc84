// The one place where absl::Status becomes grpc::Status, and where a client
// reads back the error reason that the mapping sends.
#ifndef SOUNDSEARCH_RPC_GRPC_STATUS_H_
#define SOUNDSEARCH_RPC_GRPC_STATUS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace soundsearch {

// The google.rpc.ErrorInfo domain of soundsearch's error reasons.
inline constexpr char kErrorInfoDomain[] = "soundsearch.v1";

// Same code (absl's codes mirror gRPC's), same message. When `status`
// carries an error reason (soundsearch/error_reason.h) the grpc::Status also
// gets error details, gRPC's rich error model (sent as the trailing metadata
// `grpc-status-details-bin`): a serialised google.rpc.Status with the same
// code and message whose `details` hold one google.rpc.ErrorInfo{reason,
// domain: kErrorInfoDomain} (docs/api.md).
grpc::Status ToGrpcStatus(const absl::Status& status);

// "OK", "NOT_FOUND", ... as Prometheus label values and in job failures.
std::string_view GrpcCodeName(grpc::StatusCode code);

// For clients: the reason of the google.rpc.ErrorInfo of domain
// kErrorInfoDomain in `status`'s error details (e.g. "UPLOAD_TOO_LARGE");
// empty when there is none or the details do not parse.
std::string GrpcErrorReason(const grpc::Status& status);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_GRPC_STATUS_H_
