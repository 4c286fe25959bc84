// EvaluationService: the v1.Evaluation gRPC service (thin handlers over
// SoundCollection's evaluation and word-vector methods).
#ifndef SOUNDSEARCH_SERVER_EVALUATION_SERVICE_H_
#define SOUNDSEARCH_SERVER_EVALUATION_SERVICE_H_

#include "rpc/checked_request.h"
#include "server/service_context.h"
#include "soundsearch/v1/evaluation.grpc.pb.h"

namespace soundsearch {

// Every method parses its requests itself (rpc/checked_request.h): a
// request that does not parse gets INVALID_ARGUMENT naming the field.
// Thread-safe; `context` is borrowed and must outlive the service; its
// `runner` must be set before the service is constructed.
class EvaluationService final
    : public CheckedRequests<v1::Evaluation::CallbackService> {
 public:
  // Words per GetWordVectors call.
  static constexpr int kMaxWordsPerCall = 10000;
  // NearestWords k when the request leaves it 0.
  static constexpr int kDefaultNearestWords = 10;

  explicit EvaluationService(const ServiceContext* context);

  grpc::ServerUnaryReactor* Evaluate(grpc::CallbackServerContext* context,
                                     const v1::EvaluateRequest* request,
                                     v1::EvaluateResponse* response) override;
  grpc::ServerUnaryReactor* GetEvaluation(
      grpc::CallbackServerContext* context,
      const v1::GetEvaluationRequest* request,
      v1::EvaluateResponse* response) override;
  grpc::ServerUnaryReactor* WordSimilarity(
      grpc::CallbackServerContext* context,
      const v1::WordSimilarityRequest* request,
      v1::WordSimilarityResponse* response) override;
  grpc::ServerUnaryReactor* NearestWords(
      grpc::CallbackServerContext* context,
      const v1::NearestWordsRequest* request,
      v1::NearestWordsResponse* response) override;
  grpc::ServerUnaryReactor* GetWordVectors(
      grpc::CallbackServerContext* context,
      const v1::GetWordVectorsRequest* request,
      v1::GetWordVectorsResponse* response) override;

  // GetEvaluation's work without the transport (for the HTTP API).
  absl::Status AnswerGetEvaluation(const v1::GetEvaluationRequest* request,
                                   v1::EvaluateResponse* response) const;

 private:
  absl::Status RunEvaluate(const v1::EvaluateRequest& request,
                           absl::Time deadline,
                           v1::EvaluateResponse* response) const;

  const ServiceContext* const ctx_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_EVALUATION_SERVICE_H_
