#include "rpc/bearer_auth.h"

namespace soundsearch {

absl::Status BearerAuth::Check(
    const grpc::CallbackServerContext& context) const {
  if (!enabled()) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return CheckHeader(false, "");
  return CheckHeader(true,
                     std::string_view(it->second.data(), it->second.size()));
}

absl::Status BearerAuth::CheckHeader(bool present,
                                     std::string_view header) const {
  if (!enabled()) return absl::OkStatus();
  if (!present) {
    return absl::UnauthenticatedError(
        "this call changes the collection and needs an "
        "`authorization: Bearer <token>` header");
  }
  const std::string value(header);
  const std::string expected = "Bearer " + token_;
  // Constant-time comparison: do not leak the token through timing.
  bool same = value.size() == expected.size();
  unsigned char diff = 0;
  for (size_t i = 0; i < value.size() && i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(value[i] ^ expected[i]);
  }
  if (!same || diff != 0) {
    return absl::UnauthenticatedError("bearer token is not valid");
  }
  return absl::OkStatus();
}

}  // namespace soundsearch
