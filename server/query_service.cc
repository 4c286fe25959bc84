#include "server/query_service.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rpc/from_proto.h"
#include "rpc/to_proto.h"
#include "soundsearch/build_info.h"
#include "soundsearch/error_reason.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

using Access = RpcRunner::Access;

absl::Status QueryService::RunQuery(const v1::QueryByExampleRequest& request,
                                    v1::QueryByExampleResponse* response) const {
  SoundCollection& collection = *ctx_->collection;
  if (request.k() > static_cast<uint32_t>(ctx_->limits.max_k)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "k must be in [1, ", ctx_->limits.max_k, "], got ", request.k()));
  }
  const QueryOptions options = FromProto(request);

  absl::StatusOr<QueryResult> result;
  switch (request.example_case()) {
    case v1::QueryByExampleRequest::kAudio:
      if (request.audio().empty()) {
        return absl::InvalidArgumentError("audio example is empty (0 bytes)");
      }
      result = collection.QueryByAudio(request.audio(), options);
      break;
    case v1::QueryByExampleRequest::kId:
      result = collection.QueryById(request.id(), options);
      break;
    case v1::QueryByExampleRequest::kExternalId: {
      ASSIGN_OR_RETURN(SoundRecord record,
                       collection.GetByExternalId(request.external_id()));
      result = collection.QueryById(record.id, options);
      break;
    }
    default:
      return absl::InvalidArgumentError(
          "example: set one of audio, id or external_id");
  }
  RETURN_IF_ERROR(result.status());
  FillResponse(request, *result, response);
  return absl::OkStatus();
}

void QueryService::FillResponse(const v1::QueryByExampleRequest& request,
                                const QueryResult& result,
                                v1::QueryByExampleResponse* response) const {
  const SoundCollection& collection = *ctx_->collection;
  ServerMetrics& metrics = *ctx_->metrics;
  metrics.ObserveSearch(result.space, result.search_seconds);
  metrics.ObserveQueryStep(
      "vector", request.example_case() == v1::QueryByExampleRequest::kAudio
                    ? result.embed_seconds
                    : result.vector_seconds);
  metrics.ObserveQueryStep("search", result.search_seconds);
  auto start = std::chrono::steady_clock::now();
  auto lap = [&start] {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - start).count();
    start = now;
    return seconds;
  };
  std::vector<SoundRecord> records;
  records.reserve(result.hits.size());
  std::vector<const QueryHit*> found;
  found.reserve(result.hits.size());
  for (const QueryHit& hit : result.hits) {
    auto record = collection.Get(hit.id);
    if (!record.ok()) continue;  // deleted since the search
    records.push_back(*std::move(record));
    found.push_back(&hit);
  }
  metrics.ObserveQueryStep("records", lap());
  ToProto(result, response);
  for (size_t i = 0; i < records.size(); ++i) {
    ToProto(*found[i], records[i], response->add_results());
  }
  metrics.ObserveQueryStep("reply", lap());
}

absl::Status QueryService::RunIdBatch(
    const v1::BatchQueryByExampleRequest& request,
    v1::BatchQueryByExampleResponse* response) const {
  const SoundCollection& collection = *ctx_->collection;
  auto failed = [](int i, const absl::Status& status) {
    return WithErrorReason(
        absl::Status(status.code(),
                     absl::StrCat("queries[", i, "]: ", status.message())),
        ErrorReasonOf(status));
  };
  std::vector<SoundCollection::IdQuery> queries(request.queries_size());
  for (int i = 0; i < request.queries_size(); ++i) {
    const v1::QueryByExampleRequest& q = request.queries(i);
    if (q.k() > static_cast<uint32_t>(ctx_->limits.max_k)) {
      return failed(i, absl::InvalidArgumentError(absl::StrCat(
                           "k must be in [1, ", ctx_->limits.max_k, "], got ",
                           q.k())));
    }
    queries[i].options = FromProto(q);
    if (q.example_case() == v1::QueryByExampleRequest::kId) {
      queries[i].id = q.id();
    } else {
      auto record = collection.GetByExternalId(q.external_id());
      if (!record.ok()) return failed(i, record.status());
      queries[i].id = record->id;
    }
  }
  std::vector<absl::StatusOr<QueryResult>> results =
      collection.QueryByIdBatch(queries);
  for (int i = 0; i < request.queries_size(); ++i) {
    if (!results[i].ok()) return failed(i, results[i].status());
  }
  for (int i = 0; i < request.queries_size(); ++i) {
    FillResponse(request.queries(i), *results[i], response->add_responses());
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* QueryService::QueryByExample(
    grpc::CallbackServerContext* context,
    const v1::QueryByExampleRequest* request,
    v1::QueryByExampleResponse* response) {
  return ctx_->runner->Run(context, "QueryByExample", Access::kRead,
                           [this, request, response](absl::Time) {
                             return RunQuery(*request, response);
                           });
}

grpc::ServerUnaryReactor* QueryService::BatchQueryByExample(
    grpc::CallbackServerContext* context,
    const v1::BatchQueryByExampleRequest* request,
    v1::BatchQueryByExampleResponse* response) {
  return ctx_->runner->Run(
      context, "BatchQueryByExample", Access::kRead,
      [this, request, response](absl::Time deadline) -> absl::Status {
        if (request->queries_size() == 0) {
          return absl::InvalidArgumentError("queries: at least one needed");
        }
        if (request->queries_size() > ctx_->limits.max_batch_queries) {
          return absl::InvalidArgumentError(absl::StrCat(
              "queries: at most ", ctx_->limits.max_batch_queries,
              " per batch, got ", request->queries_size()));
        }
        const bool by_sound = std::all_of(
            request->queries().begin(), request->queries().end(),
            [](const v1::QueryByExampleRequest& q) {
              return q.example_case() == v1::QueryByExampleRequest::kId ||
                     q.example_case() == v1::QueryByExampleRequest::kExternalId;
            });
        if (by_sound) return RunIdBatch(*request, response);
        for (int i = 0; i < request->queries_size(); ++i) {
          if (absl::Now() > deadline) {
            return absl::DeadlineExceededError(absl::StrCat(
                "deadline exceeded after ", i, " of ",
                request->queries_size(), " queries"));
          }
          absl::Status status =
              RunQuery(request->queries(i), response->add_responses());
          if (!status.ok()) {
            return WithErrorReason(
                absl::Status(status.code(), absl::StrCat("queries[", i, "]: ",
                                                         status.message())),
                ErrorReasonOf(status));
          }
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* QueryService::GetSound(
    grpc::CallbackServerContext* context, const v1::GetSoundRequest* request,
    v1::Sound* response) {
  return ctx_->runner->Run(
      context, "GetSound", Access::kRead,
      [this, request, response](absl::Time) -> absl::Status {
        ASSIGN_OR_RETURN(SoundRecord record,
                         ResolveSound(*ctx_->collection, request->sound()));
        ToProto(record, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* QueryService::ListSpaces(
    grpc::CallbackServerContext* context, const v1::ListSpacesRequest*,
    v1::ListSpacesResponse* response) {
  return ctx_->runner->Run(
      context, "ListSpaces", Access::kRead, [this, response](absl::Time) {
        ToProto(ctx_->collection->Spaces(), ctx_->collection->default_space(),
                response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* QueryService::Stats(
    grpc::CallbackServerContext* context, const v1::StatsRequest*,
    v1::StatsResponse* response) {
  return ctx_->runner->Run(
      context, "Stats", Access::kRead, [this, response](absl::Time) {
        ToProto(*ctx_->collection, response);
        response->set_ingest_queue_depth(ctx_->pipeline->queue_depth());
        response->set_uptime_seconds(
            std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                          ctx_->started)
                .count());
        response->set_version(Version());
        return absl::OkStatus();
      });
}

}  // namespace soundsearch
