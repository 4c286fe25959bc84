// SoundsearchServer: the whole soundsearchd process in one object (the
// embedded default): the collection in one data directory, the ingest
// pipeline, the Ingest/Query/Meta gRPC services with health checking and
// reflection, and the Prometheus endpoint. main() and the end-to-end tests
// both start it through Start().
#ifndef SOUNDSEARCH_SERVER_SOUNDSEARCH_SERVER_H_
#define SOUNDSEARCH_SERVER_SOUNDSEARCH_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace soundsearch {

struct ServerOptions {
  // Where the store and index snapshots live; created if missing.
  std::string data_dir = "soundsearch-data";
  // gRPC address; port 0 picks a free port (see SoundsearchServer::port).
  std::string listen = "127.0.0.1:50051";
  // Prometheus /metrics address; empty disables it; port 0 picks one.
  std::string metrics_listen = "127.0.0.1:9464";
  // HTTP/JSON API and the page (server/http_api.h, docs/http.md); empty
  // disables it; port 0 picks one (see SoundsearchServer::http_port).
  std::string http_listen = "127.0.0.1:8080";
  // An MP3 preview of each new sound (--previews, --preview-bitrate).
  bool previews = true;
  int preview_bitrate_kbps = 32;
  // JSON config declaring the spaces (docs/config.md); empty: built-in `dsp`.
  std::string config_path;
  // AudioSet ontology JSON for text queries (docs/api.md, "Text queries");
  // overrides the config's text.ontology. Empty: the config's, or none.
  std::string ontology_path;
  // "names" or "documents" (ClassMatch); overrides the config's
  // text.class_match. Empty: the config's, or "names".
  std::string class_match;
  // File holding the bearer token that mutating RPCs must present; empty:
  // no authentication.
  std::string auth_token_file;
  // PEM certificate chain and private key; both or neither. With them the
  // server speaks TLS only.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Largest accepted upload (AddSound message, stream, or query example).
  int64_t max_upload_bytes = int64_t{100} << 20;
  // Longest audio decoded per upload; longer input is cut and flagged.
  double max_clip_seconds = 600;
  // Upper bound of QueryByExample.k; at least 10000.
  int max_k = 10000;
  int query_threads = 4;        // workers answering queries and admin calls
  size_t query_queue = 1024;    // queued queries before RESOURCE_EXHAUSTED
  int ingest_workers = 2;       // decode+embed workers
  size_t ingest_queue = 256;    // queued uploads before RESOURCE_EXHAUSTED
  int ingest_batch = 8;         // waiting uploads a worker embeds together
  bool sync_writes = true;      // synced store writes (durable acks)
  // Seconds the shutdown waits for in-flight calls before cancelling them.
  double shutdown_grace_seconds = 10;
};

// Thread-safety: Shutdown may be called from any thread, once or more.
class SoundsearchServer {
 public:
  // Validates the options (InvalidArgument naming the flag), binds the gRPC
  // and metrics ports (Unavailable when taken), opens the collection
  // (health reports NOT_SERVING until every index is loaded) and returns a
  // serving server.
  static absl::StatusOr<std::unique_ptr<SoundsearchServer>> Start(
      const ServerOptions& options);
  ~SoundsearchServer();

  // The bound ports.
  int port() const;
  int metrics_port() const;
  int http_port() const;  // 0 when the HTTP API is off

  // Stops accepting calls, finishes in-flight ones (up to the grace period),
  // drains the ingest queue, writes index snapshots and closes the store.
  void Shutdown();

  class Impl;

 private:
  explicit SoundsearchServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_SOUNDSEARCH_SERVER_H_
