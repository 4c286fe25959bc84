// The generated messages and gRPC stubs work end to end: a real server on a
// loopback port answers a real client.
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "soundsearch/v1/common.grpc.pb.h"

namespace soundsearch {
namespace {

TEST(ProtoTest, MessageRoundTrip) {
  v1::ServerInfo info;
  info.set_version("1.2.3");
  (*info.mutable_dependencies())["faiss"] = "1.7.3";
  std::string bytes;
  ASSERT_TRUE(info.SerializeToString(&bytes));
  v1::ServerInfo back;
  ASSERT_TRUE(back.ParseFromString(bytes));
  EXPECT_EQ(back.version(), "1.2.3");
  EXPECT_EQ(back.dependencies().at("faiss"), "1.7.3");
}

class MetaService final : public v1::Meta::CallbackService {
  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const v1::GetServerInfoRequest*,
                                          v1::ServerInfo* reply) override {
    reply->set_version("test");
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

TEST(ProtoTest, CallbackServiceAnswersOnLoopback) {
  MetaService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::Meta::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ServerInfo reply;
  grpc::Status status = stub->GetServerInfo(&ctx, {}, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.version(), "test");
  server->Shutdown();
}

}  // namespace
}  // namespace soundsearch
