// IngestPipeline: the ingest daemon's path for uploads: a bounded queue, a
// pool of workers that decode and embed, then store and index
// (SoundCollection::Commit). A full queue is refused at once
// (RESOURCE_EXHAUSTED) rather than buffered without bound.
//
// Batching: the pipeline keeps its own bounded FIFO of uploads. A worker
// (a WorkerPool thread running a drain loop; at most `workers` such loops
// exist) takes up to max_batch waiting uploads at once, fails those whose
// deadline has passed, prepares the rest together with
// SoundCollection::PrepareBatch (each decoded alone, then embedded per space
// in one Space::EmbedBatch, so a torchscript space runs the windows of many
// short uploads through one forward), then commits them one by one in queue
// order and calls each `done` as soon as its own outcome is known. One bad
// upload fails alone. A worker that finds one upload waiting takes it alone:
// batches form only when uploads wait, so an idle server adds no latency.
#ifndef SOUNDSEARCH_INDEXER_INGEST_PIPELINE_H_
#define SOUNDSEARCH_INDEXER_INGEST_PIPELINE_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "indexer/ingest_observer.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/worker_pool.h"

namespace soundsearch {

struct IngestPipelineOptions {
  int workers = 2;         // decode+embed threads, > 0
  size_t max_queue = 256;  // uploads waiting (not counting those taken), > 0
  // Uploads a worker takes and prepares together when several wait, >= 1
  // (1: one at a time). Bounds the memory of one batch: up to max_batch
  // decoded uploads are held at once per worker.
  int max_batch = 8;
};

// What happened to one upload.
struct IngestOutcome {
  CommitResult result;
  SoundRecord record;       // as stored (or the existing sound for a duplicate)
  DecodedAudio audio_info;  // samples empty; default for a duplicate
};

// Thread-safety: all methods are thread-safe.
class IngestPipeline {
 public:
  using Done = std::function<void(absl::StatusOr<IngestOutcome>)>;
  // Whether the upload's call was cancelled; asked before decoding and again
  // right before storing. Thread-safe; may be empty (never cancelled).
  using IsCancelled = std::function<bool()>;

  // `collection` and `observer` (may be null) are borrowed and must outlive
  // the pipeline. InvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<IngestPipeline>> Create(
      SoundCollection* collection, const IngestPipelineOptions& options,
      IngestObserver* observer);
  // Drains queued uploads, then joins the workers.
  ~IngestPipeline();

  // Queues one upload. On acceptance `done` runs exactly once, on a worker
  // thread, with the outcome; work whose deadline has passed before a worker
  // picks it up, or while it was decoded and embedded, ends with
  // DeadlineExceeded (nothing stored); an upload whose `cancelled` says so
  // before it is stored ends with Cancelled (nothing stored). Returns
  // ResourceExhausted when max_queue uploads are waiting and Unavailable
  // after Shutdown; `done` is then never called. `done` must not throw.
  absl::Status Submit(std::string audio, SoundInput input, absl::Time deadline,
                      Done done, IsCancelled cancelled = nullptr);

  // Submit and wait for the outcome (CLI tools, bulk jobs, tests).
  absl::StatusOr<IngestOutcome> AddAndWait(
      std::string audio, SoundInput input,
      absl::Time deadline = absl::InfiniteFuture());

  // Stops accepting uploads and finishes the queued ones. Idempotent.
  void Shutdown();

  // Uploads waiting (not yet taken by a worker).
  size_t queue_depth() const;

 private:
  struct Upload {
    std::string audio;
    SoundInput input;
    absl::Time deadline;
    Done done;
    IsCancelled cancelled;  // may be empty
    bool Cancelled() const { return cancelled && cancelled(); }
  };

  IngestPipeline(SoundCollection* collection,
                 const IngestPipelineOptions& options, IngestObserver* observer,
                 std::unique_ptr<WorkerPool> pool);
  // A worker's loop: takes batches until the queue is empty, then ends.
  void Drain();
  void RunBatch(std::vector<Upload> batch);
  // Commits one prepared upload (after the deadline and cancellation
  // checks).
  absl::StatusOr<IngestOutcome> Finish(absl::StatusOr<PreparedSound> prepared,
                                       const Upload& upload);
  void Deliver(Upload& upload, absl::StatusOr<IngestOutcome> outcome);

  SoundCollection* const collection_;
  const IngestPipelineOptions options_;
  IngestObserver* const observer_;
  IngestObserver null_observer_;
  std::unique_ptr<WorkerPool> pool_;  // runs the Drain loops

  mutable absl::Mutex mu_;
  std::deque<Upload> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Drain loops queued on or running in pool_, <= options_.workers. Invariant
  // (under mu_): queue_ not empty implies drainers_ >= 1, since a loop ends
  // only when it finds the queue empty.
  int drainers_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEXER_INGEST_PIPELINE_H_
