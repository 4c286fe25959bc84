// Frame recipes: many ways of turning one encoder's frame-level outputs, kept
// in memory, into clip vectors (column selection, pooling, scaling, PCA,
// search function), each fitted on the whole collection and evaluated. The
// 27-system sweep of the literature (pooling x PCA x search function) and the
// dsp descriptor ablation of docs/quality.md are lists of recipes, so the
// audio is decoded and encoded once for all of them.
//
// Thread-safety: the functions are re-entrant and only read their inputs.
#ifndef SOUNDSEARCH_RESEARCH_FRAME_RECIPES_H_
#define SOUNDSEARCH_RESEARCH_FRAME_RECIPES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "research/retrieval_sweep.h"
#include "soundsearch/encoder.h"
#include "soundsearch/retrieval_eval.h"
#include "soundsearch/space_config.h"

namespace soundsearch {

// One system: frames -> [columns] -> pooling -> scaling -> (L2) -> PCA ->
// (L2) under `metric`, exactly the projection a Space fits (the L2 steps for
// cosine only; docs/embedding.md).
struct FrameRecipe {
  std::string name;  // unique, non-empty
  // Frame columns kept, in this order, before pooling; empty = all columns.
  std::vector<int> columns;
  Pooling pooling = Pooling::kMeanStd;
  Scaling scaling = Scaling::kMinMax;
  int pca_dims = 100;  // 0 = no PCA; capped at min(dims, items - 1)
  Metric metric = Metric::kCosine;
};

// Evaluates every recipe on `clips` (clips[i] are the frames of items[i],
// all of one frame dim) and returns one report per recipe, in order. Pooled
// vectors are computed once per (columns, pooling) pair. num_threads (>= 1)
// is used for pooling and for each evaluation. InvalidArgument for a size
// mismatch, a column out of range, an empty or repeated name; errors of
// pooling, fitting and evaluation carry the recipe's name.
absl::StatusOr<std::vector<SystemReport>> EvaluateFrameRecipes(
    absl::Span<const EncodedClip> clips, absl::Span<const LabeledItem> items,
    absl::Span<const FrameRecipe> recipes, RetrievalEvalOptions options,
    int num_threads);

// The 27 systems of the literature's sweep (pooling mean, median, max x PCA
// 100, 200, none x cosine, inner product, Euclidean), all with `scaling` and
// the given columns (empty = all), named "<pooling>-pca<dims|none>-<metric>",
// e.g. "median-pca200-euclidean". Order: pooling, then PCA, then metric.
std::vector<FrameRecipe> SweepRecipes(Scaling scaling,
                                      const std::vector<int>& columns = {});

// CSV of a sweep: header "pooling,pca,metric,map@N1,map@N2,mr1", one row per
// recipe (reports[i] belongs to recipes[i]); pca is "none" for 0. The input
// of tools/plot_sweep.py. Rows with mismatched names are written as they are.
std::string SweepCsv(absl::Span<const FrameRecipe> recipes,
                     absl::Span<const SystemReport> reports);

// The dsp ablation around `base` (a recipe over the frames of a dsp encoder
// built from `encoder`, its columns ignored): the base itself; each
// descriptor group (DspFrameLayout) left out, and kept alone (with its
// deltas); the deltas left out; the other scalings (none, minmax, zscore),
// poolings (mean, median, max, mean_std) and PCA sizes (none, 50, 100, 200).
// Names say what changed, e.g. "base", "without mfcc", "only pitch",
// "scaling none", "pooling max", "pca none".
// InvalidArgument if `encoder` is not a valid dsp encoder configuration.
absl::StatusOr<std::vector<FrameRecipe>> DspAblationRecipes(
    const EncoderOptions& encoder, const FrameRecipe& base);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_FRAME_RECIPES_H_
