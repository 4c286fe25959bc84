// ManifestJobs (indexer/manifest_jobs.h): jobs confined to the import
// roots, on a bounded pool that Shutdown joins, at most max_in_flight rows
// of a job in the pipeline, bounded retention of finished jobs, unguessable
// ids. Real pipeline and collection (RocksDB, FFmpeg on WAVs made here).
#include "indexer/manifest_jobs.h"

#include <sys/stat.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

constexpr int kRate = 22050;

// Holds the first batch the pipeline's worker takes until Release(), and
// records the size of every batch.
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
  void Release() {
    if (!gate_.HasBeenNotified()) gate_.Notify();
  }
  std::vector<size_t> batches() const {
    absl::MutexLock lock(&mu_);
    return batches_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<size_t> batches_ ABSL_GUARDED_BY(mu_);
  absl::Notification blocked_, gate_;
};

class ManifestJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    root_ = dir_->File("root");
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    CollectionOptions options;
    options.data_dir = dir_->File("data");
    options.sync_writes = false;
    auto opened = SoundCollection::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    collection_ = *std::move(opened);
    auto roots = ImportRoots::Create({root_});
    ASSERT_TRUE(roots.ok());
    roots_ = *std::move(roots);
  }

  void TearDown() override {
    observer_.Release();
    jobs_.reset();
    pipeline_.reset();
  }

  void Make(const ManifestJobsOptions& options, int max_batch = 1) {
    IngestPipelineOptions pipeline;
    pipeline.workers = 1;
    pipeline.max_queue = 64;
    pipeline.max_batch = max_batch;
    auto created =
        IngestPipeline::Create(collection_.get(), pipeline, &observer_);
    ASSERT_TRUE(created.ok()) << created.status();
    pipeline_ = *std::move(created);
    ASSERT_TRUE(ManifestJobs::Validate(options).ok());
    jobs_ = std::make_unique<ManifestJobs>(pipeline_.get(), &roots_, options);
  }

  // A manifest of `n` tones (distinct per `tag`) in folder `name` of the
  // root; returns its path.
  std::string Manifest(const std::string& name, int n, int seed = 0) {
    const std::string folder = root_ + "/" + name;
    EXPECT_EQ(mkdir(folder.c_str(), 0755), 0);
    std::string csv = "fname,labels\n";
    for (int i = 0; i < n; ++i) {
      const std::string file = absl::StrCat("s", i, ".wav");
      EXPECT_TRUE(test::WritePcm16Wav(
                      folder + "/" + file,
                      test::Sine(200 + 7 * i + 1000 * seed, 0.2, kRate, 0.5f),
                      kRate, 1)
                      .ok());
      absl::StrAppend(&csv, file, ",tone\n");
    }
    EXPECT_TRUE(test::WriteFileBytes(folder + "/m.csv", csv).ok());
    return folder + "/m.csv";
  }

  JobStatus WaitUntilFinished(const std::string& id) {
    for (;;) {
      auto status = jobs_->Get(id);
      EXPECT_TRUE(status.ok()) << status.status();
      if (!status.ok() || status->state != JobStatus::State::kRunning) {
        return status.ok() ? *status : JobStatus();
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  std::unique_ptr<test::TempDir> dir_;
  std::string root_;
  ImportRoots roots_;
  GateObserver observer_;
  std::unique_ptr<SoundCollection> collection_;
  std::unique_ptr<IngestPipeline> pipeline_;
  std::unique_ptr<ManifestJobs> jobs_;
};

TEST_F(ManifestJobsTest, IdsAreRandomAndJobsIngest) {
  observer_.Release();
  Make(ManifestJobsOptions());
  std::set<std::string> ids;
  for (int j = 0; j < 3; ++j) {
    auto id = jobs_->Start(Manifest(absl::StrCat("m", j), 2, j), "");
    ASSERT_TRUE(id.ok()) << id.status();
    // "job-" and 32 hex digits: 128 bits from the kernel's CSPRNG.
    EXPECT_EQ(id->size(), 36u) << *id;
    EXPECT_TRUE(absl::StartsWith(*id, "job-"));
    EXPECT_EQ(id->find_first_not_of("0123456789abcdef", 4), std::string::npos);
    ids.insert(*id);
    JobStatus done = WaitUntilFinished(*id);
    EXPECT_EQ(done.state, JobStatus::State::kDone);
    EXPECT_EQ(done.stored, 2u);
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(jobs_->Get("job-1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ManifestJobsTest, RowsThatLeaveTheAudioFolderOrAreNotFilesFail) {
  observer_.Release();
  Make(ManifestJobsOptions());
  const std::string folder = root_ + "/bad";
  ASSERT_EQ(mkdir(folder.c_str(), 0755), 0);
  ASSERT_EQ(mkfifo((folder + "/fifo.wav").c_str(), 0644), 0);
  ASSERT_EQ(symlink("/dev/zero", (folder + "/zero.wav").c_str()), 0);
  ASSERT_TRUE(
      test::WriteFileBytes(folder + "/m.csv",
                           "fname\n/etc/passwd\n../../etc/hostname\nfifo.wav\n"
                           "zero.wav\nmissing.wav\n")
          .ok());
  auto id = jobs_->Start(folder + "/m.csv", "");
  ASSERT_TRUE(id.ok()) << id.status();
  JobStatus done = WaitUntilFinished(*id);  // never blocks on the FIFO
  EXPECT_EQ(done.state, JobStatus::State::kDone);
  ASSERT_EQ(done.failures.size(), 5u);
  const absl::StatusCode expected[] = {
      absl::StatusCode::kPermissionDenied, absl::StatusCode::kPermissionDenied,
      absl::StatusCode::kPermissionDenied, absl::StatusCode::kPermissionDenied,
      absl::StatusCode::kNotFound};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(done.failures[i].code, expected[i])
        << done.failures[i].fname << ": " << done.failures[i].message;
    // Failures name the row, never the server's own paths.
    EXPECT_FALSE(absl::StrContains(done.failures[i].message, root_))
        << done.failures[i].message;
  }
}

TEST_F(ManifestJobsTest, ManifestsAreConfinedCappedAndParsed) {
  observer_.Release();
  ManifestJobsOptions options;
  options.max_manifest_bytes = 1024;
  Make(options);
  EXPECT_EQ(jobs_->Start("/etc/passwd", "").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(jobs_->Start(root_ + "/none.csv", "").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(test::WriteFileBytes(root_ + "/big.csv",
                                   "fname\n" + std::string(2000, 'a') + "\n")
                  .ok());
  EXPECT_EQ(jobs_->Start(root_ + "/big.csv", "").status().code(),
            absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(
      test::WriteFileBytes(root_ + "/quote.csv", "fname\n\"a.wav\n").ok());
  auto quote = jobs_->Start(root_ + "/quote.csv", "");
  EXPECT_EQ(quote.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(quote.status().message(), "line 2"))
      << quote.status();
  const std::string ok = Manifest("ok", 1);
  EXPECT_EQ(jobs_->Start(ok, "/tmp").status().code(),
            absl::StatusCode::kPermissionDenied);  // audio folder outside
  EXPECT_EQ(jobs_->Start(ok, ok).status().code(),
            absl::StatusCode::kInvalidArgument);  // not a folder
  EXPECT_EQ(jobs_->Start("", "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ManifestJobsTest, AJobKeepsAtMostMaxInFlightRowsInThePipeline) {
  ManifestJobsOptions options;
  options.max_in_flight = 3;
  Make(options, /*max_batch=*/8);
  auto id = jobs_->Start(Manifest("m", 12), "");
  ASSERT_TRUE(id.ok()) << id.status();
  observer_.WaitUntilBlocked();  // the worker holds the first batch
  // The job fills its three places (in the held batch or queued behind it),
  // then it must wait.
  while (observer_.batches()[0] + pipeline_->queue_depth() < 3) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  observer_.Release();
  JobStatus done = WaitUntilFinished(*id);
  EXPECT_EQ(done.stored, 12u);
  // Every batch the worker took held at most max_in_flight rows.
  for (size_t batch : observer_.batches()) EXPECT_LE(batch, 3u);
  EXPECT_GE(observer_.batches().size(), 4u);
}

TEST_F(ManifestJobsTest, WaitingJobsAreBoundedAndShutdownJoinsThem) {
  ManifestJobsOptions options;
  options.max_running_jobs = 1;
  options.max_waiting_jobs = 2;
  Make(options);
  auto running = jobs_->Start(Manifest("a", 3, 1), "");
  ASSERT_TRUE(running.ok());
  observer_.WaitUntilBlocked();  // job a holds the pool's only thread
  auto waiting1 = jobs_->Start(Manifest("b", 1, 2), "");
  auto waiting2 = jobs_->Start(Manifest("c", 1, 3), "");
  ASSERT_TRUE(waiting1.ok() && waiting2.ok());
  auto refused = jobs_->Start(Manifest("d", 1, 4), "");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "retry later"));

  std::thread shutdown([this] { jobs_->Shutdown(); });
  // Shutdown waits for job a's row in the pipeline; let it finish.
  absl::SleepFor(absl::Milliseconds(50));
  observer_.Release();
  shutdown.join();
  auto a = jobs_->Get(*running);
  ASSERT_TRUE(a.ok());
  EXPECT_NE(a->state, JobStatus::State::kRunning);
  for (const std::string& id : {*waiting1, *waiting2}) {
    auto w = jobs_->Get(id);
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(w->state, JobStatus::State::kFailed);
    EXPECT_TRUE(absl::StrContains(w->error, "shut down")) << w->error;
    EXPECT_EQ(w->processed, 0u);
  }
  EXPECT_EQ(jobs_->Start(Manifest("e", 1, 5), "").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(ManifestJobsTest, FinishedJobsAreForgottenByCountAndByAge) {
  observer_.Release();
  ManifestJobsOptions options;
  options.max_finished_jobs = 2;
  Make(options);
  std::vector<std::string> ids;
  for (int j = 0; j < 4; ++j) {
    auto id = jobs_->Start(Manifest(absl::StrCat("m", j), 1, j), "");
    ASSERT_TRUE(id.ok());
    WaitUntilFinished(*id);
    ids.push_back(*id);
  }
  // Start prunes before it queues: of the three finished before the fourth
  // started, the oldest is gone.
  EXPECT_EQ(jobs_->Get(ids[0]).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(jobs_->Get(ids[1]).ok());
  EXPECT_TRUE(jobs_->Get(ids[3]).ok());

  jobs_.reset();
  options.finished_job_ttl_seconds = 0.2;
  jobs_ = std::make_unique<ManifestJobs>(pipeline_.get(), &roots_, options);
  auto id = jobs_->Start(Manifest("ttl", 1, 9), "");
  ASSERT_TRUE(id.ok());
  WaitUntilFinished(*id);
  // Forgotten once its time is up.
  while (jobs_->Get(*id).ok()) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(jobs_->Get(*id).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ManifestJobsTest, OptionsAreValidated) {
  ManifestJobsOptions options;
  options.max_running_jobs = 0;
  EXPECT_EQ(ManifestJobs::Validate(options).code(),
            absl::StatusCode::kInvalidArgument);
  options = ManifestJobsOptions();
  options.finished_job_ttl_seconds = -1;
  EXPECT_EQ(ManifestJobs::Validate(options).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
