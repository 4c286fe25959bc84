#include "ingest_pipeline.h"

#include <utility>

#include "absl/synchronization/notification.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::StatusOr<std::unique_ptr<IngestPipeline>> IngestPipeline::Create(
    SoundCollection* collection, const IngestPipelineOptions& options,
    IngestObserver* observer) {
  if (collection == nullptr) {
    return absl::InvalidArgumentError("ingest pipeline needs a collection");
  }
  WorkerPoolOptions pool_options;
  pool_options.threads = options.workers;
  pool_options.max_queue = options.max_queue;
  RETURN_IF_ERROR(WorkerPool::Validate(pool_options));
  return std::unique_ptr<IngestPipeline>(new IngestPipeline(
      collection, observer, std::make_unique<WorkerPool>(pool_options)));
}

IngestPipeline::IngestPipeline(SoundCollection* collection,
                               IngestObserver* observer,
                               std::unique_ptr<WorkerPool> pool)
    : collection_(collection),
      observer_(observer != nullptr ? observer : &null_observer_),
      pool_(std::move(pool)) {}

IngestPipeline::~IngestPipeline() { Shutdown(); }

void IngestPipeline::Shutdown() { pool_->Shutdown(); }

absl::Status IngestPipeline::Submit(std::string audio, SoundInput input,
                                    absl::Time deadline, Done done) {
  auto task = [this, audio = std::move(audio), input = std::move(input),
               deadline, done = std::move(done)]() {
    observer_->OnQueueDepth(pool_->queue_depth());
    absl::StatusOr<IngestOutcome> outcome = Run(audio, input, deadline);
    if (!outcome.ok()) {
      observer_->OnResult("failed");
    } else {
      observer_->OnResult(outcome->result.duplicate ? "duplicate" : "stored");
    }
    done(std::move(outcome));
  };
  absl::Status queued = pool_->TrySubmit(std::move(task));
  observer_->OnQueueDepth(pool_->queue_depth());
  return queued;
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

absl::StatusOr<IngestOutcome> IngestPipeline::Run(absl::string_view audio,
                                                  const SoundInput& input,
                                                  absl::Time deadline) {
  if (absl::Now() > deadline) {
    return absl::DeadlineExceededError(
        "deadline passed while the upload waited in the ingest queue");
  }
  ASSIGN_OR_RETURN(PreparedSound prepared, collection_->Prepare(audio, input));
  if (!prepared.duplicate) {
    observer_->OnDecoded(prepared.decode_seconds);
    for (const auto& [space, seconds] : prepared.embed_seconds) {
      observer_->OnEmbedded(space, seconds);
    }
  }
  if (absl::Now() > deadline) {
    return absl::DeadlineExceededError(
        "deadline passed while decoding and embedding; nothing was stored");
  }
  IngestOutcome outcome;
  outcome.audio_info = prepared.audio_info;
  ASSIGN_OR_RETURN(outcome.result, collection_->Commit(std::move(prepared)));
  ASSIGN_OR_RETURN(outcome.record, collection_->Get(outcome.result.id));
  return outcome;
}

}  // namespace soundsearch
