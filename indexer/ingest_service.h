// IngestService: the v1.Ingest gRPC service. Uploads go through the
// IngestPipeline (bounded queue, decode/embed workers); bulk manifests
// through ManifestJobs; deletes and refits through the collection.
#ifndef SOUNDSEARCH_INDEXER_INGEST_SERVICE_H_
#define SOUNDSEARCH_INDEXER_INGEST_SERVICE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "indexer/ingest_context.h"
#include "rpc/checked_request.h"
#include "soundsearch/v1/ingest.grpc.pb.h"

namespace soundsearch {

// Every method parses its requests itself (rpc/checked_request.h): a
// request that does not parse, such as a string that is not UTF-8, gets
// INVALID_ARGUMENT naming the field.
//
// Thread-safe; `context` is borrowed and must outlive the service; its
// `runner` must be set before the service is constructed.
class IngestService final
    : public CheckedRequests<v1::Ingest::CallbackService> {
 public:
  explicit IngestService(const IngestContext* context);

  grpc::ServerUnaryReactor* AddSound(grpc::CallbackServerContext* context,
                                     const v1::AddSoundRequest* request,
                                     v1::AddSoundResponse* response) override;
  // AddSoundStream: a reactor reading Checked messages, registered in the
  // constructor (ingest_service.cc).
  grpc::ServerUnaryReactor* AddFromManifest(
      grpc::CallbackServerContext* context,
      const v1::AddFromManifestRequest* request, v1::Job* response) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const v1::GetJobRequest* request,
                                   v1::Job* response) override;
  grpc::ServerUnaryReactor* DeleteSound(
      grpc::CallbackServerContext* context,
      const v1::DeleteSoundRequest* request,
      v1::DeleteSoundResponse* response) override;
  grpc::ServerUnaryReactor* Refit(grpc::CallbackServerContext* context,
                                  const v1::RefitRequest* request,
                                  v1::RefitResponse* response) override;

  // Queues one upload on the pipeline; `finish` gets the final status after
  // `response` is filled. `cancelled` tells whether the call was cancelled
  // (the client went away, or the server is shutting down); a cancelled
  // upload is never stored. Returns the status of the queueing (then
  // `finish` is never called): InvalidArgument for empty audio,
  // ResourceExhausted with the reason UPLOAD_TOO_LARGE
  // (soundsearch/error_reason.h) above max_upload_bytes, the pipeline's
  // errors.
  absl::Status SubmitUpload(std::string audio, SoundInput input,
                            absl::Time deadline, v1::AddSoundResponse* response,
                            std::function<void(absl::Status)> finish,
                            std::function<bool()> cancelled) const;

  const IngestContext& context() const { return *ctx_; }

 private:
  const IngestContext* const ctx_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEXER_INGEST_SERVICE_H_
