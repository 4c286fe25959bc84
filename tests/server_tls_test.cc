// TLS and message-size limits of a real server: a self-signed certificate
// made here with the openssl CLI; a TLS client that trusts it gets answers,
// a plaintext client does not.
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

TEST(ServerTlsTest, TlsClientsAreServedPlaintextOnesAreNot) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const std::string cert = dir->File("cert.pem");
  const std::string key = dir->File("key.pem");
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ", key,
      " -out ", cert, " 2>/dev/null");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  ServerOptions options = test::LoopbackServerOptions(dir->File("data"));
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *test::ReadFileBytes(cert);
  // Health is checked over TLS, to the name the certificate carries.
  auto server =
      test::TestServer::Start(options, grpc::SslCredentials(ssl), "localhost");
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string& target = (*server)->target();

  v1::StatsResponse stats;
  grpc::Status status = (*server)->query().Stats(
      test::CallContext("", std::chrono::seconds(20)).get(), {}, &stats);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stats.version(), "0.1.0");

  auto plain = v1::Query::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext plain_ctx;
  plain_ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
  EXPECT_FALSE(plain->Stats(&plain_ctx, {}, &stats).ok());
}

TEST(ServerTlsTest, BadTlsAndAuthOptionsAreRefusedAtStart) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  ServerOptions options = test::LoopbackServerOptions(dir->File("data"));
  options.tls_cert_file = dir->File("missing.pem");
  auto only_cert = test::TestServer::Start(options);
  EXPECT_EQ(only_cert.status().code(), absl::StatusCode::kInvalidArgument);
  options.tls_key_file = dir->File("missing-key.pem");
  EXPECT_EQ(test::TestServer::Start(options).status().code(),
            absl::StatusCode::kNotFound);
  options.tls_cert_file.clear();
  options.tls_key_file.clear();
  ASSERT_TRUE(test::WriteFileBytes(dir->File("empty-token"), "\n").ok());
  options.auth_token_file = dir->File("empty-token");
  EXPECT_EQ(test::TestServer::Start(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.auth_token_file.clear();
  options.max_k = 10;
  EXPECT_EQ(test::TestServer::Start(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A taken port is Unavailable.
  options.max_k = 10000;
  auto first = test::TestServer::Start(options);
  ASSERT_TRUE(first.ok()) << first.status();
  ServerOptions clash = options;
  clash.data_dir = dir->File("data2");
  clash.listen = absl::StrCat("127.0.0.1:", (*first)->port());
  EXPECT_EQ(test::TestServer::Start(clash).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace soundsearch
