#include "indexer/manifest_jobs.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "soundsearch/manifest.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

// "job-" and 32 hex digits from the kernel's CSPRNG.
absl::StatusOr<std::string> NewJobId() {
  char bytes[16];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    const ssize_t n = ::getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError("getrandom failed: cannot make a job id");
    }
    filled += static_cast<size_t>(n);
  }
  return absl::StrCat(
      "job-", absl::BytesToHexString(absl::string_view(bytes, sizeof(bytes))));
}

}  // namespace

struct ManifestJobs::Job {
  std::vector<ManifestRow> rows;
  std::string audio_dir;  // canonical, under an import root
  int max_in_flight = 1;

  mutable absl::Mutex mu;
  JobStatus status ABSL_GUARDED_BY(mu);
  absl::Time started ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  absl::Time finished ABSL_GUARDED_BY(mu) = absl::InfiniteFuture();
  int in_flight ABSL_GUARDED_BY(mu) = 0;
};

absl::Status ManifestJobs::Validate(const ManifestJobsOptions& o) {
  const auto positive = [](const char* name, int64_t value) -> absl::Status {
    if (value > 0) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("manifest jobs: ", name, " must be > 0, got ", value));
  };
  RETURN_IF_ERROR(positive("max_in_flight", o.max_in_flight));
  RETURN_IF_ERROR(positive("max_file_bytes", o.max_file_bytes));
  RETURN_IF_ERROR(positive("max_manifest_bytes", o.max_manifest_bytes));
  RETURN_IF_ERROR(positive("max_running_jobs", o.max_running_jobs));
  RETURN_IF_ERROR(positive("max_waiting_jobs", o.max_waiting_jobs));
  RETURN_IF_ERROR(positive("max_finished_jobs", o.max_finished_jobs));
  if (!(o.finished_job_ttl_seconds > 0)) {
    return absl::InvalidArgumentError(
        "manifest jobs: finished_job_ttl_seconds must be > 0");
  }
  return absl::OkStatus();
}

ManifestJobs::ManifestJobs(IngestPipeline* pipeline, const ImportRoots* roots,
                           const ManifestJobsOptions& options)
    : pipeline_(pipeline), roots_(roots), options_(options) {
  WorkerPoolOptions pool;
  pool.threads = options_.max_running_jobs;
  pool.max_queue = static_cast<size_t>(options_.max_waiting_jobs);
  pool_ = std::make_unique<WorkerPool>(pool);
}

ManifestJobs::~ManifestJobs() { Shutdown(); }

void ManifestJobs::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // Runs the waiting jobs (each ends at once, seeing stopping_) and joins
  // the running ones, which stop feeding rows and wait for their own.
  pool_->Shutdown();
}

bool ManifestJobs::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

absl::StatusOr<std::string> ManifestJobs::Start(
    const std::string& manifest_path, const std::string& audio_dir,
    TextEncoding encoding) {
  if (manifest_path.empty()) {
    return absl::InvalidArgumentError("manifest_path is empty");
  }
  ASSIGN_OR_RETURN(
      std::string text,
      roots_->ReadFile(manifest_path, options_.max_manifest_bytes, "manifest"));
  auto job = std::make_shared<Job>();
  ManifestOptions manifest_options;
  manifest_options.encoding = encoding;
  ASSIGN_OR_RETURN(job->rows, ParseManifest(text, manifest_options));
  text.clear();
  std::string folder = audio_dir;
  if (folder.empty()) {
    folder = std::filesystem::path(manifest_path).parent_path().string();
    if (folder.empty()) folder = ".";
  }
  ASSIGN_OR_RETURN(job->audio_dir,
                   roots_->ResolveDirectory(folder, "audio folder"));
  job->max_in_flight = options_.max_in_flight;
  ASSIGN_OR_RETURN(std::string id, NewJobId());
  {
    absl::MutexLock job_lock(&job->mu);
    job->status.id = id;
    job->status.total = job->rows.size();
  }
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("server is shutting down");
  Prune();
  absl::Status queued = pool_->TrySubmit([this, job] { RunJob(*job); });
  if (absl::IsResourceExhausted(queued)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("server is busy: ", options_.max_running_jobs,
                     " manifest jobs run and ", options_.max_waiting_jobs,
                     " wait; retry later"));
  }
  RETURN_IF_ERROR(queued);
  jobs_[id] = std::move(job);
  return id;
}

absl::StatusOr<JobStatus> ManifestJobs::Get(const std::string& job_id) const {
  std::shared_ptr<Job> job;
  {
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(job_id);
    if (it != jobs_.end()) job = it->second;
  }
  const absl::Time now = absl::Now();
  if (job != nullptr) {
    absl::MutexLock job_lock(&job->mu);
    if (now - job->finished <=
        absl::Seconds(options_.finished_job_ttl_seconds)) {
      JobStatus status = job->status;
      if (status.state == JobStatus::State::kRunning) {
        status.elapsed_seconds =
            job->started == absl::InfinitePast()
                ? 0.0
                : absl::ToDoubleSeconds(now - job->started);
      }
      return status;
    }
  }
  // Short ids only: the message echoes what the caller sent.
  return absl::NotFoundError(
      absl::StrCat("unknown job '", job_id.substr(0, 64),
                   "' (finished jobs are kept for a limited time)"));
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
  return out;
}

void ManifestJobs::Prune() {
  const absl::Time now = absl::Now();
  const absl::Duration ttl = absl::Seconds(options_.finished_job_ttl_seconds);
  std::vector<std::pair<absl::Time, std::string>> finished;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    absl::Time done;
    {
      absl::MutexLock job_lock(&it->second->mu);
      done = it->second->finished;
    }
    if (done != absl::InfiniteFuture() && now - done > ttl) {
      it = jobs_.erase(it);
      continue;
    }
    if (done != absl::InfiniteFuture()) finished.emplace_back(done, it->first);
    ++it;
  }
  if (finished.size() <= static_cast<size_t>(options_.max_finished_jobs)) {
    return;
  }
  std::sort(finished.begin(), finished.end());
  const size_t excess =
      finished.size() - static_cast<size_t>(options_.max_finished_jobs);
  for (size_t i = 0; i < excess; ++i) jobs_.erase(finished[i].second);
}

void ManifestJobs::RunJob(Job& job) {
  {
    absl::MutexLock lock(&job.mu);
    job.started = absl::Now();
  }
  auto record_failure = [this, &job](const std::string& fname,
                                     const absl::Status& status) {
    absl::MutexLock lock(&job.mu);
    ++job.status.failed;
    ++job.status.processed;
    if (job.status.failures.size() < options_.max_failures_kept) {
      job.status.failures.push_back(
          {fname, status.code(), Utf8ForDisplay(status.message())});
    }
  };
  size_t fed = 0;
  for (const ManifestRow& row : job.rows) {
    if (stopping()) break;
    ++fed;
    if (!row.error.ok()) {
      record_failure(row.fname, row.error);
      continue;
    }
    // A transcoded manifest names the file in UTF-8; on disk it may still
    // carry the manifest's own bytes.
    std::string on_disk = row.fname;
    std::error_code ec;
    const std::filesystem::path folder(job.audio_dir);
    if (!row.fname_in_manifest.empty() &&
        !std::filesystem::exists(folder / on_disk, ec) &&
        std::filesystem::exists(folder / row.fname_in_manifest, ec)) {
      on_disk = row.fname_in_manifest;
    }
    auto bytes = roots_->ReadFileUnder(job.audio_dir, on_disk,
                                       options_.max_file_bytes, "audio file");
    if (!bytes.ok()) {
      record_failure(row.fname, bytes.status());
      continue;
    }
    SoundInput input;
    input.external_id = row.external_id;
    input.name = row.name.empty()
                     ? std::filesystem::path(row.fname).stem().string()
                     : row.name;
    // The name the file was read under, reversibly (text.h).
    input.source = EscapeFileName(on_disk);
    input.tags = row.tags;
    input.labels = row.labels;
    // At most max_in_flight rows of this job in the pipeline at once.
    {
      absl::MutexLock lock(&job.mu);
      job.mu.Await(absl::Condition(
          +[](Job* j) ABSL_EXCLUSIVE_LOCKS_REQUIRED(j->mu) {
            return j->in_flight < j->max_in_flight;
          },
          &job));
      ++job.in_flight;
    }
    auto done = [&job, fname = row.fname,
                 record_failure](absl::StatusOr<IngestOutcome> outcome) {
      if (!outcome.ok()) {
        record_failure(fname, outcome.status());
      } else {
        absl::MutexLock lock(&job.mu);
        ++job.status.processed;
        if (outcome->result.duplicate) {
          ++job.status.duplicates;
        } else {
          ++job.status.stored;
        }
      }
      absl::MutexLock lock(&job.mu);
      --job.in_flight;
    };
    // Retry while the shared ingest queue is full, unless shutting down.
    absl::Status queued;
    std::string audio = *std::move(bytes);
    for (;;) {
      queued = pipeline_->Submit(audio, input, absl::InfiniteFuture(), done);
      if (!absl::IsResourceExhausted(queued) || stopping()) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    if (!queued.ok()) {
      record_failure(row.fname, queued);
      absl::MutexLock lock(&job.mu);
      --job.in_flight;
    }
  }
  absl::MutexLock lock(&job.mu);
  job.mu.Await(absl::Condition(
      +[](Job* j)
           ABSL_EXCLUSIVE_LOCKS_REQUIRED(j->mu) { return j->in_flight == 0; },
      &job));
  if (fed < job.rows.size()) {
    job.status.state = JobStatus::State::kFailed;
    job.status.error = absl::StrCat("the server shut down after ", fed, " of ",
                                    job.rows.size(), " rows");
  } else {
    job.status.state = JobStatus::State::kDone;
  }
  job.finished = absl::Now();
  job.status.elapsed_seconds =
      absl::ToDoubleSeconds(job.finished - job.started);
}

}  // namespace soundsearch
