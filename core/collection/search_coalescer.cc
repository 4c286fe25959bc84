#include "collection/search_coalescer.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "faiss/faiss_blas.h"

namespace soundsearch {
namespace {

using Clock = std::chrono::steady_clock;

// The hits of one query of a batch: its excluded id dropped, cut at
// min_score and k.
std::vector<SearchHit> Finish(std::vector<SearchHit> hits,
                              const CoalescedQuery& q) {
  std::vector<SearchHit> out;
  out.reserve(std::min<size_t>(hits.size(), q.k));
  for (const SearchHit& hit : hits) {
    if (static_cast<int>(out.size()) >= q.k) break;
    if (q.exclude.has_value() && hit.id == *q.exclude) continue;
    if (hit.score < q.min_score) break;  // best first
    out.push_back(hit);
  }
  return out;
}

}  // namespace

absl::Status ValidateSearchBatchingOptions(const SearchBatchingOptions& o) {
  auto range = [](const char* field, int value, int lo,
                  int hi) -> absl::Status {
    if (value >= lo && value <= hi) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("search_batching.", field,
                                                   ": must be in [", lo, ", ",
                                                   hi, "], got ", value));
  };
  if (auto s = range("window_us", o.window_us, 0, 100000); !s.ok()) return s;
  if (auto s = range("max_batch", o.max_batch, 1, 4096); !s.ok()) return s;
  if (auto s = range("omp_threads", o.omp_threads, 0, 64); !s.ok()) return s;
  return range("max_in_flight", o.max_in_flight, 0, 64);
}

std::vector<CoalescedResult> BatchSearch(
    const VectorIndex& index, absl::Span<const CoalescedQuery> queries) {
  std::vector<CoalescedResult> out(queries.size(),
                                   absl::InternalError("not searched"));
  if (queries.empty()) return out;
  const size_t dim = static_cast<size_t>(index.dim());
  std::vector<float> packed;
  packed.reserve(queries.size() * dim);
  std::vector<size_t> rows;
  rows.reserve(queries.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    const CoalescedQuery& q = queries[i];
    if (q.vector.size() != dim || q.k < 1 || q.k != queries[0].k ||
        q.exact != queries[0].exact) {
      out[i] = absl::InvalidArgumentError(
          absl::StrCat("BatchSearch: query ", i, " has ", q.vector.size(),
                       " floats for dim ", dim, ", k ", q.k, ", exact ",
                       q.exact, " (batch k ", queries[0].k, ")"));
      continue;
    }
    packed.insert(packed.end(), q.vector.begin(), q.vector.end());
    rows.push_back(i);
  }
  if (rows.empty()) return out;
  SearchOptions options;
  // One more than k: room for the query's own id, dropped in Finish. Every
  // query asks the same, so a query's answer never depends on its batch.
  options.k = queries[rows[0]].k + 1;
  options.exact = queries[rows[0]].exact;
  auto batch = index.SearchBatch(packed, options);
  if (!batch.ok()) {
    if (rows.size() == 1) {
      out[rows[0]] = batch.status();
      return out;
    }
    // One bad vector fails the whole call: search each alone, so that the
    // error stays with its query.
    for (size_t row : rows) {
      out[row] = std::move(BatchSearch(index, queries.subspan(row, 1))[0]);
    }
    return out;
  }
  for (size_t j = 0; j < rows.size(); ++j) {
    out[rows[j]] = Finish(std::move((*batch)[j]), queries[rows[j]]);
  }
  return out;
}

SearchCoalescer::SearchCoalescer(std::string space,
                                 const SearchBatchingOptions& options,
                                 SearchObserver* observer)
    : space_(std::move(space)),
      options_(options),
      max_in_flight_(options.max_in_flight > 0
                         ? options.max_in_flight
                         : static_cast<int>(std::max(
                               1u, std::thread::hardware_concurrency()))),
      observer_(observer) {}

bool SearchCoalescer::BatchReady(const Waiter* leader) const {
  int same = 0;
  for (const Waiter* w : queue_) {
    if (w->index == leader->index && w->k == leader->k &&
        w->exact == leader->exact) {
      if (++same >= options_.max_batch) return true;
    }
  }
  return false;
}

void SearchCoalescer::Run(std::vector<Waiter*>& batch, int slots) {
  std::vector<CoalescedQuery> queries;
  queries.reserve(batch.size());
  for (const Waiter* w : batch) queries.push_back(*w->query);
  // A wide batch holds every slot: its search uses the threads of them all.
  ScopedOmpThreads omp_threads(
      slots > 1 && options_.omp_threads > 0 ? slots * options_.omp_threads : 0);
  const auto start = Clock::now();
  std::vector<CoalescedResult> results = BatchSearch(*batch[0]->index, queries);
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  for (size_t i = 0; i < batch.size(); ++i) {
    *batch[i]->result = std::move(results[i]);
  }
  if (observer_ != nullptr) {
    observer_->OnIndexSearch(space_, static_cast<int>(batch.size()), seconds);
  }
}

std::vector<CoalescedResult> SearchCoalescer::Search(
    const VectorIndex& index, absl::Span<const CoalescedQuery> queries) {
  std::vector<CoalescedResult> results(queries.size(),
                                       absl::InternalError("not searched"));
  if (queries.empty()) return results;
  std::vector<Waiter> mine(queries.size());
  const absl::Time now = absl::Now();
  for (size_t i = 0; i < queries.size(); ++i) {
    mine[i] = Waiter{&index,           &queries[i], queries[i].k,
                     queries[i].exact, now,         &results[i]};
  }
  auto all_done = [&mine] {
    return std::all_of(mine.begin(), mine.end(),
                       [](const Waiter& w) { return w.done; });
  };
  auto mine_at_front = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (queue_.empty()) return false;
    const Waiter* front = queue_.front();
    return front >= mine.data() && front < mine.data() + mine.size();
  };

  absl::MutexLock lock(&mu_);
  for (Waiter& w : mine) queue_.push_back(&w);
  while (true) {
    auto may_go = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return all_done() || (!leading_ && mine_at_front());
    };
    mu_.Await(absl::Condition(&may_go));
    if (all_done()) return results;

    // Lead: gather until the batch is full or the window has passed, and
    // until a batch slot is free.
    leading_ = true;
    Waiter* head = queue_.front();
    auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return BatchReady(head);
    };
    // A quiet space (nothing else queued or searched, and the previous
    // batch was a lone query) does not wait: nobody is likely to join.
    const bool quiet =
        last_batch_ == 1 && in_flight_ == 0 && queue_.size() == 1;
    if (!quiet) {
      mu_.AwaitWithDeadline(
          absl::Condition(&ready),
          head->arrived + absl::Microseconds(options_.window_us));
    }
    // A batch takes one slot; one that its index prefers to search wide
    // (VectorIndex::PrefersWideBatches) takes them all, once they are free.
    const int slots =
        head->index->PrefersWideBatches(head->exact) ? max_in_flight_ : 1;
    auto slot_free = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return in_flight_ + slots <= max_in_flight_;
    };
    mu_.Await(absl::Condition(&slot_free));
    std::vector<Waiter*> batch;
    for (auto it = queue_.begin();
         it != queue_.end() &&
         static_cast<int>(batch.size()) < options_.max_batch;) {
      Waiter* w = *it;
      if (w->index == head->index && w->k == head->k &&
          w->exact == head->exact) {
        batch.push_back(w);
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    leading_ = false;
    last_batch_ = batch.size();
    in_flight_ += slots;
    mu_.Unlock();
    Run(batch, slots);
    mu_.Lock();
    in_flight_ -= slots;
    for (Waiter* w : batch) w->done = true;
  }
}

}  // namespace soundsearch
