// BearerAuth: the check of `authorization: Bearer <token>` metadata that
// every soundsearch RPC passes through (RpcRunner::Admit), against a set of
// tokens with roles (rpc/rpc_roles.h) that can be replaced while the server
// runs (a token file reloaded on SIGHUP or when it changes).
//
// Token file (docs/operations.md): one token a line, `admin <token>` or
// `read <token>`; a line holding a token alone is an admin token (the form
// of a single-token file); blank lines and lines starting with '#' are
// skipped. A token is 8 to 512 printable ASCII characters without spaces.
#ifndef SOUNDSEARCH_RPC_BEARER_AUTH_H_
#define SOUNDSEARCH_RPC_BEARER_AUTH_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "rpc/rpc_roles.h"

namespace soundsearch {

// The tokens of one token file, kept as SHA-256 digests (the tokens
// themselves are not kept in memory).
struct TokenSet {
  struct Entry {
    std::string sha256_hex;  // of the token
    Role role;
  };
  std::vector<Entry> entries;
  int admin_count() const;
  int read_count() const;
};

// Parses the text of a token file. InvalidArgument naming the line for an
// unknown role, a malformed line or token, a token listed twice; for a file
// with no token at all.
absl::StatusOr<TokenSet> ParseTokenFile(absl::string_view text);

// Reads and parses a token file, at most 1 MiB. NotFound when it cannot be
// opened; messages name the path.
absl::StatusOr<TokenSet> ReadTokenFile(const std::string& path);

// Thread-safe. Without tokens (the default) every call is admitted; once
// tokens are set the check stays on (Replace never turns it off).
class BearerAuth {
 public:
  BearerAuth() = default;
  explicit BearerAuth(TokenSet tokens);

  bool enabled() const;

  // Swaps in a new set. InvalidArgument (and the old set kept) for an empty
  // one.
  absl::Status Replace(TokenSet tokens);

  // OK when no token is configured or the call's token has at least `needed`;
  // UNAUTHENTICATED when the header is missing, malformed or names no
  // configured token; PERMISSION_DENIED when a read token calls an admin
  // RPC. Messages name `method` and never echo the token. The token is
  // hashed and compared with every configured digest in constant time.
  absl::Status Check(const grpc::CallbackServerContext& context,
                     absl::string_view method, Role needed) const;
  // The same check on the value of the authorization header (nullopt: no
  // header).
  absl::Status CheckHeader(std::optional<absl::string_view> authorization,
                           absl::string_view method, Role needed) const;

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenSet> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_BEARER_AUTH_H_
