#include "soundsearch/retrieval_report.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace soundsearch {
namespace {

using Json = nlohmann::ordered_json;

std::string MapKey(int cutoff) { return absl::StrCat("map@", cutoff); }

Json ScoresToJson(const RetrievalScores& scores,
                  const std::array<int, 2>& cutoffs) {
  Json j = Json::object();
  j[MapKey(cutoffs[0])] = scores.map[0];
  j[MapKey(cutoffs[1])] = scores.map[1];
  j["mr1"] = scores.mr1;
  return j;
}

// "| name | n | 0.1234 | 0.1234 | 12.34 |", or "n/a" cells when !scored.
std::string ScoreCells(const RetrievalScores& scores, bool scored) {
  if (!scored) return "n/a | n/a | n/a |";
  return absl::StrFormat("%.4f | %.4f | %.2f |", scores.map[0], scores.map[1],
                         scores.mr1);
}

}  // namespace

std::string RetrievalReportToJson(const RetrievalReport& report, int indent) {
  const auto& cutoffs = report.cutoffs;
  Json j = Json::object();
  j["metric"] = report.metric;
  j["cutoffs"] = {cutoffs[0], cutoffs[1]};
  j["reference_denominator"] = report.reference_denominator;
  j["num_items"] = report.num_items;

  Json macro = ScoresToJson(report.macro, cutoffs);
  macro["num_labels_scored"] = report.num_labels_scored;
  macro["num_labels_left_out"] = report.num_labels_left_out;
  macro["num_queries"] = report.num_label_queries;
  macro["num_queries_left_out"] = report.num_label_queries_left_out;
  j["macro"] = std::move(macro);

  if (report.has_micro) {
    Json micro = ScoresToJson(report.micro, cutoffs);
    micro["num_queries"] = report.num_micro_queries;
    micro["num_queries_left_out"] = report.num_micro_left_out;
    j["micro"] = std::move(micro);
  }

  Json labels = Json::array();
  for (const LabelResult& label : report.labels) {
    Json l = Json::object();
    l["label"] = label.label;
    l["num_items"] = label.num_items;
    l["num_queries"] = label.num_queries;
    if (label.num_queries > 0) {
      l.update(ScoresToJson(label.scores, cutoffs));
    }
    labels.push_back(std::move(l));
  }
  j["labels"] = std::move(labels);

  if (!report.families.empty()) {
    Json families = Json::array();
    for (const FamilyResult& family : report.families) {
      Json f = Json::object();
      f["family"] = family.family;
      f["num_labels"] = family.num_labels;
      if (family.num_labels > 0) f.update(ScoresToJson(family.scores, cutoffs));
      families.push_back(std::move(f));
    }
    j["families"] = std::move(families);
    j["labels_without_family"] = report.labels_without_family;
    j["labels_excluded_from_families"] = report.labels_excluded_from_families;
  }
  return j.dump(indent);
}

std::string RetrievalReportToMarkdown(const RetrievalReport& report) {
  const int c0 = report.cutoffs[0];
  const int c1 = report.cutoffs[1];
  const std::string header =
      absl::StrFormat("| MAP@%d | MAP@%d | MR1 |\n", c0, c1);
  const std::string rule = "| --- | --- | --- | --- | --- |\n";
  std::string md = absl::StrFormat(
      "## Retrieval evaluation (%s, %d items%s)\n\n", report.metric,
      report.num_items,
      report.reference_denominator ? ", reference AP denominator" : "");

  absl::StrAppend(&md, "| scores | queries ", header, rule);
  absl::StrAppend(&md, "| label-based (macro) | ", report.num_label_queries,
                  " | ", ScoreCells(report.macro, report.num_labels_scored > 0),
                  "\n");
  if (report.has_micro) {
    absl::StrAppend(
        &md, "| instance-based (micro) | ", report.num_micro_queries, " | ",
        ScoreCells(report.micro, report.num_micro_queries > 0), "\n");
  }
  absl::StrAppend(&md, "\nLeft out (no relevant item in the collection): ",
                  report.num_labels_left_out, " labels carried by one clip (",
                  report.num_label_queries_left_out, " label queries)");
  if (report.has_micro) {
    absl::StrAppend(&md, "; ", report.num_micro_left_out,
                    " instance queries sharing no label");
  }
  absl::StrAppend(&md, ".\n");

  if (!report.families.empty()) {
    absl::StrAppend(&md, "\n### Families\n\n| family | labels ", header, rule);
    for (const FamilyResult& family : report.families) {
      absl::StrAppend(&md, "| ", family.family, " | ", family.num_labels, " | ",
                      ScoreCells(family.scores, family.num_labels > 0), "\n");
    }
    if (!report.labels_excluded_from_families.empty()) {
      absl::StrAppend(&md, "\nLeft out of family averages: ",
                      report.labels_excluded_from_families.size(),
                      " labels.\n");
    }
    if (!report.labels_without_family.empty()) {
      absl::StrAppend(&md,
                      "\nIn no family: ", report.labels_without_family.size(),
                      " labels.\n");
    }
  }

  absl::StrAppend(&md, "\n### Labels\n\n| label | clips ", header, rule);
  for (const LabelResult& label : report.labels) {
    absl::StrAppend(&md, "| ", label.label, " | ", label.num_items, " | ",
                    ScoreCells(label.scores, label.num_queries > 0), "\n");
  }
  return md;
}

}  // namespace soundsearch
