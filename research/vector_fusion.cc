#include "research/vector_fusion.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "research/rank_correlation.h"
#include "research/word_lookup_cache.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

// What fusion needs of one pair of words, for any alpha.
struct PairTerms {
  double human = 0.0;     // the rating
  double cos_text = 0.0;  // dot of unit text vectors (0 if one is zero)
  double cos_audio = 0.0;
  // Non-zero-ness of the four vectors: text1, audio1, text2, audio2.
  bool z_t1 = true, z_u1 = true, z_t2 = true, z_u2 = true;
};

double Fuse(FusionKind kind, double alpha, const PairTerms& p) {
  const double a = std::clamp(alpha, 0.0, 1.0);
  const double b = 1.0 - a;
  if (kind == FusionKind::kLate) return a * p.cos_text + b * p.cos_audio;
  const double a2 = a * a, b2 = b * b;
  const double n1 = a2 * p.z_t1 + b2 * p.z_u1;
  const double n2 = a2 * p.z_t2 + b2 * p.z_u2;
  if (n1 <= 0.0 || n2 <= 0.0) return 0.0;
  return (a2 * p.cos_text + b2 * p.cos_audio) / std::sqrt(n1 * n2);
}

absl::StatusOr<std::vector<PairTerms>> CoveredTerms(
    absl::Span<const WordPair> pairs, const WordVectorLookup& text,
    const WordVectorLookup& audio) {
  if (!text || !audio)
    return absl::InvalidArgumentError("no word vector lookup");
  WordLookupCache text_cache(&text);
  WordLookupCache audio_cache(&audio);
  std::vector<PairTerms> terms;
  for (const WordPair& pair : pairs) {
    ASSIGN_OR_RETURN(const std::vector<float>* t1, text_cache.Get(pair.first));
    ASSIGN_OR_RETURN(const std::vector<float>* t2, text_cache.Get(pair.second));
    ASSIGN_OR_RETURN(const std::vector<float>* u1, audio_cache.Get(pair.first));
    ASSIGN_OR_RETURN(const std::vector<float>* u2,
                     audio_cache.Get(pair.second));
    if (!t1 || !t2 || !u1 || !u2) continue;
    PairTerms p;
    p.human = pair.score;
    p.cos_text = UnitDot(*t1, *t2);
    p.cos_audio = UnitDot(*u1, *u2);
    p.z_t1 = !WordLookupCache::IsZero(*t1);
    p.z_t2 = !WordLookupCache::IsZero(*t2);
    p.z_u1 = !WordLookupCache::IsZero(*u1);
    p.z_u2 = !WordLookupCache::IsZero(*u2);
    terms.push_back(p);
  }
  return terms;
}

// Spearman of the ratings against fused similarities over terms[idx].
absl::StatusOr<double> FusedSpearman(const std::vector<PairTerms>& terms,
                                     absl::Span<const size_t> idx,
                                     FusionKind kind, double alpha) {
  std::vector<double> human, model;
  human.reserve(idx.size());
  model.reserve(idx.size());
  for (size_t i : idx) {
    human.push_back(terms[i].human);
    model.push_back(Fuse(kind, alpha, terms[i]));
  }
  return SpearmanCorrelation(human, model);
}

void FillCoverage(int64_t num_pairs, int64_t num_covered, int64_t* pairs_out,
                  int64_t* covered_out, double* coverage_out) {
  *pairs_out = num_pairs;
  *covered_out = num_covered;
  *coverage_out = num_pairs == 0 ? 0.0
                                 : static_cast<double>(num_covered) /
                                       static_cast<double>(num_pairs);
}

}  // namespace

double FusedSimilarity(FusionKind kind, double alpha,
                       absl::Span<const float> text1,
                       absl::Span<const float> audio1,
                       absl::Span<const float> text2,
                       absl::Span<const float> audio2) {
  const auto nonzero = [](absl::Span<const float> v) {
    return std::any_of(v.begin(), v.end(), [](float x) { return x != 0.0f; });
  };
  PairTerms p;
  p.cos_text = CosineSimilarity(text1, text2);
  p.cos_audio = CosineSimilarity(audio1, audio2);
  p.z_t1 = nonzero(text1);
  p.z_t2 = nonzero(text2);
  p.z_u1 = nonzero(audio1);
  p.z_u2 = nonzero(audio2);
  return Fuse(kind, alpha, p);
}

absl::StatusOr<WordSimilarityResult> EvaluateFusion(
    absl::Span<const WordPair> pairs, const WordVectorLookup& text,
    const WordVectorLookup& audio, FusionKind kind, double alpha) {
  if (!(alpha >= 0.0 && alpha <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("fusion weight must be in [0, 1], got ", alpha));
  }
  ASSIGN_OR_RETURN(const std::vector<PairTerms> terms,
                   CoveredTerms(pairs, text, audio));
  WordSimilarityResult result;
  FillCoverage(static_cast<int64_t>(pairs.size()),
               static_cast<int64_t>(terms.size()), &result.num_pairs,
               &result.num_covered, &result.coverage);
  std::vector<size_t> all(terms.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  absl::StatusOr<double> rho = FusedSpearman(terms, all, kind, alpha);
  if (rho.ok()) result.spearman = *rho;
  return result;
}

absl::StatusOr<FusionCrossValidation> CrossValidateFusion(
    absl::Span<const WordPair> pairs, const WordVectorLookup& text,
    const WordVectorLookup& audio,
    const FusionCrossValidationOptions& options) {
  if (options.num_folds < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_folds must be >= 2, got ", options.num_folds));
  }
  if (options.grid_steps < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("grid_steps must be >= 1, got ", options.grid_steps));
  }
  ASSIGN_OR_RETURN(const std::vector<PairTerms> terms,
                   CoveredTerms(pairs, text, audio));
  FusionCrossValidation cv;
  FillCoverage(static_cast<int64_t>(pairs.size()),
               static_cast<int64_t>(terms.size()), &cv.num_pairs,
               &cv.num_covered, &cv.coverage);
  const size_t n = terms.size();
  if (n < 2 * static_cast<size_t>(options.num_folds)) {
    return absl::FailedPreconditionError(absl::StrCat(
        n, " covered pairs are too few for ", options.num_folds, " folds"));
  }

  // Deterministic fold assignment: Fisher-Yates with raw mt19937_64 output
  // (std::shuffle and the distributions are implementation-defined).
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 rng(options.seed);
  for (size_t i = n - 1; i > 0; --i) {
    std::swap(order[i], order[rng() % (i + 1)]);
  }

  std::vector<size_t> tune, score;
  for (int fold = 0; fold < options.num_folds; ++fold) {
    tune.clear();
    score.clear();
    for (size_t p = 0; p < n; ++p) {
      (static_cast<int>(p % options.num_folds) == fold ? tune : score)
          .push_back(order[p]);
    }
    double best_alpha = -1.0, best_rho = 0.0;
    for (int step = 0; step <= options.grid_steps; ++step) {
      const double alpha = static_cast<double>(step) / options.grid_steps;
      absl::StatusOr<double> rho =
          FusedSpearman(terms, tune, options.kind, alpha);
      if (rho.ok() && (best_alpha < 0.0 || *rho > best_rho)) {
        best_alpha = alpha;
        best_rho = *rho;
      }
    }
    if (best_alpha < 0.0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "fold ", fold, ": the correlation is undefined for every alpha"));
    }
    absl::StatusOr<double> held_out =
        FusedSpearman(terms, score, options.kind, best_alpha);
    if (!held_out.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("fold ", fold, ": ", held_out.status().message()));
    }
    cv.fold_alpha.push_back(best_alpha);
    cv.fold_spearman.push_back(*held_out);
  }
  ASSIGN_OR_RETURN(cv.spearman, FisherMean(cv.fold_spearman));
  return cv;
}

}  // namespace soundsearch
