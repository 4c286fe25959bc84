#include "ingest_service.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpc_status.h"
#include "proto_convert.h"
#include "query_service.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

using Access = RpcRunner::Access;
using Clock = std::chrono::steady_clock;

void ToProto(const JobStatus& job, v1::Job* out) {
  out->set_job_id(job.id);
  switch (job.state) {
    case JobStatus::State::kRunning: out->set_state(v1::Job::RUNNING); break;
    case JobStatus::State::kDone: out->set_state(v1::Job::DONE); break;
    case JobStatus::State::kFailed: out->set_state(v1::Job::FAILED); break;
  }
  out->set_total(job.total);
  out->set_processed(job.processed);
  out->set_stored(job.stored);
  out->set_duplicates(job.duplicates);
  out->set_failed(job.failed);
  for (const JobFailure& f : job.failures) {
    v1::JobFailure* failure = out->add_failures();
    failure->set_fname(f.fname);
    failure->set_code(std::string(
        GrpcCodeName(static_cast<grpc::StatusCode>(f.code))));
    failure->set_message(f.message);
  }
  out->set_error(job.error);
  out->set_elapsed_seconds(job.elapsed_seconds);
}

// Client-streaming upload: a header, then chunks, assembled in memory up to
// the upload limit, then handed to the pipeline.
class UploadReactor final
    : public grpc::ServerReadReactor<v1::AddSoundStreamRequest> {
 public:
  UploadReactor(const IngestService* service,
                grpc::CallbackServerContext* context,
                v1::AddSoundResponse* response)
      : service_(service), context_(context), response_(response),
        start_(Clock::now()) {
    absl::Status admitted =
        service_->context().runner->Admit(*context, Access::kMutate);
    if (!admitted.ok()) {
      Done(admitted);
      return;
    }
    StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client finished sending
      if (!have_header_) {
        Done(absl::InvalidArgumentError(
            "stream ended before its header message"));
        return;
      }
      absl::Status queued = service_->SubmitUpload(
          std::move(audio_), std::move(input_), DeadlineOf(*context_),
          response_, [this](absl::Status status) { Done(status); });
      if (!queued.ok()) Done(queued);
      return;
    }
    if (message_.has_header()) {
      if (have_header_) {
        Done(absl::InvalidArgumentError("stream sent a second header"));
        return;
      }
      have_header_ = true;
      input_ = FromProto(message_.header().fields());
      input_.source = message_.header().filename().empty()
                          ? "upload"
                          : message_.header().filename();
    } else if (message_.part_case() == v1::AddSoundStreamRequest::kChunk) {
      if (!have_header_) {
        Done(absl::InvalidArgumentError(
            "the first message of the stream must be the header"));
        return;
      }
      const int64_t limit = service_->context().limits.max_upload_bytes;
      if (static_cast<int64_t>(audio_.size() + message_.chunk().size()) >
          limit) {
        Done(absl::ResourceExhaustedError(absl::StrCat(
            "upload exceeds the server's limit of ", limit, " bytes")));
        return;
      }
      audio_.append(message_.chunk());
    } else {
      Done(absl::InvalidArgumentError("stream message has neither header "
                                      "nor chunk"));
      return;
    }
    StartRead(&message_);
  }

  void OnDone() override { delete this; }

 private:
  void Done(const absl::Status& status) {
    grpc::Status grpc_status = ToGrpcStatus(status);
    service_->context().metrics->ObserveRpc(
        "AddSoundStream", GrpcCodeName(grpc_status.error_code()),
        std::chrono::duration<double>(Clock::now() - start_).count());
    Finish(grpc_status);
  }

  const IngestService* const service_;
  grpc::CallbackServerContext* const context_;
  v1::AddSoundResponse* const response_;
  const Clock::time_point start_;
  v1::AddSoundStreamRequest message_;
  bool have_header_ = false;
  SoundInput input_;
  std::string audio_;
};

}  // namespace

absl::Status IngestService::SubmitUpload(
    std::string audio, SoundInput input, absl::Time deadline,
    v1::AddSoundResponse* response,
    std::function<void(absl::Status)> finish) const {
  if (audio.empty()) {
    return absl::InvalidArgumentError("audio is empty (0 bytes)");
  }
  if (static_cast<int64_t>(audio.size()) > ctx_->limits.max_upload_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("upload of ", audio.size(), " bytes exceeds the limit of ",
                     ctx_->limits.max_upload_bytes));
  }
  const ServiceContext* ctx = ctx_;
  return ctx_->pipeline->Submit(
      std::move(audio), std::move(input), deadline,
      [ctx, response, finish = std::move(finish)](
          absl::StatusOr<IngestOutcome> outcome) {
        if (!outcome.ok()) {
          finish(outcome.status());
          return;
        }
        response->set_id(outcome->result.id);
        response->set_duplicate(outcome->result.duplicate);
        soundsearch::ToProto(outcome->record, response->mutable_sound());
        if (!outcome->result.duplicate) {
          soundsearch::ToProto(outcome->audio_info, response->mutable_audio());
        }
        ctx->UpdateIndexGauges();
        finish(absl::OkStatus());
      });
}

grpc::ServerUnaryReactor* IngestService::AddSound(
    grpc::CallbackServerContext* context, const v1::AddSoundRequest* request,
    v1::AddSoundResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const auto start = Clock::now();
  const RpcRunner* runner = ctx_->runner;
  absl::Status admitted = runner->Admit(*context, Access::kMutate);
  if (!admitted.ok()) {
    runner->Finish(reactor, "AddSound", start, admitted);
    return reactor;
  }
  SoundInput input = FromProto(request->fields());
  input.source = request->filename().empty() ? "upload" : request->filename();
  absl::Status queued = SubmitUpload(
      request->audio(), std::move(input), DeadlineOf(*context), response,
      [runner, reactor, start](absl::Status status) {
        runner->Finish(reactor, "AddSound", start, status);
      });
  if (!queued.ok()) runner->Finish(reactor, "AddSound", start, queued);
  return reactor;
}

grpc::ServerReadReactor<v1::AddSoundStreamRequest>*
IngestService::AddSoundStream(grpc::CallbackServerContext* context,
                              v1::AddSoundResponse* response) {
  return new UploadReactor(this, context, response);
}

grpc::ServerUnaryReactor* IngestService::AddFromManifest(
    grpc::CallbackServerContext* context,
    const v1::AddFromManifestRequest* request, v1::Job* response) {
  return ctx_->runner->Run(
      context, "AddFromManifest", Access::kMutate,
      [this, request, response](absl::Time) -> absl::Status {
        if (request->manifest_path().empty()) {
          return absl::InvalidArgumentError("manifest_path is empty");
        }
        ASSIGN_OR_RETURN(std::string id,
                         ctx_->jobs->Start(request->manifest_path(),
                                           request->audio_dir()));
        ASSIGN_OR_RETURN(JobStatus job, ctx_->jobs->Get(id));
        ToProto(job, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IngestService::GetJob(
    grpc::CallbackServerContext* context, const v1::GetJobRequest* request,
    v1::Job* response) {
  return ctx_->runner->Run(
      context, "GetJob", Access::kRead,
      [this, request, response](absl::Time) -> absl::Status {
        ASSIGN_OR_RETURN(JobStatus job, ctx_->jobs->Get(request->job_id()));
        ToProto(job, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IngestService::DeleteSound(
    grpc::CallbackServerContext* context,
    const v1::DeleteSoundRequest* request, v1::DeleteSoundResponse* response) {
  return ctx_->runner->Run(
      context, "DeleteSound", Access::kMutate,
      [this, request, response](absl::Time) -> absl::Status {
        ASSIGN_OR_RETURN(SoundRecord record,
                         ResolveSound(*ctx_->collection, request->sound()));
        RETURN_IF_ERROR(ctx_->collection->Delete(record.id));
        response->set_id(record.id);
        ctx_->UpdateIndexGauges();
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IngestService::Refit(
    grpc::CallbackServerContext* context, const v1::RefitRequest* request,
    v1::RefitResponse* response) {
  return ctx_->runner->Run(
      context, "Refit", Access::kMutate,
      [this, request, response](absl::Time) -> absl::Status {
        const std::string space = request->space().empty()
                                      ? ctx_->collection->default_space()
                                      : request->space();
        ASSIGN_OR_RETURN(RefitResult result, ctx_->collection->Refit(space));
        response->set_space(result.space);
        response->set_fitted_version(result.projection_version);
        response->set_items(result.items);
        response->set_seconds(result.seconds);
        ctx_->UpdateIndexGauges();
        return absl::OkStatus();
      });
}

}  // namespace soundsearch
