// Versions of soundsearch and of the libraries it was built against.
#ifndef SOUNDSEARCH_BUILD_INFO_H_
#define SOUNDSEARCH_BUILD_INFO_H_

#include <map>
#include <string>

namespace soundsearch {

// Semantic version of this build, e.g. "0.1.0".
const char* Version();

// Library name -> version string for every third-party library linked into
// soundsearch_core (ffmpeg, faiss, rocksdb, protobuf, fftw, ...) and those
// other soundsearch libraries registered (soundsearch_torch: libtorch).
// Thread-safe.
std::map<std::string, std::string> DependencyVersions();

// Adds (or replaces) one line of DependencyVersions(); for libraries that
// plug into core (soundsearch/torch_kinds.h). Thread-safe.
void RegisterDependencyVersion(const std::string& name,
                               const std::string& version);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_BUILD_INFO_H_
