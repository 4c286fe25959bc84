// The one absl::Status -> grpc::Status mapping (rpc/grpc_status.h): codes and
// messages pass unchanged; an error reason (soundsearch/error_reason.h)
// becomes a google.rpc.Status with one google.rpc.ErrorInfo in the error
// details, which GrpcErrorReason reads back.
#include "rpc/grpc_status.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "soundsearch/error_reason.h"

namespace soundsearch {
namespace {

TEST(GrpcStatusTest, CodeAndMessagePassUnchanged) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  grpc::Status s = ToGrpcStatus(absl::NotFoundError("unknown sound 7"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "unknown sound 7");
  EXPECT_TRUE(s.error_details().empty());
  EXPECT_EQ(GrpcErrorReason(s), "");
  EXPECT_EQ(GrpcCodeName(s.error_code()), "NOT_FOUND");
  // A full queue is RESOURCE_EXHAUSTED without a reason: retry later.
  grpc::Status busy = ToGrpcStatus(absl::ResourceExhaustedError("queue full"));
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(GrpcErrorReason(busy), "");
}

TEST(GrpcStatusTest, AReasonBecomesAnErrorInfoDetail) {
  const absl::Status too_large = UploadTooLargeError("upload of 9 bytes");
  EXPECT_EQ(too_large.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReasonOf(too_large), kReasonUploadTooLarge);
  grpc::Status s = ToGrpcStatus(too_large);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(s.error_message(), "upload of 9 bytes");
  EXPECT_EQ(GrpcErrorReason(s), "UPLOAD_TOO_LARGE");

  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  EXPECT_EQ(details.code(), 8);  // RESOURCE_EXHAUSTED
  EXPECT_EQ(details.message(), "upload of 9 bytes");
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "UPLOAD_TOO_LARGE");
  EXPECT_EQ(info.domain(), kErrorInfoDomain);
}

TEST(GrpcStatusTest, ReasonsOfOtherDomainsAndBadDetailsAreIgnored) {
  google::rpc::Status details;
  details.set_code(8);
  google::rpc::ErrorInfo info;
  info.set_reason("UPLOAD_TOO_LARGE");
  info.set_domain("example.com");
  details.add_details()->PackFrom(info);
  EXPECT_EQ(GrpcErrorReason(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                         "x", details.SerializeAsString())),
            "");
  EXPECT_EQ(GrpcErrorReason(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                         "x", "\xff\xff not a message")),
            "");
}

TEST(GrpcStatusTest, WithErrorReasonKeepsOkAndIgnoresEmptyReasons) {
  EXPECT_TRUE(WithErrorReason(absl::OkStatus(), kReasonUploadTooLarge).ok());
  EXPECT_EQ(ErrorReasonOf(WithErrorReason(absl::InternalError("x"), "")), "");
  const absl::Status rewritten =
      WithErrorReason(absl::ResourceExhaustedError("queries[0]: too large"),
                      ErrorReasonOf(UploadTooLargeError("too large")));
  EXPECT_EQ(ErrorReasonOf(rewritten), kReasonUploadTooLarge);
}

}  // namespace
}  // namespace soundsearch
