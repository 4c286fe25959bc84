// VectorIndex snapshots: round trip for every kind and stage, and the
// documented errors for missing, truncated, corrupted and mismatched files.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "soundsearch/vector_index.h"
#include "vector_index_test_util.h"

namespace soundsearch {
namespace {

using testing_util::ClusteredVectors;
using testing_util::RandomVectors;
using testing_util::SparseIds;

constexpr int kDim = 24;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}
bool Exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vector_index_snapshot_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  static VectorIndexOptions Options(std::string kind) {
    VectorIndexOptions o;
    o.dim = kDim;
    o.index.kind = kind;
    o.index.hnsw_m = 12;
    o.index.hnsw_ef_construction = 40;
    o.index.ivf_nlist = 8;
    o.index.ivf_nprobe = 2;
    o.index.hnsw_rebuild_tombstone_fraction = 0.5;
    o.index.sq_train_min_vectors = 300;
    o.index.auto_hnsw_min_vectors = 400;
    return o;
  }

  // An index of `n` vectors with some removed and replaced (HNSW then holds
  // tombstones), plus its queries.
  std::unique_ptr<VectorIndex> Build(const VectorIndexOptions& o, int n) {
    auto created = VectorIndex::Create(o);
    EXPECT_TRUE(created.ok());
    std::unique_ptr<VectorIndex> index = std::move(created).value();
    std::vector<int64_t> ids = SparseIds(n, 13, 1000);
    EXPECT_TRUE(index->Add(ids, ClusteredVectors(n, kDim, 12, 0.3f, 1)).ok());
    std::vector<int64_t> gone(ids.begin(), ids.begin() + n / 10);
    EXPECT_TRUE(index->Remove(gone).ok());
    std::vector<int64_t> replaced(ids.end() - 5, ids.end());
    EXPECT_TRUE(index->Add(replaced, RandomVectors(5, kDim, 2)).ok());
    return index;
  }

  static void ExpectSameResults(const VectorIndex& a, const VectorIndex& b) {
    std::vector<float> queries = RandomVectors(20, kDim, 3);
    SearchOptions o;
    o.k = 40;
    auto ra = a.SearchBatch(queries, o);
    auto rb = b.SearchBatch(queries, o);
    ASSERT_TRUE(ra.ok() && rb.ok());
    for (size_t q = 0; q < ra->size(); ++q) {
      ASSERT_EQ((*ra)[q].size(), (*rb)[q].size());
      for (size_t i = 0; i < (*ra)[q].size(); ++i) {
        EXPECT_EQ((*ra)[q][i].id, (*rb)[q][i].id);
        EXPECT_EQ((*ra)[q][i].score, (*rb)[q][i].score);
      }
    }
  }

  std::string dir_;
};

TEST_F(SnapshotTest, RoundTripGivesIdenticalResultsForEveryKindAndStage) {
  struct Case {
    std::string kind;
    int n;
    bool trained;
  };
  // IVF below 39 * nlist = 312 vectors is still exact; above it is trained.
  // sq8 is exact below 300 vectors; auto below 400 (then HNSW).
  for (Case c : {Case{"flat", 600, true}, Case{"hnsw", 600, true},
                 Case{"ivf", 200, false}, Case{"ivf", 600, true},
                 Case{"sq8", 200, false}, Case{"sq8", 600, true},
                 Case{"fp16", 600, true}, Case{"auto", 300, true},
                 Case{"auto", 600, true}}) {
    SCOPED_TRACE(c.kind);
    VectorIndexOptions o = Options(c.kind);
    auto index = Build(o, c.n);
    ASSERT_EQ(index->trained(), c.trained);
    const std::string path = Path("round_trip");
    ASSERT_TRUE(index->Save(path, SnapshotMarks{1234567, 42}).ok());
    EXPECT_FALSE(Exists(path + ".tmp"));
    auto loaded = VectorIndex::Load(path, o);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->marks.store_sequence, 1234567u);
    EXPECT_EQ(loaded->marks.projection_version, 42u);
    VectorIndex& copy = *loaded->index;
    EXPECT_EQ(copy.size(), index->size());
    EXPECT_EQ(copy.tombstones(), index->tombstones());
    EXPECT_EQ(copy.trained(), c.trained);
    ExpectSameResults(*index, copy);
    // The loaded index keeps working: removal and addition.
    std::vector<int64_t> one = {1000 + 13 * (c.n / 2)};
    ASSERT_TRUE(copy.Contains(one[0]));
    ASSERT_TRUE(copy.Remove(one).ok());
    EXPECT_FALSE(copy.Contains(one[0]));
    ASSERT_TRUE(copy.Add(one, RandomVectors(1, kDim, 7)).ok());
    auto hits = copy.Search(RandomVectors(1, kDim, 7), SearchOptions());
    ASSERT_TRUE(hits.ok());
    ASSERT_FALSE(hits->empty());
    EXPECT_EQ((*hits)[0].id, one[0]);
  }
}

TEST_F(SnapshotTest, SaveReplacesAnOlderSnapshot) {
  VectorIndexOptions o = Options("flat");
  auto index = Build(o, 300);
  const std::string path = Path("s");
  ASSERT_TRUE(index->Save(path, SnapshotMarks{1, 1}).ok());
  ASSERT_TRUE(index->Remove(std::vector<int64_t>{1000 + 13 * 100}).ok());
  ASSERT_TRUE(index->Save(path, SnapshotMarks{2, 1}).ok());
  auto loaded = VectorIndex::Load(path, o);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->marks.store_sequence, 2u);
  EXPECT_EQ(loaded->index->size(), index->size());
}

TEST_F(SnapshotTest, MissingFileIsNotFound) {
  auto loaded = VectorIndex::Load(Path("nothing_here"), Options("flat"));
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SnapshotTest, SaveIntoMissingDirectoryFails) {
  auto index = Build(Options("flat"), 100);
  EXPECT_FALSE(index->Save(Path("no/such/dir/s"), SnapshotMarks()).ok());
}

TEST_F(SnapshotTest, TruncatedSnapshotsAreDataLoss) {
  for (std::string kind : {"flat", "hnsw", "ivf", "sq8", "fp16", "auto"}) {
    SCOPED_TRACE(kind);
    VectorIndexOptions o = Options(kind);
    const std::string path = Path("t");
    ASSERT_TRUE(Build(o, 500)->Save(path, SnapshotMarks{5, 6}).ok());
    const std::string full = ReadAll(path);
    for (size_t len : {size_t{0}, size_t{10}, size_t{71}, full.size() / 2,
                       full.size() - 1}) {
      WriteAll(path, full.substr(0, len));
      auto loaded = VectorIndex::Load(path, o);
      EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss)
          << "length " << len << ": " << loaded.status();
    }
  }
}

TEST_F(SnapshotTest, BitFlipsAnywhereAreDataLoss) {
  for (std::string kind : {"flat", "hnsw", "ivf", "sq8", "fp16", "auto"}) {
    SCOPED_TRACE(kind);
    VectorIndexOptions o = Options(kind);
    const std::string path = Path("b");
    ASSERT_TRUE(Build(o, 500)->Save(path, SnapshotMarks{5, 6}).ok());
    const std::string full = ReadAll(path);
    // Header, id section, FAISS bytes, trailer.
    for (size_t pos : {size_t{3}, size_t{12}, size_t{44}, size_t{80},
                       full.size() / 2, full.size() - 20, full.size() - 5}) {
      std::string bad = full;
      bad[pos] ^= 0x10;
      WriteAll(path, bad);
      auto loaded = VectorIndex::Load(path, o);
      EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss)
          << "byte " << pos << ": " << loaded.status();
    }
  }
}

TEST_F(SnapshotTest, OtherOptionsAreFailedPrecondition) {
  VectorIndexOptions o = Options("hnsw");
  const std::string path = Path("o");
  ASSERT_TRUE(Build(o, 300)->Save(path, SnapshotMarks()).ok());
  VectorIndexOptions wrong_dim = o;
  wrong_dim.dim = kDim * 2;
  VectorIndexOptions wrong_metric = o;
  wrong_metric.metric = Metric::kEuclidean;
  VectorIndexOptions wrong_kind = o;
  wrong_kind.index.kind = "flat";
  VectorIndexOptions wrong_m = o;
  wrong_m.index.hnsw_m = 24;
  for (const VectorIndexOptions& expected :
       {wrong_dim, wrong_metric, wrong_kind, wrong_m}) {
    auto loaded = VectorIndex::Load(path, expected);
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition)
        << loaded.status();
  }
  // Search-time options may differ freely.
  VectorIndexOptions other_ef = o;
  other_ef.index.hnsw_ef_search = 300;
  EXPECT_TRUE(VectorIndex::Load(path, other_ef).ok());
}

TEST_F(SnapshotTest, ReadMarksNeedsNoOptions) {
  // The collection reads the marks of a snapshot of other options (a refit
  // changed the dimension) to tell an older projection from a foreign file.
  const std::string path = Path("m");
  ASSERT_TRUE(
      Build(Options("hnsw"), 300)->Save(path, SnapshotMarks{77, 3}).ok());
  auto marks = VectorIndex::ReadMarks(path);
  ASSERT_TRUE(marks.ok()) << marks.status();
  EXPECT_EQ(marks->store_sequence, 77u);
  EXPECT_EQ(marks->projection_version, 3u);
  EXPECT_EQ(VectorIndex::ReadMarks(Path("nothing_here")).status().code(),
            absl::StatusCode::kNotFound);
  const std::string full = ReadAll(path);
  WriteAll(path, full.substr(0, full.size() / 2));
  EXPECT_EQ(VectorIndex::ReadMarks(path).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(SnapshotTest, NotASnapshotIsDataLoss) {
  const std::string path = Path("junk");
  WriteAll(path, std::string(4096, 'x'));
  EXPECT_EQ(VectorIndex::Load(path, Options("flat")).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace soundsearch
