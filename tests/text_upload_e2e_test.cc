// Bad input through the public interfaces (issue 11): strings that are not
// UTF-8 in every gRPC method and in manifests (AddFromManifest and the CLI's
// index), and uploads that end without the client's half-close: truncated,
// cancelled, killed client process, cancelled by a shutdown. Each case checks
// the status code, the message, that nothing partial was stored and that
// the server keeps serving. A real server on loopback, real files, the real
// CLI binary (SOUNDSEARCH_CLI_PATH) and a real client process
// (UPLOAD_CLIENT_CHILD_PATH).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "soundsearch/text.h"
#include "support/test_audio.h"
#include "support/test_http.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr int kRate = 22050;
constexpr char kServing[] = "\x08\x01";

// Sets the first string field reachable from `m` (depth first, in field
// order) to `value`; *path gets its path as the server names it
// ("fields.tags[0]"). false when `m` has no string field.
bool SetFirstString(Message* m, const std::string& value, std::string* path,
                    const std::string& prefix = "") {
  const Descriptor* d = m->GetDescriptor();
  const auto* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    std::string name = prefix.empty() ? f->name() : prefix + "." + f->name();
    if (f->is_repeated()) name += "[0]";
    if (f->type() == FieldDescriptor::TYPE_STRING && !f->is_map()) {
      if (f->is_repeated()) {
        r->AddString(m, f, value);
      } else {
        r->SetString(m, f, value);
      }
      *path = name;
      return true;
    }
    if (f->type() == FieldDescriptor::TYPE_MESSAGE && !f->is_map()) {
      Message* inner =
          f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f);
      if (SetFirstString(inner, value, path, name)) return true;
      if (f->is_repeated()) {
        r->RemoveLast(m, f);
      } else {
        r->ClearField(m, f);
      }
    }
  }
  return false;
}

// One unary call of `method` ("/pkg.Service/Method") with raw request bytes.
grpc::Status GenericUnary(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& method, const std::string& bytes) {
  grpc::GenericStub generic(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::CompletionQueue cq;
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  auto call = generic.PrepareUnaryCall(&ctx, method, request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    Start();
  }

  ServerOptions Options() const {
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    options.metrics_listen = "127.0.0.1:0";
    options.shutdown_grace_seconds = 0.5;
    // Manifests and their audio are written in the test's folder.
    options.import_roots = {dir_->path()};
    return options;
  }
  void Start() {
    auto server = test::TestServer::Start(Options());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void Restart() {
    server_.reset();
    Start();
  }

  std::string WavFile(const std::string& name, double freq, double seconds) {
    const std::string path = dir_->File(name);
    EXPECT_TRUE(
        test::WritePcm16Wav(path, test::Sine(freq, seconds, kRate), kRate, 1)
            .ok());
    return path;
  }

  // NOT_FOUND when no sound carries the external id.
  grpc::Status Get(const std::string& external_id, v1::Sound* sound) {
    v1::GetSoundRequest get;
    get.mutable_sound()->set_external_id(external_id);
    return server_->query().GetSound(test::CallContext().get(), get, sound);
  }

  void ExpectServing() {
    v1::StatsResponse stats;
    EXPECT_TRUE(
        server_->query().Stats(test::CallContext().get(), {}, &stats).ok());
    auto health = test::HealthCheck(server_->channel());
    ASSERT_TRUE(health.ok()) << health.status();
    EXPECT_EQ(*health, std::string(kServing, 2));
  }

  v1::Job RunJob(const v1::AddFromManifestRequest& request) {
    v1::Job job;
    grpc::Status s = server_->ingest().AddFromManifest(
        test::CallContext().get(), request, &job);
    EXPECT_TRUE(s.ok()) << s.error_message();
    v1::GetJobRequest poll;
    poll.set_job_id(job.job_id());
    for (int i = 0; i < 600 && job.state() != v1::Job::DONE; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      grpc::Status p =
          server_->ingest().GetJob(test::CallContext().get(), poll, &job);
      EXPECT_TRUE(p.ok()) << p.error_message();  // readable: all UTF-8
    }
    EXPECT_EQ(job.state(), v1::Job::DONE);
    return job;
  }

  CliRun Cli(const std::string& args) {
    const std::string out = dir_->File("cli_out.txt");
    const std::string err = dir_->File("cli_err.txt");
    const std::string command =
        absl::StrCat(SOUNDSEARCH_CLI_PATH, " --server ", server_->target(), " ",
                     args, " >", out, " 2>", err, " </dev/null");
    CliRun run;
    const int status = std::system(command.c_str());
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = test::ReadFileBytes(out).value_or("");
    run.err = test::ReadFileBytes(err).value_or("");
    return run;
  }

  // soundsearch_rpc_requests_total{method,code} from /metrics; 0 if absent.
  double RpcCount(const std::string& method, const std::string& code) {
    const std::string body = test::HttpGet(server_->metrics_port(), "/metrics");
    const std::string key =
        absl::StrCat("soundsearch_rpc_requests_total{code=\"", code,
                     "\",method=\"", method, "\"} ");
    size_t at = body.find(key);
    if (at == std::string::npos) return 0;
    return std::strtod(body.c_str() + at + key.size(), nullptr);
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<test::TestServer> server_;
};

// Every method of Ingest, Query and Evaluation whose request holds a
// string: that string not UTF-8 is INVALID_ARGUMENT naming the field (gRPC
// alone answers UNIMPLEMENTED with no message), and the server keeps
// serving. A method added later is covered without touching this test.
TEST_F(BadInputTest, EveryStringOfEveryMethodMustBeUtf8) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  int checked = 0;
  for (const char* name : {"soundsearch.v1.Ingest", "soundsearch.v1.Query",
                           "soundsearch.v1.Evaluation"}) {
    const auto* service = pool->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      SCOPED_TRACE(method->full_name());
      std::unique_ptr<Message> request(
          google::protobuf::MessageFactory::generated_factory()
              ->GetPrototype(method->input_type())
              ->New());
      std::string path;
      if (!SetFirstString(request.get(), "caf\xe9", &path)) continue;
      grpc::Status status;
      if (method->client_streaming()) {
        ASSERT_EQ(method->name(), "AddSoundStream");
        v1::AddSoundResponse response;
        grpc::ClientContext ctx;
        auto writer = server_->ingest().AddSoundStream(&ctx, &response);
        writer->Write(static_cast<const v1::AddSoundStreamRequest&>(*request));
        writer->WritesDone();
        status = writer->Finish();
      } else {
        status = GenericUnary(
            server_->channel(),
            absl::StrCat("/", service->full_name(), "/", method->name()),
            request->SerializeAsString());
      }
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << status.error_message();
      EXPECT_EQ(status.error_message(),
                absl::StrCat("request field ", path,
                             " is not valid UTF-8 (byte 0xE9 at offset 3)"));
      ++checked;
    }
  }
  EXPECT_GE(checked, 12);
  // A request that is not protobuf at all.
  grpc::Status garbage = GenericUnary(
      server_->channel(), "/soundsearch.v1.Query/GetSound", "\xff\xff\xff");
  EXPECT_EQ(garbage.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(garbage.error_message(),
            "request is not a well-formed soundsearch.v1.GetSoundRequest "
            "message");
  // A string deeper down, in a repeated field.
  v1::AddSoundRequest add;
  add.mutable_fields()->add_tags("ok");
  add.mutable_fields()->add_tags("na\xefve");
  v1::AddSoundResponse response;
  grpc::Status tags =
      server_->ingest().AddSound(test::CallContext().get(), add, &response);
  EXPECT_EQ(tags.error_message(),
            "request field fields.tags[1] is not valid UTF-8 (byte 0xEF at "
            "offset 2)");
  ExpectServing();
}

// A Latin-1 manifest used to store its row, report DATA_LOSS for it and make
// every later start fail. Undeclared, the row now fails alone with its line
// and byte offset; declared, it is transcoded; the server restarts.
TEST_F(BadInputTest, ManifestRowsThatAreNotUtf8FailAloneUnlessDeclared) {
  const std::string audio = dir_->File("bulk");
  ASSERT_EQ(system(("mkdir -p " + audio).c_str()), 0);
  WavFile("bulk/caf\xe9.wav", 440, 1);  // a Latin-1 file name on disk
  WavFile("bulk/ok.wav", 660, 1);
  const std::string manifest = audio + "/latin1.csv";
  ASSERT_TRUE(test::WriteFileBytes(manifest,
                                   "fname,labels,tags,id\n"  // 21 bytes
                                   "caf\xe9.wav,Caf\xe9,cr\xe8me,cafe\n"
                                   "ok.wav,Ok,fine,ok\n")
                  .ok());
  v1::AddFromManifestRequest request;
  request.set_manifest_path(manifest);
  v1::Job job = RunJob(request);
  EXPECT_EQ(job.stored(), 1u);
  EXPECT_EQ(job.failed(), 1u);
  ASSERT_EQ(job.failures_size(), 1);
  EXPECT_EQ(job.failures(0).fname(), "caf%E9.wav");
  EXPECT_EQ(job.failures(0).code(), "INVALID_ARGUMENT");
  EXPECT_TRUE(absl::StrContains(
      job.failures(0).message(),
      "manifest line 2: column `fname` is not valid UTF-8 (byte 0xE9 at "
      "offset 24 of the file)"))
      << job.failures(0).message();
  v1::Sound sound;
  EXPECT_EQ(Get("cafe", &sound).error_code(), grpc::StatusCode::NOT_FOUND);

  request.set_encoding("latin1");
  job = RunJob(request);
  EXPECT_EQ(job.stored(), 1u) << job.DebugString();
  EXPECT_EQ(job.duplicates(), 1u);
  ASSERT_TRUE(Get("cafe", &sound).ok());
  EXPECT_EQ(sound.name(), "caf\xc3\xa9");
  ASSERT_EQ(sound.labels_size(), 1);
  EXPECT_EQ(sound.labels(0), "Caf\xc3\xa9");
  ASSERT_EQ(sound.tags_size(), 1);
  EXPECT_EQ(sound.tags(0), "cr\xc3\xa8me");
  // Read from the Latin-1 name on disk; kept escaped and reversible.
  EXPECT_EQ(sound.source(), "caf%E9.wav");
  EXPECT_EQ(*UnescapeFileName(sound.source()), "caf\xe9.wav");

  request.set_encoding("ebcdic");
  v1::Job refused;
  grpc::Status bad = server_->ingest().AddFromManifest(
      test::CallContext().get(), request, &refused);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(
      absl::StrContains(bad.error_message(), "unknown text encoding 'ebcdic'"))
      << bad.error_message();

  Restart();  // used to fail with DATA_LOSS
  ASSERT_TRUE(Get("cafe", &sound).ok());
  EXPECT_EQ(sound.name(), "caf\xc3\xa9");
  ExpectServing();
}

// The CLI reads manifests itself: the same rules, and `index DIR` reads a
// file whose name is not UTF-8 and sends its name escaped.
TEST_F(BadInputTest, CliIndexRefusesUndeclaredLatin1AndEscapesFileNames) {
  const std::string audio = dir_->File("cli");
  ASSERT_EQ(system(("mkdir -p " + audio).c_str()), 0);
  WavFile("cli/caf\xe9.wav", 500, 1);
  const std::string manifest = audio + "/m.csv";
  ASSERT_TRUE(
      test::WriteFileBytes(manifest, "fname,tags,id\ncaf\xe9.wav,cr\xe8me,c1\n")
          .ok());
  CliRun undeclared = Cli("index --manifest " + manifest);
  EXPECT_EQ(undeclared.exit_code, 1) << undeclared.err;
  EXPECT_TRUE(absl::StrContains(
      undeclared.out,
      "failed caf%E9.wav: INVALID_ARGUMENT: manifest line 2: column `fname` "
      "is not valid UTF-8 (byte 0xE9 at offset 17 of the file)"))
      << undeclared.out;
  v1::Sound sound;
  EXPECT_EQ(Get("c1", &sound).error_code(), grpc::StatusCode::NOT_FOUND);

  CliRun declared = Cli("index --manifest " + manifest + " --encoding latin1");
  EXPECT_EQ(declared.exit_code, 0) << declared.out << declared.err;
  ASSERT_TRUE(Get("c1", &sound).ok());
  EXPECT_EQ(sound.tags(0), "cr\xc3\xa8me");
  EXPECT_EQ(sound.source(), "caf%E9.wav");

  CliRun unknown = Cli("index --manifest " + manifest + " --encoding ebcdic");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(unknown.err, "unknown text encoding"))
      << unknown.err;

  // A folder: the file name comes from the disk, not from a manifest.
  const std::string folder = dir_->File("folder");
  ASSERT_EQ(system(("mkdir -p " + folder).c_str()), 0);
  WavFile(
      "folder/b\xe9"
      "b\xe9.wav",
      700, 1);
  CliRun index = Cli("--json index " + folder);
  EXPECT_EQ(index.exit_code, 0) << index.out << index.err;
  EXPECT_TRUE(absl::StrContains(index.out, "\"stored\":1")) << index.out;
  CliRun get = Cli("get --id 2");
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(absl::StrContains(get.out, "b%E9b%E9.wav")) << get.out;
  ExpectServing();
}

// Uploads that end without the client's half-close store nothing and leave
// no content hash behind: the same bytes then store as a new sound.
TEST_F(BadInputTest, StreamsThatDoNotEndStoreNothing) {
  const std::string wav = *test::ReadFileBytes(WavFile("long.wav", 440, 30));
  const std::string half = wav.substr(0, wav.size() / 2);
  auto send = [&](grpc::ClientContext* ctx, const std::string& ext,
                  uint64_t total, const std::string& bytes,
                  v1::AddSoundResponse* response) {
    auto writer = server_->ingest().AddSoundStream(ctx, response);
    v1::AddSoundStreamRequest header;
    header.mutable_header()->mutable_fields()->set_external_id(ext);
    header.mutable_header()->set_total_bytes(total);
    EXPECT_TRUE(writer->Write(header));
    for (size_t off = 0; off < bytes.size(); off += 256 << 10) {
      v1::AddSoundStreamRequest chunk;
      chunk.set_chunk(bytes.substr(off, 256 << 10));
      if (!writer->Write(chunk)) break;
    }
    return writer;
  };
  v1::AddSoundResponse response;
  v1::Sound sound;
  {  // Half-closed after half of the declared bytes.
    auto ctx = test::CallContext();
    auto writer = send(ctx.get(), "short", wav.size(), half, &response);
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(
        s.error_message(),
        absl::StrCat("stream ended after ", half.size(), " of the ", wav.size(),
                     " bytes its header declared; nothing was stored"));
    EXPECT_EQ(Get("short", &sound).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {  // Cancelled by the client half-way (no size declared).
    grpc::ClientContext ctx;
    auto writer = send(&ctx, "cancelled", 0, half, &response);
    const double before = RpcCount("AddSoundStream", "CANCELLED");
    ctx.TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
    // The server's side of the call has finished once it counted it.
    for (int i = 0;
         i < 200 && RpcCount("AddSoundStream", "CANCELLED") == before; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(RpcCount("AddSoundStream", "CANCELLED"), before + 1);
    EXPECT_EQ(Get("cancelled", &sound).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // The whole file under the same external id: new, full length.
  {
    auto ctx = test::CallContext();
    auto writer = send(ctx.get(), "cancelled", wav.size(), wav, &response);
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_FALSE(response.duplicate());
    EXPECT_NEAR(response.sound().duration_seconds(), 30.0, 0.1);
  }
  ExpectServing();
}

// A vector the metric cannot rank (all zeros under cosine) is refused when
// it is embedded, before anything is written; it used to be stored and then
// fail every rebuild. A space of level descriptors only (zero-crossing rate
// and RMS, mean-pooled) gives digital silence the zero vector.
TEST_F(BadInputTest, ASoundWhoseVectorIsZeroIsRefusedAtEmbedTime) {
  const std::string config = dir_->File("level.json");
  ASSERT_TRUE(test::WriteFileBytes(
                  config,
                  R"({"spaces": [{"name": "level", "encoder": {"kind": "dsp",
                      "dsp_log_mel": false, "dsp_mfcc": false,
                      "dsp_spectral_shape": false, "dsp_contrast": false,
                      "dsp_pitch": false, "dsp_deltas": false},
                      "pooling": "mean", "metric": "cosine"}]})")
                  .ok());
  server_.reset();
  ServerOptions options = Options();
  options.data_dir = dir_->File("level-data");
  options.config_path = config;
  auto started = test::TestServer::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  server_ = *std::move(started);
  const std::string path = dir_->File("silence.wav");
  ASSERT_TRUE(
      test::WritePcm16Wav(path, test::Silence(1.0, kRate), kRate, 1).ok());
  v1::AddSoundRequest add;
  add.set_audio(*test::ReadFileBytes(path));
  add.mutable_fields()->set_external_id("silence");
  v1::AddSoundResponse response;
  grpc::Status s =
      server_->ingest().AddSound(test::CallContext().get(), add, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_message();
  EXPECT_EQ(s.error_message(),
            "space 'level': its vector is all zeros, which cosine similarity "
            "cannot rank (silent or constant audio?); nothing was stored");
  v1::Sound sound;
  EXPECT_EQ(Get("silence", &sound).error_code(), grpc::StatusCode::NOT_FOUND);
  // A tone in the same space is fine, and the server restarts.
  add.set_audio(*test::ReadFileBytes(WavFile("tone.wav", 440, 1)));
  add.mutable_fields()->set_external_id("tone");
  ASSERT_TRUE(server_->ingest()
                  .AddSound(test::CallContext().get(), add, &response)
                  .ok());
  server_.reset();
  started = test::TestServer::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  server_ = *std::move(started);
  ASSERT_TRUE(Get("tone", &sound).ok());
  ExpectServing();
}

// A real client process SIGKILLed in the middle of a stream.
TEST_F(BadInputTest, AClientKilledMidUploadStoresNothing) {
  const std::string path = WavFile("killed.wav", 550, 30);
  const std::string wav = *test::ReadFileBytes(path);
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const double before = RpcCount("AddSoundStream", "CANCELLED");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    const std::string target = server_->target();
    const std::string bytes = std::to_string(wav.size() / 3);
    execl(UPLOAD_CLIENT_CHILD_PATH, UPLOAD_CLIENT_CHILD_PATH, target.c_str(),
          path.c_str(), "killed", bytes.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  char buffer[8] = {};
  ASSERT_EQ(read(out[0], buffer, 5), 5);  // "sent\n": the bytes are out
  EXPECT_EQ(std::string(buffer, 4), "sent");
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  close(out[0]);
  for (int i = 0; i < 200 && RpcCount("AddSoundStream", "CANCELLED") == before;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(RpcCount("AddSoundStream", "CANCELLED"), before + 1);
  v1::Sound sound;
  EXPECT_EQ(Get("killed", &sound).error_code(), grpc::StatusCode::NOT_FOUND);
  // No hash left behind: the whole file stores as a new sound.
  v1::AddSoundRequest add;
  add.set_audio(wav);
  add.mutable_fields()->set_external_id("killed");
  v1::AddSoundResponse response;
  grpc::Status s =
      server_->ingest().AddSound(test::CallContext().get(), add, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(response.duplicate());
  EXPECT_NEAR(response.sound().duration_seconds(), 30.0, 0.1);
  ExpectServing();
}

// A stream still open when the server shuts down is cancelled after the
// grace period: nothing of it is stored.
TEST_F(BadInputTest, AStreamCancelledByShutdownStoresNothing) {
  const std::string wav = *test::ReadFileBytes(WavFile("shut.wav", 330, 30));
  grpc::ClientContext ctx;
  v1::AddSoundResponse response;
  auto writer = server_->ingest().AddSoundStream(&ctx, &response);
  v1::AddSoundStreamRequest header;
  header.mutable_header()->mutable_fields()->set_external_id("shutdown");
  ASSERT_TRUE(writer->Write(header));
  v1::AddSoundStreamRequest chunk;
  chunk.set_chunk(wav.substr(0, wav.size() / 2));
  ASSERT_TRUE(writer->Write(chunk));
  server_.reset();  // shutdown: 0.5 s grace, then the call is cancelled
  EXPECT_FALSE(writer->Finish().ok());
  Start();
  v1::Sound sound;
  EXPECT_EQ(Get("shutdown", &sound).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::StatsResponse stats;
  ASSERT_TRUE(
      server_->query().Stats(test::CallContext().get(), {}, &stats).ok());
  EXPECT_EQ(stats.sounds(), 0u);
}

}  // namespace
}  // namespace soundsearch
