#include "rpc/rpc_roles.h"

#include <iterator>

namespace soundsearch {
namespace {

constexpr char kIngest[] = "soundsearch.v1.Ingest";
constexpr char kQuery[] = "soundsearch.v1.Query";
constexpr char kEvaluation[] = "soundsearch.v1.Evaluation";
constexpr char kMeta[] = "soundsearch.v1.Meta";

// One line per RPC. Read: what a search front end needs. Admin: what
// changes the collection, reads server-side files or reports on them.
constexpr RpcRole kRpcRoles[] = {
    {kIngest, "AddSound", Role::kAdmin},
    {kIngest, "AddSoundStream", Role::kAdmin},
    {kIngest, "AddFromManifest", Role::kAdmin},
    {kIngest, "GetJob", Role::kAdmin},  // reports server-side paths
    {kIngest, "DeleteSound", Role::kAdmin},
    {kIngest, "Refit", Role::kAdmin},
    {kQuery, "QueryByExample", Role::kRead},
    {kQuery, "BatchQueryByExample", Role::kRead},
    {kQuery, "GetSound", Role::kRead},
    {kQuery, "ListSpaces", Role::kRead},
    {kQuery, "QueryByText", Role::kRead},
    {kQuery, "ListSounds", Role::kRead},
    {kQuery, "DescribeSound", Role::kRead},
    {kQuery, "Stats", Role::kRead},
    {kEvaluation, "Evaluate", Role::kAdmin},  // reads server files, writes
    {kEvaluation, "GetEvaluation", Role::kRead},
    {kEvaluation, "WordSimilarity", Role::kRead},
    {kEvaluation, "NearestWords", Role::kRead},
    {kEvaluation, "GetWordVectors", Role::kRead},
    {kMeta, "GetServerInfo", Role::kRead},
};

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kRead:
      return "read";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::Span<const RpcRole> RpcRoles() {
  return absl::MakeConstSpan(kRpcRoles, std::size(kRpcRoles));
}

std::optional<Role> RequiredRole(absl::string_view method) {
  for (const RpcRole& rpc : kRpcRoles) {
    if (method == rpc.method) return rpc.role;
  }
  return std::nullopt;
}

}  // namespace soundsearch
