// Fusion of text and audio word vectors for word relatedness
// (docs/evaluation.md): with t, u the L2-normalised text and audio vectors,
//   middle fusion: cosine of the concatenations [a t, (1 - a) u];
//   late fusion:   a cos(t1, t2) + (1 - a) cos(u1, u2);
// a in [0, 1]: a = 0 is audio only, a = 1 text only. a is fixed, or tuned by
// cross-validation: each of five folds (20% of the pairs) in turn tunes a on
// a grid over [0, 1], the other 80% is scored with it, and the five
// correlations are averaged through the Fisher transform.
#ifndef SOUNDSEARCH_RESEARCH_VECTOR_FUSION_H_
#define SOUNDSEARCH_RESEARCH_VECTOR_FUSION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "research/word_pairs.h"
#include "research/word_similarity.h"

namespace soundsearch {

enum class FusionKind {
  kMiddle,  // cosine of the weighted concatenation
  kLate,    // weighted sum of the two cosines
};

// Fused similarity of two words from their vectors (any scale: normalised
// here; a zero vector stays zero, contributing 0). text1/text2 and
// audio1/audio2 must have equal lengths. alpha is clamped to [0, 1].
// Middle fusion of normalised vectors is
//   (a^2 cos_t + (1-a)^2 cos_u) / sqrt((a^2 z_t1 + (1-a)^2 z_u1)
//                                      (a^2 z_t2 + (1-a)^2 z_u2)),
// z = 1 for a non-zero vector, 0 for a zero one (0 if a factor is 0).
double FusedSimilarity(FusionKind kind, double alpha,
                       absl::Span<const float> text1,
                       absl::Span<const float> audio1,
                       absl::Span<const float> text2,
                       absl::Span<const float> audio2);

// Evaluates fusion with a fixed alpha in [0, 1]. A pair is covered when both
// words have both a text and an audio vector. InvalidArgument for alpha
// outside [0, 1], an empty lookup, or vectors of differing lengths.
absl::StatusOr<WordSimilarityResult> EvaluateFusion(
    absl::Span<const WordPair> pairs, const WordVectorLookup& text,
    const WordVectorLookup& audio, FusionKind kind, double alpha);

struct FusionCrossValidationOptions {
  FusionKind kind = FusionKind::kMiddle;
  // Folds; each in turn (1 / num_folds of the covered pairs) tunes alpha and
  // the rest is scored. >= 2.
  int num_folds = 5;
  // Alpha grid 0, 1/grid_steps, ..., 1; >= 1.
  int grid_steps = 20;
  // Seed of the fold assignment: a Fisher-Yates shuffle of the covered
  // pairs driven by std::mt19937_64 (the same on every platform), then
  // position % num_folds.
  uint64_t seed = 0;
};

struct FusionCrossValidation {
  double spearman = 0.0;              // tanh(mean(atanh(fold_spearman)))
  std::vector<double> fold_alpha;     // alpha tuned on each fold
  std::vector<double> fold_spearman;  // correlation on the rest, per fold
  int64_t num_pairs = 0;
  int64_t num_covered = 0;
  double coverage = 0.0;
};

// Tuning picks the grid alpha with the highest Spearman on the tuning fold
// (the smallest such alpha on ties; alphas where it is undefined are
// skipped). InvalidArgument for bad options or lookups; FailedPrecondition
// when there are fewer than 2 * num_folds covered pairs or a fold's
// correlation is undefined for every alpha.
absl::StatusOr<FusionCrossValidation> CrossValidateFusion(
    absl::Span<const WordPair> pairs, const WordVectorLookup& text,
    const WordVectorLookup& audio,
    const FusionCrossValidationOptions& options = {});

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_VECTOR_FUSION_H_
