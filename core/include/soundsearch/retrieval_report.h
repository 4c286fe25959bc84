// RetrievalReport: what an evaluation of retrieval quality found, and its
// JSON and markdown renderings. Produced by EvaluateRetrieval() and
// EvaluateRankings() (retrieval_eval.h); family scores are added by
// AddFamilyScores() (label_families.h). Plain data, no locking.
#ifndef SOUNDSEARCH_RETRIEVAL_REPORT_H_
#define SOUNDSEARCH_RETRIEVAL_REPORT_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace soundsearch {

// MAP at the report's two cut-offs and MR1, for one group of queries.
struct RetrievalScores {
  // map[i] = mean AP@cutoffs[i] (RetrievalReport::cutoffs), in [0, 1].
  std::array<double, 2> map = {0.0, 0.0};
  // Mean 0-based rank of the first relevant item in the full ranking.
  double mr1 = 0.0;
};

// Label-based scores of one label: every clip carrying it queries the
// collection (itself left out); relevant = carries the label.
struct LabelResult {
  std::string label;
  int64_t num_items = 0;    // clips carrying the label
  int64_t num_queries = 0;  // queries scored: num_items, or 0 when it is 1
  RetrievalScores scores;   // mean over the queries; all 0 if num_queries == 0
};

// Mean of the label scores of one sound family.
struct FamilyResult {
  std::string family;
  // Labels averaged: members of the family that were scored (num_queries >
  // 0) and are not excluded. scores are all 0 when this is 0.
  int64_t num_labels = 0;
  RetrievalScores scores;
};

struct RetrievalReport {
  std::string metric;  // "cosine", "inner_product", "euclidean" or "ranking"
  std::array<int, 2> cutoffs = {15, 150};  // the N of the two MAP@N
  // True when the AP denominator counted the query itself (reference mode).
  bool reference_denominator = false;
  int64_t num_items = 0;  // size of the collection

  // --- label-based (macro) ---
  std::vector<LabelResult> labels;  // every label of the collection, by name
  RetrievalScores macro;  // unweighted mean over labels with num_queries > 0
  int64_t num_labels_scored = 0;
  // Labels carried by one clip only: their one query has no relevant item
  // anywhere and is left out, so the label is too.
  int64_t num_labels_left_out = 0;
  int64_t num_label_queries = 0;           // (label, query) pairs scored
  int64_t num_label_queries_left_out = 0;  // == num_labels_left_out

  // --- instance-based (micro): every clip queries; relevant = shares any
  // label with it. Present when has_micro. ---
  bool has_micro = false;
  RetrievalScores micro;  // mean over the scored queries
  int64_t num_micro_queries = 0;
  // Clips sharing no label with any other clip (unlabelled ones included).
  int64_t num_micro_left_out = 0;

  // --- family-based: filled by AddFamilyScores(), else empty ---
  std::vector<FamilyResult> families;  // in the family file's order
  // Scored labels that no family lists (and are not excluded).
  std::vector<std::string> labels_without_family;
  // Labels left out of family averages on request (the exclusion list),
  // restricted to labels of this collection.
  std::vector<std::string> labels_excluded_from_families;
};

// JSON object with every field above; keys of score objects are "map@15",
// "map@150" (from cutoffs) and "mr1". `indent` < 0 gives one line.
std::string RetrievalReportToJson(const RetrievalReport& report,
                                  int indent = 2);

// Markdown: a summary table (macro, micro, families), the left-out counts,
// and a per-label table. Scores with 4 decimals, MR1 with 2.
std::string RetrievalReportToMarkdown(const RetrievalReport& report);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RETRIEVAL_REPORT_H_
