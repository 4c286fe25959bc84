// QueryService: the v1.Query gRPC service (thin handlers over
// SoundCollection).
#ifndef SOUNDSEARCH_SERVER_QUERY_SERVICE_H_
#define SOUNDSEARCH_SERVER_QUERY_SERVICE_H_

#include "rpc/checked_request.h"
#include "server/service_context.h"
#include "soundsearch/v1/query.grpc.pb.h"

namespace soundsearch {

// Every method parses its requests itself (rpc/checked_request.h): a
// request that does not parse gets INVALID_ARGUMENT naming the field; a new
// method is registered in the constructor too.
// Thread-safe; `context` is borrowed and must outlive the service; its
// `runner` must be set before the service is constructed.
class QueryService final : public CheckedRequests<v1::Query::CallbackService> {
 public:
  explicit QueryService(const ServiceContext* context);

  grpc::ServerUnaryReactor* QueryByExample(
      grpc::CallbackServerContext* context,
      const v1::QueryByExampleRequest* request,
      v1::QueryByExampleResponse* response) override;
  grpc::ServerUnaryReactor* BatchQueryByExample(
      grpc::CallbackServerContext* context,
      const v1::BatchQueryByExampleRequest* request,
      v1::BatchQueryByExampleResponse* response) override;
  grpc::ServerUnaryReactor* GetSound(grpc::CallbackServerContext* context,
                                     const v1::GetSoundRequest* request,
                                     v1::Sound* response) override;
  grpc::ServerUnaryReactor* ListSpaces(
      grpc::CallbackServerContext* context,
      const v1::ListSpacesRequest* request,
      v1::ListSpacesResponse* response) override;
  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext* context,
                                  const v1::StatsRequest* request,
                                  v1::StatsResponse* response) override;

 private:
  absl::Status RunQuery(const v1::QueryByExampleRequest& request,
                        v1::QueryByExampleResponse* response) const;

  const ServiceContext* const ctx_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_QUERY_SERVICE_H_
