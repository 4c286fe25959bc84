// http_load_tool: the HTTP/JSON API against gRPC, and ingest with previews
// on and off (docs/performance.md); load_tool is the index-kind load test.
// A real server in this process, real gRPC clients on loopback.
//
//   http_load_tool [--sounds 10000,100000] [--clients 8] [--seconds 10]
//             [--ingest-clips 200]
//
// For each collection size N it writes N synthetic sounds straight into a
// fresh store (clustered random raw vectors of the `dsp` space), starts the
// server (which fits PCA 100 on them), then runs closed loops of C clients
// for T seconds: QueryByExample by id, and by audio (a 5 s clip, decoded and
// embedded per query). In the same run it times raw FAISS (IndexFlatIP) on
// the very same 100-d vectors and prints the ratio. Finally it ingests
// generated 5 s clips through AddSound and compares with decoding alone.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "faiss/IndexFlat.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "server/soundsearch_server.h"
#include "soundsearch/audio_decoder.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/raw_embedding.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"

namespace soundsearch {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::vector<int> sounds = {10000, 100000};
  int clients = 8;
  double seconds = 10;
  int ingest_clips = 200;
};

struct Latency {
  double qps = 0, p50_ms = 0, p99_ms = 0;
  int64_t errors = 0;
};

Latency Summarise(std::vector<double> seconds, double wall, int64_t errors) {
  Latency out;
  out.errors = errors;
  if (seconds.empty()) return out;
  std::sort(seconds.begin(), seconds.end());
  out.qps = seconds.size() / wall;
  out.p50_ms = 1000 * seconds[seconds.size() / 2];
  out.p99_ms = 1000 * seconds[std::min(seconds.size() - 1,
                                       seconds.size() * 99 / 100)];
  return out;
}

// Little-endian PCM16 mono WAV of `pcm` at `rate`.
std::string Wav(const std::vector<float>& pcm, int rate) {
  std::string out = "RIFF....WAVEfmt ";
  auto put32 = [&out](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  };
  auto put16 = [&out](uint16_t v) {
    out.push_back(static_cast<char>(v));
    out.push_back(static_cast<char>(v >> 8));
  };
  put32(16);
  put16(1);
  put16(1);
  put32(rate);
  put32(rate * 2);
  put16(2);
  put16(16);
  out += "data";
  put32(static_cast<uint32_t>(pcm.size() * 2));
  for (float x : pcm) {
    put16(static_cast<uint16_t>(static_cast<int16_t>(
        std::clamp(x, -1.0f, 1.0f) * 32767)));
  }
  const uint32_t riff = static_cast<uint32_t>(out.size() - 8);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>(riff >> (8 * i));
  return out;
}

// A 5 s clip: a few partials over noise, distinct per seed.
std::string Clip(uint32_t seed, int rate = 22050, double seconds = 5) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> f0(100, 2000), noise(-0.05f, 0.05f);
  const float a = f0(rng), b = f0(rng);
  std::vector<float> pcm(static_cast<size_t>(rate * seconds));
  for (size_t i = 0; i < pcm.size(); ++i) {
    const float t = static_cast<float>(i) / rate;
    pcm[i] = 0.3f * std::sin(6.2831853f * a * t) +
             0.2f * std::sin(6.2831853f * b * t) + noise(rng);
  }
  return Wav(pcm, rate);
}

// Closed loop: `clients` threads call `call` back to back for `seconds`.
template <typename Call>
Latency ClosedLoop(int clients, double seconds, Call call) {
  std::vector<std::vector<double>> latencies(clients);
  std::atomic<int64_t> errors{0};
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937 rng(1000 + c);
      while (Clock::now() < end) {
        const auto t0 = Clock::now();
        if (!call(rng)) errors++;
        latencies[c].push_back(
            std::chrono::duration<double>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  return Summarise(std::move(all),
                   std::chrono::duration<double>(Clock::now() - start).count(),
                   errors);
}

void PrintRow(const char* what, const Latency& l, const char* extra = "") {
  std::printf("  %-34s %9.1f qps  p50 %8.3f ms  p99 %8.3f ms  errors %lld%s\n",
              what, l.qps, l.p50_ms, l.p99_ms,
              static_cast<long long>(l.errors), extra);
}

int RunSize(int n, const Flags& flags) {
  const std::string dir =
      (std::filesystem::temp_directory_path() /
       absl::StrCat("soundsearch_load_", getpid(), "_", n))
          .string();
  std::filesystem::remove_all(dir);
  std::printf("\n== %d sounds (%d clients, %.0f s per loop)\n", n,
              flags.clients, flags.seconds);

  // 1. A synthetic collection straight into the store.
  auto space = Space::Create(DefaultSpaceConfig());
  if (!space.ok()) return 1;
  const int dim = (*space)->pooled_dim();
  std::vector<RawEmbedding> raws(n);
  {
    std::mt19937 rng(42);
    std::normal_distribution<float> gauss(0, 1);
    constexpr int kClusters = 50;
    std::vector<std::vector<float>> centres(kClusters, std::vector<float>(dim));
    for (auto& c : centres) {
      for (float& x : c) x = gauss(rng);
    }
    std::filesystem::create_directories(dir);
    SoundStoreOptions store_options;
    store_options.path = dir + "/store";
    store_options.sync_writes = false;  // bulk load; rebuildable
    auto store = SoundStore::Open(store_options);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      raws[i].pooled.resize(dim);
      const auto& c = centres[i % kClusters];
      for (int d = 0; d < dim; ++d) raws[i].pooled[d] = c[d] + 0.5f * gauss(rng);
      SoundRecord record;
      record.name = absl::StrCat("synthetic-", i);
      record.content_hash = Sha256Hex(record.name);
      record.duration_seconds = 5;
      auto added = (*store)->AddSound(record, {{"dsp", raws[i].Encode()}});
      if (!added.ok()) {
        std::fprintf(stderr, "%s\n", added.status().ToString().c_str());
        return 1;
      }
    }
    std::printf("  wrote %d raw vectors of %d dims in %.1f s\n", n, dim,
                std::chrono::duration<double>(Clock::now() - t0).count());
  }

  // 2. The server on that directory (it fits PCA 100 on open).
  ServerOptions options;
  options.data_dir = dir;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "";
  options.query_threads = std::max(2, flags.clients);
  options.http_listen = "127.0.0.1:0";
  const auto open0 = Clock::now();
  auto server = SoundsearchServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("  server start (fit + index build) %.1f s\n",
              std::chrono::duration<double>(Clock::now() - open0).count());
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                          grpc::InsecureChannelCredentials());
  auto stub = v1::Query::NewStub(channel);

  const Latency by_id = ClosedLoop(flags.clients, flags.seconds, [&](auto& rng) {
    v1::QueryByExampleRequest request;
    request.set_id(1 + rng() % n);
    request.set_k(15);
    v1::QueryByExampleResponse response;
    grpc::ClientContext ctx;
    return stub->QueryByExample(&ctx, request, &response).ok() &&
           response.results_size() == 15;
  });
  const std::string clip = Clip(7);
  const Latency by_audio =
      ClosedLoop(flags.clients, flags.seconds, [&](auto&) {
        v1::QueryByExampleRequest request;
        request.set_audio(clip);
        request.set_k(15);
        v1::QueryByExampleResponse response;
        grpc::ClientContext ctx;
        return stub->QueryByExample(&ctx, request, &response).ok();
      });
  // The same two queries over the HTTP/JSON API (one keep-alive connection
  // per client thread).
  const int http_port = (*server)->http_port();
  auto http_client = [http_port]() -> httplib::Client& {
    thread_local std::unique_ptr<httplib::Client> client;
    if (client == nullptr) {
      client = std::make_unique<httplib::Client>("127.0.0.1", http_port);
      client->set_keep_alive(true);
      client->set_tcp_nodelay(true);
      client->set_read_timeout(60, 0);
    }
    return *client;
  };
  const Latency http_by_id =
      ClosedLoop(flags.clients, flags.seconds, [&](auto& rng) {
        auto result = http_client().Get(
            absl::StrCat("/api/query?k=15&id=", 1 + rng() % n));
        return result && result->status == 200;
      });
  const Latency http_by_audio =
      ClosedLoop(flags.clients, flags.seconds, [&](auto&) {
        auto result = http_client().Post("/api/query?k=15", clip, "audio/wav");
        return result && result->status == 200;
      });
  (*server)->Shutdown();

  // 3. Raw FAISS on the same 100-d vectors (the same deterministic fit).
  auto fitted = (*space)->Fit(raws);
  if (!fitted.ok()) return 1;
  int index_dim = 0;
  auto vectors = (*fitted)->ProjectBatch(raws, nullptr, &index_dim);
  if (!vectors.ok()) return 1;
  faiss::IndexFlatIP flat(index_dim);
  flat.add(n, vectors->data());
  const Latency raw = ClosedLoop(flags.clients, flags.seconds, [&](auto& rng) {
    const int q = rng() % n;
    std::vector<float> distances(16);
    std::vector<faiss::Index::idx_t> labels(16);
    flat.search(1, vectors->data() + static_cast<size_t>(q) * index_dim, 16,
                distances.data(), labels.data());
    return true;
  });

  PrintRow("QueryByExample by id (gRPC)", by_id);
  PrintRow("QueryByExample by 5 s audio (gRPC)", by_audio);
  PrintRow("GET /api/query?id= (HTTP/JSON)", http_by_id);
  PrintRow("POST /api/query 5 s audio (HTTP/JSON)", http_by_audio);
  std::printf("  HTTP overhead, p50 by id: %+.3f ms, by audio: %+.3f ms\n",
              http_by_id.p50_ms - by_id.p50_ms,
              http_by_audio.p50_ms - by_audio.p50_ms);
  PrintRow("raw FAISS IndexFlatIP search", raw);
  std::printf("  ratio by-id p50 / raw FAISS p50: %.2f (by-id adds gRPC, "
              "RocksDB lookups of the query's raw vector and of 15 results)\n",
              by_id.p50_ms / std::max(raw.p50_ms, 1e-9));
  std::filesystem::remove_all(dir);
  return 0;
}

int RunIngest(const Flags& flags) {
  std::printf("\n== ingest of %d generated 5 s WAV clips (%d clients)\n",
              flags.ingest_clips, flags.clients);
  std::vector<std::string> clips;
  for (int i = 0; i < flags.ingest_clips; ++i) clips.push_back(Clip(100 + i));
  const double audio_seconds = 5.0 * flags.ingest_clips;

  // Decoding alone, same clients.
  auto decoder = AudioDecoder::Create({});
  if (!decoder.ok()) return 1;
  std::atomic<int> next{0};
  auto t0 = Clock::now();
  {
    std::vector<std::thread> threads;
    for (int c = 0; c < flags.clients; ++c) {
      threads.emplace_back([&] {
        for (int i = next++; i < flags.ingest_clips; i = next++) {
          (void)(*decoder)->DecodeBytes(clips[i]);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const double decode_wall =
      std::chrono::duration<double>(Clock::now() - t0).count();

  std::printf("  decode only:         %7.1f clips/s  %7.1fx real time\n",
              flags.ingest_clips / decode_wall, audio_seconds / decode_wall);
  for (bool previews : {true, false}) {
    const std::string dir = (std::filesystem::temp_directory_path() /
                             absl::StrCat("soundsearch_ingest_", getpid()))
                                .string();
    std::filesystem::remove_all(dir);
    ServerOptions options;
    options.data_dir = dir;
    options.listen = "127.0.0.1:0";
    options.metrics_listen = "";
    options.http_listen = "127.0.0.1:0";
    options.previews = previews;
    options.ingest_workers = 2;
    auto server = SoundsearchServer::Start(options);
    if (!server.ok()) return 1;
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                            grpc::InsecureChannelCredentials());
    auto stub = v1::Ingest::NewStub(channel);
    next = 0;
    std::atomic<int> errors{0};
    absl::Mutex ids_mu;
    std::vector<uint64_t> ids;
    t0 = Clock::now();
    {
      std::vector<std::thread> threads;
      for (int c = 0; c < flags.clients; ++c) {
        threads.emplace_back([&] {
          for (int i = next++; i < flags.ingest_clips; i = next++) {
            v1::AddSoundRequest request;
            request.set_audio(clips[i]);
            v1::AddSoundResponse response;
            grpc::ClientContext ctx;
            if (!stub->AddSound(&ctx, request, &response).ok()) errors++;
            absl::MutexLock lock(&ids_mu);
            ids.push_back(response.id());
          }
        });
      }
      for (auto& t : threads) t.join();
    }
    const double ingest_wall =
        std::chrono::duration<double>(Clock::now() - t0).count();
    size_t preview_bytes = 0;
    if (previews) {
      httplib::Client client("127.0.0.1", (*server)->http_port());
      for (uint64_t id : ids) {
        auto result = client.Get(absl::StrCat("/api/sounds/", id, "/preview"));
        if (result && result->status == 200)
          preview_bytes += result->body.size();
      }
    }
    (*server)->Shutdown();
    std::filesystem::remove_all(dir);
    std::printf(
        "  AddSound (synced), previews %s: %7.1f clips/s  %7.1fx real "
        "time  errors %d\n",
        previews ? "on " : "off", flags.ingest_clips / ingest_wall,
        audio_seconds / ingest_wall, errors.load());
    if (previews) {
      std::printf("  preview bytes per second of audio (32 kbit/s MP3): %.0f\n",
                  preview_bytes / audio_seconds);
    }
    std::printf("  ratio ingest / decode-only throughput: %.2f\n",
                decode_wall / ingest_wall);
  }
  return 0;
}

}  // namespace
}  // namespace soundsearch

int main(int argc, char** argv) {
  soundsearch::Flags flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--sounds") {
      flags.sounds.clear();
      for (absl::string_view s : absl::StrSplit(value, ',')) {
        int n = 0;
        if (absl::SimpleAtoi(s, &n) && n > 0) flags.sounds.push_back(n);
      }
    } else if (flag == "--clients") {
      flags.clients = std::stoi(value);
    } else if (flag == "--seconds") {
      flags.seconds = std::stod(value);
    } else if (flag == "--ingest-clips") {
      flags.ingest_clips = std::stoi(value);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::printf("load_tool: %u hardware threads\n",
              std::thread::hardware_concurrency());
  for (int n : flags.sounds) {
    if (soundsearch::RunSize(n, flags) != 0) return 1;
  }
  return flags.ingest_clips > 0 ? soundsearch::RunIngest(flags) : 0;
}
