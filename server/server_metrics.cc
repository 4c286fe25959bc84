#include "server/server_metrics.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"

namespace soundsearch {
namespace {

using prometheus::Histogram;

// Latency buckets from 100 us to 30 s: searches are sub-millisecond, decoding
// and embedding long uploads take seconds.
const Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
  return *buckets;
}

// Queries per index search: powers of two up to the largest batch.
const Histogram::BucketBoundaries& BatchBuckets() {
  static const auto* buckets = new Histogram::BucketBoundaries{
      1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};
  return *buckets;
}

}  // namespace

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      rpc_duration_(
          prometheus::BuildHistogram()
              .Name("soundsearch_rpc_duration_seconds")
              .Help("Time to answer an RPC, by method and status code")
              .Register(*registry_)),
      rpc_requests_(prometheus::BuildCounter()
                        .Name("soundsearch_rpc_requests_total")
                        .Help("RPCs answered, by method and status code")
                        .Register(*registry_)),
      ingest_sounds_(prometheus::BuildCounter()
                         .Name("soundsearch_ingest_sounds_total")
                         .Help("Ingested sounds by result "
                               "(stored, duplicate, failed)")
                         .Register(*registry_)),
      request_memory_(prometheus::BuildGauge()
                          .Name("soundsearch_request_memory_bytes")
                          .Help("Bytes of requests the server holds now "
                                "(admitted calls not yet finished, uploads "
                                "being assembled)")
                          .Register(*registry_)
                          .Add({})),
      request_memory_limit_(
          prometheus::BuildGauge()
              .Name("soundsearch_request_memory_limit_bytes")
              .Help("The most bytes of requests the server holds at once "
                    "(--request-memory-bytes); calls beyond it are refused")
              .Register(*registry_)
              .Add({})),
      ingest_queue_depth_(prometheus::BuildGauge()
                              .Name("soundsearch_ingest_queue_depth")
                              .Help("Uploads waiting in the ingest queue")
                              .Register(*registry_)
                              .Add({})),
      decode_duration_(prometheus::BuildHistogram()
                           .Name("soundsearch_decode_duration_seconds")
                           .Help("Time to decode one upload")
                           .Register(*registry_)
                           .Add({}, LatencyBuckets())),
      embed_duration_(prometheus::BuildHistogram()
                          .Name("soundsearch_embed_duration_seconds")
                          .Help("Time to embed one clip, by space")
                          .Register(*registry_)),
      search_duration_(prometheus::BuildHistogram()
                           .Name("soundsearch_search_duration_seconds")
                           .Help("Time of a query's search step (wait for "
                                 "a batch + index search), by space")
                           .Register(*registry_)),
      search_batch_size_(prometheus::BuildHistogram()
                             .Name("soundsearch_search_batch_size")
                             .Help("Queries per index search (more than 1 "
                                   "when concurrent queries are coalesced), "
                                   "by space")
                             .Register(*registry_)),
      index_search_duration_(
          prometheus::BuildHistogram()
              .Name("soundsearch_index_search_duration_seconds")
              .Help("Time of one index call (a batch or a lone query), by "
                    "space")
              .Register(*registry_)),
      query_step_(prometheus::BuildHistogram()
                      .Name("soundsearch_query_step_seconds")
                      .Help("Time of each step of a QueryByExample: vector, "
                            "search, records, reply")
                      .Register(*registry_)),
      index_vectors_(prometheus::BuildGauge()
                         .Name("soundsearch_index_vectors")
                         .Help("Vectors in each space's index")
                         .Register(*registry_)),
      eval_map_(prometheus::BuildGauge()
                    .Name("soundsearch_eval_map")
                    .Help("Label-based MAP@k of the latest evaluation, by "
                          "space and k")
                    .Register(*registry_)),
      eval_mr1_(prometheus::BuildGauge()
                    .Name("soundsearch_eval_mr1")
                    .Help("Label-based mean rank of the first relevant sound "
                          "(0-based) of the latest evaluation, by space")
                    .Register(*registry_)),
      eval_timestamp_(prometheus::BuildGauge()
                          .Name("soundsearch_eval_timestamp_seconds")
                          .Help("Unix time of the latest evaluation, by space")
                          .Register(*registry_)),
      previews_(prometheus::BuildGauge()
                    .Name("soundsearch_previews")
                    .Help("Sounds with an audio preview in the store")
                    .Register(*registry_)
                    .Add({})),
      preview_bytes_(prometheus::BuildGauge()
                         .Name("soundsearch_preview_bytes")
                         .Help("Bytes of the audio previews in the store, "
                               "all told")
                         .Register(*registry_)
                         .Add({})),
      quarantined_(prometheus::BuildGauge()
                       .Name("soundsearch_quarantined_records")
                       .Help("Records (sounds, change-log entries) the store "
                             "holds in quarantine")
                       .Register(*registry_)
                       .Add({})),
      store_writable_(prometheus::BuildGauge()
                          .Name("soundsearch_store_writable")
                          .Help("1 while the store can write, 0 while writes "
                                "fail (full disk, I/O error)")
                          .Register(*registry_)
                          .Add({})),
      start_seconds_(prometheus::BuildGauge()
                         .Name("soundsearch_start_duration_seconds")
                         .Help("Seconds the last start-up took to open the "
                               "collection and load its indexes")
                         .Register(*registry_)
                         .Add({})) {}

ServerMetrics::~ServerMetrics() = default;

absl::Status ServerMetrics::StartHttp(const std::string& listen_address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen_address, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ",
                                               listen_address, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  return absl::OkStatus();
}

int ServerMetrics::http_port() const {
  if (exposer_ == nullptr) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void ServerMetrics::OnRpc(std::string_view method, std::string_view code,
                          double seconds) {
  const prometheus::Labels labels{{"method", std::string(method)},
                                  {"code", std::string(code)}};
  rpc_duration_.Add(labels, LatencyBuckets()).Observe(seconds);
  rpc_requests_.Add(labels).Increment();
}

void ServerMetrics::OnRequestMemory(int64_t delta_bytes) {
  request_memory_.Increment(static_cast<double>(delta_bytes));
}

void ServerMetrics::SetRequestMemoryLimit(int64_t bytes) {
  request_memory_limit_.Set(static_cast<double>(bytes));
}

void ServerMetrics::OnResult(absl::string_view result) {
  ingest_sounds_.Add({{"result", std::string(result)}}).Increment();
}

void ServerMetrics::OnQueueDepth(size_t depth) {
  ingest_queue_depth_.Set(static_cast<double>(depth));
}

void ServerMetrics::OnDecoded(double seconds) {
  decode_duration_.Observe(seconds);
}

void ServerMetrics::OnEmbedded(const std::string& space, double seconds) {
  embed_duration_.Add({{"space", space}}, LatencyBuckets()).Observe(seconds);
}

void ServerMetrics::OnIndexSize(const std::string& space, uint64_t vectors) {
  SetIndexVectors(space, static_cast<double>(vectors));
}

void ServerMetrics::ObserveSearch(std::string_view space, double seconds) {
  search_duration_.Add({{"space", std::string(space)}}, LatencyBuckets())
      .Observe(seconds);
}

void ServerMetrics::OnIndexSearch(absl::string_view space, int queries,
                                  double seconds) {
  const std::string s(space);
  search_batch_size_.Add({{"space", s}}, BatchBuckets()).Observe(queries);
  index_search_duration_.Add({{"space", s}}, LatencyBuckets()).Observe(seconds);
}

void ServerMetrics::ObserveQueryStep(std::string_view step, double seconds) {
  query_step_.Add({{"step", std::string(step)}}, LatencyBuckets())
      .Observe(seconds);
}

void ServerMetrics::SetEvaluation(std::string_view space, int k1, double map1,
                                  int k2, double map2, double mr1,
                                  double unix_seconds) {
  const std::string s(space);
  eval_map_.Add({{"space", s}, {"k", std::to_string(k1)}}).Set(map1);
  eval_map_.Add({{"space", s}, {"k", std::to_string(k2)}}).Set(map2);
  eval_mr1_.Add({{"space", s}}).Set(mr1);
  eval_timestamp_.Add({{"space", s}}).Set(unix_seconds);
}

void ServerMetrics::OnPreviews(uint64_t count, uint64_t bytes) {
  previews_.Set(static_cast<double>(count));
  preview_bytes_.Set(static_cast<double>(bytes));
}

void ServerMetrics::SetQuarantined(uint64_t records) {
  quarantined_.Set(static_cast<double>(records));
}

void ServerMetrics::SetStoreWritable(bool writable) {
  store_writable_.Set(writable ? 1 : 0);
}

void ServerMetrics::SetStartSeconds(double seconds) {
  start_seconds_.Set(seconds);
}

void ServerMetrics::SetIndexVectors(std::string_view space, double vectors) {
  index_vectors_.Add({{"space", std::string(space)}}).Set(vectors);
}

}  // namespace soundsearch
