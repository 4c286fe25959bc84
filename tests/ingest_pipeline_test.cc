// IngestPipeline: bounded queue, workers, batching of waiting uploads
// (SoundCollection::PrepareBatch), exactly one outcome per accepted upload,
// deadlines per upload, shutdown draining. Real collection (RocksDB, FFmpeg
// decoding of WAV bytes made here, the built-in dsp space).
#include "indexer/ingest_pipeline.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

constexpr int kRate = 22050;

// Records batch sizes; the first batch blocks in OnBatch until Release(), so
// that uploads pile up in the queue while the (only) worker is busy.
class GateObserver : public IngestObserver {
 public:
  void OnBatch(size_t uploads) override {
    bool first;
    {
      absl::MutexLock lock(&mu_);
      batches_.push_back(uploads);
      first = batches_.size() == 1;
    }
    if (first) {
      blocked_.Notify();
      gate_.WaitForNotification();
    }
  }
  void WaitUntilBlocked() { blocked_.WaitForNotification(); }
  void Release() { gate_.Notify(); }
  std::vector<size_t> batches() const {
    absl::MutexLock lock(&mu_);
    return batches_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<size_t> batches_ ABSL_GUARDED_BY(mu_);
  absl::Notification blocked_, gate_;
};

// Collects the outcome of upload i and counts how often each done ran.
class Outcomes {
 public:
  explicit Outcomes(size_t n) : calls_(n, 0), outcomes_(n) {}
  IngestPipeline::Done For(size_t i) {
    return [this, i](absl::StatusOr<IngestOutcome> outcome) {
      absl::MutexLock lock(&mu_);
      ++calls_[i];
      outcomes_[i] = std::move(outcome);
      ++finished_;
      cv_.SignalAll();
    };
  }
  void WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    while (finished_ < n) cv_.Wait(&mu_);
  }
  std::vector<int> calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  absl::StatusOr<IngestOutcome> outcome(size_t i) const {
    absl::MutexLock lock(&mu_);
    return outcomes_[i];
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<int> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::StatusOr<IngestOutcome>> outcomes_ ABSL_GUARDED_BY(mu_);
  size_t finished_ ABSL_GUARDED_BY(mu_) = 0;
  absl::CondVar cv_;
};

class IngestPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    CollectionOptions options;
    options.data_dir = dir_->File("data");
    options.sync_writes = false;
    auto opened = SoundCollection::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    collection_ = *std::move(opened);
  }

  // WAV bytes of a distinct tone per n.
  std::string Sound(int n) {
    const std::vector<float> pcm = test::Sine(200 + 17 * n, 0.3, kRate, 0.5f);
    const std::string path = dir_->File(absl::StrCat("s", n, ".wav"));
    EXPECT_TRUE(test::WritePcm16Wav(path, pcm, kRate, 1).ok());
    return *test::ReadFileBytes(path);
  }

  static SoundInput Input(int n) {
    SoundInput input;
    input.external_id = absl::StrCat("u", n);
    input.tags = {"tone"};
    return input;
  }

  std::unique_ptr<IngestPipeline> Pipeline(int workers, size_t max_queue,
                                           int max_batch,
                                           IngestObserver* observer) {
    IngestPipelineOptions options;
    options.workers = workers;
    options.max_queue = max_queue;
    options.max_batch = max_batch;
    auto created = IngestPipeline::Create(collection_.get(), options, observer);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *std::move(created) : nullptr;
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<SoundCollection> collection_;
};

TEST_F(IngestPipelineTest, WaitingUploadsAreBatchedAndBadOnesFailAlone) {
  GateObserver observer;
  auto pipeline =
      Pipeline(/*workers=*/1, /*max_queue=*/64, /*max_batch=*/8, &observer);
  ASSERT_NE(pipeline, nullptr);
  constexpr size_t kUploads = 21;
  Outcomes outcomes(kUploads);
  const std::string first = Sound(0);
  ASSERT_TRUE(
      pipeline->Submit(first, Input(0), absl::InfiniteFuture(), outcomes.For(0))
          .ok());
  observer.WaitUntilBlocked();  // the worker holds upload 0

  // 1..20 wait: garbage at 5 and 13, an expired deadline at 9, the bytes of
  // upload 0 again at 17 (a duplicate once 0 is stored).
  for (size_t i = 1; i < kUploads; ++i) {
    std::string audio = Sound(static_cast<int>(i));
    if (i == 5 || i == 13) audio = "garbage, not audio";
    if (i == 17) audio = first;
    const absl::Time deadline =
        i == 9 ? absl::Now() - absl::Seconds(1) : absl::InfiniteFuture();
    ASSERT_TRUE(pipeline
                    ->Submit(std::move(audio), Input(static_cast<int>(i)),
                             deadline, outcomes.For(i))
                    .ok())
        << i;
  }
  EXPECT_EQ(pipeline->queue_depth(), kUploads - 1);
  observer.Release();
  outcomes.WaitFor(kUploads);

  const std::vector<size_t> batches = observer.batches();
  ASSERT_FALSE(batches.empty());
  EXPECT_EQ(batches[0], 1u);
  EXPECT_GT(*std::max_element(batches.begin(), batches.end()), 1u);
  EXPECT_LE(*std::max_element(batches.begin(), batches.end()), 8u);
  // Every upload but the expired one went through a batch.
  EXPECT_EQ(std::accumulate(batches.begin(), batches.end(), size_t{0}),
            kUploads - 1);
  // 20 waiting, taken 8 at a time; 9 (in the third) had expired.
  EXPECT_EQ(batches, (std::vector<size_t>{1, 8, 7, 4}));

  EXPECT_EQ(outcomes.calls(), std::vector<int>(kUploads, 1));
  auto stored0 = outcomes.outcome(0);
  ASSERT_TRUE(stored0.ok()) << stored0.status();
  size_t stored = 0;
  for (size_t i = 0; i < kUploads; ++i) {
    SCOPED_TRACE(i);
    auto outcome = outcomes.outcome(i);
    if (i == 5 || i == 13) {
      EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
    } else if (i == 9) {
      EXPECT_EQ(outcome.status().code(), absl::StatusCode::kDeadlineExceeded);
    } else if (i == 17) {
      ASSERT_TRUE(outcome.ok()) << outcome.status();
      EXPECT_TRUE(outcome->result.duplicate);
      EXPECT_EQ(outcome->result.id, stored0->result.id);
    } else {
      ASSERT_TRUE(outcome.ok()) << outcome.status();
      EXPECT_FALSE(outcome->result.duplicate);
      EXPECT_EQ(outcome->record.external_id, absl::StrCat("u", i));
      EXPECT_EQ(outcome->audio_info.sample_rate, kRate);
      ++stored;
    }
  }
  EXPECT_EQ(stored, kUploads - 4);
  EXPECT_EQ(collection_->size(), stored);
  // Each stored upload finds itself first.
  for (size_t i : {size_t{1}, size_t{8}, size_t{20}}) {
    auto outcome = outcomes.outcome(i);
    ASSERT_TRUE(outcome.ok());
    QueryOptions q;
    q.k = 1;
    q.include_query = true;
    auto result = collection_->QueryById(outcome->result.id, q);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->hits.size(), 1u);
    EXPECT_EQ(result->hits[0].id, outcome->result.id);
  }
}

TEST_F(IngestPipelineTest, BatchOfOneTakesUploadsOneAtATime) {
  GateObserver observer;
  auto pipeline = Pipeline(1, 64, /*max_batch=*/1, &observer);
  ASSERT_NE(pipeline, nullptr);
  Outcomes outcomes(6);
  ASSERT_TRUE(
      pipeline
          ->Submit(Sound(0), Input(0), absl::InfiniteFuture(), outcomes.For(0))
          .ok());
  observer.WaitUntilBlocked();
  for (size_t i = 1; i < 6; ++i) {
    ASSERT_TRUE(pipeline
                    ->Submit(Sound(static_cast<int>(i)),
                             Input(static_cast<int>(i)), absl::InfiniteFuture(),
                             outcomes.For(i))
                    .ok());
  }
  observer.Release();
  outcomes.WaitFor(6);
  EXPECT_EQ(observer.batches(), std::vector<size_t>(6, 1));
  EXPECT_EQ(outcomes.calls(), std::vector<int>(6, 1));
  EXPECT_EQ(collection_->size(), 6u);
}

TEST_F(IngestPipelineTest, FullQueueIsResourceExhaustedAndShutdownDrains) {
  GateObserver observer;
  auto pipeline = Pipeline(1, /*max_queue=*/4, 8, &observer);
  ASSERT_NE(pipeline, nullptr);
  Outcomes outcomes(6);
  ASSERT_TRUE(
      pipeline
          ->Submit(Sound(0), Input(0), absl::InfiniteFuture(), outcomes.For(0))
          .ok());
  observer.WaitUntilBlocked();
  for (size_t i = 1; i <= 4; ++i) {
    ASSERT_TRUE(pipeline
                    ->Submit(Sound(static_cast<int>(i)),
                             Input(static_cast<int>(i)), absl::InfiniteFuture(),
                             outcomes.For(i))
                    .ok());
  }
  EXPECT_EQ(
      pipeline
          ->Submit(Sound(5), Input(5), absl::InfiniteFuture(), outcomes.For(5))
          .code(),
      absl::StatusCode::kResourceExhausted);
  observer.Release();
  pipeline->Shutdown();  // drains the four waiting uploads
  EXPECT_EQ(outcomes.calls(), (std::vector<int>{1, 1, 1, 1, 1, 0}));
  EXPECT_EQ(collection_->size(), 5u);
  EXPECT_EQ(
      pipeline
          ->Submit(Sound(6), Input(6), absl::InfiniteFuture(), outcomes.For(5))
          .code(),
      absl::StatusCode::kUnavailable);
  EXPECT_EQ(outcomes.calls()[5], 0);
  EXPECT_EQ(observer.batches(), (std::vector<size_t>{1, 4}));
}

// A cancelled call's upload is never stored: cancelled while it waits in the
// queue, or while it is decoded and embedded (the check right before the
// commit).
TEST_F(IngestPipelineTest, CancelledUploadsAreNotStored) {
  GateObserver observer;
  auto pipeline = Pipeline(1, /*max_queue=*/8, 8, &observer);
  ASSERT_NE(pipeline, nullptr);
  Outcomes outcomes(4);
  ASSERT_TRUE(
      pipeline
          ->Submit(Sound(0), Input(0), absl::InfiniteFuture(), outcomes.For(0))
          .ok());
  observer.WaitUntilBlocked();
  std::atomic<bool> gone{false};
  ASSERT_TRUE(pipeline
                  ->Submit(Sound(1), Input(1), absl::InfiniteFuture(),
                           outcomes.For(1), [&gone] { return gone.load(); })
                  .ok());
  // Not cancelled when taken, cancelled by the time it would be stored.
  std::atomic<int> asked{0};
  ASSERT_TRUE(pipeline
                  ->Submit(Sound(2), Input(2), absl::InfiniteFuture(),
                           outcomes.For(2),
                           [&asked] { return asked.fetch_add(1) > 0; })
                  .ok());
  ASSERT_TRUE(pipeline
                  ->Submit(Sound(3), Input(3), absl::InfiniteFuture(),
                           outcomes.For(3), [] { return false; })
                  .ok());
  gone = true;
  observer.Release();
  outcomes.WaitFor(4);
  EXPECT_TRUE(outcomes.outcome(0).ok());
  EXPECT_EQ(outcomes.outcome(1).status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(std::string(outcomes.outcome(1).status().message()),
              ::testing::HasSubstr("nothing was stored"));
  EXPECT_EQ(outcomes.outcome(2).status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(outcomes.outcome(3).ok());
  EXPECT_EQ(collection_->size(), 2u);
  EXPECT_FALSE(collection_->GetByExternalId("u1").ok());
  EXPECT_FALSE(collection_->GetByExternalId("u2").ok());
}

TEST_F(IngestPipelineTest, ManyWorkersEveryUploadGetsOneOutcome) {
  IngestObserver plain;
  auto pipeline = Pipeline(/*workers=*/3, 256, 4, &plain);
  ASSERT_NE(pipeline, nullptr);
  constexpr size_t kUploads = 40;
  Outcomes outcomes(kUploads);
  for (size_t i = 0; i < kUploads; ++i) {
    std::string audio =
        i % 7 == 3 ? std::string("bad") : Sound(static_cast<int>(i));
    ASSERT_TRUE(pipeline
                    ->Submit(std::move(audio), Input(static_cast<int>(i)),
                             absl::InfiniteFuture(), outcomes.For(i))
                    .ok());
  }
  outcomes.WaitFor(kUploads);
  EXPECT_EQ(outcomes.calls(), std::vector<int>(kUploads, 1));
  size_t ok = 0;
  for (size_t i = 0; i < kUploads; ++i) {
    auto outcome = outcomes.outcome(i);
    EXPECT_EQ(outcome.ok(), i % 7 != 3) << i << " " << outcome.status();
    ok += outcome.ok();
  }
  EXPECT_EQ(collection_->size(), ok);
  // AddAndWait still works on top.
  auto added = pipeline->AddAndWait(Sound(100), Input(100));
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_FALSE(added->result.duplicate);
}

TEST_F(IngestPipelineTest, CreateValidates) {
  IngestPipelineOptions options;
  options.max_batch = 0;
  EXPECT_EQ(IngestPipeline::Create(collection_.get(), options, nullptr)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  options = IngestPipelineOptions();
  options.workers = 0;
  EXPECT_EQ(IngestPipeline::Create(collection_.get(), options, nullptr)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  options = IngestPipelineOptions();
  options.max_queue = 0;
  EXPECT_EQ(IngestPipeline::Create(collection_.get(), options, nullptr)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IngestPipeline::Create(nullptr, IngestPipelineOptions(), nullptr)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
