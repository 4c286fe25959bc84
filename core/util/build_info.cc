#include "soundsearch/build_info.h"

#include <fftw3.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "faiss/Index.h"
#include "google/protobuf/stubs/common.h"
#include "rocksdb/version.h"
#include "neural/torch_runtime.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libswresample/swresample.h>
}

namespace soundsearch {
namespace {

std::string LibavVersion(unsigned v) {
  return absl::StrCat(AV_VERSION_MAJOR(v), ".", AV_VERSION_MINOR(v), ".",
                      AV_VERSION_MICRO(v));
}

}  // namespace

const char* Version() { return SOUNDSEARCH_VERSION; }

std::map<std::string, std::string> DependencyVersions() {
  return {
      {"ffmpeg", av_version_info()},
      {"libavformat", LibavVersion(avformat_version())},
      {"libavcodec", LibavVersion(avcodec_version())},
      {"libswresample", LibavVersion(swresample_version())},
      {"faiss", absl::StrCat(FAISS_VERSION_MAJOR, ".", FAISS_VERSION_MINOR, ".",
                             FAISS_VERSION_PATCH)},
      {"rocksdb", rocksdb::GetRocksVersionAsString()},
      {"protobuf",
       google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)},
      {"libtorch", TorchVersion()},
      {"fftw", fftwf_version},
  };
}

}  // namespace soundsearch
