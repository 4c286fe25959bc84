// Machine-readable error reasons. An absl::Status may carry, besides its code
// and message, a reason that callers can test without reading the message:
// RESOURCE_EXHAUSTED for an upload over the size limit (the same bytes fail
// again) and for a full queue (retry later) differ only by their reason.
//
// The reason travels as an absl::Status payload under kErrorReasonUrl, whose
// value is one of the kReason* strings below. They are stable (part of the
// API, docs/api.md): the rpc layer's Status -> grpc::Status mapping
// (rpc/grpc_status.h) sends them to clients as a google.rpc.ErrorInfo.
//
// Thread-safety: free functions on values; safe from any thread.
#ifndef SOUNDSEARCH_ERROR_REASON_H_
#define SOUNDSEARCH_ERROR_REASON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

// Payload type URL of the reason.
inline constexpr absl::string_view kErrorReasonUrl =
    "type.soundsearch/soundsearch.ErrorReason";

// An input (upload, query example, server-side file) is larger than the
// configured limit (--max-upload-bytes: AudioDecoderOptions::max_input_bytes,
// ManifestJobsOptions::max_file_bytes). Code ResourceExhausted.
inline constexpr absl::string_view kReasonUploadTooLarge = "UPLOAD_TOO_LARGE";

// A text query none of whose words any source knows (QueryByText); the
// message suggests the nearest known words. Code NotFound (an unknown space
// is NotFound without a reason).
inline constexpr absl::string_view kReasonTextNotMatched = "TEXT_NOT_MATCHED";

// `status` with `reason` attached, replacing an earlier one. An OK status or
// an empty reason leaves `status` unchanged (so a caller that rewrites a
// message can pass ErrorReasonOf(original) along whatever it holds).
absl::Status WithErrorReason(absl::Status status, absl::string_view reason);

// The reason `status` carries; empty when it carries none.
std::string ErrorReasonOf(const absl::Status& status);

// ResourceExhausted with `message` and the reason kReasonUploadTooLarge.
absl::Status UploadTooLargeError(absl::string_view message);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_ERROR_REASON_H_
