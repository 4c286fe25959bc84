#include "eval/similarity_blocks.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SOUNDSEARCH_X86 1
#endif

namespace soundsearch {
namespace {

constexpr int kTileRows = 4;     // query rows per register tile
constexpr int kTileCols = 16;    // == SimilarityBlocks::kPanelWidth
constexpr int kRowBlock = 64;    // query rows kept hot in L1 / L2
constexpr int kPanelBlock = 24;  // panels (dim x 16 floats each) kept in L2

// Portable reference tile.
void TileScalar(const float* const q[kTileRows], const float* panel, int dim,
                float* acc) {
  std::fill(acc, acc + kTileRows * kTileCols, 0.0f);
  for (int k = 0; k < dim; ++k) {
    const float* p = panel + k * kTileCols;
    for (int r = 0; r < kTileRows; ++r) {
      const float x = q[r][k];
      for (int c = 0; c < kTileCols; ++c) acc[r * kTileCols + c] += x * p[c];
    }
  }
}

#ifdef SOUNDSEARCH_X86
// SSE2 (every x86-64): two passes of 4 rows x 8 columns, 8 accumulators.
void TileSse2(const float* const q[kTileRows], const float* panel, int dim,
              float* acc) {
  for (int half = 0; half < 2; ++half) {
    __m128 a00 = _mm_setzero_ps(), a01 = _mm_setzero_ps();
    __m128 a10 = _mm_setzero_ps(), a11 = _mm_setzero_ps();
    __m128 a20 = _mm_setzero_ps(), a21 = _mm_setzero_ps();
    __m128 a30 = _mm_setzero_ps(), a31 = _mm_setzero_ps();
    const float* p = panel + half * 8;
    for (int k = 0; k < dim; ++k, p += kTileCols) {
      const __m128 p0 = _mm_loadu_ps(p);
      const __m128 p1 = _mm_loadu_ps(p + 4);
      __m128 x = _mm_set1_ps(q[0][k]);
      a00 = _mm_add_ps(a00, _mm_mul_ps(x, p0));
      a01 = _mm_add_ps(a01, _mm_mul_ps(x, p1));
      x = _mm_set1_ps(q[1][k]);
      a10 = _mm_add_ps(a10, _mm_mul_ps(x, p0));
      a11 = _mm_add_ps(a11, _mm_mul_ps(x, p1));
      x = _mm_set1_ps(q[2][k]);
      a20 = _mm_add_ps(a20, _mm_mul_ps(x, p0));
      a21 = _mm_add_ps(a21, _mm_mul_ps(x, p1));
      x = _mm_set1_ps(q[3][k]);
      a30 = _mm_add_ps(a30, _mm_mul_ps(x, p0));
      a31 = _mm_add_ps(a31, _mm_mul_ps(x, p1));
    }
    float* out = acc + half * 8;
    _mm_storeu_ps(out, a00);
    _mm_storeu_ps(out + 4, a01);
    _mm_storeu_ps(out + kTileCols, a10);
    _mm_storeu_ps(out + kTileCols + 4, a11);
    _mm_storeu_ps(out + 2 * kTileCols, a20);
    _mm_storeu_ps(out + 2 * kTileCols + 4, a21);
    _mm_storeu_ps(out + 3 * kTileCols, a30);
    _mm_storeu_ps(out + 3 * kTileCols + 4, a31);
  }
}

// AVX2 + FMA: 4 rows x 16 columns in 8 ymm accumulators.
__attribute__((target("avx2,fma"))) void TileAvx2(
    const float* const q[kTileRows], const float* panel, int dim, float* acc) {
  __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps();
  __m256 a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps();
  __m256 a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps();
  __m256 a30 = _mm256_setzero_ps(), a31 = _mm256_setzero_ps();
  const float* p = panel;
  for (int k = 0; k < dim; ++k, p += kTileCols) {
    const __m256 p0 = _mm256_loadu_ps(p);
    const __m256 p1 = _mm256_loadu_ps(p + 8);
    __m256 x = _mm256_broadcast_ss(q[0] + k);
    a00 = _mm256_fmadd_ps(x, p0, a00);
    a01 = _mm256_fmadd_ps(x, p1, a01);
    x = _mm256_broadcast_ss(q[1] + k);
    a10 = _mm256_fmadd_ps(x, p0, a10);
    a11 = _mm256_fmadd_ps(x, p1, a11);
    x = _mm256_broadcast_ss(q[2] + k);
    a20 = _mm256_fmadd_ps(x, p0, a20);
    a21 = _mm256_fmadd_ps(x, p1, a21);
    x = _mm256_broadcast_ss(q[3] + k);
    a30 = _mm256_fmadd_ps(x, p0, a30);
    a31 = _mm256_fmadd_ps(x, p1, a31);
  }
  _mm256_storeu_ps(acc, a00);
  _mm256_storeu_ps(acc + 8, a01);
  _mm256_storeu_ps(acc + kTileCols, a10);
  _mm256_storeu_ps(acc + kTileCols + 8, a11);
  _mm256_storeu_ps(acc + 2 * kTileCols, a20);
  _mm256_storeu_ps(acc + 2 * kTileCols + 8, a21);
  _mm256_storeu_ps(acc + 3 * kTileCols, a30);
  _mm256_storeu_ps(acc + 3 * kTileCols + 8, a31);
}
#endif  // SOUNDSEARCH_X86

absl::StatusOr<SimilarityBlocks::TileFn> PickTile(
    SimilarityBlocks::Kernel kernel) {
  using Kernel = SimilarityBlocks::Kernel;
  if (kernel == Kernel::kPortable) return &TileScalar;
#ifdef SOUNDSEARCH_X86
  __builtin_cpu_init();
  const bool avx2 =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (kernel == Kernel::kSse2) return &TileSse2;
  if (kernel == Kernel::kAvx2 && !avx2) {
    return absl::UnavailableError("this CPU lacks AVX2 and FMA");
  }
  return avx2 ? &TileAvx2 : &TileSse2;
#else
  if (kernel == Kernel::kAuto) return &TileScalar;
  return absl::UnavailableError("SIMD kernels are built for x86 only");
#endif
}

}  // namespace

absl::StatusOr<SimilarityBlocks> SimilarityBlocks::Create(
    absl::Span<const float> vectors, int dim, Metric metric, Kernel kernel) {
  absl::StatusOr<TileFn> tile = PickTile(kernel);
  if (!tile.ok()) return tile.status();
  if (dim <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("dim must be > 0, got ", dim));
  }
  if (vectors.size() % static_cast<size_t>(dim) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        vectors.size(), " floats is not a whole number of rows of ", dim));
  }
  SimilarityBlocks s;
  s.n_ = static_cast<int64_t>(vectors.size() / dim);
  s.dim_ = dim;
  s.euclidean_ = metric == Metric::kEuclidean;
  s.tile_ = *tile;
  s.rows_.assign(vectors.begin(), vectors.end());
  for (int64_t i = 0; i < s.n_; ++i) {
    float* row = s.rows_.data() + i * dim;
    for (int k = 0; k < dim; ++k) {
      if (!std::isfinite(row[k])) {
        return absl::InvalidArgumentError(
            absl::StrCat("vector ", i, " has a non-finite value at ", k));
      }
    }
    if (metric == Metric::kCosine) {
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
    for (int k = 0; k < dim; ++k)
      panel[k * kPanelWidth + j % kPanelWidth] = row[k];
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
  float acc[kTileRows * kTileCols];
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
        const int rows_here =
            static_cast<int>(std::min<int64_t>(kTileRows, r1 - r));
        for (int64_t p = p0; p < p1; ++p) {
          tile_(q, panels_.data() + p * dim_ * kPanelWidth, dim_, acc);
          const int64_t j0 = p * kPanelWidth;
          const int cols_here =
              static_cast<int>(std::min<int64_t>(kPanelWidth, n_ - j0));
          for (int t = 0; t < rows_here; ++t) {
            float* dst = out + (r + t - begin) * n_ + j0;
            if (euclidean_) {
              for (int c = 0; c < cols_here; ++c) {
                dst[c] = 2.0f * acc[t * kTileCols + c] - sq_norms_[j0 + c];
              }
            } else {
              for (int c = 0; c < cols_here; ++c)
                dst[c] = acc[t * kTileCols + c];
            }
          }
        }
      }
    }
  }
}

}  // namespace soundsearch
