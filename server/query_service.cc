#include "server/query_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rpc/from_proto.h"
#include "rpc/page_token.h"
#include "rpc/to_proto.h"
#include "soundsearch/build_info.h"
#include "soundsearch/error_reason.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::Status QueryService::BatchAudioBudgetError() const {
  return absl::InvalidArgumentError(absl::StrCat(
      "the batch's audio examples decode to more than ",
      ctx_->limits.max_batch_audio_seconds,
      " s in all (--max-batch-audio-seconds); send fewer or shorter "
      "examples per batch"));
}

QueryService::QueryService(const ServiceContext* context) : ctx_(context) {
  constexpr char kService[] = "soundsearch.v1.Query";
  const RpcRunner* runner = ctx_->runner;
  CheckUnary(kService, "QueryByExample", runner, &QueryService::QueryByExample);
  CheckUnary(kService, "BatchQueryByExample", runner,
             &QueryService::BatchQueryByExample);
  CheckUnary(kService, "GetSound", runner, &QueryService::GetSound);
  CheckUnary(kService, "ListSpaces", runner, &QueryService::ListSpaces);
  CheckUnary(kService, "Stats", runner, &QueryService::Stats);
  CheckUnary(kService, "QueryByText", runner, &QueryService::QueryByText);
  CheckUnary(kService, "ListSounds", runner, &QueryService::ListSounds);
  CheckUnary(kService, "DescribeSound", runner, &QueryService::DescribeSound);
}

namespace {

std::vector<uint64_t> HitIds(const std::vector<QueryHit>& hits) {
  std::vector<uint64_t> ids;
  ids.reserve(hits.size());
  for (const QueryHit& hit : hits) ids.push_back(hit.id);
  return ids;
}

// Adds each hit with its stored sound to `results`; a sound deleted since
// the search is left out.
void AddResults(const SoundCollection& collection,
                const std::vector<QueryHit>& hits,
                google::protobuf::RepeatedPtrField<v1::ScoredSound>* results) {
  const std::vector<absl::StatusOr<SoundRecord>> records =
      collection.GetMany(HitIds(hits));
  for (size_t i = 0; i < hits.size(); ++i) {
    if (!records[i].ok()) continue;  // deleted since the search
    ToProto(hits[i], *records[i], results->Add());
  }
}

}  // namespace

absl::StatusOr<int> QueryService::PageOffset(uint32_t offset,
                                             const std::string& page_token,
                                             int k) const {
  ASSIGN_OR_RETURN(const int64_t first, RankedPageOffset(offset, page_token));
  if (first + k > ctx_->limits.max_k) {
    return absl::InvalidArgumentError(absl::StrCat(
        "offset + k must be <= ", ctx_->limits.max_k, " (--max-k), got ", first,
        " + ", k, "; ListSounds scrolls the whole collection"));
  }
  return static_cast<int>(first);
}

std::string QueryService::NextPageToken(bool more, int offset, int k) const {
  const int64_t next = int64_t{offset} + k;
  if (!more || next + k > ctx_->limits.max_k) return "";
  return RankedPageToken(next);
}

absl::Status QueryService::RunQuery(
    const v1::QueryByExampleRequest& request, absl::Time deadline,
    double* audio_budget, v1::QueryByExampleResponse* response) const {
  SoundCollection& collection = *ctx_->collection;
  if (request.k() > static_cast<uint32_t>(ctx_->limits.max_k)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "k must be in [1, ", ctx_->limits.max_k, "], got ", request.k()));
  }
  if (request.has_min_score() && !std::isfinite(request.min_score())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_score must be a finite number, got ", request.min_score()));
  }
  QueryOptions options = FromProto(request);
  if (request.has_expand()) {
    if (request.expand().neighbours() >
        static_cast<uint32_t>(NeighbourhoodOptions::kMaxNeighbours)) {
      return absl::InvalidArgumentError(
          absl::StrCat("expand.neighbours must be in [0, ",
                       NeighbourhoodOptions::kMaxNeighbours, "], got ",
                       request.expand().neighbours()));
    }
    options.expand_neighbours = static_cast<int>(request.expand().neighbours());
    if (request.expand().has_alpha()) {
      options.expand_alpha = request.expand().alpha();
    }
  }
  ASSIGN_OR_RETURN(options.offset, PageOffset(request.offset(),
                                              request.page_token(), options.k));
  ExampleQuery query;
  query.strategy = FromProto(request.strategy());
  if (request.negative_weight() != 0.0f) {
    query.negative_weight = request.negative_weight();
  }
  if (request.example_case() != v1::QueryByExampleRequest::EXAMPLE_NOT_SET) {
    ASSIGN_OR_RETURN(QueryExample first, ResolveExample(collection, request));
    query.positive.push_back(first);
  }
  for (int i = 0; i < request.positive_size(); ++i) {
    ASSIGN_OR_RETURN(QueryExample e,
                     ResolveExample(collection, request.positive(i),
                                    absl::StrCat("positive[", i, "]")));
    query.positive.push_back(e);
  }
  for (int i = 0; i < request.negative_size(); ++i) {
    ASSIGN_OR_RETURN(QueryExample e,
                     ResolveExample(collection, request.negative(i),
                                    absl::StrCat("negative[", i, "]")));
    query.negative.push_back(e);
  }
  if (query.positive.empty()) {
    return absl::InvalidArgumentError(
        "example: set one of audio, id or external_id, or give positive "
        "examples");
  }
  options.deadline = deadline;
  // A batch decodes at most its budget of audio in all: each query's audio
  // examples are cut at what is left, and one cut there (not at the clip
  // limit) fails.
  const bool budget_cuts =
      audio_budget != nullptr && *audio_budget < ctx_->limits.max_clip_seconds;
  const bool has_audio =
      std::any_of(query.positive.begin(), query.positive.end(),
                  [](const QueryExample& e) { return !e.audio.empty(); }) ||
      std::any_of(query.negative.begin(), query.negative.end(),
                  [](const QueryExample& e) { return !e.audio.empty(); });
  if (audio_budget != nullptr && has_audio) {
    if (*audio_budget <= 0) return BatchAudioBudgetError();
    options.max_audio_seconds = *audio_budget;
  }
  ASSIGN_OR_RETURN(QueryResult result,
                   collection.QueryByExamples(query, options));
  if (audio_budget != nullptr) {
    *audio_budget -= result.audio_seconds;
    if (result.audio_truncated && budget_cuts) return BatchAudioBudgetError();
  }
  FillResponse(request, result, response);
  response->set_offset(static_cast<uint32_t>(options.offset));
  response->set_next_page_token(
      NextPageToken(result.more, options.offset, options.k));
  return absl::OkStatus();
}

void QueryService::FillResponse(const v1::QueryByExampleRequest&,
                                const QueryResult& result,
                                v1::QueryByExampleResponse* response) const {
  const SoundCollection& collection = *ctx_->collection;
  ServerMetrics& metrics = *ctx_->metrics;
  metrics.ObserveSearch(result.space, result.search_seconds);
  // Decoding and embedding the audio examples, reading the others' vectors.
  metrics.ObserveQueryStep("vector",
                           result.embed_seconds + result.vector_seconds);
  metrics.ObserveQueryStep("search", result.search_seconds);
  auto start = std::chrono::steady_clock::now();
  auto lap = [&start] {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - start).count();
    start = now;
    return seconds;
  };
  const std::vector<absl::StatusOr<SoundRecord>> records =
      collection.GetMany(HitIds(result.hits));
  metrics.ObserveQueryStep("records", lap());
  ToProto(result, response);
  for (size_t i = 0; i < result.hits.size(); ++i) {
    if (!records[i].ok()) continue;  // deleted since the search
    ToProto(result.hits[i], *records[i], response->add_results());
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
    if (q.has_min_score() && !std::isfinite(q.min_score())) {
      return failed(i, absl::InvalidArgumentError(absl::StrCat(
                           "min_score must be a finite number, got ",
                           q.min_score())));
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
  return ctx_->runner->Run(context, "QueryByExample", *request,
                           [this, request, response](absl::Time deadline) {
                             return RunQuery(*request, deadline, nullptr,
                                             response);
                           });
}

grpc::ServerUnaryReactor* QueryService::BatchQueryByExample(
    grpc::CallbackServerContext* context,
    const v1::BatchQueryByExampleRequest* request,
    v1::BatchQueryByExampleResponse* response) {
  return ctx_->runner->Run(
      context, "BatchQueryByExample", *request,
      [this, request, response](absl::Time deadline) -> absl::Status {
        if (request->queries_size() == 0) {
          return absl::InvalidArgumentError("queries: at least one needed");
        }
        if (request->queries_size() > ctx_->limits.max_batch_queries) {
          return absl::InvalidArgumentError(
              absl::StrCat("queries: at most ", ctx_->limits.max_batch_queries,
                           " per batch, got ", request->queries_size()));
        }
        // Every example a sound of the collection, one plain query each:
        // their searches go to the index together.
        const bool by_sound = std::all_of(
            request->queries().begin(), request->queries().end(),
            [](const v1::QueryByExampleRequest& q) {
              return (q.example_case() == v1::QueryByExampleRequest::kId ||
                      q.example_case() ==
                          v1::QueryByExampleRequest::kExternalId) &&
                     q.positive_size() == 0 && q.negative_size() == 0 &&
                     q.offset() == 0 && q.page_token().empty() &&
                     q.group_by() == v1::GROUP_BY_NONE;
            });
        if (by_sound) return RunIdBatch(*request, response);
        double audio_budget = ctx_->limits.max_batch_audio_seconds;
        for (int i = 0; i < request->queries_size(); ++i) {
          if (absl::Now() > deadline) {
            return absl::DeadlineExceededError(
                absl::StrCat("deadline exceeded after ", i, " of ",
                             request->queries_size(), " queries"));
          }
          // Each example's decoding also stops at the deadline.
          absl::Status status =
              RunQuery(request->queries(i), deadline, &audio_budget,
                       response->add_responses());
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
  return ctx_->runner->Run(context, "GetSound", *request,
                           [this, request, response](absl::Time) {
                             return AnswerGetSound(request, response);
                           });
}

absl::Status QueryService::AnswerGetSound(const v1::GetSoundRequest* request,
                                          v1::Sound* response) const {
  ASSIGN_OR_RETURN(SoundRecord record,
                   ResolveSound(*ctx_->collection, request->sound()));
  ToProto(record, response);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* QueryService::ListSpaces(
    grpc::CallbackServerContext* context, const v1::ListSpacesRequest* request,
    v1::ListSpacesResponse* response) {
  return ctx_->runner->Run(context, "ListSpaces", *request,
                           [this, request, response](absl::Time) {
                             return AnswerListSpaces(request, response);
                           });
}

absl::Status QueryService::AnswerListSpaces(const v1::ListSpacesRequest*, v1::ListSpacesResponse* response) const {
    ToProto(ctx_->collection->Spaces(), ctx_->collection->default_space(),
            response);
    return absl::OkStatus();
}

grpc::ServerUnaryReactor* QueryService::QueryByText(
    grpc::CallbackServerContext* context, const v1::QueryByTextRequest* request,
    v1::QueryByTextResponse* response) {
  return ctx_->runner->Run(context, "QueryByText", *request,
                           [this, request, response](absl::Time) {
                             return AnswerQueryByText(request, response);
                           });
}

absl::Status QueryService::AnswerQueryByText(const v1::QueryByTextRequest* request, v1::QueryByTextResponse* response) const {
    if (request->k() > static_cast<uint32_t>(ctx_->limits.max_k)) {
      return absl::InvalidArgumentError(
          absl::StrCat("k must be in [1, ", ctx_->limits.max_k, "], got ",
                       request->k()));
    }
    TextQueryOptions options = FromProto(*request);
    ASSIGN_OR_RETURN(options.query.offset,
                     PageOffset(request->offset(), request->page_token(),
                                options.query.k));
    SoundCollection& collection = *ctx_->collection;
    ASSIGN_OR_RETURN(TextQueryResult result,
                     collection.QueryByText(request->text(), options));
    ctx_->metrics->ObserveSearch(result.result.space,
                                 result.result.search_seconds);
    ToProto(result, response);
    AddResults(collection, result.result.hits, response->mutable_results());
    response->set_offset(static_cast<uint32_t>(options.query.offset));
    response->set_next_page_token(NextPageToken(
        result.result.more, options.query.offset, options.query.k));
    return absl::OkStatus();
}

grpc::ServerUnaryReactor* QueryService::ListSounds(
    grpc::CallbackServerContext* context, const v1::ListSoundsRequest* request,
    v1::ListSoundsResponse* response) {
  return ctx_->runner->Run(context, "ListSounds", *request,
                           [this, request, response](absl::Time) {
                             return AnswerListSounds(request, response);
                           });
}

absl::Status QueryService::AnswerListSounds(const v1::ListSoundsRequest* request, v1::ListSoundsResponse* response) const {
    if (request->page_size() > static_cast<uint32_t>(kMaxListPage)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "page_size must be in [1, ", kMaxListPage, "] (0 means ",
          kDefaultListPage, "), got ", request->page_size()));
    }
    ListRequest list;
    list.filter = FromProto(request->filter());
    list.limit = request->page_size() == 0
                     ? kDefaultListPage
                     : static_cast<int>(request->page_size());
    ASSIGN_OR_RETURN(list.after_id, ListPageAfter(request->page_token()));
    ASSIGN_OR_RETURN(ListResult result, ctx_->collection->ListSounds(list));
    for (const SoundRecord& record : result.sounds) {
      ToProto(record, response->add_sounds());
    }
    if (result.more && !result.sounds.empty()) {
      response->set_next_page_token(ListPageToken(result.sounds.back().id));
    }
    return absl::OkStatus();
}

grpc::ServerUnaryReactor* QueryService::DescribeSound(
    grpc::CallbackServerContext* context,
    const v1::DescribeSoundRequest* request,
    v1::DescribeSoundResponse* response) {
  return ctx_->runner->Run(context, "DescribeSound", *request,
                           [this, request, response](absl::Time deadline) {
                             return AnswerDescribeSound(request, response,
                                                        deadline);
                           });
}

absl::Status QueryService::AnswerDescribeSound(
    const v1::DescribeSoundRequest* request,
    v1::DescribeSoundResponse* response, absl::Time deadline) const {
    const uint32_t max = static_cast<uint32_t>(ctx_->limits.max_k);
    if (request->words() > max || request->classes() > max) {
      return absl::InvalidArgumentError(absl::StrCat(
          "words and classes must be at most ", max, " (--max-k)"));
    }
    SoundCollection& collection = *ctx_->collection;
    ASSIGN_OR_RETURN(QueryExample example,
                     ResolveExample(collection, *request));
    DescribeOptions options = FromProto(*request);
    options.deadline = deadline;
    ASSIGN_OR_RETURN(SoundDescription description,
                     collection.DescribeSound(example, options));
    ToProto(description, response);
    if (example.audio.empty()) {
      ASSIGN_OR_RETURN(SoundRecord record, collection.Get(example.id));
      ToProto(record, response->mutable_sound());
    }
    return absl::OkStatus();
}

grpc::ServerUnaryReactor* QueryService::Stats(
    grpc::CallbackServerContext* context, const v1::StatsRequest* request,
    v1::StatsResponse* response) {
  return ctx_->runner->Run(context, "Stats", *request,
                           [this, request, response](absl::Time) {
                             return AnswerStats(request, response);
                           });
}

absl::Status QueryService::AnswerStats(const v1::StatsRequest*, v1::StatsResponse* response) const {
    ToProto(*ctx_->collection, response);
    response->set_ingest_queue_depth(ctx_->pipeline->queue_depth());
    response->set_uptime_seconds(
        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                      ctx_->started)
            .count());
    response->set_version(Version());
    return absl::OkStatus();
}

}  // namespace soundsearch
