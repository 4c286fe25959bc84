#include "indexer/ingest_service.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rpc/from_proto.h"
#include "rpc/to_proto.h"
#include "soundsearch/error_reason.h"
#include "soundsearch/status_macros.h"
#include "soundsearch/text.h"

namespace soundsearch {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kService[] = "soundsearch.v1.Ingest";

// Client-streaming upload: a header, then chunks, assembled in memory up to
// the upload limit, then handed to the pipeline. Only a stream that the
// client half-closes is stored: a read that fails because the call was
// cancelled (the client went away or cancelled, the connection broke, the
// server is shutting down) stores nothing, and so does a stream shorter
// than the size its header declared, or a cancellation that comes while
// the upload waits in the pipeline.
class UploadReactor final
    : public grpc::ServerReadReactor<Checked<v1::AddSoundStreamRequest>> {
 public:
  UploadReactor(const IngestService* service,
                grpc::CallbackServerContext* context,
                v1::AddSoundResponse* response)
      : service_(service),
        context_(context),
        response_(response),
        start_(Clock::now()) {
    absl::Status admitted =
        service_->context().runner->Admit(*context, "AddSoundStream");
    if (admitted.ok()) {
      // Held until the call finishes; grows with every chunk.
      admitted = service_->context().runner->Reserve(0, "AddSoundStream",
                                                     &reservation_);
    }
    if (!admitted.ok()) {
      Done(admitted);
      return;
    }
    StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client half-closed, or the call is gone. gRPC reports both the
      // same way here; a cancelled call says so through IsCancelled (and
      // OnCancel), which the pipeline asks again before storing.
      if (Cancelled()) {
        Done(absl::CancelledError(
            "the upload stream was cancelled before it ended; nothing was "
            "stored"));
        return;
      }
      if (!have_header_) {
        Done(absl::InvalidArgumentError(
            "stream ended before its header message"));
        return;
      }
      if (total_bytes_ != 0 && audio_.size() != total_bytes_) {
        Done(absl::InvalidArgumentError(absl::StrCat(
            "stream ended after ", audio_.size(), " of the ", total_bytes_,
            " bytes its header declared; nothing was stored")));
        return;
      }
      absl::Status queued = service_->SubmitUpload(
          std::move(audio_), std::move(input_), DeadlineOf(*context_),
          response_, [this](absl::Status status) { Done(status); },
          [this] { return Cancelled(); });
      if (!queued.ok()) Done(queued);
      return;
    }
    if (!message_.status.ok()) {  // a message that does not parse
      Done(message_.status);
      return;
    }
    const v1::AddSoundStreamRequest& message = message_.message;
    if (message.has_header()) {
      if (have_header_) {
        Done(absl::InvalidArgumentError("stream sent a second header"));
        return;
      }
      have_header_ = true;
      input_ = FromProto(message.header());
      total_bytes_ = message.header().total_bytes();
    } else if (message.part_case() == v1::AddSoundStreamRequest::kChunk) {
      if (!have_header_) {
        Done(absl::InvalidArgumentError(
            "the first message of the stream must be the header"));
        return;
      }
      const int64_t limit = service_->context().max_upload_bytes;
      if (static_cast<int64_t>(audio_.size() + message.chunk().size()) >
          limit) {
        Done(UploadTooLargeError(absl::StrCat(
            "upload exceeds the server's limit of ", limit, " bytes")));
        return;
      }
      // The server's memory for requests is shared by every client: a
      // stream that would exceed it stops here (retry later).
      absl::Status room = reservation_.Grow(
          static_cast<int64_t>(message.chunk().size()), "AddSoundStream");
      if (!room.ok()) {
        Done(room);
        return;
      }
      audio_.append(message.chunk());
    } else {
      Done(
          absl::InvalidArgumentError("stream message has neither header "
                                     "nor chunk"));
      return;
    }
    StartRead(&message_);
  }

  void OnCancel() override { cancelled_.store(true); }
  void OnDone() override { delete this; }

 private:
  bool Cancelled() const {
    return cancelled_.load() || context_->IsCancelled();
  }
  void Done(const absl::Status& status) {
    reservation_.Release();
    Finish(
        service_->context().runner->Complete("AddSoundStream", start_, status));
  }

  const IngestService* const service_;
  grpc::CallbackServerContext* const context_;
  v1::AddSoundResponse* const response_;
  const Clock::time_point start_;
  Checked<v1::AddSoundStreamRequest> message_;
  bool have_header_ = false;
  uint64_t total_bytes_ = 0;  // declared by the header; 0: not declared
  SoundInput input_;
  std::string audio_;
  RequestBudget::Reservation reservation_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

IngestService::IngestService(const IngestContext* context) : ctx_(context) {
  const RpcRunner* runner = ctx_->runner;
  CheckUnary(kService, "AddSound", runner, &IngestService::AddSound);
  CheckClientStream<v1::AddSoundStreamRequest, v1::AddSoundResponse>(
      kService, "AddSoundStream",
      [this](grpc::CallbackServerContext* context,
             v1::AddSoundResponse* response) {
        return new UploadReactor(this, context, response);
      });
  CheckUnary(kService, "AddFromManifest", runner,
             &IngestService::AddFromManifest);
  CheckUnary(kService, "GetJob", runner, &IngestService::GetJob);
  CheckUnary(kService, "DeleteSound", runner, &IngestService::DeleteSound);
  CheckUnary(kService, "Refit", runner, &IngestService::Refit);
}

absl::Status IngestService::SubmitUpload(
    std::string audio, SoundInput input, absl::Time deadline,
    v1::AddSoundResponse* response, std::function<void(absl::Status)> finish,
    std::function<bool()> cancelled) const {
  if (audio.empty()) {
    return absl::InvalidArgumentError("audio is empty (0 bytes)");
  }
  if (static_cast<int64_t>(audio.size()) > ctx_->max_upload_bytes) {
    return UploadTooLargeError(absl::StrCat("upload of ", audio.size(),
                                            " bytes exceeds the limit of ",
                                            ctx_->max_upload_bytes));
  }
  // While the store cannot write (a full disk) uploads are refused at once,
  // before decoding; the server tries writing again by itself.
  RETURN_IF_ERROR(ctx_->collection->WriterHealth());
  const IngestContext* ctx = ctx_;
  return ctx_->pipeline->Submit(
      std::move(audio), std::move(input), deadline,
      [ctx, response,
       finish = std::move(finish)](absl::StatusOr<IngestOutcome> outcome) {
        if (!outcome.ok()) {
          finish(outcome.status());
          return;
        }
        ToProto(outcome->result, outcome->record, outcome->audio_info,
                response);
        ctx->ReportIndexSizes();
        finish(absl::OkStatus());
      },
      std::move(cancelled));
}

grpc::ServerUnaryReactor* IngestService::AddSound(
    grpc::CallbackServerContext* context, const v1::AddSoundRequest* request,
    v1::AddSoundResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const auto start = Clock::now();
  const RpcRunner* runner = ctx_->runner;
  absl::Status admitted = runner->Admit(*context, "AddSound");
  // The upload stays in memory until it is stored: its bytes count against
  // the request budget until the call finishes.
  auto reservation = std::make_shared<RequestBudget::Reservation>();
  if (admitted.ok()) {
    admitted = runner->Reserve(static_cast<int64_t>(request->ByteSizeLong()),
                               "AddSound", reservation.get());
  }
  if (!admitted.ok()) {
    runner->Finish(reactor, "AddSound", start, admitted);
    return reactor;
  }
  // gRPC hands the handler a request it no longer reads: the audio is moved
  // out rather than copied, so that an upload is held once, not twice.
  std::string audio =
      std::move(*const_cast<v1::AddSoundRequest*>(request)->mutable_audio());
  absl::Status queued = SubmitUpload(
      std::move(audio), FromProto(*request), DeadlineOf(*context), response,
      [runner, reactor, start, reservation](absl::Status status) {
        reservation->Release();
        runner->Finish(reactor, "AddSound", start, status);
      },
      [context] { return context->IsCancelled(); });
  if (!queued.ok()) runner->Finish(reactor, "AddSound", start, queued);
  return reactor;
}

grpc::ServerUnaryReactor* IngestService::AddFromManifest(
    grpc::CallbackServerContext* context,
    const v1::AddFromManifestRequest* request, v1::Job* response) {
  return ctx_->runner->Run(
      context, "AddFromManifest", *request,
      [this, request, response](absl::Time) -> absl::Status {
        if (request->manifest_path().empty()) {
          return absl::InvalidArgumentError("manifest_path is empty");
        }
        ASSIGN_OR_RETURN(TextEncoding encoding,
                         ParseTextEncoding(request->encoding()));
        ASSIGN_OR_RETURN(std::string id,
                         ctx_->jobs->Start(request->manifest_path(),
                                           request->audio_dir(), encoding));
        ASSIGN_OR_RETURN(JobStatus job, ctx_->jobs->Get(id));
        ToProto(job, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IngestService::GetJob(
    grpc::CallbackServerContext* context, const v1::GetJobRequest* request,
    v1::Job* response) {
  return ctx_->runner->Run(
      context, "GetJob", *request,
      [this, request, response](absl::Time) -> absl::Status {
        ASSIGN_OR_RETURN(JobStatus job, ctx_->jobs->Get(request->job_id()));
        ToProto(job, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IngestService::DeleteSound(
    grpc::CallbackServerContext* context, const v1::DeleteSoundRequest* request,
    v1::DeleteSoundResponse* response) {
  return ctx_->runner->Run(
      context, "DeleteSound", *request,
      [this, request, response](absl::Time) -> absl::Status {
        ASSIGN_OR_RETURN(SoundRecord record,
                         ResolveSound(*ctx_->collection, request->sound()));
        RETURN_IF_ERROR(ctx_->collection->Delete(record.id));
        response->set_id(record.id);
        ctx_->ReportIndexSizes();
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IngestService::Refit(
    grpc::CallbackServerContext* context, const v1::RefitRequest* request,
    v1::RefitResponse* response) {
  return ctx_->runner->Run(
      context, "Refit", *request,
      [this, request, response](absl::Time) -> absl::Status {
        const std::string space = request->space().empty()
                                      ? ctx_->collection->default_space()
                                      : request->space();
        ASSIGN_OR_RETURN(RefitResult result, ctx_->collection->Refit(space));
        ToProto(result, response);
        ctx_->ReportIndexSizes();
        return absl::OkStatus();
      });
}

}  // namespace soundsearch
