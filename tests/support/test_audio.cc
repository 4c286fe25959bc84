#include "support/test_audio.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace soundsearch {
namespace test {
namespace {

constexpr double kPi = 3.14159265358979323846;

void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

// Speaker mask for WAVE_FORMAT_EXTENSIBLE (FFmpeg's default layouts).
uint32_t ChannelMask(int channels) {
  switch (channels) {
    case 1:
      return 0x4;
    case 2:
      return 0x3;
    case 3:
      return 0x7;
    case 4:
      return 0x107;
    case 5:
      return 0x607;
    case 6:
      return 0x3F;
    case 8:
      return 0x63F;
    default:
      return 0;
  }
}

// RIFF/WAVE with one fmt chunk and one data chunk holding `payload`.
absl::Status WriteWav(const std::string& path, const std::string& payload,
                      int sample_rate, int channels, bool is_float, int bits) {
  if (channels < 1 || sample_rate < 1) {
    return absl::InvalidArgumentError("bad channels or sample rate");
  }
  const bool extensible = channels > 2;
  const uint16_t format_tag = extensible ? 0xFFFE : (is_float ? 3 : 1);
  const uint16_t block_align = static_cast<uint16_t>(channels * bits / 8);
  std::string fmt;
  PutU16(fmt, format_tag);
  PutU16(fmt, static_cast<uint16_t>(channels));
  PutU32(fmt, static_cast<uint32_t>(sample_rate));
  PutU32(fmt, static_cast<uint32_t>(sample_rate) * block_align);
  PutU16(fmt, block_align);
  PutU16(fmt, static_cast<uint16_t>(bits));
  if (extensible) {
    PutU16(fmt, 22);                           // cbSize
    PutU16(fmt, static_cast<uint16_t>(bits));  // valid bits
    PutU32(fmt, ChannelMask(channels));
    // Sub-format GUID: {0000000X-0000-0010-8000-00aa00389b71}.
    PutU32(fmt, is_float ? 3 : 1);
    const unsigned char rest[12] = {0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
                                    0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};
    fmt.append(reinterpret_cast<const char*>(rest), sizeof(rest));
  }
  std::string out = "RIFF";
  PutU32(out, static_cast<uint32_t>(4 + 8 + fmt.size() + 8 + payload.size()));
  out += "WAVEfmt ";
  PutU32(out, static_cast<uint32_t>(fmt.size()));
  out += fmt;
  out += "data";
  PutU32(out, static_cast<uint32_t>(payload.size()));
  out += payload;
  return WriteFileBytes(path, out);
}

}  // namespace

std::vector<float> Sine(double frequency_hz, double seconds, int sample_rate,
                        float amplitude) {
  const size_t n = static_cast<size_t>(std::lround(seconds * sample_rate));
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(
        amplitude * std::sin(2 * kPi * frequency_hz * i / sample_rate));
  }
  return out;
}

std::vector<float> WhiteNoise(double seconds, int sample_rate, float amplitude,
                              uint32_t seed) {
  const size_t n = static_cast<size_t>(std::lround(seconds * sample_rate));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-amplitude, amplitude);
  std::vector<float> out(n);
  for (float& x : out) x = dist(rng);
  return out;
}

std::vector<float> Silence(double seconds, int sample_rate) {
  return Constant(0.0f, seconds, sample_rate);
}

std::vector<float> Constant(float value, double seconds, int sample_rate) {
  return std::vector<float>(
      static_cast<size_t>(std::lround(seconds * sample_rate)), value);
}

std::vector<float> Interleave(const std::vector<std::vector<float>>& channels) {
  if (channels.empty()) return {};
  const size_t n = channels[0].size();
  std::vector<float> out(n * channels.size());
  for (size_t c = 0; c < channels.size(); ++c) {
    for (size_t i = 0; i < n && i < channels[c].size(); ++i) {
      out[i * channels.size() + c] = channels[c][i];
    }
  }
  return out;
}

std::vector<float> MeanOfChannels(absl::Span<const float> interleaved,
                                  int channels) {
  const size_t n = interleaved.size() / channels;
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    double sum = 0;
    for (int c = 0; c < channels; ++c) sum += interleaved[i * channels + c];
    out[i] = static_cast<float>(sum / channels);
  }
  return out;
}

absl::Status WriteFloatWav(const std::string& path,
                           absl::Span<const float> samples, int sample_rate,
                           int channels) {
  std::string payload;
  payload.reserve(samples.size() * 4);
  for (float x : samples) {
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    PutU32(payload, bits);
  }
  return WriteWav(path, payload, sample_rate, channels, /*is_float=*/true, 32);
}

absl::Status WritePcm16Wav(const std::string& path,
                           absl::Span<const float> samples, int sample_rate,
                           int channels) {
  std::string payload;
  payload.reserve(samples.size() * 2);
  for (float x : samples) {
    const float clipped = std::fmax(-1.0f, std::fmin(1.0f, x));
    const auto v = static_cast<int16_t>(std::lround(clipped * 32767.0f));
    PutU16(payload, static_cast<uint16_t>(v));
  }
  return WriteWav(path, payload, sample_rate, channels, /*is_float=*/false, 16);
}

absl::Status RunFfmpeg(const std::vector<std::string>& args) {
  std::vector<std::string> argv_strings = {
      "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  char log_path[] = "/tmp/soundsearch_ffmpeg_log_XXXXXX";
  const int log_fd = mkstemp(log_path);
  if (log_fd < 0) {
    return absl::InternalError(absl::StrCat("mkstemp: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
  pid_t pid;
  const int spawn_error =
      posix_spawnp(&pid, "ffmpeg", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(log_fd);
  int wait_status = 0;
  if (spawn_error == 0) {
    while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
  }
  std::string log;
  {
    std::ifstream in(log_path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    log = buffer.str();
  }
  unlink(log_path);
  const std::string command = absl::StrJoin(argv_strings, " ");
  if (spawn_error != 0) {
    return absl::InternalError(absl::StrCat("cannot run '", command,
                                            "': ", std::strerror(spawn_error)));
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    return absl::InternalError(absl::StrCat("'", command, "' failed: ", log));
  }
  return absl::OkStatus();
}

absl::Status EncodeWithFfmpeg(const std::string& input,
                              const std::string& output,
                              const std::vector<std::string>& args) {
  std::vector<std::string> all = {"-i", input};
  all.insert(all.end(), args.begin(), args.end());
  all.push_back(output);
  return RunFfmpeg(all);
}

absl::Status EncodeManyWithFfmpeg(const std::string& input,
                                  const std::vector<EncodeTarget>& targets) {
  std::vector<std::string> all = {"-i", input};
  for (const EncodeTarget& target : targets) {
    all.insert(all.end(), target.args.begin(), target.args.end());
    all.push_back(target.output);
  }
  return RunFfmpeg(all);
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::Status WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<TempDir> TempDir::Create() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(
      base != nullptr && *base != '\0' ? base : "/tmp", "/soundsearch_XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp(", pattern, "): ", std::strerror(errno)));
  }
  return TempDir(pattern);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::File(const std::string& name) const {
  return absl::StrCat(path_, "/", name);
}

}  // namespace test
}  // namespace soundsearch
