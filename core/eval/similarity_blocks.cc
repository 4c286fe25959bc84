#include "eval/similarity_blocks.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace soundsearch {
namespace {

constexpr int kTileRows = 4;     // query rows per register tile
constexpr int kTileCols = 8;     // == SimilarityBlocks::kPanelWidth
constexpr int kRowBlock = 64;    // query rows kept hot in L1 / L2
constexpr int kPanelBlock = 48;  // panels (x dim x 8 floats) kept hot in L2

// acc[r][c] = sum_k q[r][k] * panel[k * 8 + c]. Written so that the compiler
// keeps acc in vector registers and vectorises the c loop.
inline void Tile4x8(const float* const q[kTileRows], const float* panel,
                    int dim, float acc[kTileRows][kTileCols]) {
  float a[kTileRows][kTileCols] = {};
  for (int k = 0; k < dim; ++k) {
    const float* p = panel + k * kTileCols;
    for (int r = 0; r < kTileRows; ++r) {
      const float x = q[r][k];
      for (int c = 0; c < kTileCols; ++c) a[r][c] += x * p[c];
    }
  }
  for (int r = 0; r < kTileRows; ++r) {
    for (int c = 0; c < kTileCols; ++c) acc[r][c] = a[r][c];
  }
}

}  // namespace

absl::StatusOr<SimilarityBlocks> SimilarityBlocks::Create(
    absl::Span<const float> vectors, int dim, SimilarityMetric metric) {
  if (dim <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("dim must be > 0, got ", dim));
  }
  if (vectors.size() % static_cast<size_t>(dim) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        vectors.size(), " floats is not a whole number of rows of ", dim));
  }
  SimilarityBlocks s;
  s.n_ = static_cast<int64_t>(vectors.size() / dim);
  s.dim_ = dim;
  s.euclidean_ = metric == SimilarityMetric::kEuclidean;
  s.rows_.assign(vectors.begin(), vectors.end());
  for (int64_t i = 0; i < s.n_; ++i) {
    float* row = s.rows_.data() + i * dim;
    for (int k = 0; k < dim; ++k) {
      if (!std::isfinite(row[k])) {
        return absl::InvalidArgumentError(
            absl::StrCat("vector ", i, " has a non-finite value at ", k));
      }
    }
    if (metric == SimilarityMetric::kCosine) {
      double sq = 0.0;
      for (int k = 0; k < dim; ++k) sq += double{row[k]} * row[k];
      if (sq > 0.0) {
        const float inv = static_cast<float>(1.0 / std::sqrt(sq));
        for (int k = 0; k < dim; ++k) row[k] *= inv;
      }
    }
  }
  const int64_t num_panels = (s.n_ + kPanelWidth - 1) / kPanelWidth;
  s.panels_.assign(static_cast<size_t>(num_panels) * dim * kPanelWidth, 0.0f);
  for (int64_t j = 0; j < s.n_; ++j) {
    float* panel = s.panels_.data() + (j / kPanelWidth) * dim * kPanelWidth;
    const float* row = s.rows_.data() + j * dim;
    for (int k = 0; k < dim; ++k) panel[k * kPanelWidth + j % kPanelWidth] = row[k];
  }
  if (s.euclidean_) {
    s.sq_norms_.assign(static_cast<size_t>(num_panels) * kPanelWidth, 0.0f);
    for (int64_t j = 0; j < s.n_; ++j) {
      const float* row = s.rows_.data() + j * dim;
      float sq = 0.0f;
      for (int k = 0; k < dim; ++k) sq += row[k] * row[k];
      s.sq_norms_[j] = sq;
    }
  }
  return s;
}

void SimilarityBlocks::ScoreRows(int64_t begin, int64_t end, float* out) const {
  static_assert(kTileCols == kPanelWidth, "tile width is the panel width");
  const int64_t num_panels = (n_ + kPanelWidth - 1) / kPanelWidth;
  float acc[kTileRows][kTileCols];
  for (int64_t r0 = begin; r0 < end; r0 += kRowBlock) {
    const int64_t r1 = std::min<int64_t>(end, r0 + kRowBlock);
    for (int64_t p0 = 0; p0 < num_panels; p0 += kPanelBlock) {
      const int64_t p1 = std::min<int64_t>(num_panels, p0 + kPanelBlock);
      for (int64_t r = r0; r < r1; r += kTileRows) {
        const float* q[kTileRows];
        for (int t = 0; t < kTileRows; ++t) {
          // Past the end, repeat the last row; its results are dropped.
          q[t] = rows_.data() + std::min<int64_t>(r + t, r1 - 1) * dim_;
        }
        const int rows_here = static_cast<int>(std::min<int64_t>(kTileRows, r1 - r));
        for (int64_t p = p0; p < p1; ++p) {
          Tile4x8(q, panels_.data() + p * dim_ * kPanelWidth, dim_, acc);
          const int64_t j0 = p * kPanelWidth;
          const int cols_here =
              static_cast<int>(std::min<int64_t>(kPanelWidth, n_ - j0));
          for (int t = 0; t < rows_here; ++t) {
            float* dst = out + (r + t - begin) * n_ + j0;
            if (euclidean_) {
              for (int c = 0; c < cols_here; ++c) {
                dst[c] = 2.0f * acc[t][c] - sq_norms_[j0 + c];
              }
            } else {
              for (int c = 0; c < cols_here; ++c) dst[c] = acc[t][c];
            }
          }
        }
      }
    }
  }
}

}  // namespace soundsearch
