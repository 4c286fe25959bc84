// soundsearchd: the soundsearch server (ingest daemon + query service in one
// process). See README.md and docs/operations.md.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "server/soundsearch_server.h"
#include "soundsearch/blas_info.h"
#include "soundsearch/build_info.h"
#include "soundsearch/collection_check.h"
#include "soundsearch/space_config.h"
#include "soundsearch/speech_kinds.h"
#include "soundsearch/torch_kinds.h"

ABSL_FLAG(std::string, data_dir, "soundsearch-data",
          "Data directory (RocksDB store and index snapshots); created if "
          "missing");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC listen address");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "Prometheus /metrics listen address; empty disables it");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:8080",
          "HTTP/JSON API and the page at / (docs/http.md); empty disables "
          "it");
ABSL_FLAG(std::string, previews, "on",
          "on: keep an MP3 preview of each new sound (served at "
          "/api/sounds/ID/preview); off: none");
ABSL_FLAG(int, preview_bitrate, 32, "Preview MP3 bitrate in kbit/s [8, 320]");
ABSL_FLAG(std::string, config, "",
          "JSON file declaring the embedding spaces (docs/config.md); "
          "default: the built-in `dsp` space");
ABSL_FLAG(std::string, ontology, "",
          "AudioSet ontology JSON (audioset_ontology.json or "
          "ontology_crowd.json) for text queries; overrides the config's "
          "text.ontology (docs/api.md)");
ABSL_FLAG(std::string, class_match, "",
          "How text matches the classes of a class-score space: names or "
          "documents; overrides the config's text.class_match");
ABSL_FLAG(std::string, auth_token_file, "",
          "Token file: `admin TOKEN` and `read TOKEN` lines (a bare TOKEN is "
          "an admin token). With it every RPC but health needs a token; it is "
          "reloaded on SIGHUP and when it changes");
ABSL_FLAG(double, auth_reload_seconds, 5,
          "Seconds between checks of --auth-token-file for a change; 0: only "
          "SIGHUP reloads it");
ABSL_FLAG(bool, insecure, false,
          "Serve off loopback without --auth-token-file (anyone who reaches "
          "the port may change the collection)");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain (enables TLS)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key (with --tls-cert)");
ABSL_FLAG(std::vector<std::string>, import_root, {},
          "Directory under which requests may name server-side files "
          "(AddFromManifest, Evaluate); repeat it or separate with commas. "
          "None: such requests are refused");
ABSL_FLAG(int64_t, max_import_file_bytes, int64_t{64} << 20,
          "Largest manifest, families or excluded-labels file read");
ABSL_FLAG(int, manifest_jobs, 1, "Manifest jobs running at once");
ABSL_FLAG(int, manifest_jobs_waiting, 4,
          "Manifest jobs accepted beyond the running ones; more are refused");
ABSL_FLAG(double, job_retention_seconds, 86400,
          "Seconds a finished manifest job stays visible to GetJob");
ABSL_FLAG(int64_t, max_upload_bytes, int64_t{100} << 20,
          "Largest accepted upload in bytes (at most 1 GiB)");
ABSL_FLAG(double, max_clip_seconds, 600,
          "Longest audio decoded per upload; the rest is cut");
ABSL_FLAG(double, max_batch_audio_seconds, 3600,
          "Seconds of audio one BatchQueryByExample may decode in all");
ABSL_FLAG(int, max_k, 10000, "Largest k a query may ask for (>= 10000)");
ABSL_FLAG(int, query_threads, 4, "Threads answering queries");
ABSL_FLAG(int, query_queue, 1024,
          "Calls queued for the query threads before RESOURCE_EXHAUSTED");
ABSL_FLAG(int, ingest_workers, 2, "Threads decoding and embedding uploads");
ABSL_FLAG(int, ingest_queue, 256,
          "Uploads queued before ingest calls get RESOURCE_EXHAUSTED");
ABSL_FLAG(
    int, ingest_batch, 8,
    "Waiting uploads an ingest worker decodes and embeds together (>= 1)");
ABSL_FLAG(int, store_memtable_budget_mb, 64,
          "MiB of RocksDB memtables across the store's column families; past "
          "it one is flushed to disk (0: no overall bound)");
ABSL_FLAG(int64_t, grpc_memory_bytes, int64_t{512} << 20,
          "gRPC resource quota: memory for the transport's buffers");
ABSL_FLAG(int64_t, request_memory_bytes, int64_t{1} << 30,
          "Bytes of received requests held at once (queued and running calls, "
          "uploads); more is RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_concurrent_streams, 8,
          "Concurrent calls per client connection (more wait on the client)");
ABSL_FLAG(double, shutdown_grace_seconds, 10,
          "Seconds the shutdown waits for in-flight calls");
ABSL_FLAG(uint64_t, snapshot_every_changes, 10000,
          "Write index snapshots (and truncate the change log) after this "
          "many changes; 0: not on count");
ABSL_FLAG(double, snapshot_every_seconds, 300,
          "... or after this many seconds with a change; 0: not on time");
ABSL_FLAG(bool, check, false,
          "Check the data directory offline (no server may have it open) and "
          "exit: 0 when consistent, 1 when problems remain");
ABSL_FLAG(bool, repair, false, "With --check: fix what can be fixed");
ABSL_FLAG(bool, search_batching, true,
          "Coalesce concurrent queries on a space into batched index "
          "searches");
ABSL_FLAG(int, search_batch_window_us, 200,
          "Longest a query waits for others to join its batch, microseconds "
          "(0-100000)");
ABSL_FLAG(int, search_batch_max, 32, "Most queries in one batched search");
ABSL_FLAG(bool, version, false, "Print versions and exit");

// Flags are documented with dashes (--data-dir); abseil names them with
// underscores. Rewrites "--data-dir=x" to "--data_dir=x" (the name only),
// and gathers every --import-root into one comma-separated flag (abseil
// keeps only the last occurrence of a flag).
std::vector<char*> NormaliseFlagNames(int argc, char** argv,
                                      std::vector<std::string>& storage) {
  std::vector<std::string> args(argv, argv + argc);
  std::vector<std::string> import_roots;
  storage.clear();
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (i > 0 && arg.size() >= 3 && arg.compare(0, 2, "--") == 0) {
      const size_t end = std::min(arg.find('='), arg.size());
      std::replace(arg.begin() + 2, arg.begin() + end, '-', '_');
      if (arg.compare(0, end, "--import_root") == 0) {
        if (end < arg.size()) {
          import_roots.push_back(arg.substr(end + 1));
        } else if (i + 1 < args.size()) {
          import_roots.push_back(args[++i]);
        }
        continue;
      }
    }
    storage.push_back(std::move(arg));
  }
  if (!import_roots.empty()) {
    std::string joined = "--import_root=";
    for (size_t i = 0; i < import_roots.size(); ++i) {
      joined += (i == 0 ? "" : ",") + import_roots[i];
    }
    storage.push_back(joined);
  }
  std::vector<char*> out;
  for (std::string& arg : storage) out.push_back(arg.data());
  return out;
}

// soundsearchd --check [--repair]: prints what the check found (and did)
// and returns the exit code.
int RunCheck() {
  soundsearch::CollectionOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  const std::string config = absl::GetFlag(FLAGS_config);
  if (!config.empty()) {
    auto spaces = soundsearch::LoadSpaceConfigFile(config);
    if (!spaces.ok()) {
      std::fprintf(stderr, "soundsearchd --check: %s\n",
                   spaces.status().ToString().c_str());
      return 2;
    }
    options.spaces = *std::move(spaces);
  }
  const bool repair = absl::GetFlag(FLAGS_repair);
  auto report = soundsearch::CheckCollection(options, repair);
  if (!report.ok()) {
    std::fprintf(stderr, "soundsearchd --check: %s\n",
                 report.status().ToString().c_str());
    return 2;
  }
  const soundsearch::StoreCheckReport& store = report->store;
  std::printf(
      "store: %llu sounds, %llu raw vectors, %llu change-log "
      "entries, %llu records in quarantine\n",
      static_cast<unsigned long long>(store.sounds),
      static_cast<unsigned long long>(store.raw_vectors),
      static_cast<unsigned long long>(store.changes),
      static_cast<unsigned long long>(store.quarantined));
  for (const std::string& line : report->spaces) {
    std::printf("%s\n", line.c_str());
  }
  for (const std::string& line : report->problems) {
    std::printf("problem: %s\n", line.c_str());
  }
  for (const std::string& line : report->repairs) {
    std::printf("repaired: %s\n", line.c_str());
  }
  if (report->clean()) {
    std::printf(report->problems.empty() ? "consistent\n"
                                         : "consistent after repair\n");
    return 0;
  }
  std::printf("%llu problem(s) %s\n",
              static_cast<unsigned long long>(report->unrepaired),
              repair ? "could not be repaired"
                     : "found; --repair fixes what "
                       "it can");
  return 1;
}

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "soundsearchd: query-by-example sound search server.\n"
      "  soundsearchd --data-dir DIR [--listen HOST:PORT] [--config FILE]\n"
      "  soundsearchd --check [--repair] --data-dir DIR [--config FILE]\n"
      "Flag names take dashes or underscores alike.");
  std::vector<std::string> storage;
  std::vector<char*> args = NormaliseFlagNames(argc, argv, storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  // Debian builds absl without NDEBUG, so its deadlock detection is on: every
  // absl::Mutex acquisition, gRPC's own included, is checked against one
  // process-wide lock graph. A release server does not pay for that; the
  // tests, which run the same code, keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // soundsearchd serves neural spaces: the libtorch kinds join core's tables.
  if (absl::Status torch = soundsearch::RegisterTorchKinds(); !torch.ok()) {
    std::fprintf(stderr, "soundsearchd: %s\n", torch.ToString().c_str());
    return 1;
  }
  // ... and so does the speech kind (PocketSphinx).
  if (absl::Status speech = soundsearch::RegisterSpeechKinds(); !speech.ok()) {
    std::fprintf(stderr, "soundsearchd: %s\n", speech.ToString().c_str());
    return 1;
  }
  if (absl::GetFlag(FLAGS_repair) && !absl::GetFlag(FLAGS_check)) {
    std::fprintf(stderr, "soundsearchd: --repair goes with --check\n");
    return 2;
  }
  if (absl::GetFlag(FLAGS_check)) return RunCheck();
  if (absl::GetFlag(FLAGS_version)) {
    std::printf("soundsearchd %s\n", soundsearch::Version());
    for (const auto& [name, version] : soundsearch::DependencyVersions()) {
      std::printf("  %s %s\n", name.c_str(), version.c_str());
    }
    std::printf("  blas %s\n", soundsearch::LoadedBlas().Describe().c_str());
    return 0;
  }

  // Block the stop and reload signals in every thread; main waits for them
  // below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  soundsearch::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.listen = absl::GetFlag(FLAGS_listen);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.http_listen = absl::GetFlag(FLAGS_http_listen);
  const std::string previews = absl::GetFlag(FLAGS_previews);
  if (previews != "on" && previews != "off") {
    std::fprintf(stderr, "soundsearchd: --previews must be on or off, got %s\n",
                 previews.c_str());
    return 1;
  }
  options.previews = previews == "on";
  options.preview_bitrate_kbps = absl::GetFlag(FLAGS_preview_bitrate);
  options.config_path = absl::GetFlag(FLAGS_config);
  options.ontology_path = absl::GetFlag(FLAGS_ontology);
  options.class_match = absl::GetFlag(FLAGS_class_match);
  options.auth_token_file = absl::GetFlag(FLAGS_auth_token_file);
  options.auth_reload_seconds = absl::GetFlag(FLAGS_auth_reload_seconds);
  options.insecure = absl::GetFlag(FLAGS_insecure);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  options.import_roots = absl::GetFlag(FLAGS_import_root);
  options.max_import_file_bytes = absl::GetFlag(FLAGS_max_import_file_bytes);
  options.manifest_jobs = absl::GetFlag(FLAGS_manifest_jobs);
  options.manifest_jobs_waiting = absl::GetFlag(FLAGS_manifest_jobs_waiting);
  options.job_retention_seconds = absl::GetFlag(FLAGS_job_retention_seconds);
  options.max_upload_bytes = absl::GetFlag(FLAGS_max_upload_bytes);
  options.max_clip_seconds = absl::GetFlag(FLAGS_max_clip_seconds);
  options.max_batch_audio_seconds =
      absl::GetFlag(FLAGS_max_batch_audio_seconds);
  options.max_k = absl::GetFlag(FLAGS_max_k);
  options.query_threads = absl::GetFlag(FLAGS_query_threads);
  options.query_queue = absl::GetFlag(FLAGS_query_queue);
  options.ingest_workers = absl::GetFlag(FLAGS_ingest_workers);
  options.ingest_queue = absl::GetFlag(FLAGS_ingest_queue);
  options.ingest_batch = absl::GetFlag(FLAGS_ingest_batch);
  options.store_memtable_budget_mb =
      absl::GetFlag(FLAGS_store_memtable_budget_mb);
  options.grpc_memory_bytes = absl::GetFlag(FLAGS_grpc_memory_bytes);
  options.request_memory_bytes = absl::GetFlag(FLAGS_request_memory_bytes);
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  options.shutdown_grace_seconds = absl::GetFlag(FLAGS_shutdown_grace_seconds);
  options.snapshot_every_changes = absl::GetFlag(FLAGS_snapshot_every_changes);
  options.snapshot_every_seconds = absl::GetFlag(FLAGS_snapshot_every_seconds);
  options.search_batching.enabled = absl::GetFlag(FLAGS_search_batching);
  options.search_batching.window_us =
      absl::GetFlag(FLAGS_search_batch_window_us);
  options.search_batching.max_batch = absl::GetFlag(FLAGS_search_batch_max);

  std::fprintf(stderr, "soundsearchd %s: opening %s\n", soundsearch::Version(),
               options.data_dir.c_str());
  const soundsearch::BlasInfo& blas = soundsearch::LoadedBlas();
  std::fprintf(stderr, "soundsearchd: BLAS %s\n", blas.Describe().c_str());
  if (!blas.optimised) {
    std::fprintf(stderr,
                 "soundsearchd: warning: an unoptimised BLAS; batched exact "
                 "search is about 10x slower (scripts/setup selects "
                 "OpenBLAS; docs/operations.md)\n");
  }
  auto server = soundsearch::SoundsearchServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "soundsearchd: %s\n",
                 server.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "soundsearchd: serving gRPC on port %d",
               (*server)->port());
  if ((*server)->metrics_port() != 0) {
    std::fprintf(stderr, ", metrics on port %d", (*server)->metrics_port());
  }
  if ((*server)->http_port() != 0) {
    std::fprintf(stderr, ", HTTP and the page on port %d",
                 (*server)->http_port());
  }
  std::fprintf(stderr, "\n");

  for (;;) {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    if (signal_number == SIGHUP) {
      absl::Status reloaded = (*server)->ReloadTokens();
      if (!reloaded.ok()) {
        std::fprintf(stderr, "soundsearchd: SIGHUP: %s\n",
                     reloaded.ToString().c_str());
      }
      continue;
    }
    std::fprintf(stderr, "soundsearchd: signal %d, draining and stopping\n",
                 signal_number);
    break;
  }
  (*server)->Shutdown();
  std::fprintf(stderr, "soundsearchd: stopped cleanly\n");
  return 0;
}
