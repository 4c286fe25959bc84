// ManifestJobs: server-side bulk ingest. A job reads a manifest (FSD50K CSV
// form, soundsearch/manifest.h) and feeds every listed file from the
// server's disk through the IngestPipeline, a bounded number at a time, while
// callers poll its progress.
//
// Every path goes through ImportRoots (soundsearch/import_roots.h): the
// manifest and the audio folder lie under an import root, each row's fname
// stays inside the audio folder, only regular files are read and reads stop
// at a size cap. Jobs run on a bounded pool (max_running_jobs at once,
// max_waiting_jobs more accepted, beyond that RESOURCE_EXHAUSTED); finished
// jobs are kept for GetJob up to finished_job_ttl_seconds and at most
// max_finished_jobs of them (the oldest go first). Job ids are 128 random
// bits ("job-" and 32 hex digits): one job id does not lead to another.
#ifndef SOUNDSEARCH_INDEXER_MANIFEST_JOBS_H_
#define SOUNDSEARCH_INDEXER_MANIFEST_JOBS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "indexer/ingest_pipeline.h"
#include "soundsearch/import_roots.h"
#include "soundsearch/job_status.h"
#include "soundsearch/text.h"
#include "soundsearch/worker_pool.h"

namespace soundsearch {

struct ManifestJobsOptions {
  int max_in_flight = 8;                        // rows queued per job, > 0
  int64_t max_file_bytes = int64_t{100} << 20;  // larger files fail their row
  int64_t max_manifest_bytes = int64_t{64} << 20;  // larger: refused, > 0
  size_t max_failures_kept = 1000;                 // per job
  int max_running_jobs = 1;     // jobs feeding the pipeline at once, > 0
  int max_waiting_jobs = 4;     // accepted jobs waiting to run, > 0
  int max_finished_jobs = 100;  // finished jobs kept for Get, > 0
  double finished_job_ttl_seconds = 86400;  // then forgotten, > 0
};

// Thread-safety: all methods are thread-safe.
class ManifestJobs {
 public:
  // InvalidArgument naming the bad field.
  static absl::Status Validate(const ManifestJobsOptions& options);

  // `pipeline` and `roots` are borrowed and must outlive this object;
  // `options` must pass Validate.
  ManifestJobs(IngestPipeline* pipeline, const ImportRoots* roots,
               const ManifestJobsOptions& options);
  // Shutdown().
  ~ManifestJobs();

  // Reads and parses the manifest now (ImportRoots::ReadFile's errors,
  // ParseManifest's InvalidArgument, in `encoding`) and queues a job over
  // it; returns the job id. audio_dir empty means the manifest's folder. A
  // row the encoding cannot decode fails alone (its ManifestRow::error).
  // ResourceExhausted when max_waiting_jobs jobs already wait; Unavailable
  // after Shutdown.
  absl::StatusOr<std::string> Start(
      const std::string& manifest_path, const std::string& audio_dir,
      TextEncoding encoding = TextEncoding::kUtf8);

  // NotFound for an unknown (or forgotten) job id.
  absl::StatusOr<JobStatus> Get(const std::string& job_id) const;
  // Every job still kept (as Get would answer), in id order (for the HTTP
  // API's progress).
  std::vector<JobStatus> List() const;

  // Stops feeding rows: running jobs wait for their in-flight rows and end
  // kFailed, waiting jobs end kFailed without starting; joins the pool.
  // Idempotent.
  void Shutdown();

 private:
  struct Job;
  void RunJob(Job& job);
  bool stopping() const;
  // Forgets finished jobs past their time or beyond max_finished_jobs.
  void Prune() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  IngestPipeline* const pipeline_;
  const ImportRoots* const roots_;
  const ManifestJobsOptions options_;
  std::unique_ptr<WorkerPool> pool_;  // runs the jobs
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Job>> jobs_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEXER_MANIFEST_JOBS_H_
