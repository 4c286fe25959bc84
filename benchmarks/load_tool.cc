// load_tool: whole-system load test of soundsearchd (leveldb db_bench style).
// A real server in this process, real gRPC clients on loopback.
//
//   load_tool [--sounds 10000,100000] [--clients 1,4,16] [--seconds 10]
//             [--kinds flat,flat_single,hnsw,sq8] [--hnsw-m 32]
//             [--hnsw-ef-construction 200] [--hnsw-ef-search 128]
//             [--extra-ef-search 64,256] [--recall-queries 500]
//             [--trace-queries 1000]
//             [--ingest-clips 200] [--clip-seconds 10] [--csv FILE]
//             [--expand 3,10] [--http] [--previews off,on]
//             [--ingest-clients 8] [--fusion 1] [--augment 5]
//             [--batch-window-us 200] [--max-in-flight 0]
//
// For each collection size N it writes N synthetic sounds straight into a
// fresh store (clustered random raw vectors of the `dsp` space), then for
// each index kind starts the server on that store (the first start fits PCA
// 100; every start rebuilds the index from the store, timed) and runs closed
// loops of C clients for T seconds: QueryByExample by id, k = 15. Kinds:
// flat (exact, queries coalesced), hnsw, sq8, fp16, auto; a kind with the
// suffix _single (flat_single, hnsw_single) runs with coalescing off. After
// each server stops, the tool loads the index snapshot it wrote and, in the
// same run, times raw FAISS on that very FAISS index (one query per call, C
// threads), measures memory per vector and, for the approximate kinds,
// recall@15 of query by id against exact search. Finally it ingests generated
// clips through AddSound and compares with decoding alone.
// --batch-window-us and --max-in-flight set the coalescer's window_us and
// max_in_flight (ServerOptions::search_batching; 0: one batch per hardware
// thread) instead of their defaults.
// --csv appends one line per (size, kind, clients) for tools/plot_load.py.
// --expand times query by id again with query expansion of each number of
// neighbours (docs/api.md), for the flat kind, at the first client count.
// --http times, for the flat kind at the first client count, query by id and
// by a 5 s clip over gRPC and over the HTTP/JSON API (docs/http.md: one
// keep-alive connection per client thread) and prints the difference.
// --previews lists the preview settings the ingest runs with (each a fresh
// server); with previews on it also prints preview bytes per second of audio.
// --fusion 1 adds a second space `dsp-b` (the same raw vectors, PCA 50) and a
// late and a concat fusion of the two (0.5 / 0.5, docs/config.md "fusion"),
// and times query by id in each of them too (flat kind, first client count).
// --augment N turns database-side augmentation (N neighbours, alpha 3) on
// for `dsp`: compare a run with it against one without.
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "faiss/Index.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "index/faiss_vector_index.h"
#include "rpc/to_proto.h"
#include "server/soundsearch_server.h"
#include "soundsearch/audio_decoder.h"
#include "soundsearch/blas_info.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/raw_embedding.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::vector<int> sounds = {10000, 100000};
  std::vector<int> clients = {1, 4, 16};
  double seconds = 10;
  std::vector<std::string> kinds = {"flat", "flat_single", "hnsw", "sq8"};
  int hnsw_m = 32;
  int hnsw_ef_construction = 200;
  int hnsw_ef_search = 128;
  std::vector<int> extra_ef_search;
  int recall_queries = 500;
  int trace_queries = 1000;
  int ingest_clips = 200;
  double clip_seconds = 10;
  std::vector<int> expand;  // query expansion neighbours to time by id
  bool http = false;        // gRPC against HTTP/JSON, flat kind
  std::vector<bool> previews = {false, true};  // ingest runs
  int ingest_clients = 8;
  bool fusion = false;       // add dsp-b and two fused spaces
  int augment = 0;           // augmentation neighbours of `dsp`; 0: off
  int batch_window_us = -1;  // coalescer window; -1: the default
  int max_in_flight = -1;    // coalescer batches at once; -1: the default
  std::string csv;
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
  out.p99_ms =
      1000 * seconds[std::min(seconds.size() - 1, seconds.size() * 99 / 100)];
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
    put16(static_cast<uint16_t>(
        static_cast<int16_t>(std::clamp(x, -1.0f, 1.0f) * 32767)));
  }
  const uint32_t riff = static_cast<uint32_t>(out.size() - 8);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>(riff >> (8 * i));
  return out;
}

// A clip: a few partials over noise, distinct per seed.
std::string Clip(uint32_t seed, double seconds, int rate = 22050) {
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

// Closed loop: `clients` threads call `call(rng, client)` back to back for
// `seconds`, with the thread's random generator and its client number.
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
        if (!call(rng, c)) errors++;
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

// One stub per client, each on its own channel and so its own connection
// (distinct channel arguments keep gRPC from sharing one subchannel), as
// separate backend processes would connect. On one shared connection the
// server's max_concurrent_streams (8 by default) would cap the calls in
// flight whatever the number of client threads.
template <typename Service>
class PerClientStubs {
 public:
  PerClientStubs(int port, int clients) {
    for (int c = 0; c < clients; ++c) {
      grpc::ChannelArguments args;
      args.SetInt("soundsearch.load_tool_client", c);
      stubs_.push_back(Service::NewStub(
          grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                    grpc::InsecureChannelCredentials(), args)));
    }
  }
  typename Service::Stub& operator[](int client) { return *stubs_[client]; }

 private:
  std::vector<std::unique_ptr<typename Service::Stub>> stubs_;
};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void PrintRow(const std::string& what, const Latency& l) {
  std::printf("  %-34s %9.1f qps  p50 %8.3f ms  p99 %8.3f ms  errors %lld\n",
              what.c_str(), l.qps, l.p50_ms, l.p99_ms,
              static_cast<long long>(l.errors));
}

// Writes n synthetic sounds (clustered raw `dsp` vectors) into a fresh store.
bool WriteStore(const std::string& dir, int n, bool fusion) {
  auto space = Space::Create(DefaultSpaceConfig());
  if (!space.ok()) return false;
  const int dim = (*space)->pooled_dim();
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
    return false;
  }
  const auto t0 = Clock::now();
  RawEmbedding raw;
  raw.pooled.resize(dim);
  for (int i = 0; i < n; ++i) {
    const auto& c = centres[i % kClusters];
    for (int d = 0; d < dim; ++d) raw.pooled[d] = c[d] + 0.5f * gauss(rng);
    SoundRecord record;
    record.name = absl::StrCat("synthetic-", i);
    record.content_hash = Sha256Hex(record.name);
    record.duration_seconds = 5;
    std::map<std::string, std::string> raws = {{"dsp", raw.Encode()}};
    if (fusion) raws["dsp-b"] = raws["dsp"];
    auto added = (*store)->AddSound(record, raws);
    if (!added.ok()) {
      std::fprintf(stderr, "%s\n", added.status().ToString().c_str());
      return false;
    }
  }
  std::printf("  wrote %d raw vectors of %d dims in %.1f s\n", n, dim,
              Seconds(t0));
  return true;
}

// "<kind>_single": the same index kind with coalescing off.
bool Single(const std::string& kind) { return absl::EndsWith(kind, "_single"); }

IndexOptions IndexFor(const std::string& kind, const Flags& f) {
  IndexOptions o;
  o.kind = Single(kind) ? kind.substr(0, kind.size() - 7) : kind;
  o.hnsw_m = f.hnsw_m;
  o.hnsw_ef_construction = f.hnsw_ef_construction;
  o.hnsw_ef_search = f.hnsw_ef_search;
  return o;
}

std::string ConfigJson(const IndexOptions& o, const Flags& f) {
  const std::string augment =
      f.augment > 0
          ? absl::StrCat(", \"augment\": {\"neighbours\": ", f.augment,
                         ", \"alpha\": 3}")
          : std::string();
  const std::string fusion =
      f.fusion ? ", {\"name\": \"dsp-b\", \"encoder\": {\"kind\": \"dsp\"}, "
                 "\"pca_dims\": 50}, "
                 "{\"name\": \"late\", \"fusion\": {\"of\": [\"dsp\", "
                 "\"dsp-b\"]}}, "
                 "{\"name\": \"cat\", \"fusion\": {\"of\": [\"dsp\", "
                 "\"dsp-b\"], \"kind\": \"concat\"}}"
               : "";
  return absl::StrCat(
      "{\"spaces\": [{\"name\": \"dsp\", \"encoder\": {\"kind\": \"dsp\"}, "
      "\"index\": {\"type\": \"",
      o.kind, "\", \"hnsw_m\": ", o.hnsw_m,
      ", \"hnsw_ef_construction\": ", o.hnsw_ef_construction,
      ", \"hnsw_ef_search\": ", o.hnsw_ef_search, "}", augment, "}", fusion,
      "]}");
}

VectorIndexOptions SnapshotOptions(const IndexOptions& o) {
  VectorIndexOptions v;
  v.dim = 100;
  v.metric = Metric::kCosine;
  v.index = o;
  return v;
}

// Recall@15 of `approx` against `exact` for query by id (own id excluded),
// over `queries` ids drawn from [1, n].
double Recall(const VectorIndex& approx, const VectorIndex& exact, int n,
              int queries) {
  std::mt19937 rng(99);
  int64_t found = 0, wanted = 0;
  for (int q = 0; q < queries; ++q) {
    const int64_t id = 1 + rng() % n;
    auto v = exact.Vector(id);
    if (!v.ok()) continue;
    SearchOptions o;
    o.k = 15;
    const int64_t own[] = {id};
    o.exclude_ids = own;
    auto truth = exact.Search(*v, o);
    auto got = approx.Search(*v, o);
    if (!truth.ok() || !got.ok()) continue;
    for (const SearchHit& t : *truth) {
      ++wanted;
      for (const SearchHit& g : *got) {
        if (g.id == t.id) {
          ++found;
          break;
        }
      }
    }
  }
  return wanted == 0 ? 0 : static_cast<double>(found) / wanted;
}

// Raw FAISS: one query per search call on the very FAISS object inside
// `index`, from `clients` threads, k = 16 (the query itself + 15).
// Query vectors come from `vectors` (an index that keeps float copies).
Latency RawFaiss(const FaissVectorIndex& index, const VectorIndex& vectors,
                 int n, int clients, double seconds) {
  std::vector<std::vector<float>> queries;
  std::mt19937 rng(7);
  for (int i = 0; i < 4096; ++i) {
    auto v = vectors.Vector(1 + rng() % n);
    if (v.ok()) queries.push_back(*std::move(v));
  }
  Latency out;
  if (queries.empty()) return out;
  index.WithFaissIndex([&](const faiss::Index& faiss_index) {
    out = ClosedLoop(clients, seconds, [&](auto& r, int) {
      omp_set_num_threads(1);  // as the server's searches (omp_threads = 1)
      const auto& q = queries[r() % queries.size()];
      float distances[16];
      faiss::Index::idx_t labels[16];
      faiss_index.search(1, q.data(), 16, distances, labels);
      return true;
    });
  });
  return out;
}

// The steps of a query by id, timed in process on the collection the server
// used (no gRPC): the example's vector and the search (QueryById), the
// results' records (Get), the response message (ToProto). Medians in ms.
void TraceQuerySteps(const std::string& dir, const std::string& config_path,
                     int n, int queries) {
  CollectionOptions options;
  options.data_dir = dir;
  options.snapshot_on_close = false;
  auto spaces = LoadSpaceConfigFile(config_path);
  if (!spaces.ok()) return;
  options.spaces = *spaces;
  options.search_batching.enabled = false;
  auto collection = SoundCollection::Open(options);
  if (!collection.ok()) {
    std::fprintf(stderr, "%s\n", collection.status().ToString().c_str());
    return;
  }
  std::vector<double> vector_ms, search_ms, records_ms, reply_ms, total_ms;
  std::mt19937 rng(5);
  for (int q = 0; q < queries; ++q) {
    const auto t0 = Clock::now();
    QueryOptions o;
    auto result = (*collection)->QueryById(1 + rng() % n, o);
    if (!result.ok()) continue;
    const auto t1 = Clock::now();
    std::vector<SoundRecord> records;
    for (const QueryHit& hit : result->hits) {
      auto record = (*collection)->Get(hit.id);
      if (record.ok()) records.push_back(*std::move(record));
    }
    const auto t2 = Clock::now();
    v1::QueryByExampleResponse response;
    ToProto(*result, &response);
    for (size_t i = 0; i < records.size(); ++i) {
      ToProto(result->hits[i], records[i], response.add_results());
    }
    std::string wire = response.SerializeAsString();
    const auto t3 = Clock::now();
    vector_ms.push_back(1000 * result->vector_seconds);
    search_ms.push_back(1000 * result->search_seconds);
    records_ms.push_back(1000 * std::chrono::duration<double>(t2 - t1).count());
    reply_ms.push_back(1000 * std::chrono::duration<double>(t3 - t2).count());
    total_ms.push_back(1000 * std::chrono::duration<double>(t3 - t0).count());
  }
  auto median = [](std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  std::printf(
      "  steps of a query by id (in process, %d queries, median ms): "
      "vector %.3f  search %.3f  records %.3f  reply %.3f  total "
      "%.3f\n",
      queries, median(vector_ms), median(search_ms), median(records_ms),
      median(reply_ms), median(total_ms));
}

// Query by id and by a 5 s clip over gRPC (`stub`) and over the HTTP/JSON
// API on `http_port`, `clients` closed loops each; prints the four rows and
// the HTTP overhead at p50.
void CompareHttp(PerClientStubs<v1::Query>& stubs, int http_port, int n,
                 int clients, double seconds) {
  const std::string clip = Clip(7, 5);
  const Latency grpc_audio = ClosedLoop(clients, seconds, [&](auto&, int c) {
    v1::QueryByExampleRequest request;
    request.set_audio(clip);
    request.set_k(15);
    v1::QueryByExampleResponse response;
    grpc::ClientContext ctx;
    return stubs[c].QueryByExample(&ctx, request, &response).ok();
  });
  const Latency grpc_id = ClosedLoop(clients, seconds, [&](auto& rng, int c) {
    v1::QueryByExampleRequest request;
    request.set_id(1 + rng() % n);
    request.set_k(15);
    v1::QueryByExampleResponse response;
    grpc::ClientContext ctx;
    return stubs[c].QueryByExample(&ctx, request, &response).ok() &&
           response.results_size() == 15;
  });
  auto http_client = [http_port]() -> httplib::Client& {
    thread_local std::unique_ptr<httplib::Client> client;
    thread_local int client_port = 0;
    if (client == nullptr || client_port != http_port) {
      client = std::make_unique<httplib::Client>("127.0.0.1", http_port);
      client->set_keep_alive(true);
      client->set_tcp_nodelay(true);
      client->set_read_timeout(60, 0);
      client_port = http_port;
    }
    return *client;
  };
  const Latency http_id = ClosedLoop(clients, seconds, [&](auto& rng, int) {
    auto result =
        http_client().Get(absl::StrCat("/api/query?k=15&id=", 1 + rng() % n));
    return result && result->status == 200;
  });
  const Latency http_audio = ClosedLoop(clients, seconds, [&](auto&, int) {
    auto result = http_client().Post("/api/query?k=15", clip, "audio/wav");
    return result && result->status == 200;
  });
  const std::string c = absl::StrCat(", ", clients, " clients");
  PrintRow("by id, gRPC" + c, grpc_id);
  PrintRow("GET /api/query?id=, HTTP" + c, http_id);
  PrintRow("by 5 s audio, gRPC" + c, grpc_audio);
  PrintRow("POST /api/query 5 s, HTTP" + c, http_audio);
  std::printf("  HTTP overhead at p50: by id %+.3f ms, by audio %+.3f ms\n",
              http_id.p50_ms - grpc_id.p50_ms,
              http_audio.p50_ms - grpc_audio.p50_ms);
}

int RunSize(int n, const Flags& flags, std::FILE* csv) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           absl::StrCat("soundsearch_load_", getpid(), "_", n))
                              .string();
  std::filesystem::remove_all(dir);
  std::printf("\n== %d sounds (%.0f s per loop)\n", n, flags.seconds);
  if (!WriteStore(dir, n, flags.fusion)) return 1;
  std::unique_ptr<VectorIndex> exact;  // the flat snapshot, for recall
  // The snapshot's name carries the augmentation (docs/config.md).
  const std::string snapshot =
      flags.augment > 0
          ? absl::StrCat(dir, "/index/dsp.augment-", flags.augment, "-3.idx")
          : dir + "/index/dsp.idx";
  const int max_clients =
      *std::max_element(flags.clients.begin(), flags.clients.end());

  for (const std::string& kind : flags.kinds) {
    const IndexOptions index_options = IndexFor(kind, flags);
    const std::string config_path = dir + "/spaces.json";
    std::ofstream(config_path) << ConfigJson(index_options, flags);
    ServerOptions options;
    options.data_dir = dir;
    options.config_path = config_path;
    options.listen = "127.0.0.1:0";
    options.metrics_listen = "";
    options.query_threads = std::max(2, max_clients);
    options.sync_writes = false;
    options.search_batching.enabled = !Single(kind);
    if (flags.batch_window_us >= 0) {
      options.search_batching.window_us = flags.batch_window_us;
    }
    if (flags.max_in_flight >= 0) {
      options.search_batching.max_in_flight = flags.max_in_flight;
    }
    options.http_listen = flags.http ? "127.0.0.1:0" : "";
    // Rebuild (timed) unless a _single kind follows its own kind: that one
    // loads the snapshot the previous run wrote.
    if (!Single(kind)) std::filesystem::remove(snapshot);
    const auto open0 = Clock::now();
    auto server = SoundsearchServer::Start(options);
    if (!server.ok()) {
      std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
      return 1;
    }
    const double start_s = Seconds(open0);
    std::printf(" -- %s: server start (%s) %.1f s\n", kind.c_str(),
                Single(kind)       ? "snapshot load, or rebuild"
                : exact == nullptr ? "PCA fit + index build from the store"
                                   : "index build from the store",
                start_s);
    PerClientStubs<v1::Query> stubs((*server)->port(), max_clients);
    std::vector<Latency> ours;
    for (int clients : flags.clients) {
      ours.push_back(ClosedLoop(clients, flags.seconds, [&](auto& rng, int c) {
        v1::QueryByExampleRequest request;
        request.set_id(1 + rng() % n);
        request.set_k(15);
        v1::QueryByExampleResponse response;
        grpc::ClientContext ctx;
        return stubs[c].QueryByExample(&ctx, request, &response).ok() &&
               response.results_size() == 15;
      }));
    }
    if (index_options.kind == "flat" && !Single(kind)) {
      for (int neighbours : flags.expand) {
        const Latency expanded = ClosedLoop(
            flags.clients.front(), flags.seconds, [&](auto& rng, int c) {
              v1::QueryByExampleRequest request;
              request.set_id(1 + rng() % n);
              request.set_k(15);
              request.mutable_expand()->set_neighbours(neighbours);
              v1::QueryByExampleResponse response;
              grpc::ClientContext ctx;
              return stubs[c].QueryByExample(&ctx, request, &response).ok() &&
                     response.results_size() == 15;
            });
        PrintRow(absl::StrCat(kind, " by id, expand ", neighbours, ", ",
                              flags.clients.front(), " clients"),
                 expanded);
      }
      if (flags.http) {
        CompareHttp(stubs, (*server)->http_port(), n, flags.clients.front(),
                    flags.seconds);
      }
      for (const char* space : {"late", "cat"}) {
        if (!flags.fusion) break;
        const Latency fused = ClosedLoop(
            flags.clients.front(), flags.seconds, [&](auto& rng, int c) {
              v1::QueryByExampleRequest request;
              request.set_id(1 + rng() % n);
              request.set_k(15);
              request.set_space(space);
              v1::QueryByExampleResponse response;
              grpc::ClientContext ctx;
              return stubs[c].QueryByExample(&ctx, request, &response).ok() &&
                     response.results_size() == 15;
            });
        PrintRow(absl::StrCat(kind, " by id in `", space, "`, ",
                              flags.clients.front(), " clients"),
                 fused);
      }
    }
    (*server)->Shutdown();
    server->reset();

    // The snapshot the server wrote on shutdown: the same FAISS index.
    auto loaded = VectorIndex::Load(snapshot, SnapshotOptions(index_options));
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
      return 1;
    }
    auto* faiss_index = dynamic_cast<FaissVectorIndex*>(loaded->index.get());
    const double bytes_per_vector =
        static_cast<double>(loaded->index->MemoryBytes()) /
        std::max<int64_t>(1, loaded->index->size());
    double recall = -1;
    std::string recall_text = "exact";
    if (index_options.kind != "flat") {
      if (exact != nullptr) {
        recall = Recall(*loaded->index, *exact, n, flags.recall_queries);
        recall_text = absl::StrFormat("%.4f", recall);
      } else {
        recall_text = "? (run flat first)";
      }
    }
    std::printf("  memory %.0f B/vector, recall@15 %s\n", bytes_per_vector,
                recall_text.c_str());
    for (size_t c = 0; c < flags.clients.size(); ++c) {
      const int clients = flags.clients[c];
      const Latency raw =
          RawFaiss(*faiss_index, exact != nullptr ? *exact : *loaded->index, n,
                   clients, flags.seconds);
      PrintRow(absl::StrCat(kind, " by id, ", clients, " clients"), ours[c]);
      PrintRow(absl::StrCat("raw FAISS, ", clients, " threads"), raw);
      std::printf("  %-34s p50 ours/raw %.2f, QPS ours/raw %.2f\n", "",
                  ours[c].p50_ms / std::max(raw.p50_ms, 1e-9),
                  ours[c].qps / std::max(raw.qps, 1e-9));
      if (csv != nullptr) {
        std::fprintf(csv,
                     "%d,%s,%d,%.1f,%.3f,%.3f,%lld,%.1f,%.3f,%.3f,%.4f,"
                     "%.0f,%.1f\n",
                     n, kind.c_str(), clients, ours[c].qps, ours[c].p50_ms,
                     ours[c].p99_ms, static_cast<long long>(ours[c].errors),
                     raw.qps, raw.p50_ms, raw.p99_ms, recall, bytes_per_vector,
                     start_s);
        std::fflush(csv);
      }
    }
    if (kind == "hnsw" && exact != nullptr) {  // once per size
      for (int ef : flags.extra_ef_search) {
        IndexOptions other = index_options;
        other.hnsw_ef_search = ef;
        auto again = VectorIndex::Load(snapshot, SnapshotOptions(other));
        if (!again.ok()) continue;
        std::printf("  hnsw ef_search %d: recall@15 %.4f\n", ef,
                    Recall(*again->index, *exact, n, flags.recall_queries));
      }
    }
    if (index_options.kind == "flat" && exact == nullptr) {
      exact = std::move(loaded->index);
      if (flags.trace_queries > 0) {
        TraceQuerySteps(dir, config_path, n, flags.trace_queries);
      }
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}

int RunIngest(const Flags& flags) {
  const int clients = flags.ingest_clients;
  std::printf("\n== ingest of %d generated %.0f s WAV clips (%d clients)\n",
              flags.ingest_clips, flags.clip_seconds, clients);
  std::vector<std::string> clips;
  for (int i = 0; i < flags.ingest_clips; ++i) {
    clips.push_back(Clip(100 + i, flags.clip_seconds));
  }
  const double audio_seconds = flags.clip_seconds * flags.ingest_clips;

  // Decoding alone, same clients.
  auto decoder = AudioDecoder::Create({});
  if (!decoder.ok()) return 1;
  std::atomic<int> next{0};
  auto t0 = Clock::now();
  {
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&] {
        for (int i = next++; i < flags.ingest_clips; i = next++) {
          (void)(*decoder)->DecodeBytes(clips[i]);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const double decode_wall = Seconds(t0);
  std::printf("  decode only:                %7.1f clips/s  %7.1fx real time\n",
              flags.ingest_clips / decode_wall, audio_seconds / decode_wall);

  for (bool previews : flags.previews) {
    const std::string dir = (std::filesystem::temp_directory_path() /
                             absl::StrCat("soundsearch_ingest_", getpid()))
                                .string();
    std::filesystem::remove_all(dir);
    ServerOptions options;
    options.data_dir = dir;
    options.listen = "127.0.0.1:0";
    options.metrics_listen = "";
    options.http_listen = previews ? "127.0.0.1:0" : "";
    options.previews = previews;
    options.ingest_workers = 2;
    auto server = SoundsearchServer::Start(options);
    if (!server.ok()) {
      std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
      return 1;
    }
    PerClientStubs<v1::Ingest> stubs((*server)->port(), clients);
    next = 0;
    std::atomic<int> errors{0};
    std::vector<uint64_t> ids(flags.ingest_clips, 0);
    t0 = Clock::now();
    {
      std::vector<std::thread> threads;
      for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
          for (int i = next++; i < flags.ingest_clips; i = next++) {
            v1::AddSoundRequest request;
            request.set_audio(clips[i]);
            v1::AddSoundResponse response;
            grpc::ClientContext ctx;
            if (stubs[c].AddSound(&ctx, request, &response).ok()) {
              ids[i] = response.id();
            } else {
              errors++;
            }
          }
        });
      }
      for (auto& t : threads) t.join();
    }
    const double ingest_wall = Seconds(t0);
    size_t preview_bytes = 0;
    if (previews) {
      httplib::Client client("127.0.0.1", (*server)->http_port());
      for (uint64_t id : ids) {
        if (id == 0) continue;
        auto result = client.Get(absl::StrCat("/api/sounds/", id, "/preview"));
        if (result && result->status == 200) {
          preview_bytes += result->body.size();
        }
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
      std::printf("  preview bytes per second of audio (%d kbit/s MP3): %.0f\n",
                  options.preview_bitrate_kbps, preview_bytes / audio_seconds);
    }
    std::printf("  ratio ingest / decode-only throughput: %.2f\n",
                decode_wall / ingest_wall);
  }
  return 0;
}

}  // namespace
}  // namespace soundsearch

int main(int argc, char** argv) {
  // As soundsearchd: absl's deadlock detection off (see its main).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  soundsearch::Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--http") {
      flags.http = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", flag.c_str());
      return 2;
    }
    const std::string value = argv[++i];
    auto ints = [&value] {
      std::vector<int> out;
      for (absl::string_view s : absl::StrSplit(value, ',')) {
        int n = 0;
        if (absl::SimpleAtoi(s, &n) && n > 0) out.push_back(n);
      }
      return out;
    };
    if (flag == "--sounds") {
      flags.sounds = ints();
    } else if (flag == "--clients") {
      flags.clients = ints();
    } else if (flag == "--kinds") {
      flags.kinds = absl::StrSplit(value, ',');
    } else if (flag == "--hnsw-m") {
      flags.hnsw_m = std::stoi(value);
    } else if (flag == "--hnsw-ef-construction") {
      flags.hnsw_ef_construction = std::stoi(value);
    } else if (flag == "--hnsw-ef-search") {
      flags.hnsw_ef_search = std::stoi(value);
    } else if (flag == "--extra-ef-search") {
      flags.extra_ef_search = ints();
    } else if (flag == "--recall-queries") {
      flags.recall_queries = std::stoi(value);
    } else if (flag == "--trace-queries") {
      flags.trace_queries = std::stoi(value);
    } else if (flag == "--expand") {
      flags.expand = ints();
    } else if (flag == "--ingest-clients") {
      flags.ingest_clients = std::stoi(value);
    } else if (flag == "--previews") {
      flags.previews.clear();
      for (absl::string_view p : absl::StrSplit(value, ',')) {
        if (p != "on" && p != "off") {
          std::fprintf(stderr, "--previews takes on and/or off\n");
          return 2;
        }
        flags.previews.push_back(p == "on");
      }
    } else if (flag == "--fusion") {
      flags.fusion = value == "1" || value == "true";
    } else if (flag == "--batch-window-us") {
      flags.batch_window_us = std::stoi(value);
    } else if (flag == "--max-in-flight") {
      flags.max_in_flight = std::stoi(value);
    } else if (flag == "--augment") {
      flags.augment = std::stoi(value);
    } else if (flag == "--clip-seconds") {
      flags.clip_seconds = std::stod(value);
    } else if (flag == "--csv") {
      flags.csv = value;
    } else if (flag == "--seconds") {
      flags.seconds = std::stod(value);
    } else if (flag == "--ingest-clips") {
      flags.ingest_clips = std::stoi(value);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::printf("load_tool: %u hardware threads, BLAS %s\n",
              std::thread::hardware_concurrency(),
              soundsearch::LoadedBlas().Describe().c_str());
  std::FILE* csv = nullptr;
  if (!flags.csv.empty()) {
    const bool fresh = !std::filesystem::exists(flags.csv);
    csv = std::fopen(flags.csv.c_str(), "a");
    if (csv == nullptr) {
      std::fprintf(stderr, "cannot write %s\n", flags.csv.c_str());
      return 2;
    }
    if (fresh) {
      std::fprintf(csv,
                   "sounds,kind,clients,qps,p50_ms,p99_ms,errors,raw_qps,"
                   "raw_p50_ms,raw_p99_ms,recall15,bytes_per_vector,"
                   "start_s\n");
    }
  }
  for (int n : flags.sounds) {
    if (soundsearch::RunSize(n, flags, csv) != 0) return 1;
  }
  if (csv != nullptr) std::fclose(csv);
  return flags.ingest_clips > 0 ? soundsearch::RunIngest(flags) : 0;
}
