// The gRPC side of the `soundsearch` client shared by every command: one
// channel (plaintext, or TLS trusting --tls-ca), per-call contexts with the
// deadline and the bearer token, the stubs of the three services, uploads,
// and how a failed call is printed and mapped to an exit code (docs/cli.md).
#ifndef SOUNDSEARCH_TOOLS_CLI_CLIENT_H_
#define SOUNDSEARCH_TOOLS_CLI_CLIENT_H_

#include <cstddef>
#include <memory>
#include <string>

#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "soundsearch/v1/evaluation.grpc.pb.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "tools/cli/flags.h"

namespace soundsearch::cli {

// Exit codes (docs/cli.md).
constexpr int kExitOk = 0;
constexpr int kExitServerError = 1;  // or some files of an `index` run failed
constexpr int kExitUsage = 2;        // bad usage, unreadable local file
constexpr int kExitUnreachable = 3;  // UNAVAILABLE

// Files above this size go through AddSoundStream in 1 MiB chunks.
constexpr size_t kStreamThreshold = size_t{4} << 20;

// Thread-safety: after construction every method may be called from many
// threads at once (gRPC stubs and channels are thread-safe; each call gets
// its own context).
class Client {
 public:
  // Builds the channel; connects lazily, on the first call. UsageError if
  // --tls-ca cannot be read.
  explicit Client(const Globals& globals);

  // A context for one call: deadline now + --timeout, and the bearer token
  // when there is one.
  std::unique_ptr<grpc::ClientContext> Context() const;

  v1::Query::Stub& query() { return *query_; }
  v1::Ingest::Stub& ingest() { return *ingest_; }
  v1::Evaluation::Stub& evaluation() { return *evaluation_; }
  const Globals& globals() const { return globals_; }

  // Adds one file's bytes: AddSound up to kStreamThreshold bytes,
  // AddSoundStream (a header, then 1 MiB chunks) above.
  grpc::Status AddBytes(const std::string& bytes, const v1::SoundFields& fields,
                        const std::string& filename,
                        v1::AddSoundResponse* response);

 private:
  const Globals globals_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Query::Stub> query_;
  std::unique_ptr<v1::Ingest::Stub> ingest_;
  std::unique_ptr<v1::Evaluation::Stub> evaluation_;
};

// True when the server refused an upload for its size (RESOURCE_EXHAUSTED
// naming the limit). Retrying such an upload cannot help, unlike a
// RESOURCE_EXHAUSTED for a full ingest queue.
bool IsUploadTooLarge(const grpc::Status& status);

// "INVALID_ARGUMENT", "UNAVAILABLE", ...
std::string CodeName(grpc::StatusCode code);

// Prints "soundsearch: CODE: message" on stderr and returns the exit code of
// a failed call: kExitUnreachable for UNAVAILABLE, else kExitServerError.
int Fail(const grpc::Status& status);

// `message` in protobuf's canonical JSON mapping, .proto field names, every
// field present, on one line (the stable --json output).
std::string ToJson(const google::protobuf::Message& message);

}  // namespace soundsearch::cli

#endif  // SOUNDSEARCH_TOOLS_CLI_CLIENT_H_
