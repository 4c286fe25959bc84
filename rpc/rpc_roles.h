// The role each RPC needs once the server has tokens (docs/operations.md,
// "Tokens and roles"). One table, keyed by the method name that handlers
// give RpcRunner ("QueryByExample"), checked in one place
// (RpcRunner::Admit). Adding an RPC is adding its line to the table in
// rpc_roles.cc; rpc_roles_test fails for a method of the soundsearch.v1
// services that has no line, so a new RPC cannot ship without a role.
//
// Thread-safety: constant data and pure functions.
#ifndef SOUNDSEARCH_RPC_RPC_ROLES_H_
#define SOUNDSEARCH_RPC_RPC_ROLES_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace soundsearch {

// A token's role. An admin token may call every RPC; a read token the
// RPCs whose role is kRead.
enum class Role {
  kRead = 1,   // queries, sounds, spaces, stats, words, stored evaluations
  kAdmin = 2,  // everything, including ingest, deletes, refits, jobs
};

// "read", "admin".
const char* RoleName(Role role);

struct RpcRole {
  const char* service;  // "soundsearch.v1.Query"
  const char* method;   // "QueryByExample", as handlers name it
  Role role;            // the least role a token needs to call it
};

// Every RPC of the soundsearch.v1 services with its role, service by
// service. (grpc.health.v1 and reflection are not in it: health answers
// without a token; reflection is served only by servers without tokens.)
absl::Span<const RpcRole> RpcRoles();

// The role `method` needs; nullopt for a method the table does not know
// (RpcRunner refuses such a call: fail closed).
std::optional<Role> RequiredRole(absl::string_view method);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_RPC_ROLES_H_
