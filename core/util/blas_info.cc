#include "soundsearch/blas_info.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace soundsearch {
namespace {

BlasInfo Probe() {
  BlasInfo info;
  info.vendor = "unknown";
  // The definition of sgemm_ this process uses (FAISS's static library
  // links it from libblas.so.3).
  void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info where;
  if (sgemm != nullptr && dladdr(sgemm, &where) != 0 &&
      where.dli_fname != nullptr) {
    char resolved[PATH_MAX];
    info.library = realpath(where.dli_fname, resolved) != nullptr
                       ? resolved
                       : where.dli_fname;
  }
  using ConfigFn = char* (*)();
  using ParallelFn = int (*)();
  auto config =
      reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  if (config != nullptr) {
    info.vendor = "OpenBLAS";
    info.optimised = true;
    info.config = config();
    auto parallel = reinterpret_cast<ParallelFn>(
        dlsym(RTLD_DEFAULT, "openblas_get_parallel"));
    const int mode = parallel != nullptr ? parallel() : -1;
    info.threading = mode == 0   ? "sequential"
                     : mode == 1 ? "pthread"
                     : mode == 2 ? "openmp"
                                 : "";
    auto corename = reinterpret_cast<ConfigFn>(
        dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    if (corename != nullptr) info.core = corename();
    for (const char* fast :
         {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"}) {
      if (absl::AsciiStrToLower(info.core) == fast) info.vector_kernels = true;
    }
  } else if (info.library.find("/blas/") != std::string::npos ||
             info.library.find("libblas.so") != std::string::npos) {
    // Debian's Netlib build lives in .../blas/libblas.so.3.
    info.vendor = "reference";
  }
  return info;
}

}  // namespace

std::string BlasInfo::Describe() const {
  std::string out = vendor;
  if (!threading.empty()) absl::StrAppend(&out, " (", threading, ")");
  if (!config.empty()) absl::StrAppend(&out, " ", config);
  if (!library.empty()) absl::StrAppend(&out, " [", library, "]");
  return out;
}

const BlasInfo& LoadedBlas() {
  static const BlasInfo* const info = new BlasInfo(Probe());
  return *info;
}

}  // namespace soundsearch
