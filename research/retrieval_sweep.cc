#include "research/retrieval_sweep.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace soundsearch {

absl::StatusOr<std::vector<SystemReport>> EvaluateSystems(
    absl::Span<const LabeledItem> items, absl::Span<const EvalSystem> systems,
    const RetrievalEvalOptions& options) {
  absl::flat_hash_set<std::string> names;
  for (const EvalSystem& system : systems) {
    if (system.name.empty()) {
      return absl::InvalidArgumentError("a system has an empty name");
    }
    if (!names.insert(system.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("system name \"", system.name, "\" is repeated"));
    }
  }
  std::vector<SystemReport> reports;
  reports.reserve(systems.size());
  for (const EvalSystem& system : systems) {
    absl::StatusOr<RetrievalReport> report = EvaluateRetrieval(
        items, system.vectors, system.dim, system.metric, options);
    if (!report.ok()) {
      return absl::Status(report.status().code(),
                          absl::StrCat("system \"", system.name,
                                       "\": ", report.status().message()));
    }
    reports.push_back({system.name, *std::move(report)});
  }
  return reports;
}

std::string SweepTableMarkdown(absl::Span<const SystemReport> reports) {
  const std::array<int, 2> cutoffs =
      reports.empty() ? std::array<int, 2>{15, 150} : reports[0].report.cutoffs;
  std::string md = absl::StrFormat(
      "| system | MAP@%d | MAP@%d | MR1 |\n| --- | --- | --- | --- |\n",
      cutoffs[0], cutoffs[1]);
  // Best per column among systems with scored labels.
  double best_map[2] = {-1.0, -1.0};
  double best_mr1 = -1.0;
  for (const SystemReport& r : reports) {
    if (r.report.num_labels_scored == 0) continue;
    for (int c = 0; c < 2; ++c) {
      best_map[c] = std::max(best_map[c], r.report.macro.map[c]);
    }
    if (best_mr1 < 0.0 || r.report.macro.mr1 < best_mr1) {
      best_mr1 = r.report.macro.mr1;
    }
  }
  const auto cell = [](const std::string& text, bool bold) {
    return bold ? absl::StrCat("**", text, "**") : text;
  };
  for (const SystemReport& r : reports) {
    if (r.report.num_labels_scored == 0) {
      absl::StrAppend(&md, "| ", r.name, " | n/a | n/a | n/a |\n");
      continue;
    }
    const RetrievalScores& s = r.report.macro;
    absl::StrAppend(
        &md, "| ", r.name, " | ",
        cell(absl::StrFormat("%.4f", s.map[0]), s.map[0] == best_map[0]), " | ",
        cell(absl::StrFormat("%.4f", s.map[1]), s.map[1] == best_map[1]), " | ",
        cell(absl::StrFormat("%.2f", s.mr1), s.mr1 == best_mr1), " |\n");
  }
  return md;
}

}  // namespace soundsearch
