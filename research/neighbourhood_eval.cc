#include "research/neighbourhood_eval.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "research/offline_eval.h"
#include "soundsearch/retrieval_metrics.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

float Dot(const float* a, const float* b, int dim) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int d = 0;
  for (; d + 4 <= dim; d += 4) {
    s0 += a[d] * b[d];
    s1 += a[d + 1] * b[d + 1];
    s2 += a[d + 2] * b[d + 2];
    s3 += a[d + 3] * b[d + 3];
  }
  for (; d < dim; ++d) s0 += a[d] * b[d];
  return (s0 + s1) + (s2 + s3);
}

void Normalise(float* row, int dim) {
  double n = 0.0;
  for (int d = 0; d < dim; ++d) n += static_cast<double>(row[d]) * row[d];
  if (n <= 0.0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(n));
  for (int d = 0; d < dim; ++d) row[d] *= inv;
}

// Per-part row-major matrices of unit rows.
using PartMatrices = std::vector<std::vector<float>>;

struct Candidate {
  int64_t index;
  float score;
};

bool Better(const Candidate& a, const Candidate& b) {
  return a.score > b.score || (a.score == b.score && a.index < b.index);
}

// Fused scores of query rows q[p] against every database item but `skip`.
std::vector<Candidate> ScoreAll(const std::vector<const float*>& q,
                                const PartMatrices& db_vectors,
                                const std::vector<int>& dims,
                                const std::vector<float>& weights,
                                absl::Span<const int64_t> db, int64_t skip) {
  std::vector<Candidate> out;
  out.reserve(db.size());
  for (int64_t x : db) {
    if (x == skip) continue;
    float s = 0.0f;
    for (size_t p = 0; p < dims.size(); ++p) {
      if (weights[p] == 0.0f) continue;
      s += weights[p] * Dot(q[p], db_vectors[p].data() + x * dims[p], dims[p]);
    }
    out.push_back({x, s});
  }
  return out;
}

// Moves the k best to the front, sorted.
void TopK(std::vector<Candidate>* c, int k) {
  k = std::min<int>(k, c->size());
  std::partial_sort(c->begin(), c->begin() + k, c->end(), Better);
}

// Replaces rows[p] (size dims[p]) by the normalised neighbourhood mean of
// themselves and the first k candidates' rows of `from`.
void Expand(const std::vector<Candidate>& top, int k, float alpha,
            const PartMatrices& from, const std::vector<int>& dims,
            std::vector<std::vector<float>>* rows) {
  k = std::min<int>(k, top.size());
  std::vector<float> w(k);
  for (int i = 0; i < k; ++i) w[i] = NeighbourWeight(top[i].score, alpha);
  for (size_t p = 0; p < dims.size(); ++p) {
    std::vector<const float*> nb(k);
    for (int i = 0; i < k; ++i) {
      nb[i] = from[p].data() + top[i].index * dims[p];
    }
    std::vector<float>& row = (*rows)[p];
    NeighbourhoodMean(row, nb, w, absl::MakeSpan(row));
    Normalise(row.data(), dims[p]);
  }
}

struct QueryScores {
  // Per label of the query, in item label order (duplicates removed).
  std::vector<std::string> labels;
  std::vector<std::array<double, 2>> ap;
  std::vector<double> r1;
  std::vector<bool> scored;
  bool micro_scored = false;
  std::array<double, 2> micro_ap = {0, 0};
  double micro_r1 = 0;
};

}  // namespace

std::vector<NeighbourhoodSystem> NeighbourhoodGrid(
    absl::Span<const std::string> part_names) {
  const size_t n = part_names.size();
  std::vector<NeighbourhoodSystem> bases;
  for (size_t p = 0; p < n; ++p) {
    NeighbourhoodSystem s;
    s.name = part_names[p];
    s.weights.assign(n, 0.0f);
    s.weights[p] = 1.0f;
    bases.push_back(s);
  }
  if (n == 2) {
    for (float w : {0.3f, 0.5f, 0.7f}) {
      NeighbourhoodSystem s;
      s.name = absl::StrFormat("late %s %.1f + %s %.1f", part_names[0], w,
                               part_names[1], 1.0f - w);
      s.weights = {w, 1.0f - w};
      bases.push_back(s);
    }
  } else if (n > 2) {
    NeighbourhoodSystem s;
    s.name = "late, equal weights";
    s.weights.assign(n, 1.0f / n);
    bases.push_back(s);
  }
  std::vector<NeighbourhoodSystem> grid;
  auto with = [&](const NeighbourhoodSystem& base, int expand, float ea,
                  int augment, float aa) {
    NeighbourhoodSystem s = base;
    s.expand = {expand, ea};
    s.augment = {augment, aa};
    if (augment > 0) {
      absl::StrAppend(&s.name, ", augment ", augment, " (a ", aa, ")");
    }
    if (expand > 0) {
      absl::StrAppend(&s.name, ", expand ", expand, " (a ", ea, ")");
    }
    grid.push_back(s);
  };
  for (const NeighbourhoodSystem& base : bases) {
    grid.push_back(base);
    for (int k : {1, 3, 5, 10}) with(base, k, 3.0f, 0, 3.0f);
    with(base, 3, 1.0f, 0, 3.0f);
    for (int k : {3, 5, 10}) with(base, 0, 3.0f, k, 3.0f);
    with(base, 0, 3.0f, 5, 1.0f);
    with(base, 3, 3.0f, 5, 3.0f);
    with(base, 5, 3.0f, 10, 3.0f);
  }
  return grid;
}

std::vector<int64_t> SplitQueries(absl::Span<const LabeledItem> items,
                                  int every) {
  std::vector<int64_t> out;
  if (every < 2) return out;
  std::map<std::string, int64_t> seen;
  for (int64_t i = 0; i < static_cast<int64_t>(items.size()); ++i) {
    if (items[i].labels.empty()) continue;
    int64_t& k = seen[items[i].labels[0]];
    if (k % every == 0) out.push_back(i);
    ++k;
  }
  return out;
}

absl::StatusOr<RetrievalReport> EvaluateNeighbourhoodSystem(
    absl::Span<const LabeledItem> items, absl::Span<const FusionPart> parts,
    const NeighbourhoodSystem& system,
    const NeighbourhoodEvalOptions& options) {
  const int64_t n = static_cast<int64_t>(items.size());
  if (parts.empty() || n == 0) {
    return absl::InvalidArgumentError("no parts or no items");
  }
  if (system.weights.size() != parts.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        system.weights.size(), " weights for ", parts.size(), " parts"));
  }
  double weight_sum = 0.0;
  for (float w : system.weights) {
    if (!(w >= 0.0f)) return absl::InvalidArgumentError("negative weight");
    weight_sum += w;
  }
  if (weight_sum <= 0.0) return absl::InvalidArgumentError("weights all 0");
  RETURN_IF_ERROR(ValidateNeighbourhood(system.expand, "expand"));
  RETURN_IF_ERROR(ValidateNeighbourhood(system.augment, "augment"));
  std::vector<float> weights;
  for (float w : system.weights) weights.push_back(w / weight_sum);
  std::vector<int> dims;
  PartMatrices base;
  for (const FusionPart& part : parts) {
    if (part.dim <= 0 ||
        part.vectors.size() != static_cast<size_t>(n) * part.dim) {
      return absl::InvalidArgumentError(
          absl::StrCat("part ", part.name, ": bad dim or size"));
    }
    dims.push_back(part.dim);
    base.push_back(part.vectors);
    for (int64_t i = 0; i < n; ++i) {
      Normalise(base.back().data() + i * part.dim, part.dim);
    }
  }
  const bool split = !options.queries.empty();
  std::vector<bool> is_query(n, !split);
  for (size_t i = 0; i < options.queries.size(); ++i) {
    const int64_t q = options.queries[i];
    if (q < 0 || q >= n || (i > 0 && q <= options.queries[i - 1])) {
      return absl::InvalidArgumentError("bad split query indices");
    }
    is_query[q] = true;
  }
  std::vector<int64_t> db;
  std::vector<int64_t> queries;
  for (int64_t i = 0; i < n; ++i) {
    if (!split || !is_query[i]) db.push_back(i);
    if (is_query[i]) queries.push_back(i);
  }
  const int threads = std::max(1, options.num_threads);

  // Database-side augmentation, from the raw vectors.
  PartMatrices augmented;
  const PartMatrices* db_vectors = &base;
  if (system.augment.enabled()) {
    augmented = base;
    RETURN_IF_ERROR(ParallelFor(
        static_cast<int64_t>(db.size()), threads,
        [&](int64_t j) -> absl::Status {
          const int64_t x = db[j];
          std::vector<const float*> q;
          for (size_t p = 0; p < parts.size(); ++p) {
            q.push_back(base[p].data() + x * dims[p]);
          }
          std::vector<Candidate> c = ScoreAll(q, base, dims, weights, db, x);
          TopK(&c, system.augment.neighbours);
          std::vector<std::vector<float>> rows(parts.size());
          for (size_t p = 0; p < parts.size(); ++p) {
            rows[p].assign(q[p], q[p] + dims[p]);
          }
          Expand(c, system.augment.neighbours, system.augment.alpha, base, dims,
                 &rows);
          for (size_t p = 0; p < parts.size(); ++p) {
            std::copy(rows[p].begin(), rows[p].end(),
                      augmented[p].begin() + x * dims[p]);
          }
          return absl::OkStatus();
        }));
    db_vectors = &augmented;
  }

  // Labels: relevant counts in the database.
  std::map<std::string, int64_t> db_label_count;
  std::map<std::string, int64_t> label_items;
  for (int64_t i = 0; i < n; ++i) {
    absl::flat_hash_set<std::string> seen;
    for (const std::string& l : items[i].labels) {
      if (l.empty()) return absl::InvalidArgumentError("empty label");
      if (!seen.insert(l).second) continue;
      ++label_items[l];
      if (!split || !is_query[i]) ++db_label_count[l];
    }
  }

  std::vector<QueryScores> results(queries.size());
  RETURN_IF_ERROR(ParallelFor(
      static_cast<int64_t>(queries.size()), threads,
      [&](int64_t j) -> absl::Status {
        const int64_t qi = queries[j];
        std::vector<std::vector<float>> rows(parts.size());
        std::vector<const float*> q(parts.size());
        for (size_t p = 0; p < parts.size(); ++p) {
          const float* r = base[p].data() + qi * dims[p];
          rows[p].assign(r, r + dims[p]);
          q[p] = rows[p].data();
        }
        std::vector<Candidate> c =
            ScoreAll(q, *db_vectors, dims, weights, db, qi);
        if (system.expand.enabled()) {
          TopK(&c, system.expand.neighbours);
          Expand(c, system.expand.neighbours, system.expand.alpha, *db_vectors,
                 dims, &rows);
          for (size_t p = 0; p < parts.size(); ++p) q[p] = rows[p].data();
          c = ScoreAll(q, *db_vectors, dims, weights, db, qi);
        }
        std::sort(c.begin(), c.end(), Better);
        QueryScores& out = results[j];
        absl::flat_hash_set<std::string> own;
        for (const std::string& l : items[qi].labels) {
          if (own.insert(l).second) out.labels.push_back(l);
        }
        std::vector<uint8_t> rel(c.size());
        for (const std::string& l : out.labels) {
          int64_t relevant = 0;
          for (size_t k = 0; k < c.size(); ++k) {
            const auto& ls = items[c[k].index].labels;
            rel[k] = std::find(ls.begin(), ls.end(), l) != ls.end();
            relevant += rel[k];
          }
          const bool scored = relevant > 0;
          out.scored.push_back(scored);
          std::array<double, 2> ap = {0, 0};
          double r1 = 0;
          if (scored) {
            for (int cut = 0; cut < 2; ++cut) {
              ap[cut] =
                  AveragePrecisionAtN(rel, options.cutoffs[cut], relevant);
            }
            r1 = static_cast<double>(*FirstRelevantRank(rel));
          }
          out.ap.push_back(ap);
          out.r1.push_back(r1);
        }
        int64_t relevant = 0;
        for (size_t k = 0; k < c.size(); ++k) {
          const auto& ls = items[c[k].index].labels;
          rel[k] = std::any_of(ls.begin(), ls.end(),
                               [&](const auto& l) { return own.contains(l); });
          relevant += rel[k];
        }
        if (relevant > 0) {
          out.micro_scored = true;
          for (int cut = 0; cut < 2; ++cut) {
            out.micro_ap[cut] =
                AveragePrecisionAtN(rel, options.cutoffs[cut], relevant);
          }
          out.micro_r1 = static_cast<double>(*FirstRelevantRank(rel));
        }
        return absl::OkStatus();
      }));

  RetrievalReport report;
  report.metric = "ranking";
  report.cutoffs = options.cutoffs;
  report.num_items = static_cast<int64_t>(db.size());
  std::map<std::string, LabelResult> labels;
  for (const auto& [l, count] : label_items) {
    labels[l].label = l;
    labels[l].num_items = count;
  }
  for (const QueryScores& r : results) {
    for (size_t k = 0; k < r.labels.size(); ++k) {
      LabelResult& lr = labels[r.labels[k]];
      if (!r.scored[k]) {
        ++report.num_label_queries_left_out;
        continue;
      }
      ++lr.num_queries;
      ++report.num_label_queries;
      for (int cut = 0; cut < 2; ++cut) lr.scores.map[cut] += r.ap[k][cut];
      lr.scores.mr1 += r.r1[k];
    }
    if (r.micro_scored) {
      ++report.num_micro_queries;
      for (int cut = 0; cut < 2; ++cut)
        report.micro.map[cut] += r.micro_ap[cut];
      report.micro.mr1 += r.micro_r1;
    } else {
      ++report.num_micro_left_out;
    }
  }
  for (auto& [l, lr] : labels) {
    if (lr.num_queries > 0) {
      for (int cut = 0; cut < 2; ++cut) {
        lr.scores.map[cut] /= lr.num_queries;
        report.macro.map[cut] += lr.scores.map[cut];
      }
      lr.scores.mr1 /= lr.num_queries;
      report.macro.mr1 += lr.scores.mr1;
      ++report.num_labels_scored;
    } else {
      ++report.num_labels_left_out;
    }
    report.labels.push_back(lr);
  }
  if (report.num_labels_scored > 0) {
    for (int cut = 0; cut < 2; ++cut) {
      report.macro.map[cut] /= report.num_labels_scored;
    }
    report.macro.mr1 /= report.num_labels_scored;
  }
  report.has_micro = true;
  if (report.num_micro_queries > 0) {
    for (int cut = 0; cut < 2; ++cut) {
      report.micro.map[cut] /= report.num_micro_queries;
    }
    report.micro.mr1 /= report.num_micro_queries;
  }
  return report;
}

absl::StatusOr<FusionPart> FitAndProjectPart(
    const Space& space, absl::Span<const RawEmbedding> raws,
    absl::Span<const int64_t> fit_rows) {
  std::vector<RawEmbedding> fit;
  for (int64_t r : fit_rows) {
    if (r < 0 || r >= static_cast<int64_t>(raws.size())) {
      return absl::InvalidArgumentError(absl::StrCat("bad fit row ", r));
    }
    fit.push_back(raws[r]);
  }
  ASSIGN_OR_RETURN(
      std::unique_ptr<Space> fitted,
      space.Fit(fit_rows.empty() ? raws : absl::MakeConstSpan(fit)));
  FusionPart part;
  part.name = fitted->name();
  ASSIGN_OR_RETURN(part.vectors,
                   fitted->ProjectBatch(raws, nullptr, &part.dim));
  return part;
}

absl::StatusOr<std::vector<SystemReport>> EvaluateNeighbourhoodGrid(
    absl::Span<const LabeledItem> items, absl::Span<const FusionPart> parts,
    absl::Span<const NeighbourhoodSystem> systems,
    const NeighbourhoodEvalOptions& options) {
  std::vector<SystemReport> out;
  for (const NeighbourhoodSystem& system : systems) {
    absl::StatusOr<RetrievalReport> r =
        EvaluateNeighbourhoodSystem(items, parts, system, options);
    if (!r.ok()) {
      return absl::Status(
          r.status().code(),
          absl::StrCat("system \"", system.name, "\": ", r.status().message()));
    }
    out.push_back({system.name, *std::move(r)});
  }
  return out;
}

}  // namespace soundsearch
