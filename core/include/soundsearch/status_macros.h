// Small helpers for propagating absl::Status. Debian's abseil (20220623)
// predates upstream's status macros, so we keep our own.
#ifndef SOUNDSEARCH_STATUS_MACROS_H_
#define SOUNDSEARCH_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SOUNDSEARCH_CONCAT_INNER_(a, b) a##b
#define SOUNDSEARCH_CONCAT_(a, b) SOUNDSEARCH_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                     \
  do {                                            \
    ::absl::Status _status = (expr);              \
    if (!_status.ok()) return _status;            \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (an absl::StatusOr<T>); on
// error returns its status, otherwise move-assigns the value to `lhs`, which
// may be a declaration (`auto x`) or an existing variable.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(SOUNDSEARCH_CONCAT_(_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) return statusor.status();     \
  lhs = std::move(statusor).value()

#endif  // SOUNDSEARCH_STATUS_MACROS_H_
