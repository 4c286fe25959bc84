#include "index/flat_scan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SOUNDSEARCH_FLAT_SCAN_X86 1
#endif

namespace soundsearch {
namespace {

// A tile: kTileRows database rows against kTileQueries queries.
constexpr int kTileRows = 4;
constexpr int kTileQueries = 4;
// Rows scored before each top-k selection pass (scores of the whole batch
// for these rows are kept in a buffer of nq x kBlockRows floats).
constexpr int64_t kBlockRows = 256;
// Queries are copied with their length padded to a multiple of this, zeros
// after the end.
constexpr size_t kLanes = 16;

// Scores one tile: out[q * kTileRows + r] = rows[r] . queries[q], for query
// vectors of `dim_pad` floats (zero-padded) and rows of `dim` floats.
using TileFn = void (*)(const float* const* rows, const float* queries,
                        size_t dim, size_t dim_pad, float* out);
// The squared norm of one row.
using NormFn = float (*)(const float* row, size_t dim);

void TilePortable(const float* const* rows, const float* queries, size_t dim,
                  size_t dim_pad, float* out) {
  for (int q = 0; q < kTileQueries; ++q) {
    const float* qv = queries + q * dim_pad;
    for (int r = 0; r < kTileRows; ++r) {
      float acc = 0;
      for (size_t j = 0; j < dim; ++j) acc += rows[r][j] * qv[j];
      out[q * kTileRows + r] = acc;
    }
  }
}

float NormPortable(const float* row, size_t dim) {
  float acc = 0;
  for (size_t j = 0; j < dim; ++j) acc += row[j] * row[j];
  return acc;
}

#ifdef SOUNDSEARCH_FLAT_SCAN_X86
// acc[4r + q] += x_r * queries[q * dim_pad ...] (16 lanes).
__attribute__((target("avx512f"), always_inline)) inline void Step4x4(
    __m512* acc, const float* queries, size_t dim_pad, __m512 x0, __m512 x1,
    __m512 x2, __m512 x3) {
  for (int q = 0; q < kTileQueries; ++q) {
    const __m512 qv = _mm512_loadu_ps(queries + q * dim_pad);
    acc[0 * kTileQueries + q] =
        _mm512_fmadd_ps(x0, qv, acc[0 * kTileQueries + q]);
    acc[1 * kTileQueries + q] =
        _mm512_fmadd_ps(x1, qv, acc[1 * kTileQueries + q]);
    acc[2 * kTileQueries + q] =
        _mm512_fmadd_ps(x2, qv, acc[2 * kTileQueries + q]);
    acc[3 * kTileQueries + q] =
        _mm512_fmadd_ps(x3, qv, acc[3 * kTileQueries + q]);
  }
}

// 16 accumulators (4 rows x 4 queries, each 16 lanes of partial sums over
// the dimensions) reduced by one tree into a vector of 16 dot products, lane
// 4q + r for row r and query q. Every dot product goes through the same
// sequence of additions, whatever its place in the tile.
__attribute__((target("avx512f"))) void TileAvx512(const float* const* rows,
                                                   const float* queries,
                                                   size_t dim, size_t dim_pad,
                                                   float* out) {
  __m512 acc[kTileRows * kTileQueries];
  for (__m512& a : acc) a = _mm512_setzero_ps();
  const size_t full = dim / kLanes * kLanes;
  for (size_t j = 0; j < full; j += kLanes) {
    Step4x4(acc, queries + j, dim_pad, _mm512_loadu_ps(rows[0] + j),
            _mm512_loadu_ps(rows[1] + j), _mm512_loadu_ps(rows[2] + j),
            _mm512_loadu_ps(rows[3] + j));
  }
  if (full < dim) {
    const __mmask16 m = static_cast<__mmask16>((1u << (dim - full)) - 1);
    Step4x4(acc, queries + full, dim_pad,
            _mm512_maskz_loadu_ps(m, rows[0] + full),
            _mm512_maskz_loadu_ps(m, rows[1] + full),
            _mm512_maskz_loadu_ps(m, rows[2] + full),
            _mm512_maskz_loadu_ps(m, rows[3] + full));
  }
  // acc[4r + q]. Level 1: lanes l and l + 8 of each; two per vector.
  __m512 s[8];
  for (int i = 0; i < 8; ++i) {
    const __m512 a = acc[2 * i], b = acc[2 * i + 1];
    s[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44),
                         _mm512_shuffle_f32x4(a, b, 0xEE));
  }
  // Level 2: 128-bit lane c of w[i] holds acc[4i + c]'s 4 partial sums.
  __m512 w[4];
  for (int i = 0; i < 4; ++i) {
    const __m512 a = s[2 * i], b = s[2 * i + 1];
    w[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x88),
                         _mm512_shuffle_f32x4(a, b, 0xDD));
  }
  // Level 3: lane c of y[i]: acc[8i + c] (2 partials), acc[8i + 4 + c] (2).
  __m512 y[2];
  for (int i = 0; i < 2; ++i) {
    const __m512 a = w[2 * i], b = w[2 * i + 1];
    y[i] = _mm512_add_ps(_mm512_shuffle_ps(a, b, 0x44),
                         _mm512_shuffle_ps(a, b, 0xEE));
  }
  // Level 4: lane 4c + m holds acc[4m + c], i.e. row m of query c.
  const __m512 z = _mm512_add_ps(_mm512_shuffle_ps(y[0], y[1], 0x88),
                                 _mm512_shuffle_ps(y[0], y[1], 0xDD));
  _mm512_storeu_ps(out, z);
}

__attribute__((target("avx512f"))) float NormAvx512(const float* row,
                                                    size_t dim) {
  __m512 acc = _mm512_setzero_ps();
  const size_t full = dim / kLanes * kLanes;
  for (size_t j = 0; j < full; j += kLanes) {
    const __m512 x = _mm512_loadu_ps(row + j);
    acc = _mm512_fmadd_ps(x, x, acc);
  }
  if (full < dim) {
    const __mmask16 m = static_cast<__mmask16>((1u << (dim - full)) - 1);
    const __m512 x = _mm512_maskz_loadu_ps(m, row + full);
    acc = _mm512_fmadd_ps(x, x, acc);
  }
  return _mm512_reduce_add_ps(acc);
}
#endif

// The k best (largest) scores seen so far of one query: a min-heap on the
// score, so the root is the one to beat.
class TopK {
 public:
  TopK(float* scores, int64_t* rows, int64_t k)
      : scores_(scores), rows_(rows), k_(k) {}

  float threshold() const {
    return size_ < k_ ? -std::numeric_limits<float>::infinity() : scores_[0];
  }

  // Requires score > threshold() (or the heap not full).
  void Push(float score, int64_t row) {
    int64_t i;
    if (size_ < k_) {
      // Sift up from the new leaf.
      i = size_++;
      while (i > 0) {
        const int64_t parent = (i - 1) / 2;
        if (!Worse(score, row, scores_[parent], rows_[parent])) break;
        scores_[i] = scores_[parent];
        rows_[i] = rows_[parent];
        i = parent;
      }
    } else {
      // Replace the root, sift down.
      i = 0;
      for (;;) {
        int64_t child = 2 * i + 1;
        if (child >= size_) break;
        if (child + 1 < size_ && Worse(scores_[child + 1], rows_[child + 1],
                                       scores_[child], rows_[child])) {
          ++child;
        }
        if (!Worse(scores_[child], rows_[child], score, row)) break;
        scores_[i] = scores_[child];
        rows_[i] = rows_[child];
        i = child;
      }
    }
    scores_[i] = score;
    rows_[i] = row;
  }

  // Sorts best first (ties by ascending row) and returns how many there are.
  int64_t Finish() {
    std::vector<std::pair<float, int64_t>> all(size_);
    for (int64_t i = 0; i < size_; ++i) all[i] = {scores_[i], rows_[i]};
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (int64_t i = 0; i < size_; ++i) {
      scores_[i] = all[i].first;
      rows_[i] = all[i].second;
    }
    return size_;
  }

 private:
  // Whether (s1, r1) ranks below (s2, r2): a lower score, or an equal score
  // seen later.
  static bool Worse(float s1, int64_t r1, float s2, int64_t r2) {
    return s1 < s2 || (s1 == s2 && r1 > r2);
  }

  float* scores_;
  int64_t* rows_;
  int64_t k_;
  int64_t size_ = 0;
};

}  // namespace

FlatScanIsa BestFlatScanIsa() {
#ifdef SOUNDSEARCH_FLAT_SCAN_X86
  static const FlatScanIsa best = __builtin_cpu_supports("avx512f")
                                      ? FlatScanIsa::kAvx512
                                      : FlatScanIsa::kPortable;
  return best;
#else
  return FlatScanIsa::kPortable;
#endif
}

bool FlatScanAccelerated() {
  return BestFlatScanIsa() != FlatScanIsa::kPortable;
}

void FlatScan(FlatScanMetric metric, const float* database, int64_t n,
              size_t dim, const float* queries, int64_t nq, int64_t k,
              const FlatScanRowFilter& filter, float* distances, int64_t* rows,
              FlatScanIsa isa) {
  if (nq <= 0) return;
  TileFn tile = TilePortable;
  NormFn norm = NormPortable;
#ifdef SOUNDSEARCH_FLAT_SCAN_X86
  if (isa == FlatScanIsa::kAvx512) {
    tile = TileAvx512;
    norm = NormAvx512;
  }
#else
  (void)isa;
#endif
  const bool l2 = metric == FlatScanMetric::kL2;

  // The queries, padded to whole tiles of queries and of lanes. For L2 they
  // are doubled (exact in floating point): the internal score of a row is
  // 2 q.x - |x|^2, larger is better, and the distance |q|^2 - that.
  const size_t dim_pad = (dim + kLanes - 1) / kLanes * kLanes;
  const int64_t nq_pad = (nq + kTileQueries - 1) / kTileQueries * kTileQueries;
  std::vector<float> padded(static_cast<size_t>(nq_pad) * dim_pad, 0.0f);
  for (int64_t q = 0; q < nq; ++q) {
    for (size_t j = 0; j < dim; ++j) {
      padded[q * dim_pad + j] = (l2 ? 2.0f : 1.0f) * queries[q * dim + j];
    }
  }

  std::vector<TopK> heaps;
  heaps.reserve(nq);
  for (int64_t q = 0; q < nq; ++q) {
    heaps.emplace_back(distances + q * k, rows + q * k, k);
  }
  std::vector<float> thresholds(nq, -std::numeric_limits<float>::infinity());

  // scores[q * kBlockRows + r]: query q against row b0 + r of the block.
  std::vector<float> scores(static_cast<size_t>(nq_pad) * kBlockRows);
  std::vector<float> norms(l2 ? kBlockRows : 0);
  float tile_out[kTileRows * kTileQueries];
  for (int64_t b0 = 0; b0 < n; b0 += kBlockRows) {
    const int64_t bn = std::min(kBlockRows, n - b0);
    for (int64_t r0 = 0; r0 < bn; r0 += kTileRows) {
      // A tile that runs past the block repeats its last row (scores unused).
      const float* tile_rows[kTileRows];
      for (int r = 0; r < kTileRows; ++r) {
        tile_rows[r] = database + (b0 + std::min<int64_t>(r0 + r, bn - 1)) *
                                      static_cast<int64_t>(dim);
      }
      const int live = static_cast<int>(std::min<int64_t>(kTileRows, bn - r0));
      for (int64_t q0 = 0; q0 < nq_pad; q0 += kTileQueries) {
        tile(tile_rows, padded.data() + q0 * dim_pad, dim, dim_pad, tile_out);
        for (int q = 0; q < kTileQueries; ++q) {
          float* dst = scores.data() + (q0 + q) * kBlockRows + r0;
          for (int r = 0; r < live; ++r) dst[r] = tile_out[q * kTileRows + r];
        }
      }
      if (l2) {
        for (int r = 0; r < live; ++r) norms[r0 + r] = norm(tile_rows[r], dim);
      }
    }
    if (l2) {
      for (int64_t q = 0; q < nq; ++q) {
        float* s = scores.data() + q * kBlockRows;
        for (int64_t r = 0; r < bn; ++r) s[r] -= norms[r];
      }
    }
    // Top-k selection: most scores fail the threshold.
    for (int64_t q = 0; q < nq; ++q) {
      const float* s = scores.data() + q * kBlockRows;
      float thr = thresholds[q];
      for (int64_t r = 0; r < bn; ++r) {
        if (!(s[r] > thr)) continue;
        if (filter && !filter(b0 + r)) continue;
        heaps[q].Push(s[r], b0 + r);
        thr = heaps[q].threshold();
      }
      thresholds[q] = thr;
    }
  }

  for (int64_t q = 0; q < nq; ++q) {
    const int64_t found = heaps[q].Finish();
    float* d = distances + q * k;
    int64_t* l = rows + q * k;
    if (l2) {
      float qq = 0;
      for (size_t j = 0; j < dim; ++j) {
        qq += queries[q * dim + j] * queries[q * dim + j];
      }
      for (int64_t i = 0; i < found; ++i) d[i] = qq - d[i];
    }
    for (int64_t i = found; i < k; ++i) {
      d[i] = l2 ? std::numeric_limits<float>::infinity()
                : -std::numeric_limits<float>::infinity();
      l[i] = -1;
    }
  }
}

}  // namespace soundsearch
