// ServiceContext: what the gRPC services share. Filled in by SoundsearchServer
// before it flips `ready`; read by handlers only after RpcRunner::Admit saw
// `ready` (acquire), so the pointers need no further locking.
#ifndef SOUNDSEARCH_SERVER_SERVICE_CONTEXT_H_
#define SOUNDSEARCH_SERVER_SERVICE_CONTEXT_H_

#include <atomic>
#include <cstdint>

#include "ingest_pipeline.h"
#include "manifest_jobs.h"
#include "rpc_runner.h"
#include "server_metrics.h"
#include "soundsearch/sound_collection.h"

namespace soundsearch {

struct ServiceLimits {
  int max_k = 10000;                          // QueryByExample k upper bound
  int max_batch_queries = 256;                // per BatchQueryByExample
  int64_t max_upload_bytes = int64_t{100} << 20;
};

struct ServiceContext {
  std::atomic<bool> ready{false};
  SoundCollection* collection = nullptr;
  IngestPipeline* pipeline = nullptr;
  ManifestJobs* jobs = nullptr;
  ServerMetrics* metrics = nullptr;
  const RpcRunner* runner = nullptr;  // query and admin work
  ServiceLimits limits;
  std::chrono::steady_clock::time_point started;

  // Sets the soundsearch_eval_* gauges from one evaluation.
  void ExportEvaluation(const SpaceEvaluation& e) const {
    metrics->SetEvaluation(e.space, e.cutoffs[0], e.macro.map[0], e.cutoffs[1],
                           e.macro.map[1], e.macro.mr1,
                           static_cast<double>(e.unix_ms) / 1000.0);
  }

  // Refreshes soundsearch_index_vectors for every space.
  void UpdateIndexGauges() const {
    for (const SpaceStatus& s : collection->Spaces()) {
      metrics->SetIndexVectors(s.config.name, static_cast<double>(s.vectors));
    }
  }
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_SERVICE_CONTEXT_H_
