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
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "soundsearch/sound_collection.h"

namespace soundsearch {

struct ServerOptions {
  // Where the store and index snapshots live; created if missing.
  std::string data_dir = "soundsearch-data";
  // gRPC address; port 0 picks a free port (see SoundsearchServer::port).
  // Off loopback (not 127.0.0.0/8, ::1, localhost or a unix socket) the
  // server refuses to start without auth_token_file unless `insecure`.
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
  // Token file (`admin TOKEN` / `read TOKEN` lines, rpc/bearer_auth.h);
  // empty: no tokens. With tokens every RPC but health needs one, with the
  // role rpc/rpc_roles.h gives it; reflection is then not served.
  std::string auth_token_file;
  // Seconds between checks of the token file for a change, which reloads it
  // (as ReloadTokens does); 0 turns the watch off. In [0, 86400].
  double auth_reload_seconds = 5;
  // Serve off loopback without tokens (anyone who reaches the port may
  // change the collection).
  bool insecure = false;
  // PEM certificate chain and private key; both or neither. With them the
  // server speaks TLS only.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Directories under which requests may name server-side files
  // (AddFromManifest, Evaluate's files): soundsearch/import_roots.h. Empty:
  // every such request is refused (PERMISSION_DENIED).
  std::vector<std::string> import_roots;
  // Largest manifest, families or excluded-labels file read, in
  // [1 KiB, 4 GiB].
  int64_t max_import_file_bytes = int64_t{64} << 20;
  // Manifest jobs running at once, in [1, 64], and accepted ones waiting
  // beyond them, in [1, 1024]; finished ones are kept for GetJob this long,
  // in [1, 30 days] seconds (and at most 100 of them).
  int manifest_jobs = 1;
  int manifest_jobs_waiting = 4;
  double job_retention_seconds = 86400;
  // Largest accepted upload (AddSound message, stream, or query example),
  // in [1, 1 GiB].
  int64_t max_upload_bytes = int64_t{100} << 20;
  // Longest audio decoded per upload; longer input is cut and flagged. In
  // (0, 86400].
  double max_clip_seconds = 600;
  // Seconds of audio one BatchQueryByExample may decode in all, in
  // [1, 86400 * 256].
  double max_batch_audio_seconds = 3600;
  // Upper bound of QueryByExample.k, in [10000, 1000000].
  int max_k = 10000;
  int query_threads = 4;    // workers answering queries, [1, 1024]
  int query_queue = 1024;   // queued calls before RESOURCE_EXHAUSTED
  int ingest_workers = 2;   // decode+embed workers, [1, 1024]
  int ingest_queue = 256;   // queued uploads before RESOURCE_EXHAUSTED
  int ingest_batch = 8;     // waiting uploads a worker embeds together
  bool sync_writes = true;  // synced store writes (durable acks)
  int store_write_buffer_mb = 0;  // RocksDB memtable MiB (0: its default)
  // All the store's memtables together, MiB, [0, 65536] (0: unbounded).
  int store_memtable_budget_mb = 64;
  // Coalescing of concurrent queries into batched index searches
  // (docs/operations.md). A batch holds at most query_threads queries.
  SearchBatchingOptions search_batching;
  // Memory. gRPC's resource quota: the transport's buffers (messages being
  // received, among others), in [64 MiB, 1 TiB] and at least twice
  // max_upload_bytes + 1 MiB. Under pressure gRPC shrinks its flow-control
  // windows and then cancels streams (RESOURCE_EXHAUSTED).
  int64_t grpc_memory_bytes = int64_t{512} << 20;
  // Bytes of requests held at once once received (queued and running calls,
  // queued uploads, streams being assembled), RpcRunner's RequestBudget, in
  // [max_upload_bytes + 1 MiB, 1 TiB]. A call that does not fit is
  // RESOURCE_EXHAUSTED at once.
  int64_t request_memory_bytes = int64_t{1} << 30;
  // HTTP/2 streams (concurrent calls) per client connection, [1, 65536]; a
  // client's further calls wait on its side. Memory grows with the calls
  // being received at once (docs/operations.md, "Memory").
  int max_concurrent_streams = 8;
  // Seconds the shutdown waits for in-flight calls before cancelling them,
  // in [0, 3600].
  double shutdown_grace_seconds = 10;
  // Periodic index snapshots (CollectionOptions): after this many changes,
  // or this many seconds with a change; 0 disables either.
  uint64_t snapshot_every_changes = 10000;
  double snapshot_every_seconds = 300;
  // How often the writer's health is checked while the store cannot write
  // (and writing is tried again), seconds, > 0.
  double writer_check_seconds = 1;
};

// Thread-safety: Shutdown and ReloadTokens may be called from any thread,
// once or more.
class SoundsearchServer {
 public:
  // Validates the options (InvalidArgument naming the flag and its range),
  // binds the gRPC and metrics ports (Unavailable when taken), opens the
  // collection (health reports NOT_SERVING until every index is loaded;
  // records it quarantines are logged on stderr) and returns a serving
  // server.
  //
  // Health (grpc.health.v1): "" and "soundsearch.v1.Query" /
  // "soundsearch.v1.Evaluation" are SERVING once loaded;
  // "soundsearch.v1.Ingest" (the writer) turns NOT_SERVING while the store
  // cannot write (a full disk: uploads get UNAVAILABLE, queries go on) and
  // back to SERVING by itself once it can.
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

  // Reads auth_token_file again and swaps in its tokens (soundsearchd calls
  // it on SIGHUP; the file watch calls it on a change). On an error the old
  // tokens stay. FailedPrecondition when the server has no token file.
  absl::Status ReloadTokens();

  class Impl;

 private:
  explicit SoundsearchServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_SOUNDSEARCH_SERVER_H_
