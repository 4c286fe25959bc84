// soundsearchd: the soundsearch server (ingest daemon + query service in one
// process). See README.md and docs/operations.md.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "server/soundsearch_server.h"
#include "soundsearch/build_info.h"
#include "soundsearch/speech_kinds.h"
#include "soundsearch/torch_kinds.h"

ABSL_FLAG(std::string, data_dir, "soundsearch-data",
          "Data directory (RocksDB store and index snapshots); created if "
          "missing");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC listen address");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "Prometheus /metrics listen address; empty disables it");
ABSL_FLAG(std::string, config, "",
          "JSON file declaring the embedding spaces (docs/config.md); "
          "default: the built-in `dsp` space");
ABSL_FLAG(std::string, auth_token_file, "",
          "File with the bearer token required by mutating RPCs");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain (enables TLS)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key (with --tls-cert)");
ABSL_FLAG(int64_t, max_upload_bytes, int64_t{100} << 20,
          "Largest accepted upload in bytes");
ABSL_FLAG(double, max_clip_seconds, 600,
          "Longest audio decoded per upload; the rest is cut");
ABSL_FLAG(int, max_k, 10000, "Largest k a query may ask for (>= 10000)");
ABSL_FLAG(int, query_threads, 4, "Threads answering queries");
ABSL_FLAG(int, ingest_workers, 2, "Threads decoding and embedding uploads");
ABSL_FLAG(int, ingest_queue, 256,
          "Uploads queued before ingest calls get RESOURCE_EXHAUSTED");
ABSL_FLAG(
    int, ingest_batch, 8,
    "Waiting uploads an ingest worker decodes and embeds together (>= 1)");
ABSL_FLAG(bool, version, false, "Print versions and exit");

// Flags are documented with dashes (--data-dir); abseil names them with
// underscores. Rewrites "--data-dir=x" to "--data_dir=x" (the name only).
std::vector<char*> NormaliseFlagNames(int argc, char** argv,
                                      std::vector<std::string>& storage) {
  storage.assign(argv, argv + argc);
  for (std::string& arg : storage) {
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) continue;
    const size_t end = std::min(arg.find('='), arg.size());
    std::replace(arg.begin() + 2, arg.begin() + end, '-', '_');
  }
  std::vector<char*> out;
  for (std::string& arg : storage) out.push_back(arg.data());
  return out;
}

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "soundsearchd: query-by-example sound search server.\n"
      "  soundsearchd --data-dir DIR [--listen HOST:PORT] [--config FILE]\n"
      "Flag names take dashes or underscores alike.");
  std::vector<std::string> storage;
  std::vector<char*> args = NormaliseFlagNames(argc, argv, storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
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
  if (absl::GetFlag(FLAGS_version)) {
    std::printf("soundsearchd %s\n", soundsearch::Version());
    for (const auto& [name, version] : soundsearch::DependencyVersions()) {
      std::printf("  %s %s\n", name.c_str(), version.c_str());
    }
    return 0;
  }

  // Block the stop signals in every thread; main waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  soundsearch::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.listen = absl::GetFlag(FLAGS_listen);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.config_path = absl::GetFlag(FLAGS_config);
  options.auth_token_file = absl::GetFlag(FLAGS_auth_token_file);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  options.max_upload_bytes = absl::GetFlag(FLAGS_max_upload_bytes);
  options.max_clip_seconds = absl::GetFlag(FLAGS_max_clip_seconds);
  options.max_k = absl::GetFlag(FLAGS_max_k);
  options.query_threads = absl::GetFlag(FLAGS_query_threads);
  options.ingest_workers = absl::GetFlag(FLAGS_ingest_workers);
  options.ingest_queue = static_cast<size_t>(absl::GetFlag(FLAGS_ingest_queue));
  options.ingest_batch = absl::GetFlag(FLAGS_ingest_batch);

  std::fprintf(stderr, "soundsearchd %s: opening %s\n", soundsearch::Version(),
               options.data_dir.c_str());
  auto server = soundsearch::SoundsearchServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "soundsearchd: %s\n",
                 server.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "soundsearchd: serving gRPC on port %d", (*server)->port());
  if ((*server)->metrics_port() != 0) {
    std::fprintf(stderr, ", metrics on port %d", (*server)->metrics_port());
  }
  std::fprintf(stderr, "\n");

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "soundsearchd: signal %d, draining and stopping\n",
               signal_number);
  (*server)->Shutdown();
  std::fprintf(stderr, "soundsearchd: stopped cleanly\n");
  return 0;
}
