// QueryService: the v1.Query gRPC service (thin handlers over
// SoundCollection).
#ifndef SOUNDSEARCH_SERVER_QUERY_SERVICE_H_
#define SOUNDSEARCH_SERVER_QUERY_SERVICE_H_

#include "server/service_context.h"
#include "soundsearch/v1/query.grpc.pb.h"

namespace soundsearch {

// Thread-safe; `context` is borrowed and must outlive the service.
class QueryService final : public v1::Query::CallbackService {
 public:
  explicit QueryService(const ServiceContext* context) : ctx_(context) {}

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
  grpc::ServerUnaryReactor* ListSpaces(grpc::CallbackServerContext* context,
                                       const v1::ListSpacesRequest* request,
                                       v1::ListSpacesResponse* response) override;
  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext* context,
                                  const v1::StatsRequest* request,
                                  v1::StatsResponse* response) override;

 private:
  absl::Status RunQuery(const v1::QueryByExampleRequest& request,
                        v1::QueryByExampleResponse* response) const;
  // The results' records and the response of a searched query, with the
  // query-step metrics.
  void FillResponse(const v1::QueryByExampleRequest& request,
                    const QueryResult& result,
                    v1::QueryByExampleResponse* response) const;
  // BatchQueryByExample when every example is a sound of the collection:
  // their searches go to the index together (coalesced). Statuses as the
  // one-by-one loop.
  absl::Status RunIdBatch(const v1::BatchQueryByExampleRequest& request,
                          v1::BatchQueryByExampleResponse* response) const;

  const ServiceContext* const ctx_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_QUERY_SERVICE_H_
