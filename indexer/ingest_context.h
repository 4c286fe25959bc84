// IngestContext: what the Ingest service needs, and nothing more. Filled in by
// the process that hosts the service (soundsearchd's SoundsearchServer)
// before it flips the RpcRunner's `ready` flag; read by handlers only after
// RpcRunner::Admit saw `ready` (acquire), so the pointers need no further
// locking.
#ifndef SOUNDSEARCH_INDEXER_INGEST_CONTEXT_H_
#define SOUNDSEARCH_INDEXER_INGEST_CONTEXT_H_

#include <cstdint>

#include "indexer/ingest_observer.h"
#include "indexer/ingest_pipeline.h"
#include "indexer/manifest_jobs.h"
#include "rpc/rpc_runner.h"
#include "soundsearch/sound_collection.h"

namespace soundsearch {

struct IngestContext {
  SoundCollection* collection = nullptr;
  IngestPipeline* pipeline = nullptr;
  ManifestJobs* jobs = nullptr;
  const RpcRunner* runner = nullptr;   // admission, the pool for admin calls
  IngestObserver* observer = nullptr;  // may be null
  // Largest accepted upload (AddSound message or assembled stream), > 0.
  int64_t max_upload_bytes = int64_t{100} << 20;

  // Reports every space's index size and the previews' count and bytes to
  // `observer`.
  void ReportIndexSizes() const {
    if (observer == nullptr) return;
    for (const SpaceStatus& s : collection->Spaces()) {
      observer->OnIndexSize(s.config.name, s.vectors);
    }
    const PreviewStats previews = collection->GetPreviewStats();
    observer->OnPreviews(previews.count, previews.bytes);
  }
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEXER_INGEST_CONTEXT_H_
