#include "soundsearch/build_info.h"

#include <string>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

// Proves every third-party library of core is linked and answers with its
// version; libtorch is not one of them (torch_kinds_test registers it).
TEST(BuildInfoTest, EveryDependencyReportsAVersion) {
  const auto versions = DependencyVersions();
  for (const char* lib :
       {"ffmpeg", "libavformat", "libavcodec", "libswresample", "faiss",
        "rocksdb", "protobuf", "fftw"}) {
    auto it = versions.find(lib);
    ASSERT_NE(it, versions.end()) << lib;
    EXPECT_FALSE(it->second.empty()) << lib;
  }
  EXPECT_EQ(versions.at("faiss"), "1.7.3");
  EXPECT_EQ(versions.count("libtorch"), 0u);
  RegisterDependencyVersion("example", "1.2.3");
  EXPECT_EQ(DependencyVersions().at("example"), "1.2.3");
  EXPECT_EQ(std::string(Version()), "0.1.0");
}

}  // namespace
}  // namespace soundsearch
