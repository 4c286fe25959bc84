#include "tools/cli/client.h"

#include <chrono>
#include <cstdint>
#include <cstdio>

#include "absl/strings/match.h"
#include "google/protobuf/util/json_util.h"
#include "rpc/grpc_status.h"
#include "soundsearch/error_reason.h"

namespace soundsearch::cli {

Client::Client(const Globals& globals) : globals_(globals) {
  std::shared_ptr<grpc::ChannelCredentials> creds =
      grpc::InsecureChannelCredentials();
  if (!globals.tls_ca.empty()) {
    auto ca = ReadFile(globals.tls_ca);
    if (!ca) throw UsageError("cannot read --tls-ca " + globals.tls_ca);
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca;
    creds = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(256 << 20);
  channel_args.SetMaxSendMessageSize(256 << 20);
  channel_ = grpc::CreateCustomChannel(globals.server, creds, channel_args);
  query_ = v1::Query::NewStub(channel_);
  ingest_ = v1::Ingest::NewStub(channel_);
  evaluation_ = v1::Evaluation::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Client::Context() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(
                        static_cast<int64_t>(globals_.timeout_seconds * 1000)));
  if (!globals_.token.empty()) {
    ctx->AddMetadata("authorization", "Bearer " + globals_.token);
  }
  return ctx;
}

grpc::Status Client::AddBytes(const std::string& bytes,
                              const v1::SoundFields& fields,
                              const std::string& filename,
                              v1::AddSoundResponse* response) {
  auto ctx = Context();
  if (bytes.size() <= kStreamThreshold) {
    v1::AddSoundRequest request;
    request.set_audio(bytes);
    *request.mutable_fields() = fields;
    request.set_filename(filename);
    return ingest_->AddSound(ctx.get(), request, response);
  }
  auto writer = ingest_->AddSoundStream(ctx.get(), response);
  v1::AddSoundStreamRequest header;
  *header.mutable_header()->mutable_fields() = fields;
  header.mutable_header()->set_filename(filename);
  // Lets the server refuse a stream cut short (nothing is stored then).
  header.mutable_header()->set_total_bytes(bytes.size());
  bool ok = writer->Write(header);
  constexpr size_t kChunk = size_t{1} << 20;
  for (size_t off = 0; ok && off < bytes.size(); off += kChunk) {
    v1::AddSoundStreamRequest chunk;
    chunk.set_chunk(bytes.substr(off, kChunk));
    ok = writer->Write(chunk);
  }
  writer->WritesDone();
  return writer->Finish();
}

bool IsUploadTooLarge(const grpc::Status& status) {
  // The server marks its size refusals with an error detail (docs/api.md).
  return status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
         GrpcErrorReason(status) == kReasonUploadTooLarge;
}

std::string CodeName(grpc::StatusCode code) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

int Fail(const grpc::Status& status) {
  std::fprintf(stderr, "soundsearch: %s: %s\n",
               CodeName(status.error_code()).c_str(),
               status.error_message().c_str());
  return status.error_code() == grpc::StatusCode::UNAVAILABLE
             ? kExitUnreachable
             : kExitServerError;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  // Serialising a well-formed message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace soundsearch::cli
