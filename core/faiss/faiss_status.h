// The one place where core turns FAISS exceptions into absl::Status: the
// index (core/index/faiss_vector_index.cc), PCA (core/faiss/pca_matrix.cc)
// and k-means (core/faiss/kmeans.cc) call FAISS through CallFaiss. Private to
// core; include only from .cc files.
#ifndef SOUNDSEARCH_CORE_FAISS_FAISS_STATUS_H_
#define SOUNDSEARCH_CORE_FAISS_FAISS_STATUS_H_

#include <faiss/impl/FaissException.h>

#include <exception>
#include <new>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

// Runs `fn` (which calls into FAISS) and converts what it throws:
// faiss::FaissException -> Internal, std::bad_alloc -> ResourceExhausted,
// any other std::exception (std::length_error and the like) -> Internal;
// each message starts with `what`.
template <typename Fn>
absl::Status CallFaiss(absl::string_view what, Fn&& fn) {
  try {
    std::forward<Fn>(fn)();
    return absl::OkStatus();
  } catch (const faiss::FaissException& e) {
    return absl::InternalError(absl::StrCat(what, ": faiss: ", e.what()));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": out of memory"));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, ": ", e.what()));
  }
}

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FAISS_FAISS_STATUS_H_
