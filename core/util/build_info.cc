#include "soundsearch/build_info.h"

#include <fftw3.h>

#include <string>

#include "absl/base/const_init.h"
#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "faiss/Index.h"
#include "google/protobuf/stubs/common.h"
#include "rocksdb/version.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libswresample/swresample.h>
}

namespace soundsearch {
namespace {

ABSL_CONST_INIT absl::Mutex registered_mu(absl::kConstInit);
std::map<std::string, std::string>* registered ABSL_GUARDED_BY(registered_mu) =
    nullptr;

std::string LibavVersion(unsigned v) {
  return absl::StrCat(AV_VERSION_MAJOR(v), ".", AV_VERSION_MINOR(v), ".",
                      AV_VERSION_MICRO(v));
}

}  // namespace

const char* Version() { return SOUNDSEARCH_VERSION; }

void RegisterDependencyVersion(const std::string& name,
                               const std::string& version) {
  absl::MutexLock lock(&registered_mu);
  if (registered == nullptr)
    registered = new std::map<std::string, std::string>;
  (*registered)[name] = version;
}

std::map<std::string, std::string> DependencyVersions() {
  std::map<std::string, std::string> versions = {
      {"ffmpeg", av_version_info()},
      {"libavformat", LibavVersion(avformat_version())},
      {"libavcodec", LibavVersion(avcodec_version())},
      {"libswresample", LibavVersion(swresample_version())},
      {"faiss", absl::StrCat(FAISS_VERSION_MAJOR, ".", FAISS_VERSION_MINOR, ".",
                             FAISS_VERSION_PATCH)},
      {"rocksdb", rocksdb::GetRocksVersionAsString()},
      {"protobuf",
       google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)},
      {"fftw", fftwf_version},
  };
  absl::MutexLock lock(&registered_mu);
  if (registered != nullptr) {
    for (const auto& [name, version] : *registered) versions[name] = version;
  }
  return versions;
}

}  // namespace soundsearch
