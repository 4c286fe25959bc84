#include "indexer/ingest_pipeline.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::StatusOr<std::unique_ptr<IngestPipeline>> IngestPipeline::Create(
    SoundCollection* collection, const IngestPipelineOptions& options,
    IngestObserver* observer) {
  if (collection == nullptr) {
    return absl::InvalidArgumentError("ingest pipeline needs a collection");
  }
  if (options.max_queue == 0) {
    return absl::InvalidArgumentError("ingest queue length must be > 0");
  }
  if (options.max_batch < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ingest batch size must be >= 1, got ", options.max_batch));
  }
  WorkerPoolOptions pool_options;
  pool_options.threads = options.workers;
  // Holds only drain loops, at most `workers` of them.
  pool_options.max_queue = static_cast<size_t>(std::max(options.workers, 1));
  RETURN_IF_ERROR(WorkerPool::Validate(pool_options));
  return std::unique_ptr<IngestPipeline>(
      new IngestPipeline(collection, options, observer,
                         std::make_unique<WorkerPool>(pool_options)));
}

IngestPipeline::IngestPipeline(SoundCollection* collection,
                               const IngestPipelineOptions& options,
                               IngestObserver* observer,
                               std::unique_ptr<WorkerPool> pool)
    : collection_(collection),
      options_(options),
      observer_(observer != nullptr ? observer : &null_observer_),
      pool_(std::move(pool)) {}

IngestPipeline::~IngestPipeline() { Shutdown(); }

void IngestPipeline::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // Runs the drain loops still queued; they empty queue_ before ending.
  pool_->Shutdown();
}

size_t IngestPipeline::queue_depth() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

absl::Status IngestPipeline::Submit(std::string audio, SoundInput input,
                                    absl::Time deadline, Done done,
                                    IsCancelled cancelled) {
  size_t depth = 0;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("server is shutting down");
    if (queue_.size() >= options_.max_queue) {
      return absl::ResourceExhaustedError(
          absl::StrCat("ingest queue is full (", options_.max_queue,
                       " uploads waiting); retry later"));
    }
    queue_.push_back(Upload{std::move(audio), std::move(input), deadline,
                            std::move(done), std::move(cancelled)});
    if (drainers_ < options_.workers) {
      absl::Status started = pool_->TrySubmit([this] { Drain(); });
      if (!started.ok()) {
        if (drainers_ == 0) {  // nobody would ever take it
          queue_.pop_back();
          return started;
        }
      } else {
        ++drainers_;
      }
    }
    depth = queue_.size();
  }
  observer_->OnQueueDepth(depth);
  return absl::OkStatus();
}

absl::StatusOr<IngestOutcome> IngestPipeline::AddAndWait(std::string audio,
                                                         SoundInput input,
                                                         absl::Time deadline) {
  absl::Notification finished;
  absl::StatusOr<IngestOutcome> outcome;
  RETURN_IF_ERROR(Submit(std::move(audio), std::move(input), deadline,
                         [&](absl::StatusOr<IngestOutcome> result) {
                           outcome = std::move(result);
                           finished.Notify();
                         }));
  finished.WaitForNotification();
  return outcome;
}

void IngestPipeline::Drain() {
  for (;;) {
    std::vector<Upload> batch;
    size_t depth = 0;
    {
      absl::MutexLock lock(&mu_);
      if (queue_.empty()) {
        --drainers_;
        return;
      }
      const size_t take =
          std::min(queue_.size(), static_cast<size_t>(options_.max_batch));
      batch.reserve(take);
      for (size_t i = 0; i < take; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      depth = queue_.size();
    }
    observer_->OnQueueDepth(depth);
    RunBatch(std::move(batch));
  }
}

void IngestPipeline::RunBatch(std::vector<Upload> batch) {
  const absl::Time now = absl::Now();
  std::vector<size_t> live;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (now > batch[i].deadline) {
      Deliver(batch[i],
              absl::DeadlineExceededError(
                  "deadline passed while the upload waited in the ingest "
                  "queue"));
    } else if (batch[i].Cancelled()) {
      Deliver(batch[i], absl::CancelledError(
                            "the call was cancelled while the upload waited "
                            "in the ingest queue; nothing was stored"));
    } else {
      live.push_back(i);
    }
  }
  if (live.empty()) return;
  observer_->OnBatch(live.size());
  std::vector<PrepareRequest> requests;
  requests.reserve(live.size());
  for (size_t i : live) requests.push_back({batch[i].audio, &batch[i].input});
  std::vector<absl::StatusOr<PreparedSound>> prepared =
      collection_->PrepareBatch(requests);
  for (size_t k = 0; k < live.size(); ++k) {
    Upload& upload = batch[live[k]];
    Deliver(upload, Finish(std::move(prepared[k]), upload));
  }
}

absl::StatusOr<IngestOutcome> IngestPipeline::Finish(
    absl::StatusOr<PreparedSound> prepared, const Upload& upload) {
  if (!prepared.ok()) return prepared.status();
  if (!prepared->duplicate) {
    observer_->OnDecoded(prepared->decode_seconds);
    for (const auto& [space, seconds] : prepared->embed_seconds) {
      observer_->OnEmbedded(space, seconds);
    }
  }
  if (absl::Now() > upload.deadline) {
    return absl::DeadlineExceededError(
        "deadline passed while decoding and embedding; nothing was stored");
  }
  if (upload.Cancelled()) {
    return absl::CancelledError(
        "the call was cancelled while the upload was decoded and embedded; "
        "nothing was stored");
  }
  IngestOutcome outcome;
  outcome.audio_info = prepared->audio_info;
  ASSIGN_OR_RETURN(outcome.result,
                   collection_->Commit(std::move(prepared).value()));
  ASSIGN_OR_RETURN(outcome.record, collection_->Get(outcome.result.id));
  return outcome;
}

void IngestPipeline::Deliver(Upload& upload,
                             absl::StatusOr<IngestOutcome> outcome) {
  if (!outcome.ok()) {
    observer_->OnResult("failed");
  } else {
    observer_->OnResult(outcome->result.duplicate ? "duplicate" : "stored");
  }
  Done done = std::move(upload.done);
  upload.done = nullptr;
  done(std::move(outcome));
}

}  // namespace soundsearch
