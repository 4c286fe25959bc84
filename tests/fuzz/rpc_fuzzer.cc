// libFuzzer target: the request handlers of an in-process soundsearch
// server (SoundsearchServer as soundsearchd runs it, on a loopback port,
// with admin and read tokens and an import root), called over real gRPC
// with well-typed and ill-typed requests. Input: byte 0 picks the RPC, byte
// 1 the token (none, read, admin, a wrong one), the rest is the request's
// bytes as sent. Any crash or sanitizer report is a bug, and so is a broken
// contract: every call ends with a status, never UNKNOWN or UNAVAILABLE; a
// request that parses as the RPC's message never gets INTERNAL or
// UNIMPLEMENTED (gRPC's answer to one that does not); the server keeps
// answering health checks.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzz_support.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/grpcpp.h"
#include "server/soundsearch_server.h"
#include "soundsearch/v1/common.pb.h"
#include "soundsearch/v1/evaluation.pb.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.pb.h"
#include "support/test_audio.h"
#include "support/test_server.h"

namespace {

using soundsearch::fuzz::Check;
namespace v1 = soundsearch::v1;

constexpr char kAdmin[] = "fuzz-admin-token";
constexpr char kRead[] = "fuzz-read-token";

struct Rpc {
  const char* path;
  std::function<std::unique_ptr<google::protobuf::Message>()> make;
};

template <typename T>
std::function<std::unique_ptr<google::protobuf::Message>()> Make() {
  return [] { return std::make_unique<T>(); };
}

const std::vector<Rpc>& Rpcs() {
  static const auto* rpcs = new std::vector<Rpc>{
      {"/soundsearch.v1.Query/QueryByExample",
       Make<v1::QueryByExampleRequest>()},
      {"/soundsearch.v1.Query/BatchQueryByExample",
       Make<v1::BatchQueryByExampleRequest>()},
      {"/soundsearch.v1.Query/GetSound", Make<v1::GetSoundRequest>()},
      {"/soundsearch.v1.Query/ListSpaces", Make<v1::ListSpacesRequest>()},
      {"/soundsearch.v1.Query/Stats", Make<v1::StatsRequest>()},
      {"/soundsearch.v1.Ingest/AddSound", Make<v1::AddSoundRequest>()},
      {"/soundsearch.v1.Ingest/AddFromManifest",
       Make<v1::AddFromManifestRequest>()},
      {"/soundsearch.v1.Ingest/GetJob", Make<v1::GetJobRequest>()},
      {"/soundsearch.v1.Ingest/DeleteSound", Make<v1::DeleteSoundRequest>()},
      {"/soundsearch.v1.Ingest/Refit", Make<v1::RefitRequest>()},
      {"/soundsearch.v1.Evaluation/Evaluate", Make<v1::EvaluateRequest>()},
      {"/soundsearch.v1.Evaluation/GetEvaluation",
       Make<v1::GetEvaluationRequest>()},
      {"/soundsearch.v1.Evaluation/WordSimilarity",
       Make<v1::WordSimilarityRequest>()},
      {"/soundsearch.v1.Evaluation/NearestWords",
       Make<v1::NearestWordsRequest>()},
      {"/soundsearch.v1.Evaluation/GetWordVectors",
       Make<v1::GetWordVectorsRequest>()},
      {"/soundsearch.v1.Meta/GetServerInfo", Make<v1::GetServerInfoRequest>()},
      // The stream: the bytes parse as an AddSoundRequest whose audio is
      // sent in chunks after a header of its fields.
      {"AddSoundStream", Make<v1::AddSoundRequest>()},
  };
  return *rpcs;
}

std::string Wav(double frequency) {
  std::string bytes;
  const std::vector<float> pcm =
      soundsearch::test::Sine(frequency, 0.25, 8000, 0.5f);
  char dir[] = "/tmp/rpc_fuzzer_wav.XXXXXX";
  if (mkdtemp(dir) == nullptr) std::abort();
  const std::string path = std::string(dir) + "/a.wav";
  if (!soundsearch::test::WritePcm16Wav(path, pcm, 8000, 1).ok()) std::abort();
  bytes = *soundsearch::test::ReadFileBytes(path);
  unlink(path.c_str());
  rmdir(dir);
  return bytes;
}

struct Fixture {
  std::unique_ptr<soundsearch::SoundsearchServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Ingest::Stub> ingest;
  uint64_t max_id = 0;
  uint64_t deleted_up_to = 0;
  uint64_t calls = 0;
};

Fixture& TheServer() {
  static Fixture* fixture = [] {
    char dir[] = "/tmp/rpc_fuzzer.XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    const std::string root = std::string(dir) + "/root";
    if (mkdir(root.c_str(), 0755) != 0) std::abort();
    using soundsearch::test::WriteFileBytes;
    bool ok =
        WriteFileBytes(root + "/a.wav", Wav(440)).ok() &&
        WriteFileBytes(root + "/b.wav", Wav(660)).ok() &&
        WriteFileBytes(root + "/m.csv",
                       "fname,labels,tags\na.wav,A,x\nb.wav,B,y\n")
            .ok() &&
        WriteFileBytes(root + "/families.json", R"({"F": ["A", "B"]})").ok() &&
        WriteFileBytes(root + "/labels.txt", "A\n").ok() &&
        WriteFileBytes(std::string(dir) + "/tokens",
                       absl::StrCat("admin ", kAdmin, "\nread ", kRead, "\n"))
            .ok();
    if (!ok || mkfifo((root + "/fifo").c_str(), 0644) != 0) std::abort();
    soundsearch::ServerOptions options =
        soundsearch::test::LoopbackServerOptions(std::string(dir) + "/data");
    options.auth_token_file = std::string(dir) + "/tokens";
    options.auth_reload_seconds = 0;
    options.import_roots = {root};
    options.max_upload_bytes = 1 << 20;
    options.max_clip_seconds = 5;
    options.max_batch_audio_seconds = 10;
    options.query_threads = 2;
    options.ingest_workers = 1;
    options.shutdown_grace_seconds = 1;
    auto server = soundsearch::SoundsearchServer::Start(options);
    if (!server.ok()) {
      std::fprintf(stderr, "rpc_fuzzer: %s\n",
                   server.status().ToString().c_str());
      std::abort();
    }
    auto* f = new Fixture;
    f->server = *std::move(server);
    f->channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", f->server->port()),
                            grpc::InsecureChannelCredentials());
    f->ingest = v1::Ingest::NewStub(f->channel);
    if (!soundsearch::test::WaitForServing(f->channel).ok()) std::abort();
    return f;
  }();
  return *fixture;
}

std::string Seed(size_t rpc, uint8_t token,
                 const google::protobuf::Message& m) {
  std::string bytes = m.SerializeAsString();
  return std::string(1, static_cast<char>(rpc)) +
         std::string(1, static_cast<char>(token)) + bytes;
}

std::vector<std::string> MakeSeeds() {
  const std::string wav = Wav(550);
  std::vector<std::string> seeds;
  v1::QueryByExampleRequest by_id;
  by_id.set_id(1);
  by_id.set_k(5);
  by_id.mutable_filter()->add_tags_any("x");
  seeds.push_back(Seed(0, 1, by_id));
  v1::QueryByExampleRequest by_audio;
  by_audio.set_audio(wav);
  by_audio.set_min_score(0.1f);
  seeds.push_back(Seed(0, 2, by_audio));
  v1::BatchQueryByExampleRequest batch;
  *batch.add_queries() = by_id;
  *batch.add_queries() = by_audio;
  seeds.push_back(Seed(1, 1, batch));
  v1::GetSoundRequest get;
  get.mutable_sound()->set_external_id("e1");
  seeds.push_back(Seed(2, 1, get));
  seeds.push_back(Seed(3, 1, v1::ListSpacesRequest()));
  seeds.push_back(Seed(4, 0, v1::StatsRequest()));
  v1::AddSoundRequest add;
  add.set_audio(wav);
  add.mutable_fields()->set_external_id("e1");
  add.mutable_fields()->set_name("a tone");
  add.mutable_fields()->add_tags("x");
  add.mutable_fields()->add_labels("A");
  seeds.push_back(Seed(5, 2, add));
  v1::AddFromManifestRequest manifest;
  manifest.set_manifest_path("m.csv");
  seeds.push_back(Seed(6, 2, manifest));
  manifest.set_manifest_path("fifo");
  seeds.push_back(Seed(6, 2, manifest));
  manifest.set_manifest_path("../../etc/passwd");
  seeds.push_back(Seed(6, 2, manifest));
  v1::GetJobRequest job;
  job.set_job_id("job-0123456789abcdef0123456789abcdef");
  seeds.push_back(Seed(7, 2, job));
  v1::DeleteSoundRequest del;
  del.mutable_sound()->set_id(2);
  seeds.push_back(Seed(8, 2, del));
  seeds.push_back(Seed(9, 2, v1::RefitRequest()));
  v1::EvaluateRequest evaluate;
  evaluate.set_families_path("families.json");
  evaluate.set_excluded_labels_path("labels.txt");
  seeds.push_back(Seed(10, 2, evaluate));
  seeds.push_back(Seed(11, 1, v1::GetEvaluationRequest()));
  v1::WordSimilarityRequest words;
  words.set_a("x");
  words.set_b("y");
  seeds.push_back(Seed(12, 1, words));
  v1::NearestWordsRequest nearest;
  nearest.set_word("x");
  nearest.set_k(3);
  seeds.push_back(Seed(13, 1, nearest));
  v1::GetWordVectorsRequest vectors;
  vectors.add_words("x");
  vectors.add_words("nope");
  seeds.push_back(Seed(14, 1, vectors));
  seeds.push_back(Seed(15, 3, v1::GetServerInfoRequest()));
  seeds.push_back(Seed(16, 2, add));
  return seeds;
}

std::unique_ptr<grpc::ClientContext> Context(uint8_t token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(30));
  switch (token % 4) {
    case 1:
      ctx->AddMetadata("authorization", absl::StrCat("Bearer ", kRead));
      break;
    case 2:
      ctx->AddMetadata("authorization", absl::StrCat("Bearer ", kAdmin));
      break;
    case 3:
      ctx->AddMetadata("authorization", "Bearer not-a-configured-token");
      break;
  }
  return ctx;
}

void CheckStatus(const grpc::Status& status, bool well_typed) {
  Check(status.error_code() != grpc::StatusCode::UNKNOWN, "rpc_fuzzer",
        "no UNKNOWN status");
  Check(status.error_code() != grpc::StatusCode::UNAVAILABLE, "rpc_fuzzer",
        "the server stays available");
  // gRPC answers a request it cannot parse with UNIMPLEMENTED before any
  // handler runs; a handler never answers INTERNAL or UNIMPLEMENTED.
  if (well_typed && (status.error_code() == grpc::StatusCode::INTERNAL ||
                     status.error_code() == grpc::StatusCode::UNIMPLEMENTED)) {
    std::fprintf(stderr, "rpc_fuzzer: %d: %s\n",
                 static_cast<int>(status.error_code()),
                 status.error_message().c_str());
    Check(false, "rpc_fuzzer",
          "a well-typed request never gets INTERNAL or UNIMPLEMENTED");
  }
}

// Keeps the collection small: deletes what the fuzzer added.
void Trim(Fixture& f) {
  if (f.max_id < f.deleted_up_to + 64) return;
  for (uint64_t id = f.deleted_up_to + 1; id <= f.max_id; ++id) {
    v1::DeleteSoundRequest del;
    del.mutable_sound()->set_id(id);
    v1::DeleteSoundResponse response;
    f.ingest->DeleteSound(Context(2).get(), del, &response);
  }
  f.deleted_up_to = f.max_id;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // protobuf logs every string field with invalid UTF-8 it refuses.
  google::protobuf::SetLogHandler(nullptr);
  if (std::getenv("SOUNDSEARCH_FUZZ_WRITE_SEEDS") != nullptr) {
    soundsearch::fuzz::WriteSeedsIfAsked(MakeSeeds());
  }
  TheServer();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Fixture& f = TheServer();
  const Rpc& rpc = Rpcs()[data[0] % Rpcs().size()];
  const std::string bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::unique_ptr<google::protobuf::Message> typed = rpc.make();
  const bool well_typed = typed->ParseFromString(bytes);
  auto ctx = Context(data[1]);
  grpc::Status status;
  if (std::string(rpc.path) == "AddSoundStream") {
    const auto* add = static_cast<const v1::AddSoundRequest*>(typed.get());
    v1::AddSoundResponse response;
    auto writer = f.ingest->AddSoundStream(ctx.get(), &response);
    v1::AddSoundStreamRequest header;
    *header.mutable_header()->mutable_fields() = add->fields();
    header.mutable_header()->set_filename(add->filename());
    // Ill-typed bytes go as they are, after the header, and a chunk may
    // come first when the low bit of byte 1 says so.
    const std::string& audio = well_typed ? add->audio() : bytes;
    bool open = (data[1] & 4) ? true : writer->Write(header);
    for (size_t at = 0; open && at < audio.size(); at += 65536) {
      v1::AddSoundStreamRequest chunk;
      chunk.set_chunk(audio.substr(at, 65536));
      open = writer->Write(chunk);
    }
    writer->WritesDone();
    status = writer->Finish();
    if (status.ok()) f.max_id = std::max(f.max_id, response.id());
  } else {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    std::string response;
    status = soundsearch::test::RawUnaryCall(f.channel, ctx.get(), rpc.path,
                                             request, &response);
    if (status.ok() &&
        std::string(rpc.path) == "/soundsearch.v1.Ingest/AddSound") {
      v1::AddSoundResponse added;
      if (added.ParseFromString(response)) {
        f.max_id = std::max(f.max_id, added.id());
      }
    }
  }
  CheckStatus(status, well_typed);
  if (++f.calls % 64 == 0) {
    Trim(f);
    auto health = soundsearch::test::HealthCheck(f.channel);
    Check(health.ok() && *health == std::string("\x08\x01", 2), "rpc_fuzzer",
          "health stays SERVING");
  }
  return 0;
}
