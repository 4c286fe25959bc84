// HttpApi: the HTTP/JSON API beside gRPC (--http-listen, docs/http.md), on
// cpp-httplib. Every route calls the work of the matching gRPC method
// (QueryService::Answer*, EvaluationService::AnswerGetEvaluation) through
// RpcRunner::RunAndWait, so admission, the query pool (429 when full),
// deadlines, metrics and the status mapping (rpc/http_status.h) are the
// gRPC ones. Requests and responses are the v1 messages in protobuf's JSON
// mapping (field names as in the .proto); uploads come as the request body
// or as a multipart part named `file`.
//
// Thread-safety: Start, port and Stop from one thread; the routes run on
// the library's own threads.
#ifndef SOUNDSEARCH_SERVER_HTTP_API_H_
#define SOUNDSEARCH_SERVER_HTTP_API_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "indexer/ingest_context.h"
#include "server/evaluation_service.h"
#include "server/query_service.h"
#include "server/service_context.h"

namespace soundsearch {

struct HttpApiOptions {
  // "host:port"; port 0 picks a free one.
  std::string listen = "127.0.0.1:8080";
  // Largest audio upload (--max-upload-bytes); a JSON body may be 4/3 of it
  // (base64) plus 1 MiB. Larger bodies get 413.
  int64_t max_upload_bytes = int64_t{100} << 20;
  int threads = 8;  // connections served at once
};

// What the routes call; borrowed, must outlive the HttpApi. The contexts'
// pointers are read only once the runner admits a call (ready).
struct HttpApiBackends {
  const RpcRunner* runner = nullptr;
  const QueryService* query = nullptr;
  const EvaluationService* evaluation = nullptr;
  const ServiceContext* query_ctx = nullptr;
  const IngestContext* ingest_ctx = nullptr;
};

class HttpApi {
 public:
  // Binds `options.listen` (Unavailable when taken, InvalidArgument when
  // not host:port) and serves on a thread of its own.
  static absl::StatusOr<std::unique_ptr<HttpApi>> Start(
      const HttpApiOptions& options, const HttpApiBackends& backends);
  // Stops serving and joins (Stop).
  ~HttpApi();

  int port() const;
  // Stops accepting connections and waits for the serving thread. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit HttpApi(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_HTTP_API_H_
