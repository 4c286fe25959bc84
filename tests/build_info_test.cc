#include "soundsearch/build_info.h"

#include <string>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

// Proves every third-party library is linked and answers with its version.
TEST(BuildInfoTest, EveryDependencyReportsAVersion) {
  const auto versions = DependencyVersions();
  for (const char* lib : {"ffmpeg", "libavformat", "libavcodec", "libswresample",
                          "faiss", "rocksdb", "protobuf", "libtorch", "fftw"}) {
    auto it = versions.find(lib);
    ASSERT_NE(it, versions.end()) << lib;
    EXPECT_FALSE(it->second.empty()) << lib;
  }
  EXPECT_EQ(versions.at("faiss"), "1.7.3");
  EXPECT_EQ(versions.at("libtorch").substr(0, 4), "1.13");
  EXPECT_EQ(std::string(Version()), "0.1.0");
}

}  // namespace
}  // namespace soundsearch
