// ServerMetrics: every Prometheus metric soundsearchd exports, and the HTTP
// endpoint (prometheus-cpp's Exposer) that serves them at /metrics. The
// layers below report to it through their observer interfaces: the RPC
// runner as an RpcObserver, the ingest pipeline and the Ingest service as an
// IngestObserver.
#ifndef SOUNDSEARCH_SERVER_SERVER_METRICS_H_
#define SOUNDSEARCH_SERVER_SERVER_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "indexer/ingest_observer.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "rpc/rpc_observer.h"
#include "soundsearch/search_observer.h"

namespace prometheus {
class Exposer;
}

namespace soundsearch {

// Names follow Prometheus conventions: base units (seconds), `_total`
// counters. Thread-safe: every method may be called from any thread.
class ServerMetrics final : public RpcObserver,
                            public IngestObserver,
                            public SearchObserver {
 public:
  ServerMetrics();
  ~ServerMetrics() override;

  // Serves /metrics on `listen_address` ("host:port"; port 0 picks a free
  // one). Unavailable when the address cannot be bound.
  absl::Status StartHttp(const std::string& listen_address);
  // The port actually bound by StartHttp, 0 before.
  int http_port() const;

  // RpcObserver: soundsearch_rpc_duration_seconds and
  // soundsearch_rpc_requests_total{method,code}.
  void OnRpc(std::string_view method, std::string_view code,
             double seconds) override;
  // RpcObserver: soundsearch_request_memory_bytes, the bytes of requests
  // held now (the running sum of the deltas).
  void OnRequestMemory(int64_t delta_bytes) override;
  // soundsearch_request_memory_limit_bytes: --request-memory-bytes.
  void SetRequestMemoryLimit(int64_t bytes);
  // IngestObserver: soundsearch_decode_duration_seconds,
  // soundsearch_embed_duration_seconds{space},
  // soundsearch_ingest_sounds_total{result}, soundsearch_ingest_queue_depth
  // and soundsearch_index_vectors{space}.
  void OnDecoded(double seconds) override;
  void OnEmbedded(const std::string& space, double seconds) override;
  void OnResult(absl::string_view result) override;
  void OnQueueDepth(size_t depth) override;
  void OnIndexSize(const std::string& space, uint64_t vectors) override;
  // soundsearch_previews and soundsearch_preview_bytes.
  void OnPreviews(uint64_t count, uint64_t bytes) override;

  // SearchObserver: soundsearch_search_batch_size{space} (queries per index
  // search: 1 alone, more when coalesced) and
  // soundsearch_index_search_duration_seconds{space} (one index call).
  void OnIndexSearch(absl::string_view space, int queries,
                     double seconds) override;

  // soundsearch_search_duration_seconds{space}: a query's search step
  // (batch wait + index search).
  void ObserveSearch(std::string_view space, double seconds);
  // soundsearch_query_step_seconds{step}: one step of a QueryByExample
  // ("vector": the example's vector, read or embedded; "search"; "records":
  // the results' sound records; "reply": the response message).
  void ObserveQueryStep(std::string_view step, double seconds);
  void SetIndexVectors(std::string_view space, double vectors);
  // The latest retrieval evaluation of a space: soundsearch_eval_map{space,k}
  // for each cut-off k, soundsearch_eval_mr1{space} and
  // soundsearch_eval_timestamp_seconds{space} (Unix time it finished).
  void SetEvaluation(std::string_view space, int k1, double map1, int k2,
                     double map2, double mr1, double unix_seconds);

  // soundsearch_quarantined_records: records the store holds in quarantine
  // (docs/storage.md), set at start-up.
  void SetQuarantined(uint64_t records);
  // soundsearch_store_writable: 1 while the store can write, 0 while writes
  // fail (a full disk).
  void SetStoreWritable(bool writable);
  // soundsearch_start_duration_seconds: how long opening the collection
  // took at start-up (load or rebuild of the indexes).
  void SetStartSeconds(double seconds);

  prometheus::Registry& registry() { return *registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Histogram>& rpc_duration_;
  prometheus::Family<prometheus::Counter>& rpc_requests_;
  prometheus::Family<prometheus::Counter>& ingest_sounds_;
  prometheus::Gauge& request_memory_;
  prometheus::Gauge& request_memory_limit_;
  prometheus::Gauge& ingest_queue_depth_;
  prometheus::Histogram& decode_duration_;
  prometheus::Family<prometheus::Histogram>& embed_duration_;
  prometheus::Family<prometheus::Histogram>& search_duration_;
  prometheus::Family<prometheus::Histogram>& search_batch_size_;
  prometheus::Family<prometheus::Histogram>& index_search_duration_;
  prometheus::Family<prometheus::Histogram>& query_step_;
  prometheus::Family<prometheus::Gauge>& index_vectors_;
  prometheus::Family<prometheus::Gauge>& eval_map_;
  prometheus::Family<prometheus::Gauge>& eval_mr1_;
  prometheus::Family<prometheus::Gauge>& eval_timestamp_;
  prometheus::Gauge& previews_;
  prometheus::Gauge& preview_bytes_;
  prometheus::Gauge& quarantined_;
  prometheus::Gauge& store_writable_;
  prometheus::Gauge& start_seconds_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_SERVER_METRICS_H_
