// Server reflection, as grpc_cli and grpcurl use it: a real server lists its
// services through grpc.reflection.v1alpha.ServerReflection. The request and
// response are encoded by hand (Debian ships no reflection stubs).
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "support/test_audio.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

// Waits for the next completion on `cq` and returns its ok flag.
bool Next(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  EXPECT_TRUE(cq.Next(&tag, &ok));
  return ok;
}

TEST(ServerReflectionTest, ListsTheSoundsearchServices) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  auto server =
      test::TestServer::Start(test::LoopbackServerOptions(dir->File("data")));
  ASSERT_TRUE(server.ok()) << server.status();

  grpc::GenericStub stub((*server)->channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(Next(cq));
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, 0.
  grpc::Slice request_slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&request_slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  ASSERT_TRUE(Next(cq));
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(Next(cq));
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(4));
  ASSERT_TRUE(Next(cq));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  Next(cq);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  for (const char* service :
       {"soundsearch.v1.Query", "soundsearch.v1.Ingest", "soundsearch.v1.Meta",
        "soundsearch.v1.Evaluation", "grpc.health.v1.Health"}) {
    EXPECT_NE(bytes.find(service), std::string::npos) << service;
  }
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace soundsearch
