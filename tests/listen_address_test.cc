// IsLoopbackListenAddress (server/listen_address.h): what counts as a
// listener only this machine can reach.
#include "server/listen_address.h"

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

TEST(ListenAddressTest, LoopbackForms) {
  for (const char* address :
       {"127.0.0.1:50051", "127.0.0.1:0", "127.1.2.3:80", "localhost:50051",
        "LOCALHOST:1", "[::1]:50051", "ipv4:127.0.0.1:5", "ipv6:[::1]:5",
        "[::ffff:127.0.0.1]:9", "unix:/run/soundsearch.sock",
        "unix-abstract:soundsearch"}) {
    EXPECT_TRUE(IsLoopbackListenAddress(address)) << address;
  }
}

TEST(ListenAddressTest, EverythingElseIsNot) {
  for (const char* address :
       {"0.0.0.0:50051", "[::]:50051", "10.0.0.5:50051", "192.168.1.2:1",
        "[fe80::1]:5", "[::ffff:10.0.0.1]:5", "example.com:50051",
        "localhost.example.com:1", "128.0.0.1:5", "50051", "", "[::1",
        "127.0.0.1.evil:5", ":50051"}) {
    EXPECT_FALSE(IsLoopbackListenAddress(address)) << address;
  }
}

}  // namespace
}  // namespace soundsearch
