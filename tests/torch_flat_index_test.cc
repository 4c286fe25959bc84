// "torch_flat" (libtorch matrix product + top-k), on the CPU here:
// results equal to the FAISS flat index for every metric and search option,
// replacement, deletion, validation, snapshots.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
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

constexpr int kDim = 24;

std::unique_ptr<VectorIndex> Make(Metric metric, std::string kind) {
  VectorIndexOptions o;
  o.dim = kDim;
  o.metric = metric;
  o.index.kind = kind;
  auto index = VectorIndex::Create(o);
  EXPECT_TRUE(index.ok()) << index.status();
  return std::move(*index);
}

// Same hits up to float rounding: scores agree position by position, and an
// id present in only one list scores (within tolerance) like the last hit
// of the other (a tie at the cut).
void ExpectSameHits(const std::vector<SearchHit>& got,
                    const std::vector<SearchHit>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].score, want[i].score, tol) << "rank " << i;
    if (got[i].id != want[i].id) {
      bool found = false;
      for (const SearchHit& w : want) found |= w.id == got[i].id;
      if (!found) EXPECT_NEAR(got[i].score, want.back().score, tol);
    }
  }
}

float Tolerance(Metric metric) {
  return metric == Metric::kCosine ? 1e-5f : 2e-4f;
}

class TorchFlatVsFaiss : public ::testing::TestWithParam<Metric> {};

TEST_P(TorchFlatVsFaiss, SameResultsForEveryOption) {
  const Metric metric = GetParam();
  auto torch_index = Make(metric, "torch_flat");
  auto faiss_index = Make(metric, "flat");
  const int64_t n = 2000;
  const std::vector<int64_t> ids = SparseIds(n, 3, 7);
  const std::vector<float> vectors = RandomVectors(n, kDim, 11);
  ASSERT_TRUE(torch_index->Add(ids, vectors).ok());
  ASSERT_TRUE(faiss_index->Add(ids, vectors).ok());
  EXPECT_EQ(torch_index->size(), n);
  EXPECT_TRUE(torch_index->Contains(7));
  EXPECT_FALSE(torch_index->Contains(8));
  EXPECT_GE(torch_index->MemoryBytes(), n * kDim * sizeof(float));
  EXPECT_TRUE(torch_index->trained());
  EXPECT_EQ(torch_index->tombstones(), 0);

  const int nq = 30;
  const std::vector<float> queries = RandomVectors(nq, kDim, 12);
  const std::vector<int64_t> exclude = {ids[5], ids[17], ids[1999]};
  const float tol = Tolerance(metric);

  std::vector<SearchOptions> cases(5);
  cases[0].k = 15;
  cases[1].k = 40;
  cases[1].exclude_ids = exclude;
  // A selective filter: 1 id in 50 qualifies (40 ids), k = 25.
  cases[2].k = 25;
  cases[2].filter = [](int64_t id) { return id % 50 == 1; };
  // k beyond size.
  cases[3].k = 5000;
  cases[4].k = 30;
  for (SearchOptions& o : cases) {
    for (int q = 0; q < nq; ++q) {
      auto want = faiss_index->Search(
          absl::MakeConstSpan(queries).subspan(q * kDim, kDim), o);
      auto got = torch_index->Search(
          absl::MakeConstSpan(queries).subspan(q * kDim, kDim), o);
      ASSERT_TRUE(want.ok()) << want.status();
      ASSERT_TRUE(got.ok()) << got.status();
      ExpectSameHits(*got, *want, tol);
    }
  }
  EXPECT_EQ(
      torch_index->Search(absl::MakeConstSpan(queries).subspan(0, kDim),
                          cases[3])
          ->size(),
      n);
  {
    // Filter: k hits whenever k ids qualify, all of them qualifying.
    auto got = torch_index->Search(
        absl::MakeConstSpan(queries).subspan(0, kDim), cases[2]);
    ASSERT_EQ(got->size(), 25u);
    for (const SearchHit& h : *got) EXPECT_EQ(h.id % 50, 1);
  }
  {
    // min_score: the median score of the top 30 as the threshold.
    auto top = faiss_index->Search(
        absl::MakeConstSpan(queries).subspan(0, kDim), cases[4]);
    SearchOptions o;
    o.k = 30;
    o.min_score = (*top)[15].score;
    auto want = faiss_index->Search(
        absl::MakeConstSpan(queries).subspan(0, kDim), o);
    auto got = torch_index->Search(
        absl::MakeConstSpan(queries).subspan(0, kDim), o);
    ASSERT_TRUE(got.ok());
    EXPECT_GE(got->size(), 15u);
    EXPECT_LE(got->size(), 17u);
    for (const SearchHit& h : *got) EXPECT_GE(h.score, o.min_score);
    EXPECT_NEAR(static_cast<double>(got->size()), want->size(), 1);
  }
  // SearchBatch with a per-query exclusion equals Search with that id
  // excluded.
  {
    SearchOptions o;
    o.k = 10;
    o.exclude_ids = exclude;
    std::vector<int64_t> own(nq);
    for (int q = 0; q < nq; ++q) own[q] = ids[q * 11];
    auto batch = torch_index->SearchBatch(queries, o, own);
    auto faiss_batch = faiss_index->SearchBatch(queries, o, own);
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_EQ(batch->size(), static_cast<size_t>(nq));
    for (int q = 0; q < nq; ++q) {
      ExpectSameHits((*batch)[q], (*faiss_batch)[q], tol);
      for (const SearchHit& h : (*batch)[q]) EXPECT_NE(h.id, own[q]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, TorchFlatVsFaiss,
                         ::testing::Values(Metric::kCosine,
                                           Metric::kInnerProduct,
                                           Metric::kEuclidean),
                         [](const auto& info) {
                           return std::string(MetricName(info.param));
                         });

TEST(TorchFlatIndex, ReplaceAndRemoveMatchFaiss) {
  for (Metric metric :
       {Metric::kCosine, Metric::kInnerProduct, Metric::kEuclidean}) {
    auto torch_index = Make(metric, "torch_flat");
    auto faiss_index = Make(metric, "flat");
    const std::vector<int64_t> ids = SparseIds(500, 1, 0);
    const std::vector<float> v = RandomVectors(500, kDim, 21);
    // Several batches, so the tensor grows more than once.
    for (int b = 0; b < 5; ++b) {
      auto id_span = absl::MakeConstSpan(ids).subspan(b * 100, 100);
      auto v_span = absl::MakeConstSpan(v).subspan(b * 100 * kDim, 100 * kDim);
      ASSERT_TRUE(torch_index->Add(id_span, v_span).ok());
      ASSERT_TRUE(faiss_index->Add(id_span, v_span).ok());
    }
    // Replace 50 ids with new vectors, add 10 new ones in the same batch.
    std::vector<int64_t> replace_ids = SparseIds(60, 10, 0);
    for (int i = 50; i < 60; ++i) replace_ids[i] = 1000 + i;
    const std::vector<float> nv = RandomVectors(60, kDim, 22);
    ASSERT_TRUE(torch_index->Add(replace_ids, nv).ok());
    ASSERT_TRUE(faiss_index->Add(replace_ids, nv).ok());
    EXPECT_EQ(torch_index->size(), 510);
    // Remove 100 ids (some twice, some absent).
    std::vector<int64_t> remove = SparseIds(100, 4, 1);
    remove.push_back(1);
    remove.push_back(123456);
    auto removed = torch_index->Remove(remove);
    ASSERT_TRUE(removed.ok());
    EXPECT_EQ(*removed, 100);
    ASSERT_TRUE(faiss_index->Remove(remove).ok());
    EXPECT_EQ(torch_index->size(), 410);
    EXPECT_FALSE(torch_index->Contains(1));
    EXPECT_TRUE(torch_index->Contains(1055));

    const std::vector<float> queries = RandomVectors(20, kDim, 23);
    SearchOptions o;
    o.k = 50;
    auto got = torch_index->SearchBatch(queries, o);
    auto want = faiss_index->SearchBatch(queries, o);
    ASSERT_TRUE(got.ok());
    for (int q = 0; q < 20; ++q) {
      ExpectSameHits((*got)[q], (*want)[q], Tolerance(metric));
      for (const SearchHit& h : (*got)[q]) {
        EXPECT_FALSE(h.id < 400 && h.id % 4 == 1) << h.id;  // removed
      }
    }
  }
}

TEST(TorchFlatIndex, ValidationAndEmpty) {
  auto index = Make(Metric::kCosine, "torch_flat");
  const std::vector<float> q(kDim, 1.0f);
  SearchOptions o;
  auto empty = index->Search(q, o);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  const std::vector<float> zero(kDim, 0.0f);
  EXPECT_EQ(index->Add(std::vector<int64_t>{1}, zero).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Add(std::vector<int64_t>{-1}, q).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> two(2 * kDim, 1.0f);
  EXPECT_EQ(index->Add(std::vector<int64_t>{3, 3}, two).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> nan = q;
  nan[3] = std::nanf("");
  EXPECT_EQ(index->Add(std::vector<int64_t>{1}, nan).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->size(), 0);
  EXPECT_EQ(index->Search(zero, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.k = 0;
  EXPECT_EQ(index->Search(q, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.k = 1;
  EXPECT_EQ(index->Search(absl::MakeConstSpan(q).subspan(1), o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/torch_flat_" + name;
}

TEST(TorchFlatIndex, SnapshotRoundTrip) {
  for (Metric metric :
       {Metric::kCosine, Metric::kInnerProduct, Metric::kEuclidean}) {
    auto index = Make(metric, "torch_flat");
    const std::vector<int64_t> ids = SparseIds(300, 2, 5);
    ASSERT_TRUE(index->Add(ids, RandomVectors(300, kDim, 31)).ok());
    ASSERT_TRUE(index->Remove(std::vector<int64_t>{5, 7, 599}).ok());
    const std::string path = TempPath(MetricName(metric));
    ASSERT_TRUE(index->Save(path, SnapshotMarks{42, 7}).ok());
    auto loaded = VectorIndex::Load(path, index->options());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->marks.store_sequence, 42u);
    EXPECT_EQ(loaded->marks.projection_version, 7u);
    EXPECT_EQ(loaded->index->size(), 297);
    EXPECT_FALSE(loaded->index->Contains(7));
    EXPECT_TRUE(loaded->index->Contains(9));
    const std::vector<float> queries = RandomVectors(10, kDim, 32);
    SearchOptions o;
    o.k = 20;
    auto a = index->SearchBatch(queries, o);
    auto b = loaded->index->SearchBatch(queries, o);
    for (int q = 0; q < 10; ++q) ExpectSameHits((*b)[q], (*a)[q], 1e-6f);
    // Still writable after loading.
    ASSERT_TRUE(loaded->index->Add(std::vector<int64_t>{7},
                                   RandomVectors(1, kDim, 33))
                    .ok());
    EXPECT_EQ(loaded->index->size(), 298);
  }
  // An empty index round-trips too.
  auto empty = Make(Metric::kCosine, "torch_flat");
  ASSERT_TRUE(empty->Save(TempPath("empty"), SnapshotMarks{}).ok());
  auto loaded = VectorIndex::Load(TempPath("empty"), empty->options());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->index->size(), 0);
}

TEST(TorchFlatIndex, SnapshotErrors) {
  auto index = Make(Metric::kCosine, "torch_flat");
  ASSERT_TRUE(
      index->Add(SparseIds(50, 1, 0), RandomVectors(50, kDim, 41)).ok());
  const std::string path = TempPath("errors");
  ASSERT_TRUE(index->Save(path, SnapshotMarks{1, 1}).ok());
  VectorIndexOptions expected = index->options();

  EXPECT_EQ(VectorIndex::Load(TempPath("missing"), expected).status().code(),
            absl::StatusCode::kNotFound);

  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& name, const std::string& content) {
    std::ofstream out(TempPath(name), std::ios::binary | std::ios::trunc);
    out << content;
    return TempPath(name);
  };
  // Truncated, bit flips in the ids and in the vectors, bad magic.
  EXPECT_EQ(VectorIndex::Load(write("trunc", bytes.substr(0, bytes.size() / 2)),
                              expected)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(VectorIndex::Load(write("tiny", bytes.substr(0, 20)), expected)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  for (size_t pos : {size_t{80}, size_t{72 + 50 * 8 + 100}, size_t{0}}) {
    std::string flipped = bytes;
    flipped[pos] ^= 0x10;
    EXPECT_EQ(VectorIndex::Load(write("flip", flipped), expected)
                  .status()
                  .code(),
              absl::StatusCode::kDataLoss)
        << "byte " << pos;
  }
  // Other options: FailedPrecondition (rebuild).
  VectorIndexOptions other = expected;
  other.dim = kDim + 1;
  EXPECT_EQ(VectorIndex::Load(path, other).status().code(),
            absl::StatusCode::kFailedPrecondition);
  other = expected;
  other.metric = Metric::kEuclidean;
  EXPECT_EQ(VectorIndex::Load(path, other).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A torch_flat snapshot read as FAISS flat, and the other way round.
  other = expected;
  other.index.kind = "flat";
  EXPECT_EQ(VectorIndex::Load(path, other).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto faiss_index = Make(Metric::kCosine, "flat");
  ASSERT_TRUE(faiss_index->Save(TempPath("faiss"), SnapshotMarks{}).ok());
  EXPECT_EQ(VectorIndex::Load(TempPath("faiss"), expected).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace soundsearch
