// The one place where rocksdb::Status becomes absl::Status.
// Thread-safety: pure function.
#ifndef SOUNDSEARCH_STORE_ROCKSDB_STATUS_H_
#define SOUNDSEARCH_STORE_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace soundsearch {

// Maps `s` to the closest absl code (NotFound, InvalidArgument, Unavailable
// for busy/timeouts and I/O errors such as a full disk, DataLoss for
// corruption, Internal for the rest), prefixing the message with `context`
// (what the store was doing).
absl::Status FromRocksDb(const rocksdb::Status& s, absl::string_view context);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_STORE_ROCKSDB_STATUS_H_
