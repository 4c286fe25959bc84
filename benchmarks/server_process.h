// The real soundsearchd as a child process, for the whole-system tools that
// kill it (kill_tool) or watch its memory (soak_tool): start with flags,
// read the port it bound from its log, wait until grpc.health.v1 says
// SERVING, SIGKILL or SIGTERM it, read its resident memory. Also the
// synthetic WAV clips those tools upload.
//
// Thread-safety: a ServerProcess is used by one thread; channel() may be
// shared by many.
#ifndef SOUNDSEARCH_BENCHMARKS_SERVER_PROCESS_H_
#define SOUNDSEARCH_BENCHMARKS_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace soundsearch {
namespace bench {

class ServerProcess {
 public:
  // Starts `binary` with --listen 127.0.0.1:0 --metrics-listen "" and
  // `flags`, its stderr going to `log_path` (appended), and waits up to
  // `timeout` for SERVING. Errors say what the log shows.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& binary, const std::vector<std::string>& flags,
      const std::string& log_path,
      std::chrono::seconds timeout = std::chrono::seconds(120));
  // SIGKILLs a server still running.
  ~ServerProcess();

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // Seconds from fork to SERVING.
  double start_seconds() const { return start_seconds_; }

  // SIGKILL, then reap.
  void Kill();
  // SIGTERM and wait for it to exit; its exit code (-1 if killed by a
  // signal).
  int Stop();
  // Resident set size from /proc/<pid>/status, bytes; 0 if unreadable.
  int64_t RssBytes() const;

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  double start_seconds_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

// grpc.health.v1.Health/Check of `service` ("" is the server): true when
// SERVING.
bool IsServing(const std::shared_ptr<grpc::Channel>& channel,
               const std::string& service = "");

// A mono 16-bit WAV file's bytes: a tone whose frequency and shape depend on
// `n` (so every n gives different content), `seconds` long at 16 kHz.
std::string ToneWav(uint64_t n, double seconds);

// Runs `command` through the shell; its exit code (-1 if it did not exit),
// stdout and stderr together in *output.
int RunCommand(const std::string& command, std::string* output);

}  // namespace bench
}  // namespace soundsearch

#endif  // SOUNDSEARCH_BENCHMARKS_SERVER_PROCESS_H_
