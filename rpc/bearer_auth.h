// BearerAuth: the check of `authorization: Bearer <token>` metadata that
// mutating RPCs must pass (RpcRunner::Admit).
#ifndef SOUNDSEARCH_RPC_BEARER_AUTH_H_
#define SOUNDSEARCH_RPC_BEARER_AUTH_H_

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"

namespace soundsearch {

// An empty token disables the check. Thread-safe (immutable).
class BearerAuth {
 public:
  explicit BearerAuth(std::string token) : token_(std::move(token)) {}
  bool enabled() const { return !token_.empty(); }
  // OK, or UNAUTHENTICATED naming what is missing. Compares in constant
  // time.
  absl::Status Check(const grpc::CallbackServerContext& context) const;
  // The same check of an `authorization` header value (another transport:
  // the HTTP API); `present` false when the request has none.
  absl::Status CheckHeader(bool present, std::string_view value) const;

 private:
  std::string token_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_BEARER_AUTH_H_
