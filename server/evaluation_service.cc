#include "evaluation_service.h"

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

using Access = RpcRunner::Access;

void ToProto(const RetrievalScores& s, v1::RetrievalScores* out) {
  out->set_map_at_15(s.map[0]);
  out->set_map_at_150(s.map[1]);
  out->set_mr1(s.mr1);
}

void ToProto(const SpaceEvaluation& e, double seconds,
             v1::SpaceEvaluation* out) {
  const RetrievalReport& r = e.report;
  out->set_space(e.space);
  out->set_unix_ms(e.unix_ms);
  out->set_sounds(r.num_items);
  ToProto(r.macro, out->mutable_label_based());
  if (r.has_micro) ToProto(r.micro, out->mutable_instance_based());
  for (const LabelResult& label : r.labels) {
    v1::LabelScores* l = out->add_labels();
    l->set_label(label.label);
    l->set_sounds(label.num_items);
    l->set_queries(label.num_queries);
    ToProto(label.scores, l->mutable_scores());
  }
  for (const FamilyResult& family : r.families) {
    v1::FamilyScores* f = out->add_families();
    f->set_family(family.family);
    f->set_labels(family.num_labels);
    ToProto(family.scores, f->mutable_scores());
  }
  out->set_labels_scored(r.num_labels_scored);
  out->set_labels_left_out(r.num_labels_left_out);
  out->set_reference_mode(r.reference_denominator);
  out->set_seconds(seconds);
  out->set_report_json(e.report_json);
}

}  // namespace

absl::Status EvaluationService::RunEvaluate(
    const v1::EvaluateRequest& request, absl::Time deadline,
    v1::EvaluateResponse* response) const {
  SoundCollection& collection = *ctx_->collection;
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
    EvaluationRequest eval;
    eval.space = space;
    eval.families_path = request.families_path();
    eval.excluded_labels_path = request.excluded_labels_path();
    eval.reference_mode = request.reference_mode();
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
  return ctx_->runner->Run(context, "Evaluate", Access::kMutate,
                           [this, request, response](absl::Time deadline) {
                             return RunEvaluate(*request, deadline, response);
                           });
}

grpc::ServerUnaryReactor* EvaluationService::GetEvaluation(
    grpc::CallbackServerContext* context,
    const v1::GetEvaluationRequest* request, v1::EvaluateResponse* response) {
  return ctx_->runner->Run(
      context, "GetEvaluation", Access::kRead,
      [this, request, response](absl::Time) -> absl::Status {
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
          v1::SpaceEvaluation* out = response->add_spaces();
          out->set_space(stored->space);
          out->set_unix_ms(stored->unix_ms);
          ToProto(stored->macro, out->mutable_label_based());
          out->set_reference_mode(stored->reference_mode);
          out->set_report_json(stored->report_json);
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* EvaluationService::WordSimilarity(
    grpc::CallbackServerContext* context,
    const v1::WordSimilarityRequest* request,
    v1::WordSimilarityResponse* response) {
  return ctx_->runner->Run(
      context, "WordSimilarity", Access::kRead,
      [this, request, response](absl::Time) -> absl::Status {
        if (request->a().empty() || request->b().empty()) {
          return absl::InvalidArgumentError("a and b: two words needed");
        }
        ASSIGN_OR_RETURN(WordPairCosine result,
                         ctx_->collection->WordSimilarity(
                             request->space(), request->a(), request->b()));
        response->set_space(result.space);
        response->set_cosine(result.cosine);
        response->set_sounds_a(result.sounds_a);
        response->set_sounds_b(result.sounds_b);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* EvaluationService::NearestWords(
    grpc::CallbackServerContext* context,
    const v1::NearestWordsRequest* request,
    v1::NearestWordsResponse* response) {
  return ctx_->runner->Run(
      context, "NearestWords", Access::kRead,
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
        SoundCollection& collection = *ctx_->collection;
        ASSIGN_OR_RETURN(
            WordVectorInfo word,
            collection.WordVector(request->space(), request->word()));
        ASSIGN_OR_RETURN(
            std::vector<WordNeighbour> neighbours,
            collection.NearestWords(request->space(), request->word(), k));
        response->set_space(word.space);
        response->set_word(word.word);
        response->set_sounds(word.sounds_total);
        for (const WordNeighbour& n : neighbours) {
          v1::WordNeighbour* out = response->add_neighbours();
          out->set_word(n.word);
          out->set_cosine(n.cosine);
          out->set_sounds(n.sounds);
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* EvaluationService::GetWordVectors(
    grpc::CallbackServerContext* context,
    const v1::GetWordVectorsRequest* request,
    v1::GetWordVectorsResponse* response) {
  return ctx_->runner->Run(
      context, "GetWordVectors", Access::kRead,
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
          v1::WordVector* out = response->add_vectors();
          out->set_word(word);
          out->mutable_vector()->Add(info->vector.begin(), info->vector.end());
          out->set_sounds_used(info->sounds_used);
          out->set_sounds_total(info->sounds_total);
        }
        return absl::OkStatus();
      });
}

}  // namespace soundsearch
