# Finds every third-party dependency. All come from Debian bookworm packages
# (scripts/setup installs them) through their CMake config packages, except
# FFmpeg and FFTW, which ship pkg-config files only.
# Debian's gflags config (pulled in by RocksDB and Torch) defaults to its
# static target, whose imported location is missing: ask for the shared one
# before anything else finds gflags.
set(GFLAGS_SHARED ON)
find_package(gflags CONFIG REQUIRED)
find_package(Threads REQUIRED)
# OpenMP must be found before faiss: faiss's exported target links OpenMP::OpenMP_CXX.
find_package(OpenMP REQUIRED)
find_package(faiss REQUIRED)
find_package(RocksDB REQUIRED)
find_package(absl REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC REQUIRED)
find_package(prometheus-cpp REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(Torch REQUIRED)
if(SOUNDSEARCH_GPU AND NOT TORCH_CUDA_LIBRARIES)
  message(FATAL_ERROR "SOUNDSEARCH_GPU=ON needs a CUDA build of libtorch; point "
                      "CMAKE_PREFIX_PATH at one (torch.utils.cmake_prefix_path).")
endif()

find_package(PkgConfig REQUIRED)
pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET
                  libavformat libavcodec libswresample libavutil)
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
# The waveform picture (core/image/waveform_image.cc).
find_package(PNG REQUIRED)
# The HTTP/JSON API and the page (server/http_api.h).
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

if(SOUNDSEARCH_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SOUNDSEARCH_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
