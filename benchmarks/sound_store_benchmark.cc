// AddSound throughput: each iteration stores one sound with raw vectors in
// two spaces (100 and 300 float32s) in one atomic write. Reported as
// items_per_second (sounds/s). BM_AddSound/1 is synced (the default, a
// durable acknowledgement); /0 is unsynced. ->Threads(n) runs n concurrent
// writers on one store.
#include <stdlib.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/sound_store.h"

namespace soundsearch {
namespace {

std::string Floats(int dim, int seed) {
  std::vector<float> v(dim);
  for (int i = 0; i < dim; ++i) v[i] = static_cast<float>(seed + i) * 1e-3f;
  std::string out(v.size() * sizeof(float), '\0');
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

struct SharedStore {
  std::string dir;
  std::unique_ptr<SoundStore> store;
  std::atomic<int> next{0};
};
SharedStore* g_shared = nullptr;

void BM_AddSound(benchmark::State& state) {
  const bool sync = state.range(0) != 0;
  if (state.thread_index() == 0) {
    g_shared = new SharedStore;
    std::string tmpl = (std::filesystem::temp_directory_path() /
                        "sound_store_benchmark_XXXXXX")
                           .string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    g_shared->dir = tmpl;
    SoundStoreOptions options;
    options.path = tmpl + "/db";
    options.sync_writes = sync;
    auto store = SoundStore::Open(options);
    if (!store.ok()) std::abort();
    g_shared->store = std::move(*store);
  }
  // Every thread's loop starts after this setup (the loop begins with a
  // barrier) and thread 0's teardown runs after every loop ended.
  // Building the record (and its SHA-256) is timed too: microseconds against
  // a synced write's milliseconds.
  const std::map<std::string, std::string> raw = {{"dsp", Floats(100, 1)},
                                                  {"neural", Floats(300, 2)}};
  for (auto _ : state) {
    const int n = g_shared->next++;
    SoundRecord sound;
    sound.external_id = absl::StrCat("ext-", n);
    sound.name = absl::StrCat("sound ", n);
    sound.tags = {"bench", "dog"};
    sound.class_labels = {"Animal"};
    sound.duration_seconds = 4.0;
    sound.source = "bench";
    sound.content_hash = Sha256Hex(absl::StrCat("bench content ", n));
    auto added = g_shared->store->AddSound(sound, raw);
    if (!added.ok() || added->duplicate) {
      state.SkipWithError("AddSound failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    g_shared->store.reset();
    std::filesystem::remove_all(g_shared->dir);
    delete g_shared;
    g_shared = nullptr;
  }
}
BENCHMARK(BM_AddSound)->Arg(1)->Arg(0)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_AddSound)->Arg(1)->Threads(4)->UseRealTime()->MinTime(2.0);

// A store of `n` sounds (each with a 400-float raw vector, as a result page's
// sounds have beside them), written once per size and kept for every mode.
SoundStore* ReadStore(int n) {
  static std::map<int, std::unique_ptr<SoundStore>>* stores =
      new std::map<int, std::unique_ptr<SoundStore>>;
  auto& store = (*stores)[n];
  if (store != nullptr) return store.get();
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "sound_store_benchmark_XXXXXX")
          .string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  SoundStoreOptions options;
  options.path = tmpl + "/db";
  options.sync_writes = false;
  auto opened = SoundStore::Open(options);
  if (!opened.ok()) std::abort();
  store = std::move(*opened);
  for (int i = 0; i < n; ++i) {
    SoundRecord sound;
    sound.name = absl::StrCat("sound ", i);
    sound.tags = {"bench", "dog"};
    sound.duration_seconds = 4.0;
    sound.content_hash = Sha256Hex(absl::StrCat("bench content ", i));
    if (!store->AddSound(sound, {{"dsp", Floats(400, i)}}).ok()) std::abort();
  }
  return store.get();
}

// The records of one page of 15 results at random ids: range(0) sounds in
// the store, range(1) 0 = one GetSound per id, 1 = one GetSounds call.
// Reported per page.
void BM_ReadResultPage(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const bool batched = state.range(1) != 0;
  SoundStore* store = ReadStore(n);
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint64_t> pick(1, n);
  std::vector<uint64_t> ids(15);
  for (auto _ : state) {
    for (uint64_t& id : ids) id = pick(rng);
    if (batched) {
      auto records = store->GetSounds(ids);
      for (const auto& r : records) {
        if (!r.ok()) state.SkipWithError("GetSounds failed");
      }
    } else {
      for (uint64_t id : ids) {
        if (!store->GetSound(id).ok()) state.SkipWithError("GetSound failed");
      }
    }
  }
}
BENCHMARK(BM_ReadResultPage)
    ->ArgsProduct({{10000, 1000000}, {0, 1}})
    ->MinTime(2.0);

}  // namespace
}  // namespace soundsearch

BENCHMARK_MAIN();
