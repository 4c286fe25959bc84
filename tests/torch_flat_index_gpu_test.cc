// "torch_flat" on CUDA (label `gpu`, built with SOUNDSEARCH_GPU=ON
// only): the tensor lives on the GPU and results match the CPU index.
#include <cstdint>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "neural/torch_flat_index.h"
#include "soundsearch/torch_kinds.h"
#include "soundsearch/vector_index.h"
#include "vector_index_test_util.h"

namespace soundsearch {
namespace {

// The libtorch kinds (torchscript, torch_flat) join core's tables before any
// test runs.
const absl::Status kTorchKinds = RegisterTorchKinds();

using testing_util::RandomVectors;
using testing_util::SparseIds;

TEST(TorchFlatIndexGpu, LivesOnGpuAndMatchesCpu) {
  ASSERT_TRUE(TorchCudaAvailable()) << "this test needs a CUDA device";
  constexpr int kDim = 64;
  for (Metric metric :
       {Metric::kCosine, Metric::kInnerProduct, Metric::kEuclidean}) {
    VectorIndexOptions o;
    o.dim = kDim;
    o.metric = metric;
    o.index.kind = "torch_flat";
    auto gpu = TorchFlatIndex::Create(o, TorchDevice::kAuto);
    auto cpu = TorchFlatIndex::Create(o, TorchDevice::kCpu);
    ASSERT_TRUE(gpu.ok()) << gpu.status();
    ASSERT_TRUE(cpu.ok()) << cpu.status();
    EXPECT_EQ((*gpu)->device().rfind("cuda", 0), 0u) << (*gpu)->device();
    EXPECT_EQ((*cpu)->device(), "cpu");
    const std::vector<int64_t> ids = SparseIds(20000, 1, 0);
    const std::vector<float> v = RandomVectors(20000, kDim, 1);
    ASSERT_TRUE((*gpu)->Add(ids, v).ok());
    ASSERT_TRUE((*cpu)->Add(ids, v).ok());
    ASSERT_TRUE((*gpu)->Remove(SparseIds(100, 7, 0)).ok());
    ASSERT_TRUE((*cpu)->Remove(SparseIds(100, 7, 0)).ok());
    const std::vector<float> queries = RandomVectors(50, kDim, 2);
    SearchOptions so;
    so.k = 15;
    so.filter = [](int64_t id) { return id % 3 == 0; };
    std::vector<int64_t> own(50);
    for (int q = 0; q < 50; ++q) own[q] = q * 3;
    auto g = (*gpu)->SearchBatch(queries, so, own);
    auto c = (*cpu)->SearchBatch(queries, so, own);
    ASSERT_TRUE(g.ok()) << g.status();
    ASSERT_TRUE(c.ok()) << c.status();
    for (int q = 0; q < 50; ++q) {
      ASSERT_EQ((*g)[q].size(), (*c)[q].size());
      for (size_t i = 0; i < (*g)[q].size(); ++i) {
        EXPECT_NEAR((*g)[q][i].score, (*c)[q][i].score, 1e-3);
      }
    }
  }
}

}  // namespace
}  // namespace soundsearch
