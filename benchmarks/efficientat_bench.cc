// efficientat_bench: throughput of the exported EfficientAT mn04 model on CPU
// through our torchscript encoder, and end-to-end ingest with the
// `efficientat` space enabled (a program in the style of leveldb's db_bench;
// figures in docs/performance.md).
//
//   efficientat_bench MODEL_PT [--clip-seconds 85] [--repeats 3]
//                     [--ingest-clips 20]
//
// MODEL_PT is the exported model (scripts/models writes
// data/models/efficientat/efficientat.pt); its spec is read from the same
// path with the extension .json (efficientat.json).
//
// 1. Encoder: Encode() of one clip_seconds clip (85 s = 16 windows of 10 s at
//    a 5 s hop, so batch 16 is one forward) for torch_threads 1 and 2 and
//    batch_size 1 and 16; median wall time of `repeats` runs after a warm-up,
//    xRT = clip seconds / wall seconds, and xRT per CPU-second of the
//    process (steadier on a shared machine).
// 2. Ingest: SoundCollection::Add of ingest_clips generated 10 s WAV clips
//    (decode + embed + synced store write + index), first with the `dsp`
//    space alone (the baseline), then with deploy/spaces.efficientat.json
//    (dsp + efficientat); clips per second, xRT and the ratio.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "soundsearch/encoder.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/space_config.h"
#include "soundsearch/torch_kinds.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

constexpr int kRate = 32000;

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// A busy, music-like test signal: a few harmonic notes changing every
// 0.5 s over low noise, peak below 1.
std::vector<float> TestSignal(double seconds, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> noise(-0.02f, 0.02f);
  std::uniform_int_distribution<int> note(40, 80);
  const int n = static_cast<int>(seconds * kRate);
  std::vector<float> pcm(n);
  double f0 = 220;
  for (int i = 0; i < n; ++i) {
    if (i % (kRate / 2) == 0)
      f0 = 440.0 * std::pow(2.0, (note(rng) - 69) / 12.0);
    const double t = static_cast<double>(i) / kRate;
    double x = 0;
    for (int h = 1; h <= 4; ++h) x += std::sin(2 * M_PI * f0 * h * t) / h;
    pcm[i] = static_cast<float>(0.25 * x) + noise(rng);
  }
  return pcm;
}

// scripts/models writes the spec as efficientat.json beside efficientat.pt.
std::string SpecPath(const std::string& model) {
  return std::filesystem::path(model).replace_extension(".json").string();
}

int EncoderBench(const std::string& model, double clip_seconds, int repeats) {
  const std::vector<float> pcm = TestSignal(clip_seconds, 1);
  std::printf("encoder: %s, one %.0f s clip, median of %d runs\n",
              model.c_str(), clip_seconds, repeats);
  std::printf("%-7s %-7s %12s %9s %10s %10s\n", "threads", "batch", "wall/clip",
              "xRT", "xRT/core", "xRT/CPU-s");
  for (int threads : {1, 2}) {
    for (int batch : {1, 16}) {
      EncoderOptions options;
      options.kind = "torchscript";
      options.model_path = model;
      options.spec_path = SpecPath(model);
      options.torch_threads = threads;
      options.batch_size = batch;
      options.allow_gpu = false;
      auto encoder = Encoder::Create(options);
      if (!encoder.ok()) {
        std::fprintf(stderr, "efficientat_bench: %s\n",
                     std::string(encoder.status().message()).c_str());
        return 1;
      }
      if (!(*encoder)->Encode(pcm).ok()) return 1;  // warm-up
      std::vector<double> walls, cpus;
      for (int r = 0; r < repeats; ++r) {
        const double t0 = Now(), c0 = CpuNow();
        auto clip = (*encoder)->Encode(pcm);
        walls.push_back(Now() - t0);
        cpus.push_back(CpuNow() - c0);
        if (!clip.ok()) {
          std::fprintf(stderr, "efficientat_bench: %s\n",
                       std::string(clip.status().message()).c_str());
          return 1;
        }
      }
      std::sort(walls.begin(), walls.end());
      std::sort(cpus.begin(), cpus.end());
      const double wall = walls[walls.size() / 2];
      const double cpu = cpus[cpus.size() / 2];
      std::printf("%-7d %-7d %9.0f ms %9.1f %10.1f %10.1f\n", threads, batch,
                  1e3 * wall, clip_seconds / wall,
                  clip_seconds / wall / threads, clip_seconds / cpu);
    }
  }
  return 0;
}

// Ingests `clips` through a fresh collection with `spaces`; returns seconds.
double Ingest(const std::vector<SpaceConfig>& spaces,
              const std::vector<std::string>& clips, const std::string& dir) {
  std::filesystem::remove_all(dir);
  CollectionOptions options;
  options.data_dir = dir;
  options.spaces = spaces;
  auto collection = SoundCollection::Open(options);
  if (!collection.ok()) {
    std::fprintf(stderr, "efficientat_bench: %s\n",
                 std::string(collection.status().message()).c_str());
    std::exit(1);
  }
  const double t0 = Now();
  for (size_t i = 0; i < clips.size(); ++i) {
    SoundInput input;
    input.external_id = "clip" + std::to_string(i);
    auto added = (*collection)->Add(clips[i], input);
    if (!added.ok()) {
      std::fprintf(stderr, "efficientat_bench: ingest: %s\n",
                   std::string(added.status().message()).c_str());
      std::exit(1);
    }
  }
  const double seconds = Now() - t0;
  collection->reset();
  std::filesystem::remove_all(dir);
  return seconds;
}

int IngestBench(const std::string& model, int n) {
  auto dir = test::TempDir::Create();
  if (!dir.ok()) return 1;
  std::vector<std::string> clips;
  const double clip_seconds = 10.0;
  for (int i = 0; i < n; ++i) {
    const std::string path = dir->path() + "/c.wav";
    if (!test::WritePcm16Wav(path, TestSignal(clip_seconds, 100 + i), kRate, 1)
             .ok())
      return 1;
    auto bytes = test::ReadFileBytes(path);
    if (!bytes.ok()) return 1;
    clips.push_back(*bytes);
  }
  auto spaces = LoadSpaceConfigFile(std::string(SOUNDSEARCH_SOURCE_DIR) +
                                    "/deploy/spaces.efficientat.json");
  if (!spaces.ok()) {
    std::fprintf(stderr, "efficientat_bench: %s\n",
                 std::string(spaces.status().message()).c_str());
    return 1;
  }
  for (SpaceConfig& s : *spaces) {
    if (s.name == "efficientat") {
      s.encoder.model_path = model;
      s.encoder.spec_path = SpecPath(model);
    }
  }
  std::vector<SpaceConfig> dsp_only = {(*spaces)[0]};
  const double audio = n * clip_seconds;
  std::printf(
      "\ningest: %d clips of %.0f s (32 kHz PCM16 WAV), one at a time, "
      "synced writes\n",
      n, clip_seconds);
  const double base = Ingest(dsp_only, clips, dir->path() + "/dsp");
  std::printf("  dsp only          %6.2f clips/s  %7.1f xRT\n", n / base,
              audio / base);
  const double both = Ingest(*spaces, clips, dir->path() + "/both");
  std::printf(
      "  dsp + efficientat %6.2f clips/s  %7.1f xRT  (%.2fx the time "
      "of dsp only)\n",
      n / both, audio / both, both / base);
  return 0;
}

}  // namespace
}  // namespace soundsearch

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr,
                 "usage: efficientat_bench MODEL_PT [--clip-seconds S] "
                 "[--repeats N] [--ingest-clips N]\n"
                 "  MODEL_PT: the exported EfficientAT model; `scripts/models` "
                 "writes data/models/efficientat/efficientat.pt\n");
    return 2;
  }
  if (absl::Status torch = soundsearch::RegisterTorchKinds(); !torch.ok()) {
    std::fprintf(stderr, "%s\n", torch.ToString().c_str());
    return 1;
  }
  const std::string model = argv[1];
  if (!std::filesystem::is_regular_file(model)) {
    std::fprintf(stderr,
                 "efficientat_bench: model not found: %s\n"
                 "  run scripts/models first (it needs "
                 "../shared/models/efficientat/mn04_as_mAP_432.pt)\n",
                 model.c_str());
    return 2;
  }
  double clip_seconds = 85;
  int repeats = 3, ingest_clips = 20;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    bool ok = false;
    if (flag == "--clip-seconds")
      ok = absl::SimpleAtod(argv[i + 1], &clip_seconds);
    if (flag == "--repeats") ok = absl::SimpleAtoi(argv[i + 1], &repeats);
    if (flag == "--ingest-clips")
      ok = absl::SimpleAtoi(argv[i + 1], &ingest_clips);
    if (!ok || repeats < 1 || ingest_clips < 0 || clip_seconds <= 0) {
      std::fprintf(stderr, "efficientat_bench: bad flag %s\n", flag.c_str());
      return 2;
    }
  }
  int rc = soundsearch::EncoderBench(model, clip_seconds, repeats);
  if (rc == 0 && ingest_clips > 0) {
    rc = soundsearch::IngestBench(model, ingest_clips);
  }
  return rc;
}
