#include "research/frame_recipes.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "research/offline_eval.h"
#include "soundsearch/dsp_frame_layout.h"
#include "soundsearch/pooling.h"
#include "soundsearch/projection.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

absl::Status Named(const std::string& name, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(name, ": ", s.message()));
}

// Pooled vectors of every clip (n x dim) for one (columns, pooling) pair.
absl::StatusOr<std::vector<float>> PoolAll(absl::Span<const EncodedClip> clips,
                                           const std::vector<int>& columns,
                                           Pooling pooling, int num_threads,
                                           int* dim) {
  const int frame_dim = clips[0].frames.dim;
  const int in_dim = columns.empty() ? frame_dim : columns.size();
  *dim = PooledDim(pooling, in_dim);
  std::vector<float> out(clips.size() * static_cast<size_t>(*dim));
  RETURN_IF_ERROR(ParallelFor(
      static_cast<int64_t>(clips.size()), num_threads,
      [&](int64_t i) -> absl::Status {
        const FrameMatrix& frames = clips[i].frames;
        if (frames.dim != frame_dim) {
          return absl::InvalidArgumentError(
              absl::StrCat("clip ", i, " has frame dim ", frames.dim,
                           ", clip 0 has ", frame_dim));
        }
        absl::StatusOr<std::vector<float>> pooled;
        if (columns.empty()) {
          pooled = Pool(frames, pooling);
        } else {
          FrameMatrix sel(frames.num_frames(), in_dim);
          for (int t = 0; t < frames.num_frames(); ++t) {
            auto src = frames.row(t);
            auto dst = sel.row(t);
            for (int c = 0; c < in_dim; ++c) dst[c] = src[columns[c]];
          }
          pooled = Pool(sel, pooling);
        }
        if (!pooled.ok()) {
          return absl::Status(
              pooled.status().code(),
              absl::StrCat("clip ", i, ": ", pooled.status().message()));
        }
        std::copy(pooled->begin(), pooled->end(),
                  out.begin() + i * static_cast<int64_t>(*dim));
        return absl::OkStatus();
      }));
  return out;
}

void AppendRange(const DspRange& r, std::vector<int>* cols) {
  for (int c = r.offset; c < r.offset + r.size; ++c) cols->push_back(c);
}

}  // namespace

absl::StatusOr<std::vector<SystemReport>> EvaluateFrameRecipes(
    absl::Span<const EncodedClip> clips, absl::Span<const LabeledItem> items,
    absl::Span<const FrameRecipe> recipes, RetrievalEvalOptions options,
    int num_threads) {
  if (clips.size() != items.size() || clips.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("EvaluateFrameRecipes: ", clips.size(), " clips for ",
                     items.size(), " items"));
  }
  if (num_threads < 1) {
    return absl::InvalidArgumentError("num_threads must be >= 1");
  }
  const int frame_dim = clips[0].frames.dim;
  std::set<std::string> names;
  for (const FrameRecipe& r : recipes) {
    if (r.name.empty() || !names.insert(r.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("recipe name \"", r.name, "\" is empty or repeated"));
    }
    for (int c : r.columns) {
      if (c < 0 || c >= frame_dim) {
        return absl::InvalidArgumentError(absl::StrCat(
            r.name, ": column ", c, " not in [0, ", frame_dim, ")"));
      }
    }
  }
  options.num_threads = num_threads;
  // (columns, pooling) -> pooled rows; recipes sharing both share them.
  std::map<std::pair<std::vector<int>, Pooling>,
           std::pair<std::vector<float>, int>>
      pooled_cache;
  std::vector<SystemReport> out;
  for (const FrameRecipe& r : recipes) {
    auto key = std::make_pair(r.columns, r.pooling);
    auto it = pooled_cache.find(key);
    if (it == pooled_cache.end()) {
      int dim = 0;
      auto pooled = PoolAll(clips, r.columns, r.pooling, num_threads, &dim);
      if (!pooled.ok()) return Named(r.name, pooled.status());
      it = pooled_cache.emplace(key, std::make_pair(*std::move(pooled), dim))
               .first;
    }
    const std::vector<float>& rows = it->second.first;
    const int in_dim = it->second.second;
    ProjectionOptions popts;
    popts.scaling = r.scaling;
    popts.pca_dims = r.pca_dims;
    popts.l2_normalize = r.metric == Metric::kCosine;
    auto projection = Projection::Fit(rows, in_dim, popts);
    if (!projection.ok()) return Named(r.name, projection.status());
    auto vectors = projection->Apply(rows);
    if (!vectors.ok()) return Named(r.name, vectors.status());
    auto report = EvaluateRetrieval(items, *vectors, projection->output_dim(),
                                    r.metric, options);
    if (!report.ok()) return Named(r.name, report.status());
    out.push_back(SystemReport{r.name, *std::move(report)});
  }
  return out;
}

std::vector<FrameRecipe> SweepRecipes(Scaling scaling,
                                      const std::vector<int>& columns) {
  std::vector<FrameRecipe> out;
  for (Pooling p : {Pooling::kMean, Pooling::kMedian, Pooling::kMax}) {
    for (int pca : {100, 200, 0}) {
      for (Metric m :
           {Metric::kCosine, Metric::kInnerProduct, Metric::kEuclidean}) {
        FrameRecipe r;
        r.name = absl::StrCat(PoolingName(p), "-pca",
                              pca == 0 ? "none" : absl::StrCat(pca), "-",
                              MetricName(m));
        r.columns = columns;
        r.pooling = p;
        r.scaling = scaling;
        r.pca_dims = pca;
        r.metric = m;
        out.push_back(std::move(r));
      }
    }
  }
  return out;
}

std::string SweepCsv(absl::Span<const FrameRecipe> recipes,
                     absl::Span<const SystemReport> reports) {
  const std::array<int, 2> cutoffs =
      reports.empty() ? std::array<int, 2>{15, 150} : reports[0].report.cutoffs;
  std::string out = absl::StrCat("pooling,pca,metric,map@", cutoffs[0], ",map@",
                                 cutoffs[1], ",mr1\n");
  for (size_t i = 0; i < recipes.size() && i < reports.size(); ++i) {
    const FrameRecipe& r = recipes[i];
    const RetrievalScores& s = reports[i].report.macro;
    absl::StrAppend(&out, PoolingName(r.pooling), ",",
                    r.pca_dims == 0 ? "none" : absl::StrCat(r.pca_dims), ",",
                    MetricName(r.metric), ",", s.map[0], ",", s.map[1], ",",
                    s.mr1, "\n");
  }
  return out;
}

absl::StatusOr<std::vector<FrameRecipe>> DspAblationRecipes(
    const EncoderOptions& encoder, const FrameRecipe& base_in) {
  if (encoder.kind != "dsp") {
    return absl::InvalidArgumentError(absl::StrCat(
        "dsp ablation needs a dsp encoder, got \"", encoder.kind, "\""));
  }
  ASSIGN_OR_RETURN(DspFrameLayout layout, DspFrameLayout::For(encoder));
  FrameRecipe base = base_in;
  base.columns.clear();
  base.name = "base";
  std::vector<FrameRecipe> out = {base};

  const std::vector<std::pair<const char*, DspRange>> groups = {
      {"log_mel", layout.log_mel},
      {"mfcc", layout.mfcc},
      {"spectral_shape", layout.spectral_shape},
      {"contrast", layout.contrast},
      {"zcr", layout.zcr},
      {"rms", layout.rms},
      {"pitch", layout.pitch}};
  auto columns_of = [&](const std::vector<size_t>& keep, bool deltas) {
    std::vector<int> cols;
    for (size_t g : keep) AppendRange(groups[g].second, &cols);
    if (deltas) {
      for (size_t g : keep) AppendRange(layout.Delta(groups[g].second), &cols);
    }
    return cols;
  };
  std::vector<size_t> present;
  for (size_t g = 0; g < groups.size(); ++g) {
    if (!groups[g].second.empty()) present.push_back(g);
  }
  for (size_t g : present) {
    if (present.size() < 2) break;
    std::vector<size_t> keep;
    for (size_t h : present) {
      if (h != g) keep.push_back(h);
    }
    FrameRecipe r = base;
    r.name = absl::StrCat("without ", groups[g].first);
    r.columns = columns_of(keep, layout.has_deltas);
    out.push_back(std::move(r));
  }
  for (size_t g : present) {
    FrameRecipe r = base;
    r.name = absl::StrCat("only ", groups[g].first);
    r.columns = columns_of({g}, layout.has_deltas);
    out.push_back(std::move(r));
  }
  if (layout.has_deltas) {
    FrameRecipe r = base;
    r.name = "without deltas";
    r.columns = columns_of(present, false);
    out.push_back(std::move(r));
  }
  for (Scaling s : {Scaling::kNone, Scaling::kMinMax, Scaling::kZScore}) {
    if (s == base.scaling) continue;
    FrameRecipe r = base;
    r.name = absl::StrCat("scaling ", ScalingName(s));
    r.scaling = s;
    out.push_back(std::move(r));
  }
  for (Pooling p :
       {Pooling::kMean, Pooling::kMedian, Pooling::kMax, Pooling::kMeanStd}) {
    if (p == base.pooling) continue;
    FrameRecipe r = base;
    r.name = absl::StrCat("pooling ", PoolingName(p));
    r.pooling = p;
    out.push_back(std::move(r));
  }
  for (int pca : {0, 50, 100, 200}) {
    if (pca == base.pca_dims) continue;
    FrameRecipe r = base;
    r.name = absl::StrCat("pca ", pca == 0 ? "none" : absl::StrCat(pca));
    r.pca_dims = pca;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace soundsearch
