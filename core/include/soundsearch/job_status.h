// JobStatus: the progress of one server-side bulk ingest job (a manifest fed
// through the ingest pipeline, indexer/manifest_jobs.h), as the Ingest
// service reports it (v1.Job).
#ifndef SOUNDSEARCH_JOB_STATUS_H_
#define SOUNDSEARCH_JOB_STATUS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace soundsearch {

// One manifest row that failed.
struct JobFailure {
  std::string fname;
  absl::StatusCode code = absl::StatusCode::kUnknown;
  std::string message;
};

struct JobStatus {
  enum class State { kRunning, kDone, kFailed };
  std::string id;
  State state = State::kRunning;
  uint64_t total = 0;      // rows in the manifest
  uint64_t processed = 0;  // rows finished, whatever their outcome
  uint64_t stored = 0;
  uint64_t duplicates = 0;
  uint64_t failed = 0;
  std::vector<JobFailure> failures;  // the first max_failures_kept
  std::string error;                 // kFailed: why the job stopped
  double elapsed_seconds = 0;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_JOB_STATUS_H_
