// ManifestJobs: server-side bulk ingest. A job reads a manifest (FSD50K CSV
// form, soundsearch/manifest.h) and feeds every listed file from the
// server's disk through the IngestPipeline, a bounded number at a time, while
// callers poll its progress.
#ifndef SOUNDSEARCH_INDEXER_MANIFEST_JOBS_H_
#define SOUNDSEARCH_INDEXER_MANIFEST_JOBS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "indexer/ingest_pipeline.h"
#include "soundsearch/job_status.h"

namespace soundsearch {

struct ManifestJobsOptions {
  int max_in_flight = 8;                          // uploads queued per job, > 0
  int64_t max_file_bytes = int64_t{100} << 20;    // larger files fail their row
  size_t max_failures_kept = 1000;                // per job
};

// Thread-safety: all methods are thread-safe.
class ManifestJobs {
 public:
  // `pipeline` is borrowed and must outlive this object.
  ManifestJobs(IngestPipeline* pipeline, const ManifestJobsOptions& options);
  // Stops feeding new rows to running jobs, waits for their in-flight rows.
  ~ManifestJobs();

  // Reads the manifest now (NotFound / InvalidArgument as ReadManifest) and
  // starts a job over it in the background; returns the job id. audio_dir
  // empty means the manifest's folder.
  absl::StatusOr<std::string> Start(const std::string& manifest_path,
                                    const std::string& audio_dir);

  // NotFound for an unknown job id.
  absl::StatusOr<JobStatus> Get(const std::string& job_id) const;
  // Every job of this process, oldest first (for the HTTP API's progress).
  std::vector<JobStatus> List() const;

 private:
  struct Job;
  void RunJob(Job* job);

  IngestPipeline* const pipeline_;
  const ManifestJobsOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Job>> jobs_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEXER_MANIFEST_JOBS_H_
