// ServiceContext: what the query-side gRPC services (Query, Evaluation)
// share. Filled in by SoundsearchServer before it flips the RpcRunner's
// `ready` flag; read by handlers only after RpcRunner::Admit saw `ready`
// (acquire), so the pointers need no further locking. (The Ingest service
// has its own, indexer/ingest_context.h.)
#ifndef SOUNDSEARCH_SERVER_SERVICE_CONTEXT_H_
#define SOUNDSEARCH_SERVER_SERVICE_CONTEXT_H_

#include <chrono>
#include <cstdint>

#include "indexer/ingest_pipeline.h"
#include "rpc/rpc_runner.h"
#include "server/server_metrics.h"
#include "soundsearch/import_roots.h"
#include "soundsearch/sound_collection.h"

namespace soundsearch {

struct ServiceLimits {
  int max_k = 10000;            // QueryByExample k upper bound
  int max_batch_queries = 256;  // per BatchQueryByExample
  // Seconds of audio one BatchQueryByExample may decode in all, > 0.
  double max_batch_audio_seconds = 3600;
  // Longest audio decoded per example (the decoder's cut), > 0.
  double max_clip_seconds = 600;
  // Largest families or excluded-labels file Evaluate reads, > 0.
  int64_t max_import_file_bytes = int64_t{64} << 20;
};

struct ServiceContext {
  SoundCollection* collection = nullptr;
  const IngestPipeline* pipeline = nullptr;  // Stats reads its queue depth
  ServerMetrics* metrics = nullptr;
  const RpcRunner* runner = nullptr;  // query and admin work
  // Where Evaluate may read its files; never null once ready (no roots:
  // every path is refused).
  const ImportRoots* import_roots = nullptr;
  ServiceLimits limits;
  std::chrono::steady_clock::time_point started;

  // Sets the soundsearch_eval_* gauges from one evaluation.
  void ExportEvaluation(const SpaceEvaluation& e) const {
    metrics->SetEvaluation(e.space, e.cutoffs[0], e.macro.map[0], e.cutoffs[1],
                           e.macro.map[1], e.macro.mr1,
                           static_cast<double>(e.unix_ms) / 1000.0);
  }
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_SERVICE_CONTEXT_H_
