// The role table (rpc/rpc_roles.h) covers every RPC of the soundsearch.v1
// services: the test reads the .proto files themselves, so an RPC added to
// a proto without a line in the table fails here, and a line left for an
// RPC that no longer exists fails too.
#include "rpc/rpc_roles.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "soundsearch/v1/common.pb.h"
#include "soundsearch/v1/evaluation.pb.h"
#include "soundsearch/v1/ingest.pb.h"
#include "soundsearch/v1/query.pb.h"

namespace soundsearch {
namespace {

using ServiceMethod = std::pair<std::string, std::string>;

// (full service name, method) of every `rpc` in proto/soundsearch/v1/.
std::set<ServiceMethod> RpcsInProtos() {
  std::set<ServiceMethod> rpcs;
  const std::filesystem::path dir =
      std::filesystem::path(SOUNDSEARCH_SOURCE_DIR) / "proto/soundsearch/v1";
  const std::regex package(R"(^\s*package\s+([\w.]+)\s*;)");
  const std::regex service(R"(^\s*service\s+(\w+))");
  const std::regex rpc(R"(^\s*rpc\s+(\w+)\s*\()");
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".proto") continue;
    std::ifstream in(entry.path());
    std::string line, pkg, svc;
    while (std::getline(in, line)) {
      std::smatch m;
      if (std::regex_search(line, m, package)) pkg = m[1];
      if (std::regex_search(line, m, service)) svc = m[1];
      if (std::regex_search(line, m, rpc)) {
        rpcs.insert({absl::StrCat(pkg, ".", svc), m[1]});
      }
    }
  }
  return rpcs;
}

TEST(RpcRolesTest, EveryRpcOfTheProtosHasExactlyOneRole) {
  const std::set<ServiceMethod> rpcs = RpcsInProtos();
  ASSERT_GE(rpcs.size(), 17u);  // the v1 RPCs at the time of writing
  std::set<ServiceMethod> table;
  std::set<std::string> names;
  for (const RpcRole& r : RpcRoles()) {
    EXPECT_TRUE(table.insert({r.service, r.method}).second)
        << r.service << "/" << r.method << " has two lines";
    // Handlers name methods without their service: names must be unique.
    EXPECT_TRUE(names.insert(r.method).second)
        << r.method << " is the name of RPCs of two services";
  }
  for (const ServiceMethod& rpc : rpcs) {
    EXPECT_TRUE(table.count(rpc) == 1)
        << rpc.first << "/" << rpc.second
        << " has no role: add its line to rpc/rpc_roles.cc";
  }
  for (const ServiceMethod& line : table) {
    EXPECT_TRUE(rpcs.count(line) == 1)
        << line.first << "/" << line.second
        << " is in the role table but in no proto";
  }
}

TEST(RpcRolesTest, TheProtoParseAgreesWithTheGeneratedDescriptors) {
  const std::set<ServiceMethod> rpcs = RpcsInProtos();
  for (const google::protobuf::FileDescriptor* file :
       {v1::GetServerInfoRequest::descriptor()->file(),
        v1::EvaluateRequest::descriptor()->file(),
        v1::AddSoundRequest::descriptor()->file(),
        v1::QueryByExampleRequest::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        EXPECT_EQ(
            rpcs.count({service->full_name(), service->method(m)->name()}), 1u)
            << service->full_name() << "/" << service->method(m)->name();
      }
    }
  }
}

TEST(RpcRolesTest, ReadTokensGetQueriesWordsStatsAndStoredEvaluations) {
  for (const char* read :
       {"QueryByExample", "BatchQueryByExample", "GetSound", "ListSpaces",
        "Stats", "GetEvaluation", "WordSimilarity", "NearestWords",
        "GetWordVectors", "GetServerInfo"}) {
    EXPECT_EQ(RequiredRole(read), Role::kRead) << read;
  }
  for (const char* admin : {"AddSound", "AddSoundStream", "AddFromManifest",
                            "GetJob", "DeleteSound", "Refit", "Evaluate"}) {
    EXPECT_EQ(RequiredRole(admin), Role::kAdmin) << admin;
  }
  EXPECT_EQ(RequiredRole("NoSuchMethod"), std::nullopt);
  EXPECT_STREQ(RoleName(Role::kRead), "read");
  EXPECT_STREQ(RoleName(Role::kAdmin), "admin");
}

}  // namespace
}  // namespace soundsearch
