#include "index/flat_scan.h"

#include <algorithm>
#include <limits>
#include <thread>
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
// Queries are copied with their length padded to a multiple of this, zeros
// after the end.
constexpr size_t kLanes = 16;
// How far ahead (in rows) the scan prefetches the database.
constexpr int64_t kPrefetchRows = 16;

// Scores one group of kTileRows rows against all nq_pad queries (a whole
// number of tiles): for the tile of queries q0..q0+3,
// out[q0 * kTileRows + q * kTileRows + r] = rows[r] . queries[q0 + q] -
// minus[r] (minus null: nothing subtracted), for query vectors of `dim_pad`
// floats (zero-padded) and rows of `dim` floats, and masks[q0 / 4] has bit
// q * kTileRows + r set when that score is > thr[q0 + q]. Returns the OR of
// the masks.
using GroupFn = uint32_t (*)(const float* const* rows, const float* queries,
                             int64_t nq_pad, size_t dim, size_t dim_pad,
                             const float* minus, const float* thr, float* out,
                             uint32_t* masks);
// The squared norm of one row.
using NormFn = float (*)(const float* row, size_t dim);

inline uint32_t TilePortable(const float* const* rows, const float* queries,
                             size_t dim, size_t dim_pad, const float* minus,
                             const float* thr, float* out) {
  uint32_t mask = 0;
  for (int q = 0; q < kTileQueries; ++q) {
    const float* qv = queries + q * dim_pad;
    for (int r = 0; r < kTileRows; ++r) {
      float acc = 0;
      for (size_t j = 0; j < dim; ++j) acc += rows[r][j] * qv[j];
      if (minus != nullptr) acc -= minus[r];
      out[q * kTileRows + r] = acc;
      if (acc > thr[q]) mask |= 1u << (q * kTileRows + r);
    }
  }
  return mask;
}

uint32_t GroupPortable(const float* const* rows, const float* queries,
                       int64_t nq_pad, size_t dim, size_t dim_pad,
                       const float* minus, const float* thr, float* out,
                       uint32_t* masks) {
  uint32_t any = 0;
  for (int64_t q0 = 0; q0 < nq_pad; q0 += kTileQueries) {
    masks[q0 / kTileQueries] =
        TilePortable(rows, queries + q0 * dim_pad, dim, dim_pad, minus,
                     thr + q0, out + q0 * kTileRows);
    any |= masks[q0 / kTileQueries];
  }
  return any;
}

float NormPortable(const float* row, size_t dim) {
  float acc = 0;
  for (size_t j = 0; j < dim; ++j) acc += row[j] * row[j];
  return acc;
}

#ifdef SOUNDSEARCH_FLAT_SCAN_X86
// 16 accumulators (4 rows x 4 queries, each 16 lanes of partial sums over
// the dimensions) reduced by one tree into a vector of 16 dot products, lane
// 4q + r for row r and query q. Every dot product goes through the same
// sequence of additions, whatever its place in the tile.
__attribute__((target("avx512f"), always_inline)) inline uint32_t TileAvx512(
    const float* const* rows, const float* queries, size_t dim, size_t dim_pad,
    const float* minus, const float* thr, float* out) {
  __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
  __m512 a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  __m512 a20 = a00, a21 = a00, a22 = a00, a23 = a00;
  __m512 a30 = a00, a31 = a00, a32 = a00, a33 = a00;
  const float* q0 = queries;
  const float* q1 = queries + dim_pad;
  const float* q2 = queries + 2 * dim_pad;
  const float* q3 = queries + 3 * dim_pad;
  const float* r0 = rows[0];
  const float* r1 = rows[1];
  const float* r2 = rows[2];
  const float* r3 = rows[3];
  // One chunk of 16 dimensions; LOAD(p) loads 16 row floats at p.
#define SOUNDSEARCH_FLAT_SCAN_STEP(LOAD) \
  {                                      \
    const __m512 x0 = LOAD(r0 + j);      \
    const __m512 x1 = LOAD(r1 + j);      \
    const __m512 x2 = LOAD(r2 + j);      \
    const __m512 x3 = LOAD(r3 + j);      \
    __m512 qv = _mm512_loadu_ps(q0 + j); \
    a00 = _mm512_fmadd_ps(x0, qv, a00);  \
    a10 = _mm512_fmadd_ps(x1, qv, a10);  \
    a20 = _mm512_fmadd_ps(x2, qv, a20);  \
    a30 = _mm512_fmadd_ps(x3, qv, a30);  \
    qv = _mm512_loadu_ps(q1 + j);        \
    a01 = _mm512_fmadd_ps(x0, qv, a01);  \
    a11 = _mm512_fmadd_ps(x1, qv, a11);  \
    a21 = _mm512_fmadd_ps(x2, qv, a21);  \
    a31 = _mm512_fmadd_ps(x3, qv, a31);  \
    qv = _mm512_loadu_ps(q2 + j);        \
    a02 = _mm512_fmadd_ps(x0, qv, a02);  \
    a12 = _mm512_fmadd_ps(x1, qv, a12);  \
    a22 = _mm512_fmadd_ps(x2, qv, a22);  \
    a32 = _mm512_fmadd_ps(x3, qv, a32);  \
    qv = _mm512_loadu_ps(q3 + j);        \
    a03 = _mm512_fmadd_ps(x0, qv, a03);  \
    a13 = _mm512_fmadd_ps(x1, qv, a13);  \
    a23 = _mm512_fmadd_ps(x2, qv, a23);  \
    a33 = _mm512_fmadd_ps(x3, qv, a33);  \
  }
  size_t j = 0;
  for (; j + kLanes <= dim; j += kLanes) {
    SOUNDSEARCH_FLAT_SCAN_STEP(_mm512_loadu_ps)
  }
  if (j < dim) {
    // Rows are not padded: the last chunk loads only what is there.
    const __mmask16 m = static_cast<__mmask16>((1u << (dim - j)) - 1);
#define SOUNDSEARCH_FLAT_SCAN_TAIL(p) _mm512_maskz_loadu_ps(m, p)
    SOUNDSEARCH_FLAT_SCAN_STEP(SOUNDSEARCH_FLAT_SCAN_TAIL)
#undef SOUNDSEARCH_FLAT_SCAN_TAIL
  }
#undef SOUNDSEARCH_FLAT_SCAN_STEP
  // acc[4r + q] = a<r><q>. Level 1: lanes l and l + 8 of each; two per
  // vector.
  const __m512 acc[16] = {a00, a01, a02, a03, a10, a11, a12, a13,
                          a20, a21, a22, a23, a30, a31, a32, a33};
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
  __m512 z = _mm512_add_ps(_mm512_shuffle_ps(y[0], y[1], 0x88),
                           _mm512_shuffle_ps(y[0], y[1], 0xDD));
  if (minus != nullptr) {
    z = _mm512_sub_ps(z, _mm512_broadcast_f32x4(_mm_loadu_ps(minus)));
  }
  _mm512_storeu_ps(out, z);
  const __m512i spread =
      _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
  const __m512 t =
      _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(_mm_loadu_ps(thr)));
  return _mm512_cmp_ps_mask(z, t, _CMP_GT_OQ);
}

__attribute__((target("avx512f"))) uint32_t GroupAvx512(
    const float* const* rows, const float* queries, int64_t nq_pad, size_t dim,
    size_t dim_pad, const float* minus, const float* thr, float* out,
    uint32_t* masks) {
  uint32_t any = 0;
  for (int64_t q0 = 0; q0 < nq_pad; q0 += kTileQueries) {
    masks[q0 / kTileQueries] =
        TileAvx512(rows, queries + q0 * dim_pad, dim, dim_pad, minus, thr + q0,
                   out + q0 * kTileRows);
    any |= masks[q0 / kTileQueries];
  }
  return any;
}

__attribute__((target("avx512f"))) float NormAvx512(const float* row,
                                                    size_t dim) {
  __m512 acc = _mm512_setzero_ps();
  for (size_t j = 0; j < dim; j += kLanes) {
    const __mmask16 m = dim - j >= kLanes
                            ? static_cast<__mmask16>(0xFFFF)
                            : static_cast<__mmask16>((1u << (dim - j)) - 1);
    const __m512 x = _mm512_maskz_loadu_ps(m, row + j);
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

namespace {

// Scans rows [begin, end) of `database` into `heaps` (internal scores: the
// inner product, or 2 q.x - |x|^2 for L2; larger is better). `padded` holds
// the queries as FlatScan prepares them.
void ScanRows(bool l2, const float* database, int64_t begin, int64_t end,
              size_t dim, const std::vector<float>& padded, int64_t nq,
              const FlatScanRowFilter& filter, GroupFn group, NormFn norm,
              std::vector<TopK>& heaps) {
  const size_t dim_pad = (dim + kLanes - 1) / kLanes * kLanes;
  const int64_t nq_pad = (nq + kTileQueries - 1) / kTileQueries * kTileQueries;
  // The score each query's next candidate must beat; +inf for the padding.
  std::vector<float> thresholds(nq_pad, std::numeric_limits<float>::infinity());
  for (int64_t q = 0; q < nq; ++q) thresholds[q] = heaps[q].threshold();

  float norms[kTileRows];
  std::vector<float> group_out(static_cast<size_t>(nq_pad) * kTileRows);
  std::vector<uint32_t> masks(nq_pad / kTileQueries);
  for (int64_t r0 = begin; r0 < end; r0 += kTileRows) {
    // A tile that runs past the end repeats the last row (scores unused).
    const float* tile_rows[kTileRows];
    for (int r = 0; r < kTileRows; ++r) {
      tile_rows[r] = database + std::min<int64_t>(r0 + r, end - 1) *
                                    static_cast<int64_t>(dim);
    }
    const int live = static_cast<int>(std::min<int64_t>(kTileRows, end - r0));
    // The hardware prefetcher alone leaves the loads waiting on memory
    // (measured: a single query ran at 2/3 of FAISS's speed without this).
    if (r0 + kPrefetchRows + kTileRows <= end) {
      const char* ahead = reinterpret_cast<const char*>(
          database + (r0 + kPrefetchRows) * static_cast<int64_t>(dim));
      const size_t bytes = kTileRows * dim * sizeof(float);
      for (size_t b = 0; b < bytes; b += 64) __builtin_prefetch(ahead + b);
    }
    if (l2) {
      for (int r = 0; r < kTileRows; ++r) norms[r] = norm(tile_rows[r], dim);
    }
    // Most groups have no score that enters a top k.
    if (group(tile_rows, padded.data(), nq_pad, dim, dim_pad,
              l2 ? norms : nullptr, thresholds.data(), group_out.data(),
              masks.data()) == 0) {
      continue;
    }
    for (int64_t q0 = 0; q0 < nq_pad; q0 += kTileQueries) {
      uint32_t mask = masks[q0 / kTileQueries];
      const float* tile_out = group_out.data() + q0 * kTileRows;
      // Lanes in order (query, then row): a query's rows are offered in
      // ascending order.
      while (mask != 0) {
        const int lane = __builtin_ctz(mask);
        mask &= mask - 1;
        const int r = lane % kTileRows;
        const int64_t q = q0 + lane / kTileRows;
        const float score = tile_out[lane];
        if (r >= live || !(score > thresholds[q])) continue;
        if (filter && !filter(r0 + r)) continue;
        heaps[q].Push(score, r0 + r);
        thresholds[q] = heaps[q].threshold();
      }
    }
  }
}

}  // namespace

void FlatScan(FlatScanMetric metric, const float* database, int64_t n,
              size_t dim, const float* queries, int64_t nq, int64_t k,
              const FlatScanRowFilter& filter, float* distances, int64_t* rows,
              FlatScanIsa isa, int threads) {
  if (nq <= 0) return;
  GroupFn group = GroupPortable;
  NormFn norm = NormPortable;
#ifdef SOUNDSEARCH_FLAT_SCAN_X86
  if (isa == FlatScanIsa::kAvx512) {
    group = GroupAvx512;
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

  // Ranges of at least kFlatScanMinRowsPerThread rows, one per thread; the
  // calling thread scans the first.
  const int ranges = static_cast<int>(std::clamp<int64_t>(
      n / kFlatScanMinRowsPerThread, 1, std::max(1, threads)));
  std::vector<TopK> heaps;
  heaps.reserve(nq);
  for (int64_t q = 0; q < nq; ++q) {
    heaps.emplace_back(distances + q * k, rows + q * k, k);
  }
  if (ranges == 1) {
    ScanRows(l2, database, 0, n, dim, padded, nq, filter, group, norm, heaps);
  } else {
    // Each range keeps its own top k of every query (internal scores); the
    // merge keeps the k best of their union, equal scores by lower row: the
    // same rows as one pass over all of them.
    std::vector<std::vector<float>> range_scores(ranges);
    std::vector<std::vector<int64_t>> range_rows(ranges);
    std::vector<std::vector<TopK>> range_heaps(ranges);
    for (int t = 0; t < ranges; ++t) {
      range_scores[t].resize(static_cast<size_t>(nq * k));
      range_rows[t].resize(static_cast<size_t>(nq * k));
      range_heaps[t].reserve(nq);
      for (int64_t q = 0; q < nq; ++q) {
        range_heaps[t].emplace_back(range_scores[t].data() + q * k,
                                    range_rows[t].data() + q * k, k);
      }
    }
    auto scan = [&](int t) {
      const int64_t begin = n * t / ranges, end = n * (t + 1) / ranges;
      ScanRows(l2, database, begin, end, dim, padded, nq, filter, group, norm,
               range_heaps[t]);
    };
    std::vector<std::thread> helpers;
    for (int t = 1; t < ranges; ++t) helpers.emplace_back(scan, t);
    scan(0);
    for (std::thread& h : helpers) h.join();
    for (int64_t q = 0; q < nq; ++q) {
      for (int t = 0; t < ranges; ++t) {
        TopK& part = range_heaps[t][q];
        const int64_t found = part.Finish();
        const float* ps = range_scores[t].data() + q * k;
        const int64_t* pr = range_rows[t].data() + q * k;
        for (int64_t i = 0; i < found; ++i) {
          if (!(ps[i] > heaps[q].threshold())) break;  // best first
          heaps[q].Push(ps[i], pr[i]);
        }
      }
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
