// IngestPipeline: the ingest daemon's path for one upload: a bounded queue,
// a pool of workers that decode and embed (SoundCollection::Prepare, in
// parallel), then store and index (SoundCollection::Commit). A full queue is
// refused at once (RESOURCE_EXHAUSTED) rather than buffered without bound.
#ifndef SOUNDSEARCH_INDEXER_INGEST_PIPELINE_H_
#define SOUNDSEARCH_INDEXER_INGEST_PIPELINE_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "soundsearch/sound_collection.h"
#include "worker_pool.h"

namespace soundsearch {

struct IngestPipelineOptions {
  int workers = 2;          // decode+embed threads, > 0
  size_t max_queue = 256;   // uploads waiting, > 0
};

// What happened to one upload.
struct IngestOutcome {
  CommitResult result;
  SoundRecord record;       // as stored (or the existing sound for a duplicate)
  DecodedAudio audio_info;  // samples empty; default for a duplicate
};

// Hooks for metrics; called from worker threads. Implementations must be
// thread-safe. Default implementations do nothing.
class IngestObserver {
 public:
  virtual ~IngestObserver() = default;
  virtual void OnDecoded(double seconds) {}
  virtual void OnEmbedded(const std::string& space, double seconds) {}
  // result: "stored" | "duplicate" | "failed".
  virtual void OnResult(absl::string_view result) {}
  virtual void OnQueueDepth(size_t depth) {}
};

// Thread-safety: all methods are thread-safe.
class IngestPipeline {
 public:
  using Done = std::function<void(absl::StatusOr<IngestOutcome>)>;

  // `collection` and `observer` (may be null) are borrowed and must outlive
  // the pipeline. InvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<IngestPipeline>> Create(
      SoundCollection* collection, const IngestPipelineOptions& options,
      IngestObserver* observer);
  // Drains queued uploads, then joins the workers.
  ~IngestPipeline();

  // Queues one upload. On acceptance `done` runs exactly once, on a worker
  // thread, with the outcome; work whose deadline has passed before a worker
  // picks it up ends with DeadlineExceeded. Returns ResourceExhausted when
  // the queue is full and Unavailable after Shutdown; `done` is then never
  // called.
  absl::Status Submit(std::string audio, SoundInput input, absl::Time deadline,
                      Done done);

  // Submit and wait for the outcome (CLI tools, bulk jobs, tests).
  absl::StatusOr<IngestOutcome> AddAndWait(std::string audio, SoundInput input,
                                           absl::Time deadline =
                                               absl::InfiniteFuture());

  // Stops accepting uploads and finishes the queued ones. Idempotent.
  void Shutdown();

  size_t queue_depth() const { return pool_->queue_depth(); }

 private:
  IngestPipeline(SoundCollection* collection, IngestObserver* observer,
                 std::unique_ptr<WorkerPool> pool);
  absl::StatusOr<IngestOutcome> Run(absl::string_view audio,
                                    const SoundInput& input,
                                    absl::Time deadline);

  SoundCollection* const collection_;
  IngestObserver* const observer_;
  IngestObserver null_observer_;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEXER_INGEST_PIPELINE_H_
