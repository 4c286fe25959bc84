// IngestObserver: what the ingest side reports for metrics: the pipeline's
// per-upload events (IngestPipeline) and the index sizes after a change
// (IngestService). The server's metrics (server/server_metrics.h) implement
// it; the indexer itself never depends on Prometheus.
#ifndef SOUNDSEARCH_INDEXER_INGEST_OBSERVER_H_
#define SOUNDSEARCH_INDEXER_INGEST_OBSERVER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace soundsearch {

// Called from worker threads. Implementations must be thread-safe. Default
// implementations do nothing.
class IngestObserver {
 public:
  virtual ~IngestObserver() = default;
  virtual void OnDecoded(double seconds) {}
  // seconds: this upload's share of the space's batch embedding time.
  virtual void OnEmbedded(const std::string& space, double seconds) {}
  // result: "stored" | "duplicate" | "failed".
  virtual void OnResult(absl::string_view result) {}
  virtual void OnQueueDepth(size_t depth) {}
  // A worker is about to prepare `uploads` (>= 1) uploads together (those
  // past their deadline are left out and not counted).
  virtual void OnBatch(size_t uploads) {}
  // After an ingest, a delete or a refit: `space`'s index holds `vectors`.
  virtual void OnIndexSize(const std::string& space, uint64_t vectors) {}
  // After a change of the previews (an ingest, a delete, AddPreview): the
  // store holds `count` previews of `bytes` bytes in all.
  virtual void OnPreviews(uint64_t count, uint64_t bytes) {}
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEXER_INGEST_OBSERVER_H_
