// FlatScan (core/index/flat_scan.h): the exact top-k scan for small batches
// gives FAISS's IndexFlatIP / IndexFlatL2 answers (same rows, distances within
// 1e-5; rows tied within that may swap) for every instruction set this CPU
// runs, over batch sizes, dimensions that are not whole vectors of lanes,
// database sizes that are not whole blocks, k beyond the database, and with a
// row filter.
#include "index/flat_scan.h"

#include <faiss/IndexFlat.h>
#include <faiss/impl/IDSelector.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

std::vector<float> Uniform(int64_t n, size_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  // Scaled so that scores are of order 1 whatever the dimension.
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const float scale = 1.0f / std::sqrt(static_cast<float>(dim));
  std::vector<float> v(static_cast<size_t>(n) * dim);
  for (float& x : v) x = u(rng) * scale;
  return v;
}

std::vector<FlatScanIsa> SupportedIsas() {
  std::vector<FlatScanIsa> isas = {FlatScanIsa::kPortable};
  if (BestFlatScanIsa() != FlatScanIsa::kPortable) {
    isas.push_back(BestFlatScanIsa());
  }
  return isas;
}

// Rows accepted by the filtered variant.
bool Accepted(int64_t row) { return row % 3 != 1; }

class AcceptedSelector final : public faiss::IDSelector {
 public:
  bool is_member(idx_t id) const override { return Accepted(id); }
};

// Row `row`'s score for query `q` in double: the inner product, or the
// squared L2 distance.
double ExactScore(FlatScanMetric metric, const std::vector<float>& db,
                  size_t dim, const std::vector<float>& queries, int64_t q,
                  int64_t row) {
  double score = 0;
  for (size_t d = 0; d < dim; ++d) {
    const double x = db[row * dim + d];
    const double y = queries[q * dim + d];
    score += metric == FlatScanMetric::kL2 ? (x - y) * (x - y) : x * y;
  }
  return score;
}

void ExpectSameAsFaiss(FlatScanMetric metric, int64_t n, size_t dim, int64_t nq,
                       int64_t k, bool filtered, FlatScanIsa isa) {
  SCOPED_TRACE(absl::StrCat(metric == FlatScanMetric::kL2 ? "L2" : "IP",
                            " n=", n, " dim=", dim, " nq=", nq, " k=", k,
                            filtered ? " filtered" : "",
                            " isa=", static_cast<int>(isa)));
  const std::vector<float> db = Uniform(n, dim, 1 + n + dim);
  const std::vector<float> queries = Uniform(nq, dim, 7 + nq);

  std::unique_ptr<faiss::IndexFlat> index;
  if (metric == FlatScanMetric::kL2) {
    index = std::make_unique<faiss::IndexFlatL2>(dim);
  } else {
    index = std::make_unique<faiss::IndexFlatIP>(dim);
  }
  index->add(n, db.data());
  std::vector<float> want_d(nq * k);
  std::vector<faiss::Index::idx_t> want_l(nq * k);
  AcceptedSelector selector;
  faiss::SearchParameters params;
  params.sel = filtered ? &selector : nullptr;
  index->search(nq, queries.data(), k, want_d.data(), want_l.data(), &params);

  std::vector<float> got_d(nq * k);
  std::vector<int64_t> got_l(nq * k);
  const FlatScanRowFilter filter =
      filtered ? FlatScanRowFilter(Accepted) : FlatScanRowFilter();
  FlatScan(metric, db.data(), n, dim, queries.data(), nq, k, filter,
           got_d.data(), got_l.data(), isa);

  int64_t expected_found = filtered ? 0 : n;
  if (filtered) {
    for (int64_t r = 0; r < n; ++r) expected_found += Accepted(r) ? 1 : 0;
  }
  expected_found = std::min(expected_found, k);
  for (int64_t q = 0; q < nq; ++q) {
    for (int64_t i = 0; i < k; ++i) {
      const size_t at = q * k + i;
      if (i >= expected_found) {
        EXPECT_EQ(got_l[at], -1) << "query " << q << " rank " << i;
        EXPECT_EQ(want_l[at], -1) << "query " << q << " rank " << i;
        continue;
      }
      // Rows whose scores tie within rounding may swap, also across the
      // k-th place (FAISS's batched search goes through BLAS, whose rounding
      // depends on its kernel and threads): a row other than FAISS's must
      // score the same within rounding, computed exactly here.
      if (got_l[at] != want_l[at]) {
        ASSERT_GE(got_l[at], 0) << "query " << q << " rank " << i;
        const double got_exact =
            ExactScore(metric, db, dim, queries, q, got_l[at]);
        const double want_exact =
            ExactScore(metric, db, dim, queries, q, want_l[at]);
        EXPECT_NEAR(got_exact, want_exact, 1e-5)
            << "query " << q << " rank " << i << ": row " << got_l[at]
            << ", FAISS " << want_l[at];
      }
      EXPECT_NEAR(got_d[at], want_d[at], 1e-5)
          << "query " << q << " rank " << i;
      if (filtered) EXPECT_TRUE(Accepted(got_l[at]));
    }
    const std::set<int64_t> rows(got_l.begin() + q * k,
                                 got_l.begin() + q * k + expected_found);
    EXPECT_EQ(static_cast<int64_t>(rows.size()), expected_found)
        << "query " << q << ": a row found twice";
  }
}

TEST(FlatScanTest, SameAsFaissOverBatchesDimsAndFilters) {
  for (FlatScanIsa isa : SupportedIsas()) {
    for (FlatScanMetric metric :
         {FlatScanMetric::kInnerProduct, FlatScanMetric::kL2}) {
      for (size_t dim : {1, 3, 16, 17, 100, 144}) {
        for (int64_t nq : {1, 2, 3, 7, 16, 33}) {
          for (bool filtered : {false, true}) {
            // 1037 rows: four blocks and a part, not whole tiles either.
            ExpectSameAsFaiss(metric, 1037, dim, nq, 10, filtered, isa);
          }
        }
      }
    }
  }
}

TEST(FlatScanTest, KLargerThanDatabaseFillsWithMinusOne) {
  for (FlatScanIsa isa : SupportedIsas()) {
    for (FlatScanMetric metric :
         {FlatScanMetric::kInnerProduct, FlatScanMetric::kL2}) {
      for (bool filtered : {false, true}) {
        ExpectSameAsFaiss(metric, 23, 17, 5, 40, filtered, isa);
        ExpectSameAsFaiss(metric, 3, 100, 2, 3, filtered, isa);
        ExpectSameAsFaiss(metric, 1, 3, 1, 1, filtered, isa);
      }
    }
  }
}

TEST(FlatScanTest, EmptyDatabaseFindsNothing) {
  std::vector<float> q = {1, 2, 3};
  std::vector<float> d(4);
  std::vector<int64_t> l(4, 7);
  FlatScan(FlatScanMetric::kInnerProduct, nullptr, 0, 3, q.data(), 1, 4, {},
           d.data(), l.data());
  for (int64_t row : l) EXPECT_EQ(row, -1);
}

// A query's scores do not depend on the batch it comes in: each query of a
// batch of 13 gets bit-identical distances to the same query alone.
TEST(FlatScanTest, ScoresDoNotDependOnTheBatch) {
  const size_t dim = 100;
  const int64_t n = 700, nq = 13, k = 20;
  const std::vector<float> db = Uniform(n, dim, 3);
  const std::vector<float> queries = Uniform(nq, dim, 4);
  for (FlatScanIsa isa : SupportedIsas()) {
    for (FlatScanMetric metric :
         {FlatScanMetric::kInnerProduct, FlatScanMetric::kL2}) {
      std::vector<float> batch_d(nq * k);
      std::vector<int64_t> batch_l(nq * k);
      FlatScan(metric, db.data(), n, dim, queries.data(), nq, k, {},
               batch_d.data(), batch_l.data(), isa);
      for (int64_t q = 0; q < nq; ++q) {
        std::vector<float> d(k);
        std::vector<int64_t> l(k);
        FlatScan(metric, db.data(), n, dim, queries.data() + q * dim, 1, k, {},
                 d.data(), l.data(), isa);
        for (int64_t i = 0; i < k; ++i) {
          EXPECT_EQ(l[i], batch_l[q * k + i]) << "query " << q << " rank " << i;
          EXPECT_EQ(d[i], batch_d[q * k + i]) << "query " << q << " rank " << i;
        }
      }
    }
  }
}

// Rows split between threads (a database of more than two threads' share of
// kFlatScanMinRowsPerThread rows) give the one-thread answer exactly: the
// same rows in the same order and the same distances, with and without a
// filter. The last rows repeat the first ones, so that equal scores fall in
// different threads' ranges: the lower row must win, as in one pass.
TEST(FlatScanTest, RowsSplitBetweenThreadsGiveTheOneThreadAnswer) {
  const size_t dim = 8;
  const int64_t n = 2 * kFlatScanMinRowsPerThread + 501, nq = 5, k = 12;
  std::vector<float> db = Uniform(n, dim, 11);
  const int64_t repeated = 300;
  std::copy(db.begin(), db.begin() + repeated * dim, db.end() - repeated * dim);
  // The queries are database rows that are repeated: their best matches tie.
  std::vector<float> queries;
  for (int64_t q = 0; q < nq; ++q) {
    queries.insert(queries.end(), db.begin() + q * 37 * dim,
                   db.begin() + (q * 37 + 1) * dim);
  }
  for (FlatScanIsa isa : SupportedIsas()) {
    for (FlatScanMetric metric :
         {FlatScanMetric::kInnerProduct, FlatScanMetric::kL2}) {
      for (bool filtered : {false, true}) {
        const FlatScanRowFilter filter =
            filtered ? FlatScanRowFilter(Accepted) : FlatScanRowFilter();
        std::vector<float> one_d(nq * k);
        std::vector<int64_t> one_l(nq * k);
        FlatScan(metric, db.data(), n, dim, queries.data(), nq, k, filter,
                 one_d.data(), one_l.data(), isa, /*threads=*/1);
        for (int threads : {2, 3}) {
          SCOPED_TRACE(absl::StrCat("isa ", static_cast<int>(isa), " ",
                                    metric == FlatScanMetric::kL2 ? "L2" : "IP",
                                    filtered ? " filtered" : "", " threads ",
                                    threads));
          std::vector<float> d(nq * k);
          std::vector<int64_t> l(nq * k);
          FlatScan(metric, db.data(), n, dim, queries.data(), nq, k, filter,
                   d.data(), l.data(), isa, threads);
          EXPECT_EQ(l, one_l);
          EXPECT_EQ(d, one_d);
        }
        // Under L2 a query's own row and its copy near the end tie at the
        // top (in different threads' ranges): one pass keeps the lower first.
        if (!filtered && metric == FlatScanMetric::kL2) {
          for (int64_t q = 0; q < nq; ++q) {
            EXPECT_EQ(one_l[q * k], q * 37);
            EXPECT_EQ(one_l[q * k + 1], n - repeated + q * 37);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace soundsearch
