// The one place where absl::Status becomes grpc::Status.
#ifndef SOUNDSEARCH_SERVER_GRPC_STATUS_H_
#define SOUNDSEARCH_SERVER_GRPC_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace soundsearch {

// Same code (absl's codes mirror gRPC's), same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// "OK", "NOT_FOUND", ... as Prometheus label values and in job failures.
std::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_GRPC_STATUS_H_
