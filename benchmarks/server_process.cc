#include "benchmarks/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/generic/generic_stub.h"

namespace soundsearch {
namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The port from the log's "serving gRPC on port N" line of this start.
int PortFromLog(const std::string& log, size_t from) {
  const std::string key = "serving gRPC on port ";
  const size_t at = log.find(key, from);
  if (at == std::string::npos) return 0;
  int port = 0;
  size_t end = at + key.size();
  while (end < log.size() && isdigit(static_cast<unsigned char>(log[end])))
    ++end;
  if (!absl::SimpleAtoi(log.substr(at + key.size(), end - at - key.size()),
                        &port)) {
    return 0;
  }
  return port;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& binary, const std::vector<std::string>& flags,
    const std::string& log_path, std::chrono::seconds timeout) {
  const size_t log_start = ReadAll(log_path).size();
  std::vector<std::string> args = {binary, "--listen=127.0.0.1:0",
                                   "--metrics-listen="};
  args.insert(args.end(), flags.begin(), flags.end());
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDERR_FILENO);
      dup2(fd, STDOUT_FILENO);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  std::unique_ptr<ServerProcess> p(new ServerProcess());
  p->pid_ = pid;
  const auto deadline = start + timeout;
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      p->pid_ = -1;
      return absl::InternalError(absl::StrCat(
          "soundsearchd exited (status ", status,
          ") before serving; log: ", ReadAll(log_path).substr(log_start)));
    }
    if (p->port_ == 0) {
      p->port_ = PortFromLog(ReadAll(log_path), log_start);
      if (p->port_ != 0) {
        p->channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", p->port_),
                                          grpc::InsecureChannelCredentials());
      }
    }
    if (p->channel_ != nullptr && IsServing(p->channel_)) {
      p->start_seconds_ =
          std::chrono::duration<double>(Clock::now() - start).count();
      return p;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("soundsearchd not SERVING within ", timeout.count(),
                   " s; log: ", ReadAll(log_path).substr(log_start)));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int64_t ServerProcess::RssBytes() const {
  if (pid_ <= 0) return 0;
  std::ifstream in(absl::StrCat("/proc/", pid_, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kb = 0;
      std::istringstream(line.substr(6)) >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

bool IsServing(const std::shared_ptr<grpc::Channel>& channel,
               const std::string& service) {
  grpc::GenericStub generic(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::CompletionQueue cq;
  std::string request;
  if (!service.empty()) {
    request =
        std::string("\x0a", 1) + static_cast<char>(service.size()) + service;
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer buffer(&slice, 1);
  auto call = generic.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check",
                                       buffer, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return false;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const auto& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes == std::string("\x08\x01", 2);
}

std::string ToneWav(uint64_t n, double seconds) {
  constexpr int kRate = 16000;
  const int samples = static_cast<int>(seconds * kRate);
  // Distinct per n: frequency, a second partial and a tremolo.
  const double f1 = 150.0 + static_cast<double>(n % 997) * 3.7;
  const double f2 = 2.0 * f1 + static_cast<double>((n / 997) % 89) * 5.3;
  const double trem = 1.0 + static_cast<double>(n % 7);
  std::string data;
  data.reserve(samples * 2);
  for (int i = 0; i < samples; ++i) {
    const double t = static_cast<double>(i) / kRate;
    const double v = 0.3 * std::sin(2 * M_PI * f1 * t) +
                     0.15 * std::sin(2 * M_PI * f2 * t) *
                         (0.5 + 0.5 * std::sin(2 * M_PI * trem * t));
    const int16_t s = static_cast<int16_t>(std::lround(v * 32767.0));
    data.push_back(static_cast<char>(s & 0xff));
    data.push_back(static_cast<char>((s >> 8) & 0xff));
  }
  auto u32 = [](uint32_t v) {
    std::string o(4, '\0');
    for (int i = 0; i < 4; ++i) o[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    return o;
  };
  auto u16 = [](uint16_t v) {
    return std::string{static_cast<char>(v & 0xff),
                       static_cast<char>((v >> 8) & 0xff)};
  };
  std::string wav = "RIFF" + u32(36 + data.size()) + "WAVEfmt " + u32(16) +
                    u16(1) + u16(1) + u32(kRate) + u32(kRate * 2) + u16(2) +
                    u16(16) + "data" + u32(data.size());
  return wav + data;
}

int RunCommand(const std::string& command, std::string* output) {
  output->clear();
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output->append(buffer, n);
  }
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace bench
}  // namespace soundsearch
