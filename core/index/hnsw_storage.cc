#include "index/hnsw_storage.h"

#include <cstddef>
#include <cstdint>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SOUNDSEARCH_HNSW_STORAGE_X86 1
#endif

namespace soundsearch {
namespace {

#ifdef SOUNDSEARCH_HNSW_STORAGE_X86
// Lanes of 16 floats; the last chunk is loaded under a mask.
__attribute__((target("avx512f"))) float DotAvx512(const float* a,
                                                   const float* b, size_t d) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  size_t j = 0;
  for (; j + 32 <= d; j += 32) {
    acc0 =
        _mm512_fmadd_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j + 16),
                           _mm512_loadu_ps(b + j + 16), acc1);
  }
  for (; j < d; j += 16) {
    const __mmask16 m = d - j >= 16
                            ? static_cast<__mmask16>(0xFFFF)
                            : static_cast<__mmask16>((1u << (d - j)) - 1);
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + j),
                           _mm512_maskz_loadu_ps(m, b + j), acc0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

__attribute__((target("avx512f"))) float L2Avx512(const float* a,
                                                  const float* b, size_t d) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  size_t j = 0;
  for (; j + 32 <= d; j += 32) {
    const __m512 x =
        _mm512_sub_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j));
    const __m512 y =
        _mm512_sub_ps(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16));
    acc0 = _mm512_fmadd_ps(x, x, acc0);
    acc1 = _mm512_fmadd_ps(y, y, acc1);
  }
  for (; j < d; j += 16) {
    const __mmask16 m = d - j >= 16
                            ? static_cast<__mmask16>(0xFFFF)
                            : static_cast<__mmask16>((1u << (d - j)) - 1);
    const __m512 x = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + j),
                                   _mm512_maskz_loadu_ps(m, b + j));
    acc0 = _mm512_fmadd_ps(x, x, acc0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// Inner product or squared L2 distance of the query to stored vectors, as
// FAISS's FlatIPDis / FlatL2Dis (IndexHNSW negates the inner product).
class VectorisedDistance final : public faiss::FlatCodesDistanceComputer {
 public:
  VectorisedDistance(const faiss::IndexFlat& storage, bool l2)
      : faiss::FlatCodesDistanceComputer(storage.codes.data(),
                                         storage.code_size),
        l2_(l2) {}

  void set_query(const float* x) override { query_ = x; }

  float distance_to_code(const uint8_t* code) override {
    return Distance(query_, code);
  }

  float symmetric_dis(idx_t i, idx_t j) override {
    return Distance(reinterpret_cast<const float*>(codes + i * code_size),
                    codes + j * code_size);
  }

 private:
  float Distance(const float* a, const uint8_t* code) const {
    const float* b = reinterpret_cast<const float*>(code);
    const size_t d = code_size / sizeof(float);
    return l2_ ? L2Avx512(a, b, d) : DotAvx512(a, b, d);
  }

  const bool l2_;
  const float* query_ = nullptr;
};
#endif

}  // namespace

bool VectorisedHnswDistances() {
#ifdef SOUNDSEARCH_HNSW_STORAGE_X86
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
#else
  return false;
#endif
}

faiss::FlatCodesDistanceComputer*
VectorisedFlatStorage::get_FlatCodesDistanceComputer() const {
#ifdef SOUNDSEARCH_HNSW_STORAGE_X86
  if (VectorisedHnswDistances() &&
      (metric_type == faiss::METRIC_L2 ||
       metric_type == faiss::METRIC_INNER_PRODUCT)) {
    return new VectorisedDistance(*this, metric_type == faiss::METRIC_L2);
  }
#endif
  return faiss::IndexFlat::get_FlatCodesDistanceComputer();
}

void UseVectorisedStorage(faiss::IndexHNSW& index) {
  if (!VectorisedHnswDistances()) return;
  auto* old = dynamic_cast<faiss::IndexFlat*>(index.storage);
  if (old == nullptr || dynamic_cast<VectorisedFlatStorage*>(old) != nullptr) {
    return;
  }
  auto* storage = new VectorisedFlatStorage(old->d, old->metric_type);
  storage->metric_arg = old->metric_arg;
  storage->codes = std::move(old->codes);
  storage->ntotal = old->ntotal;
  storage->is_trained = old->is_trained;
  storage->verbose = old->verbose;
  old->ntotal = 0;
  if (index.own_fields) delete old;
  index.storage = storage;
  index.own_fields = true;
}

}  // namespace soundsearch
