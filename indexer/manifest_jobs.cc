#include "indexer/manifest_jobs.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "soundsearch/error_reason.h"
#include "soundsearch/manifest.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

absl::StatusOr<std::string> ReadFileBytes(const std::filesystem::path& path,
                                          int64_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", path.string(), ": ", ec.message()));
  }
  if (static_cast<int64_t>(size) > max_bytes) {
    return UploadTooLargeError(absl::StrCat(
        path.string(), " is ", size, " bytes; the limit is ", max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open ", path.string()));
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

struct ManifestJobs::Job {
  std::vector<ManifestRow> rows;
  std::filesystem::path audio_dir;
  absl::Time started;
  std::thread thread;

  mutable absl::Mutex mu;
  JobStatus status ABSL_GUARDED_BY(mu);
  int in_flight ABSL_GUARDED_BY(mu) = 0;
};

ManifestJobs::ManifestJobs(IngestPipeline* pipeline,
                           const ManifestJobsOptions& options)
    : pipeline_(pipeline), options_(options) {}

ManifestJobs::~ManifestJobs() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // Threads only read `jobs_` through their own Job*; joining outside mu_.
  std::vector<Job*> jobs;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, job] : jobs_) jobs.push_back(job.get());
  }
  for (Job* job : jobs) {
    if (job->thread.joinable()) job->thread.join();
  }
}

absl::StatusOr<std::string> ManifestJobs::Start(
    const std::string& manifest_path, const std::string& audio_dir) {
  auto job = std::make_unique<Job>();
  ASSIGN_OR_RETURN(job->rows, ReadManifest(manifest_path));
  job->audio_dir = audio_dir.empty()
                       ? std::filesystem::path(manifest_path).parent_path()
                       : std::filesystem::path(audio_dir);
  job->started = absl::Now();
  Job* raw = job.get();
  std::string id;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("server is shutting down");
    id = absl::StrCat("job-", next_id_++);
    {
      absl::MutexLock job_lock(&raw->mu);
      raw->status.id = id;
      raw->status.total = raw->rows.size();
    }
    jobs_[id] = std::move(job);
  }
  raw->thread = std::thread([this, raw] { RunJob(raw); });
  return id;
}

absl::StatusOr<JobStatus> ManifestJobs::Get(const std::string& job_id) const {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown job '", job_id, "'"));
  }
  Job& job = *it->second;
  absl::MutexLock job_lock(&job.mu);
  JobStatus status = job.status;
  if (status.state == JobStatus::State::kRunning) {
    status.elapsed_seconds = absl::ToDoubleSeconds(absl::Now() - job.started);
  }
  return status;
}

std::vector<JobStatus> ManifestJobs::List() const {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, job] : jobs_) ids.push_back(id);
  }
  std::vector<JobStatus> out;
  for (const std::string& id : ids) {
    auto status = Get(id);
    if (status.ok()) out.push_back(*std::move(status));
  }
  std::sort(out.begin(), out.end(), [](const JobStatus& a, const JobStatus& b) {
    return a.id.size() != b.id.size() ? a.id.size() < b.id.size() : a.id < b.id;
  });
  return out;
}

void ManifestJobs::RunJob(Job* job) {
  auto record_failure = [this, job](const std::string& fname,
                                    const absl::Status& status) {
    absl::MutexLock lock(&job->mu);
    ++job->status.failed;
    ++job->status.processed;
    if (job->status.failures.size() < options_.max_failures_kept) {
      job->status.failures.push_back(
          {fname, status.code(), std::string(status.message())});
    }
  };
  for (const ManifestRow& row : job->rows) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    auto bytes = ReadFileBytes(job->audio_dir / row.fname,
                               options_.max_file_bytes);
    if (!bytes.ok()) {
      record_failure(row.fname, bytes.status());
      continue;
    }
    SoundInput input;
    input.external_id = row.external_id;
    input.name = row.name.empty()
                     ? std::filesystem::path(row.fname).stem().string()
                     : row.name;
    input.source = row.fname;
    input.tags = row.tags;
    input.labels = row.labels;
    // Bounded in-flight rows, and retry while the shared queue is full.
    {
      absl::MutexLock lock(&job->mu);
      job->mu.Await(absl::Condition(
          +[](Job* j) ABSL_EXCLUSIVE_LOCKS_REQUIRED(j->mu) {
            return j->in_flight < 8;
          },
          job));
      ++job->in_flight;
    }
    auto done = [job, fname = row.fname,
                 record_failure](absl::StatusOr<IngestOutcome> outcome) {
      if (!outcome.ok()) {
        record_failure(fname, outcome.status());
      } else {
        absl::MutexLock lock(&job->mu);
        ++job->status.processed;
        if (outcome->result.duplicate) {
          ++job->status.duplicates;
        } else {
          ++job->status.stored;
        }
      }
      absl::MutexLock lock(&job->mu);
      --job->in_flight;
    };
    absl::Status queued;
    std::string audio = *std::move(bytes);
    for (;;) {
      queued = pipeline_->Submit(audio, input, absl::InfiniteFuture(), done);
      if (!absl::IsResourceExhausted(queued)) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    if (!queued.ok()) {
      record_failure(row.fname, queued);
      absl::MutexLock lock(&job->mu);
      --job->in_flight;
    }
  }
  absl::MutexLock lock(&job->mu);
  job->mu.Await(absl::Condition(
      +[](Job* j) ABSL_EXCLUSIVE_LOCKS_REQUIRED(j->mu) {
        return j->in_flight == 0;
      },
      job));
  job->status.state = JobStatus::State::kDone;
  job->status.elapsed_seconds = absl::ToDoubleSeconds(absl::Now() - job->started);
}

}  // namespace soundsearch
