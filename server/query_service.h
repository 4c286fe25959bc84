// QueryService: the v1.Query gRPC service (thin handlers over
// SoundCollection).
#ifndef SOUNDSEARCH_SERVER_QUERY_SERVICE_H_
#define SOUNDSEARCH_SERVER_QUERY_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"
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
  grpc::ServerUnaryReactor* QueryByText(
      grpc::CallbackServerContext* context,
      const v1::QueryByTextRequest* request,
      v1::QueryByTextResponse* response) override;
  grpc::ServerUnaryReactor* ListSounds(
      grpc::CallbackServerContext* context,
      const v1::ListSoundsRequest* request,
      v1::ListSoundsResponse* response) override;
  grpc::ServerUnaryReactor* DescribeSound(
      grpc::CallbackServerContext* context,
      const v1::DescribeSoundRequest* request,
      v1::DescribeSoundResponse* response) override;

  // The work of each RPC above, without the transport: the same checks and
  // the same answer. The gRPC handlers run them through the RpcRunner; the
  // HTTP API (server/http_api.h) calls them too, so that no query has a
  // second implementation.
  //
  // One query; audio examples stop decoding at `deadline`. In a batch,
  // `audio_budget` is the seconds of audio the batch may still decode (an
  // example cut at the budget fails); null for a single query.
  absl::Status RunQuery(const v1::QueryByExampleRequest& request,
                        absl::Time deadline, double* audio_budget,
                        v1::QueryByExampleResponse* response) const;
  absl::Status AnswerGetSound(const v1::GetSoundRequest* request,
                              v1::Sound* response) const;
  absl::Status AnswerListSpaces(const v1::ListSpacesRequest* request,
                                v1::ListSpacesResponse* response) const;
  absl::Status AnswerQueryByText(const v1::QueryByTextRequest* request,
                                 v1::QueryByTextResponse* response) const;
  absl::Status AnswerListSounds(const v1::ListSoundsRequest* request,
                                v1::ListSoundsResponse* response) const;
  // An uploaded example stops decoding at `deadline`.
  absl::Status AnswerDescribeSound(const v1::DescribeSoundRequest* request,
                                   v1::DescribeSoundResponse* response,
                                   absl::Time deadline) const;
  absl::Status AnswerStats(const v1::StatsRequest* request,
                           v1::StatsResponse* response) const;

  // ListSounds page size: 0 means kDefaultListPage; at most kMaxListPage.
  static constexpr int kDefaultListPage = 100;
  static constexpr int kMaxListPage = 1000;

 private:
  // The offset a ranked request asks for (`offset`, or its page token).
  // InvalidArgument for a bad token or offset + k above --max-k.
  absl::StatusOr<int> PageOffset(uint32_t offset, const std::string& page_token,
                                 int k) const;
  // The token of the page after [offset, offset + k); empty when no result
  // follows or that page would pass --max-k.
  std::string NextPageToken(bool more, int offset, int k) const;
  absl::Status BatchAudioBudgetError() const;
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
