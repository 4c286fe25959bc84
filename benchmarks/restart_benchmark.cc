// restart_benchmark: how long soundsearchd's collection takes to open again
// (issue 11, docs/performance.md "Restart"): after a clean stop (snapshot
// loaded, nothing to replay) and after a SIGKILL that follows N changes no
// snapshot holds (snapshot loaded, the change-log tail replayed).
//
//   restart_benchmark [--sounds 1000000] [--changes 10000] [--dir D]
//                     [--soundsearchd PATH] [--keep] [--reuse]
//
// --reuse: D already holds a collection (from a --keep run): instead of
// building, it is opened once and closed with a snapshot (replaying what a
// previous kill phase left), then timed as below. Each Open prints its wall
// time and the CPU time of its process (steadier on a loaded host).
//
// The collection is built through the store and collection APIs directly,
// not through gRPC with audio: each sound is a SoundStore::AddSound of a
// record and one synthetic 100-d raw vector (space `bench`: mfcc encoder,
// 50 coefficients, mean_std pooling = 100 values, no PCA, cosine, flat
// index), written unsynced by two threads. A first Open rebuilds the index
// from the raw vectors; its close writes the snapshot. Then, each timed in
// a fresh process:
//   1. clean: Open after that clean close;
//   2. kill: a child opens the collection with periodic snapshots off,
//      commits N changes (3/4 adds, 1/4 deletes; PreparedSound built
//      directly), is SIGKILLed; Open then replays the N changes;
//   3. with --soundsearchd: the real server started on that same killed
//      directory, timed from fork to grpc.health.v1 SERVING.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "benchmarks/server_process.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/raw_embedding.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space_config.h"

namespace soundsearch {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kDim = 100;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// User + system CPU seconds of this process (all its threads) so far.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

SpaceConfig BenchSpace() {
  SpaceConfig c;
  c.name = "bench";
  c.encoder.kind = "mfcc";
  c.encoder.n_mfcc = 50;
  c.encoder.mfcc_n_mels = 64;
  c.encoder.mfcc_deltas = false;
  c.pooling = Pooling::kMeanStd;
  c.scaling = Scaling::kNone;
  c.pca_dims = 0;
  c.min_fit_items = 2000000000;
  return c;
}

const char kBenchSpaceJson[] = R"({"spaces": [{"name": "bench",
  "encoder": {"kind": "mfcc", "n_mfcc": 50, "mfcc_n_mels": 64,
              "mfcc_deltas": false},
  "pooling": "mean_std", "scaling": "none", "pca_dims": 0,
  "metric": "cosine", "min_fit_items": 2000000000}]})";

CollectionOptions Options(const std::string& dir) {
  CollectionOptions o;
  o.data_dir = dir;
  o.spaces = {BenchSpace()};
  o.auto_fit = false;
  o.sync_writes = false;
  return o;
}

// A clustered random vector, distinct per n.
RawEmbedding Vector(uint64_t n) {
  std::mt19937 rng(static_cast<uint32_t>(n * 2654435761u));
  std::normal_distribution<float> noise(0.0f, 0.3f);
  RawEmbedding raw;
  raw.pooled.resize(kDim);
  const int cluster = static_cast<int>(n % 1000);
  for (int d = 0; d < kDim; ++d) {
    raw.pooled[d] = std::sin(0.37f * d * (cluster + 1)) + noise(rng);
  }
  return raw;
}

SoundRecord Record(uint64_t n) {
  SoundRecord r;
  r.external_id = absl::StrCat("r", n);
  r.name = absl::StrCat("sound ", n);
  r.tags = {absl::StrCat("word", n % 100)};
  r.class_labels = {absl::StrCat("label", n % 50)};
  r.duration_seconds = 1 + static_cast<double>(n % 30);
  r.source = "restart_benchmark";
  r.content_hash = Sha256Hex(absl::StrCat("restart sound ", n));
  return r;
}

int Build(const std::string& dir, uint64_t sounds, bool reuse) {
  const auto t0 = Clock::now();
  if (!reuse) {
    SoundStoreOptions so;
    so.path = dir + "/store";
    so.sync_writes = false;
    auto store = SoundStore::Open(so);
    if (!store.ok()) {
      std::printf("open store: %s\n", store.status().ToString().c_str());
      return 1;
    }
    std::atomic<uint64_t> next{0};
    std::atomic<bool> failed{false};
    auto writer = [&] {
      for (uint64_t n = next++; n < sounds && !failed; n = next++) {
        auto added =
            (*store)->AddSound(Record(n), {{"bench", Vector(n).Encode()}});
        if (!added.ok()) {
          std::printf("add %llu: %s\n", static_cast<unsigned long long>(n),
                      added.status().ToString().c_str());
          failed = true;
        }
      }
    };
    std::thread a(writer), b(writer);
    a.join();
    b.join();
    if (failed) return 1;
  }
  if (!reuse) {
    std::printf("built %llu sounds through SoundStore::AddSound in %.1f s\n",
                static_cast<unsigned long long>(sounds), Since(t0));
  }
  const auto t1 = Clock::now();
  auto collection = SoundCollection::Open(Options(dir));
  if (!collection.ok()) {
    std::printf("open: %s\n", collection.status().ToString().c_str());
    return 1;
  }
  const double open = Since(t1);
  const auto t2 = Clock::now();
  collection->reset();  // writes the snapshot
  std::printf("%s: %.2f s; close with snapshot: %.2f s\n",
              reuse ? "reused directory, open (replays what the last kill "
                      "phase left)"
                    : "first open (index rebuilt from the raw vectors)",
              open, Since(t2));
  return 0;
}

// Opens, reports, and closes without writing snapshots (so that the state
// on disk stays what was measured).
int TimeOpen(const std::string& dir, const char* what) {
  CollectionOptions o = Options(dir);
  o.snapshot_on_close = false;
  o.snapshot_every_changes = 0;
  o.snapshot_every_seconds = 0;
  const auto t0 = Clock::now();
  const double cpu0 = CpuSeconds();
  auto collection = SoundCollection::Open(o);
  const double seconds = Since(t0);
  const double cpu = CpuSeconds() - cpu0;
  if (!collection.ok()) {
    std::printf("%s: open failed: %s\n", what,
                collection.status().ToString().c_str());
    return 1;
  }
  const CollectionOpenReport& r = (*collection)->open_report();
  std::printf(
      "%s: Open %.2f s wall, %.2f s CPU (%llu sounds; %s; %llu change(s) "
      "replayed)\n",
      what, seconds, cpu,
      static_cast<unsigned long long>((*collection)->size()),
      r.rebuilt.empty() ? "snapshot loaded"
                        : ("rebuilt: " + r.rebuilt.begin()->second).c_str(),
      static_cast<unsigned long long>(r.replayed_changes));
  std::fflush(stdout);
  return 0;
}

// The child of the kill phase: N changes no snapshot holds, then wait.
int CommitChanges(const std::string& dir, uint64_t sounds, uint64_t changes) {
  CollectionOptions o = Options(dir);
  o.snapshot_every_changes = 0;
  o.snapshot_every_seconds = 0;
  o.snapshot_on_close = false;
  auto collection = SoundCollection::Open(o);
  if (!collection.ok()) return 1;
  const auto t0 = Clock::now();
  // New sounds and deleted ids differ from run to run (a --reuse run
  // commits its changes on top of an earlier kill phase's).
  const uint64_t base =
      sounds + static_cast<uint64_t>(time(nullptr)) % 100000 * changes;
  uint64_t next_delete = 1 + static_cast<uint64_t>(time(nullptr)) % 7;
  for (uint64_t i = 0; i < changes; ++i) {
    absl::Status s;
    if (i % 4 == 3) {
      do {  // an id an earlier run deleted: the next one
        s = (*collection)->Delete(next_delete);
        next_delete += 7;
      } while (absl::IsNotFound(s));
    } else {
      const uint64_t n = base + i;
      PreparedSound p;
      p.record = Record(n);
      p.raw.emplace("bench", Vector(n));
      s = (*collection)->Commit(std::move(p)).status();
    }
    if (!s.ok()) {
      std::printf("change %llu: %s\n", static_cast<unsigned long long>(i),
                  s.ToString().c_str());
      return 1;
    }
  }
  std::printf(
      "child: %llu changes committed in %.1f s, no snapshot since; "
      "waiting for SIGKILL\n",
      static_cast<unsigned long long>(changes), Since(t0));
  std::fflush(stdout);
  for (;;) pause();
}

int Main(int argc, char** argv) {
  uint64_t sounds = 1000000, changes = 10000;
  std::string dir, soundsearchd;
  bool keep = false, reuse = false;
  std::string child;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--sounds" && absl::SimpleAtoi(v, &sounds)) {
      ++i;
    } else if (arg == "--changes" && absl::SimpleAtoi(v, &changes)) {
      ++i;
    } else if (arg == "--dir") {
      dir = v;
      ++i;
    } else if (arg == "--soundsearchd") {
      soundsearchd = v;
      ++i;
    } else if (arg == "--child") {  // internal: the kill phase's writer
      child = v;
      ++i;
    } else if (arg == "--keep") {
      keep = true;
    } else if (arg == "--reuse") {
      reuse = true;
    } else {
      std::fprintf(stderr,
                   "usage: restart_benchmark [--sounds N] [--changes N] "
                   "[--dir D] [--soundsearchd PATH] [--keep] [--reuse]\n");
      return 2;
    }
  }
  if (!child.empty()) return CommitChanges(child, sounds, changes);
  if (reuse && dir.empty()) {
    std::fprintf(stderr, "restart_benchmark: --reuse needs --dir\n");
    return 2;
  }
  if (dir.empty()) {
    char pattern[] = "/tmp/soundsearch_restart_XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    dir = pattern;
  }
  std::filesystem::create_directories(dir);
  std::printf(
      "restart_benchmark: %llu sounds of %d-d vectors, %llu changes "
      "before the kill, data in %s\n",
      static_cast<unsigned long long>(sounds), kDim,
      static_cast<unsigned long long>(changes), dir.c_str());
  std::fflush(stdout);
  if (Build(dir, sounds, reuse) != 0) return 1;
  // Each timed Open in a fresh process, as a restart is.
  auto timed = [&](const char* what) {
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) _exit(TimeOpen(dir, what));
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  };
  if (timed("restart after a clean stop") != 0) return 1;

  int out[2];
  if (pipe(out) != 0) return 1;
  std::fflush(stdout);
  const pid_t writer = fork();
  if (writer == 0) {
    dup2(out[1], STDOUT_FILENO);
    const std::string self = "/proc/self/exe";
    const std::string s = std::to_string(sounds), c = std::to_string(changes);
    execl(self.c_str(), argv[0], "--child", dir.c_str(), "--sounds", s.c_str(),
          "--changes", c.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char ch;
  while (read(out[0], &ch, 1) == 1) {
    line.push_back(ch);
    if (ch == '\n') {
      std::printf("%s", line.c_str());
      if (line.find("waiting for SIGKILL") != std::string::npos) break;
      line.clear();
    }
  }
  kill(writer, SIGKILL);
  int status = 0;
  waitpid(writer, &status, 0);
  std::printf("child SIGKILLed\n");
  if (timed("restart after SIGKILL") != 0) return 1;

  if (!soundsearchd.empty()) {
    const std::string config = dir + "/bench_space.json";
    std::ofstream(config) << kBenchSpaceJson;
    auto server = bench::ServerProcess::Start(
        soundsearchd,
        {absl::StrCat("--data-dir=", dir), absl::StrCat("--config=", config),
         "--snapshot-every-changes=0", "--snapshot-every-seconds=0"},
        dir + "/soundsearchd.log", std::chrono::seconds(600));
    if (!server.ok()) {
      std::printf("soundsearchd: %s\n",
                  std::string(server.status().message()).c_str());
      return 1;
    }
    std::printf(
        "soundsearchd on the killed directory: SERVING %.2f s after "
        "fork (RSS %.0f MiB)\n",
        (*server)->start_seconds(), (*server)->RssBytes() / 1048576.0);
    (*server)->Kill();
  }
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace soundsearch

int main(int argc, char** argv) { return soundsearch::Main(argc, argv); }
