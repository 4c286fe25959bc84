#include "collection/collection_evaluation.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "soundsearch/label_families.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::StatusOr<SpaceEvaluation> EvaluateStoredSpace(
    const SoundStore& store, const std::string& space, Metric metric,
    const IndexVectorFn& vector, const EvaluationRequest& request) {
  std::vector<LabeledItem> items;
  std::vector<float> vectors;
  int dim = 0;
  absl::Status status;
  RETURN_IF_ERROR(store.ForEachSound([&](const SoundRecord& sound) {
    if (sound.class_labels.empty()) return true;
    auto v = vector(sound.id);
    if (absl::IsNotFound(v.status())) return true;
    if (!v.ok()) {
      status = v.status();
      return false;
    }
    if (dim == 0) dim = static_cast<int>(v->size());
    if (static_cast<int>(v->size()) != dim) {
      status = absl::InternalError("index vectors of differing lengths");
      return false;
    }
    items.push_back({std::to_string(sound.id), sound.class_labels});
    vectors.insert(vectors.end(), v->begin(), v->end());
    return true;
  }));
  RETURN_IF_ERROR(status);
  if (items.size() < 2) {
    return absl::FailedPreconditionError(
        absl::StrCat("space '", space, "' has ", items.size(),
                     " labelled sounds; evaluation needs at least 2"));
  }
  RetrievalEvalOptions options;
  options.reference_denominator = request.reference_mode;
  SpaceEvaluation out;
  ASSIGN_OR_RETURN(out.report,
                   EvaluateRetrieval(items, vectors, dim, metric, options));
  if (request.families.has_value()) {
    AddFamilyScores(*request.families, request.excluded_labels, &out.report);
  }
  out.space = space;
  out.unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  out.cutoffs = out.report.cutoffs;
  out.macro = out.report.macro;
  out.reference_mode = request.reference_mode;
  out.report_json = RetrievalReportToJson(out.report, -1);
  return out;
}

std::string EncodeStoredEvaluation(const SpaceEvaluation& e) {
  nlohmann::json j;
  j["space"] = e.space;
  j["unix_ms"] = e.unix_ms;
  j["reference_mode"] = e.reference_mode;
  j["cutoffs"] = {e.cutoffs[0], e.cutoffs[1]};
  j["macro"] = {{absl::StrCat("map@", e.cutoffs[0]), e.macro.map[0]},
                {absl::StrCat("map@", e.cutoffs[1]), e.macro.map[1]},
                {"mr1", e.macro.mr1}};
  j["report"] = nlohmann::json::parse(e.report_json, nullptr, false);
  return j.dump();
}

absl::StatusOr<SpaceEvaluation> DecodeStoredEvaluation(
    absl::string_view bytes) {
  nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("stored evaluation: not a JSON object");
  }
  try {
    SpaceEvaluation e;
    e.space = j.at("space").get<std::string>();
    e.unix_ms = j.at("unix_ms").get<int64_t>();
    e.reference_mode = j.value("reference_mode", false);
    e.cutoffs = {j.at("cutoffs").at(0).get<int>(),
                 j.at("cutoffs").at(1).get<int>()};
    const auto& macro = j.at("macro");
    e.macro.map[0] = macro.at(absl::StrCat("map@", e.cutoffs[0])).get<double>();
    e.macro.map[1] = macro.at(absl::StrCat("map@", e.cutoffs[1])).get<double>();
    e.macro.mr1 = macro.at("mr1").get<double>();
    e.report_json = j.at("report").dump();
    return e;
  } catch (const nlohmann::json::exception& ex) {
    return absl::DataLossError(absl::StrCat("stored evaluation: ", ex.what()));
  }
}

}  // namespace soundsearch
