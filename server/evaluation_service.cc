#include "server/evaluation_service.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rpc/from_proto.h"
#include "rpc/page_token.h"
#include "rpc/to_proto.h"
#include "soundsearch/label_families.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

EvaluationService::EvaluationService(const ServiceContext* context)
    : ctx_(context) {
  constexpr char kService[] = "soundsearch.v1.Evaluation";
  const RpcRunner* runner = ctx_->runner;
  CheckUnary(kService, "Evaluate", runner, &EvaluationService::Evaluate);
  CheckUnary(kService, "GetEvaluation", runner,
             &EvaluationService::GetEvaluation);
  CheckUnary(kService, "WordSimilarity", runner,
             &EvaluationService::WordSimilarity);
  CheckUnary(kService, "NearestWords", runner,
             &EvaluationService::NearestWords);
  CheckUnary(kService, "GetWordVectors", runner,
             &EvaluationService::GetWordVectors);
}

absl::Status EvaluationService::RunEvaluate(
    const v1::EvaluateRequest& request, absl::Time deadline,
    v1::EvaluateResponse* response) const {
  SoundCollection& collection = *ctx_->collection;
  // The optional files first, so that a bad path fails fast: under the
  // import roots, regular files, size-capped (soundsearch/import_roots.h).
  EvaluationRequest files = FromProto(request);
  const int64_t max_bytes = ctx_->limits.max_import_file_bytes;
  if (!request.families_path().empty()) {
    ASSIGN_OR_RETURN(std::string json,
                     ctx_->import_roots->ReadFile(request.families_path(),
                                                  max_bytes, "families file"));
    absl::StatusOr<LabelFamilies> families = ParseLabelFamiliesJson(json);
    if (!families.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("families file '", request.families_path(),
                       "': ", families.status().message()));
    }
    files.families = *std::move(families);
  }
  if (!request.excluded_labels_path().empty()) {
    ASSIGN_OR_RETURN(std::string text, ctx_->import_roots->ReadFile(
                                           request.excluded_labels_path(),
                                           max_bytes, "excluded-labels file"));
    absl::StatusOr<std::vector<std::string>> labels = ParseLabelList(text);
    if (!labels.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("excluded-labels file '", request.excluded_labels_path(),
                       "': ", labels.status().message()));
    }
    files.excluded_labels = *std::move(labels);
  }
  std::vector<std::string> spaces;
  if (request.space().empty()) {
    for (const SpaceStatus& s : collection.Spaces()) {
      spaces.push_back(s.config.name);
    }
  } else {
    spaces.push_back(request.space());
  }
  for (const std::string& space : spaces) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "deadline exceeded before evaluating space '", space, "'"));
    }
    EvaluationRequest eval = files;
    eval.space = space;
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(SpaceEvaluation result, collection.Evaluate(eval));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    ctx_->ExportEvaluation(result);
    ToProto(result, seconds, response->add_spaces());
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* EvaluationService::Evaluate(
    grpc::CallbackServerContext* context, const v1::EvaluateRequest* request,
    v1::EvaluateResponse* response) {
  return ctx_->runner->Run(context, "Evaluate", *request,
                           [this, request, response](absl::Time deadline) {
                             return RunEvaluate(*request, deadline, response);
                           });
}

grpc::ServerUnaryReactor* EvaluationService::GetEvaluation(
    grpc::CallbackServerContext* context,
    const v1::GetEvaluationRequest* request, v1::EvaluateResponse* response) {
  return ctx_->runner->Run(context, "GetEvaluation", *request,
                           [this, request, response](absl::Time) {
                             return AnswerGetEvaluation(request, response);
                           });
}

absl::Status EvaluationService::AnswerGetEvaluation(
    const v1::GetEvaluationRequest* request,
    v1::EvaluateResponse* response) const {
    SoundCollection& collection = *ctx_->collection;
    std::vector<std::string> spaces;
    if (request->space().empty()) {
      for (const SpaceStatus& s : collection.Spaces()) {
        spaces.push_back(s.config.name);
      }
    } else {
      spaces.push_back(request->space());
    }
    for (const std::string& space : spaces) {
      auto stored = collection.LastEvaluation(space);
      // Every space: skip the ones never evaluated.
      if (request->space().empty() && absl::IsNotFound(stored.status())) {
        continue;
      }
      RETURN_IF_ERROR(stored.status());
      StoredEvaluationToProto(*stored, response->add_spaces());
    }
    return absl::OkStatus();
}

grpc::ServerUnaryReactor* EvaluationService::WordSimilarity(
    grpc::CallbackServerContext* context,
    const v1::WordSimilarityRequest* request,
    v1::WordSimilarityResponse* response) {
  return ctx_->runner->Run(
      context, "WordSimilarity", *request,
      [this, request, response](absl::Time) -> absl::Status {
        if (request->a().empty() || request->b().empty()) {
          return absl::InvalidArgumentError("a and b: two words needed");
        }
        ASSIGN_OR_RETURN(WordPairCosine result,
                         ctx_->collection->WordSimilarity(
                             request->space(), request->a(), request->b()));
        ToProto(result, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* EvaluationService::NearestWords(
    grpc::CallbackServerContext* context,
    const v1::NearestWordsRequest* request,
    v1::NearestWordsResponse* response) {
  return ctx_->runner->Run(
      context, "NearestWords", *request,
      [this, request, response](absl::Time) -> absl::Status {
        if (request->word().empty()) {
          return absl::InvalidArgumentError("word: empty");
        }
        if (request->k() > static_cast<uint32_t>(ctx_->limits.max_k)) {
          return absl::InvalidArgumentError(
              absl::StrCat("k must be in [1, ", ctx_->limits.max_k, "], got ",
                           request->k()));
        }
        const int k = request->k() == 0 ? kDefaultNearestWords
                                        : static_cast<int>(request->k());
        ASSIGN_OR_RETURN(
            const int64_t offset,
            RankedPageOffset(request->offset(), request->page_token()));
        if (offset + k > ctx_->limits.max_k) {
          return absl::InvalidArgumentError(
              absl::StrCat("offset + k must be <= ", ctx_->limits.max_k,
                           " (--max-k), got ", offset, " + ", k));
        }
        SoundCollection& collection = *ctx_->collection;
        ASSIGN_OR_RETURN(
            WordVectorInfo word,
            collection.WordVector(request->space(), request->word()));
        // One more than the page, to tell whether another follows.
        ASSIGN_OR_RETURN(
            std::vector<WordNeighbour> neighbours,
            collection.NearestWords(request->space(), request->word(),
                                    static_cast<int>(offset) + k + 1));
        const bool more = static_cast<int64_t>(neighbours.size()) > offset + k;
        neighbours.erase(
            neighbours.begin(),
            neighbours.begin() + std::min<int64_t>(offset, neighbours.size()));
        if (static_cast<int>(neighbours.size()) > k) neighbours.resize(k);
        ToProto(word, neighbours, response);
        if (more && offset + 2 * k <= ctx_->limits.max_k) {
          response->set_next_page_token(RankedPageToken(offset + k));
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* EvaluationService::GetWordVectors(
    grpc::CallbackServerContext* context,
    const v1::GetWordVectorsRequest* request,
    v1::GetWordVectorsResponse* response) {
  return ctx_->runner->Run(
      context, "GetWordVectors", *request,
      [this, request, response](absl::Time) -> absl::Status {
        if (request->words_size() > kMaxWordsPerCall) {
          return absl::InvalidArgumentError(
              absl::StrCat("words: at most ", kMaxWordsPerCall,
                           " per call, got ", request->words_size()));
        }
        SoundCollection& collection = *ctx_->collection;
        // Resolves the space (NotFound for an unknown one) even when no
        // word is found.
        std::string space = request->space();
        if (space.empty()) space = collection.default_space();
        bool known = false;
        for (const SpaceStatus& s : collection.Spaces()) {
          known = known || s.config.name == space;
        }
        if (!known) {
          return absl::NotFoundError(
              absl::StrCat("unknown space '", space, "'"));
        }
        response->set_space(space);
        for (const std::string& word : request->words()) {
          auto info = collection.WordVector(space, word);
          if (absl::IsNotFound(info.status())) {
            response->add_missing(word);
            continue;
          }
          RETURN_IF_ERROR(info.status());
          ToProto(word, *info, response->add_vectors());
        }
        return absl::OkStatus();
      });
}

}  // namespace soundsearch
