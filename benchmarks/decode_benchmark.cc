// decode_benchmark: decoding throughput of AudioDecoder in times real time,
// next to the ffmpeg CLI doing the same conversion (to mono float32 at the
// same rate, written to /dev/null) in the same run.
//
// It makes its own clip: `--seconds` (default 60) of stereo 44.1 kHz music-like
// signal (chords, noise, an envelope), encoded with the ffmpeg CLI as WAV
// (PCM16), FLAC, MP3 (192 kbit/s) and Ogg Vorbis (q5). Each decode is timed
// `--reps` times (default 5) and the median is reported.
//
//   build/bin/decode_benchmark [--seconds=60] [--reps=5] [--rate=22050]
//
// Exits 1 when in-process decoding of any format is slower than the CLI.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "soundsearch/audio_decoder.h"
#include "support/test_audio.h"

extern char** environ;

namespace soundsearch {
namespace {

constexpr double kPi = 3.14159265358979323846;

struct Timing {
  double wall = -1;  // seconds, median
  double cpu = -1;   // seconds of CPU (user + system), median
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Times `run` `reps` times; `run` returns the CPU seconds it used (< 0 on
// failure).
Timing Measure(int reps, const std::function<double()>& run) {
  std::vector<double> walls, cpus;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu = run();
    if (cpu < 0) return {};
    walls.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
    cpus.push_back(cpu);
  }
  return {Median(walls), Median(cpus)};
}

// Runs the ffmpeg CLI conversion the decoder does; returns the child's CPU
// seconds, < 0 unless it exits with status 0.
double RunCli(const std::string& path, int rate) {
  const std::string rate_text = std::to_string(rate);
  std::vector<std::string> args = {
      "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i",
      path,     "-vn",      "-ac",          "1",         "-ar",   rate_text,
      "-f",     "f32le",    "-y",           "/dev/null"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, "ffmpeg", nullptr, nullptr, argv.data(), environ) !=
      0) {
    return -1;
  }
  int status = 0;
  rusage usage;
  if (wait4(pid, &status, 0, &usage) < 0) return -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec * 1e-6;
}

// Stereo, 44.1 kHz: a slowly changing chord, a little noise, a 2 Hz envelope.
std::vector<float> MusicLikeSignal(double seconds, int rate) {
  const size_t n = static_cast<size_t>(seconds * rate);
  const std::vector<float> noise = test::WhiteNoise(seconds, rate, 0.05f, 9);
  std::vector<float> out(2 * n);
  const double roots[] = {220.0, 261.63, 329.63, 392.0};
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double root = roots[static_cast<size_t>(t / 2) % 4];
    const double env = 0.6 + 0.4 * std::sin(2 * kPi * 2 * t);
    const double chord = std::sin(2 * kPi * root * t) +
                         0.5 * std::sin(2 * kPi * root * 1.25 * t) +
                         0.3 * std::sin(2 * kPi * root * 1.5 * t);
    const float x = static_cast<float>(0.25 * env * chord) + noise[i];
    out[2 * i] = x;
    out[2 * i + 1] = 0.8f * x + noise[(i + 7) % n];
  }
  return out;
}

int Main(int argc, char** argv) {
  double seconds = 60;
  int reps = 5;
  int rate = 22050;
  for (int i = 1; i < argc; ++i) {
    if (std::sscanf(argv[i], "--seconds=%lf", &seconds) == 1) continue;
    if (std::sscanf(argv[i], "--reps=%d", &reps) == 1) continue;
    if (std::sscanf(argv[i], "--rate=%d", &rate) == 1) continue;
    std::fprintf(stderr, "usage: %s [--seconds=60] [--reps=5] [--rate=22050]\n",
                 argv[0]);
    return 2;
  }
  auto dir = test::TempDir::Create();
  if (!dir.ok()) {
    std::fprintf(stderr, "%s\n", dir.status().ToString().c_str());
    return 1;
  }
  const std::string source = dir->File("source.wav");
  absl::Status status = test::WriteFloatWav(
      source, MusicLikeSignal(seconds, 44100), 44100, /*channels=*/2);
  struct Case {
    std::string name;
    std::string path;
    std::vector<std::string> args;
  };
  std::vector<Case> cases = {
      {"WAV pcm16", dir->File("clip.wav"), {"-c:a", "pcm_s16le"}},
      {"FLAC", dir->File("clip.flac"), {"-c:a", "flac"}},
      {"MP3 192k",
       dir->File("clip.mp3"),
       {"-c:a", "libmp3lame", "-b:a", "192k"}},
      {"Ogg Vorbis q5",
       dir->File("clip.ogg"),
       {"-c:a", "libvorbis", "-q:a", "5"}},
  };
  std::vector<test::EncodeTarget> targets;
  for (const Case& c : cases) targets.push_back({c.path, c.args});
  if (status.ok()) status = test::EncodeManyWithFfmpeg(source, targets);
  if (!status.ok()) {
    std::fprintf(stderr, "making the clips: %s\n", status.ToString().c_str());
    return 1;
  }

  AudioDecoderOptions options;
  options.target_sample_rate = rate;
  auto decoder = AudioDecoder::Create(options);
  if (!decoder.ok()) {
    std::fprintf(stderr, "%s\n", decoder.status().ToString().c_str());
    return 1;
  }
  // CLI start-up cost alone: the same conversion of a 0.1 s clip.
  const std::string tiny = dir->File("tiny.wav");
  status = test::WritePcm16Wav(tiny, test::Sine(440, 0.1, 44100), 44100, 1);
  const Timing startup = status.ok()
                             ? Measure(reps, [&] { return RunCli(tiny, rate); })
                             : Timing();

  std::printf(
      "decode_benchmark: %.0f s stereo 44.1 kHz clip -> mono f32 at "
      "%d Hz, median of %d runs; x = times real time\n",
      seconds, rate, reps);
  std::printf("ffmpeg CLI start-up (0.1 s clip): wall %.3f s, cpu %.3f s\n\n",
              startup.wall, startup.cpu);
  std::printf("%-14s %8s | %8s %7s %8s %7s | %8s %7s %8s %7s | %7s %7s\n",
              "format", "KiB", "in_wall", "x", "in_cpu", "x", "cli_wall", "x",
              "cli_cpu", "x", "wall_r", "cpu_r");
  bool slower = false;
  for (const Case& c : cases) {
    size_t samples = 0;
    const Timing in_process = Measure(reps, [&] {
      const double start = ThreadCpuSeconds();
      auto audio = (*decoder)->DecodeFile(c.path);
      if (!audio.ok()) {
        std::fprintf(stderr, "%s: %s\n", c.name.c_str(),
                     audio.status().ToString().c_str());
        return -1.0;
      }
      samples = audio->samples.size();
      return ThreadCpuSeconds() - start;
    });
    const Timing cli = Measure(reps, [&] { return RunCli(c.path, rate); });
    if (in_process.wall <= 0 || cli.wall <= 0) {
      std::fprintf(stderr, "%s: a run failed\n", c.name.c_str());
      return 1;
    }
    auto bytes = test::ReadFileBytes(c.path);
    std::printf(
        "%-14s %8.0f | %8.3f %6.0fx %8.3f %6.0fx | %8.3f %6.0fx %8.3f %6.0fx "
        "| %6.2fx %6.2fx\n",
        c.name.c_str(), bytes.ok() ? bytes->size() / 1024.0 : -1.0,
        in_process.wall, seconds / in_process.wall, in_process.cpu,
        seconds / in_process.cpu, cli.wall, seconds / cli.wall, cli.cpu,
        seconds / cli.cpu, cli.wall / in_process.wall,
        cli.cpu / in_process.cpu);
    if (std::fabs(static_cast<double>(samples) / rate - seconds) > 0.1) {
      std::fprintf(stderr, "%s: decoded %zu samples, expected %.0f s\n",
                   c.name.c_str(), samples, seconds);
      return 1;
    }
    // CPU time is the verdict: wall time on a shared machine is noise.
    if (in_process.cpu > cli.cpu) slower = true;
  }
  std::printf(
      "\nwall_r, cpu_r: CLI time / in-process time (> 1: in-process "
      "faster); the CLI's include its start-up.\n");
  std::printf("%s\n", slower ? "FAIL: in-process decoding used more CPU than "
                               "the CLI"
                             : "OK: in-process decoding at least as fast as "
                               "the CLI for every format");
  return slower ? 1 : 0;
}

}  // namespace
}  // namespace soundsearch

int main(int argc, char** argv) { return soundsearch::Main(argc, argv); }
