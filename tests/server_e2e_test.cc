// End-to-end: a real soundsearch server (SoundsearchServer, as soundsearchd
// runs it) on a loopback port, real gRPC clients, real files encoded by the
// ffmpeg CLI, a real RocksDB in a temp dir.
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rpc/grpc_status.h"
#include "soundsearch/error_reason.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

constexpr int kRate = 22050;
constexpr char kToken[] = "s3cret-token";         // admin
constexpr char kReadToken[] = "r3ad-only-token";  // read

class ServerE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    token_file_ = dir_->File("token");
    ASSERT_TRUE(test::WriteFileBytes(
                    token_file_, absl::StrCat("# test tokens\nadmin ", kToken,
                                              "\nread ", kReadToken, "\n"))
                    .ok());
    StartServer();
  }

  void TearDown() override {
    server_.reset();
    dir_.reset();
  }

  ServerOptions Options() const {
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    options.metrics_listen = "127.0.0.1:0";
    options.auth_token_file = token_file_;
    options.import_roots = {dir_->path()};  // manifest jobs
    options.max_upload_bytes = 4 << 20;
    options.query_threads = 4;
    options.ingest_workers = 2;
    return options;
  }

  void StartServer() {
    auto server = test::TestServer::Start(Options());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = server_->channel();
    query_ = &server_->query();
    ingest_ = &server_->ingest();
  }

  void RestartServer() {
    server_.reset();
    StartServer();
  }

  // With the admin token, or the read token.
  std::unique_ptr<grpc::ClientContext> Ctx(bool admin = true,
                                           int timeout_ms = 60000) const {
    return test::CallContext(admin ? kToken : kReadToken,
                             std::chrono::milliseconds(timeout_ms));
  }

  // A WAV file's bytes: a tone (frequency > 0) or white noise.
  std::string Wav(double frequency, double seconds, uint32_t seed = 1) {
    std::vector<float> pcm =
        frequency > 0 ? test::Sine(frequency, seconds, kRate, 0.5f)
                      : test::WhiteNoise(seconds, kRate, 0.4f, seed);
    const std::string path = dir_->File(absl::StrCat("tmp_", counter_++, ".wav"));
    EXPECT_TRUE(test::WritePcm16Wav(path, pcm, kRate, 1).ok());
    return *test::ReadFileBytes(path);
  }

  grpc::Status Add(const std::string& audio, const std::string& external_id,
                   const std::vector<std::string>& labels,
                   const std::vector<std::string>& tags,
                   v1::AddSoundResponse* response, bool admin = true) {
    v1::AddSoundRequest request;
    request.set_audio(audio);
    request.mutable_fields()->set_external_id(external_id);
    request.mutable_fields()->set_name(external_id);
    for (const auto& l : labels) request.mutable_fields()->add_labels(l);
    for (const auto& t : tags) request.mutable_fields()->add_tags(t);
    return ingest_->AddSound(Ctx(admin).get(), request, response);
  }

  // Adds 5 tones around 440 Hz ("tone"), 5 noises ("noise").
  void AddToneAndNoiseCollection() {
    for (int i = 0; i < 5; ++i) {
      v1::AddSoundResponse r;
      ASSERT_TRUE(Add(Wav(400 + 20 * i, 1.0), absl::StrCat("tone-", i),
                      {"tone"}, {"sine", "pure"}, &r)
                      .ok());
      ids_.push_back(r.id());
      ASSERT_TRUE(Add(Wav(0, 1.0, 100 + i), absl::StrCat("noise-", i),
                      {"noise"}, {"hiss"}, &r)
                      .ok());
      ids_.push_back(r.id());
    }
  }

  std::unique_ptr<test::TempDir> dir_;
  std::string token_file_;
  std::unique_ptr<test::TestServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  v1::Query::Stub* query_ = nullptr;
  v1::Ingest::Stub* ingest_ = nullptr;
  std::vector<uint64_t> ids_;
  int counter_ = 0;
};

TEST_F(ServerE2ETest, HealthIsServingAndStatsAnswer) {
  // HealthCheckResponse{status: SERVING (1)} is the two bytes 08 01.
  auto health = test::HealthCheck(channel_);
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, std::string("\x08\x01", 2));
  v1::StatsResponse stats;
  ASSERT_TRUE(query_->Stats(Ctx(false).get(), {}, &stats).ok());
  EXPECT_EQ(stats.sounds(), 0u);
  EXPECT_EQ(stats.version(), "0.1.0");
}

TEST_F(ServerE2ETest, IngestsEveryFormatAndFindsToneNeighbours) {
  const std::string wav_path = dir_->File("tone.wav");
  ASSERT_TRUE(test::WritePcm16Wav(
                  wav_path, test::Interleave({test::Sine(440, 2, 44100),
                                              test::Sine(440, 2, 44100)}),
                  44100, 2)
                  .ok());
  const std::vector<std::pair<std::string, std::vector<std::string>>> formats =
      {{"flac", {"-c:a", "flac"}},
       {"mp3", {"-c:a", "libmp3lame", "-b:a", "128k"}},
       {"ogg", {"-c:a", "libvorbis"}},
       {"opus", {"-c:a", "libopus", "-b:a", "64k"}},
       {"m4a", {"-c:a", "aac", "-b:a", "128k"}},
       {"webm", {"-c:a", "libopus"}},
       {"aiff", {}}};
  std::vector<test::EncodeTarget> targets;
  for (const auto& [ext, args] : formats) {
    targets.push_back({dir_->File("tone." + ext), args});
  }
  ASSERT_TRUE(test::EncodeManyWithFfmpeg(wav_path, targets).ok());
  for (const auto& [ext, args] : formats) {
    v1::AddSoundResponse r;
    grpc::Status s = Add(*test::ReadFileBytes(dir_->File("tone." + ext)),
                         "tone-" + ext, {"tone"}, {}, &r);
    ASSERT_TRUE(s.ok()) << ext << ": " << s.error_message();
    EXPECT_FALSE(r.duplicate());
    EXPECT_NEAR(r.sound().duration_seconds(), 2.0, 0.1) << ext;
    EXPECT_FALSE(r.audio().codec().empty()) << ext;
  }
  // And a WAV through the client stream, in chunks.
  {
    v1::AddSoundResponse r;
    auto ctx = Ctx();
    auto writer = ingest_->AddSoundStream(ctx.get(), &r);
    v1::AddSoundStreamRequest header;
    header.mutable_header()->mutable_fields()->set_external_id("tone-stream");
    header.mutable_header()->mutable_fields()->add_labels("tone");
    ASSERT_TRUE(writer->Write(header));
    const std::string bytes = *test::ReadFileBytes(wav_path);
    for (size_t off = 0; off < bytes.size(); off += 65536) {
      v1::AddSoundStreamRequest chunk;
      chunk.set_chunk(bytes.substr(off, 65536));
      ASSERT_TRUE(writer->Write(chunk));
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_GT(r.id(), 0u);
  }
  for (int i = 0; i < 4; ++i) {
    v1::AddSoundResponse r;
    ASSERT_TRUE(Add(Wav(0, 2.0, 7 + i), absl::StrCat("noise-", i), {"noise"},
                    {}, &r)
                    .ok());
  }
  // A new 445 Hz tone as the example: its 8 nearest are the 8 tones.
  v1::QueryByExampleRequest q;
  q.set_audio(Wav(445, 2.0));
  q.set_k(8);
  v1::QueryByExampleResponse response;
  grpc::Status s = query_->QueryByExample(Ctx(false).get(), q, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.collection_size(), 12u);
  ASSERT_EQ(response.results_size(), 8);
  for (const auto& result : response.results()) {
    ASSERT_EQ(result.sound().labels_size(), 1);
    EXPECT_EQ(result.sound().labels(0), "tone") << result.sound().external_id();
  }
  for (int i = 1; i < response.results_size(); ++i) {
    EXPECT_GE(response.results(i - 1).score(), response.results(i).score());
  }
}

TEST_F(ServerE2ETest, QueriesByIdExternalIdFiltersAndBatch) {
  AddToneAndNoiseCollection();
  // By id: the query itself is left out by default.
  v1::QueryByExampleRequest q;
  q.set_id(ids_[0]);
  q.set_k(4);
  v1::QueryByExampleResponse r;
  ASSERT_TRUE(query_->QueryByExample(Ctx(false).get(), q, &r).ok());
  ASSERT_EQ(r.results_size(), 4);
  for (const auto& hit : r.results()) {
    EXPECT_NE(hit.id(), ids_[0]);
    EXPECT_EQ(hit.sound().labels(0), "tone");
  }
  // include_query puts it first (cosine 1 with itself).
  q.set_include_query(true);
  ASSERT_TRUE(query_->QueryByExample(Ctx(false).get(), q, &r).ok());
  EXPECT_EQ(r.results(0).id(), ids_[0]);
  EXPECT_NEAR(r.results(0).score(), 1.0, 1e-4);

  // By external id, filtered to noise: only noises come back.
  v1::QueryByExampleRequest f;
  f.set_external_id("tone-2");
  f.set_k(10);
  f.mutable_filter()->add_labels_any("noise");
  ASSERT_TRUE(query_->QueryByExample(Ctx(false).get(), f, &r).ok());
  EXPECT_EQ(r.results_size(), 5);
  for (const auto& hit : r.results()) EXPECT_EQ(hit.sound().labels(0), "noise");
  // tags_none removes the tones (tagged "sine").
  v1::QueryByExampleRequest none;
  none.set_id(ids_[1]);
  none.set_k(20);
  none.mutable_filter()->add_tags_none("sine");
  ASSERT_TRUE(query_->QueryByExample(Ctx(false).get(), none, &r).ok());
  EXPECT_EQ(r.results_size(), 4);
  // min_score keeps only close neighbours.
  v1::QueryByExampleRequest close = q;
  close.set_include_query(false);
  close.set_k(20);
  close.set_min_score(0.999f);
  ASSERT_TRUE(query_->QueryByExample(Ctx(false).get(), close, &r).ok());
  for (const auto& hit : r.results()) EXPECT_GE(hit.score(), 0.999f);

  // Batch: same answers as single queries, in order.
  v1::BatchQueryByExampleRequest batch;
  for (uint64_t id : {ids_[0], ids_[1], ids_[2]}) {
    auto* one = batch.add_queries();
    one->set_id(id);
    one->set_k(3);
  }
  v1::BatchQueryByExampleResponse br;
  ASSERT_TRUE(query_->BatchQueryByExample(Ctx(false).get(), batch, &br).ok());
  ASSERT_EQ(br.responses_size(), 3);
  for (int i = 0; i < 3; ++i) {
    v1::QueryByExampleResponse single;
    ASSERT_TRUE(
        query_->QueryByExample(Ctx(false).get(), batch.queries(i), &single).ok());
    ASSERT_EQ(single.results_size(), br.responses(i).results_size());
    for (int j = 0; j < single.results_size(); ++j) {
      EXPECT_EQ(single.results(j).id(), br.responses(i).results(j).id());
    }
  }
}

TEST_F(ServerE2ETest, DeleteDuplicatesAndRestartKeepEverything) {
  AddToneAndNoiseCollection();
  // The same bytes again: a duplicate, not a new sound.
  v1::AddSoundResponse dup;
  v1::GetSoundRequest get;
  get.mutable_sound()->set_id(ids_[0]);
  v1::Sound first;
  ASSERT_TRUE(query_->GetSound(Ctx(false).get(), get, &first).ok());
  ASSERT_TRUE(Add(Wav(400, 1.0), "other-name", {}, {}, &dup).ok());
  EXPECT_TRUE(dup.duplicate());
  EXPECT_EQ(dup.id(), ids_[0]);

  // Delete one; it is never returned again.
  v1::DeleteSoundRequest del;
  del.mutable_sound()->set_external_id("tone-1");
  v1::DeleteSoundResponse deleted;
  ASSERT_TRUE(ingest_->DeleteSound(Ctx().get(), del, &deleted).ok());
  const uint64_t gone = deleted.id();
  v1::QueryByExampleRequest q;
  q.set_id(ids_[0]);
  q.set_k(100);
  v1::QueryByExampleResponse r;
  ASSERT_TRUE(query_->QueryByExample(Ctx(false).get(), q, &r).ok());
  EXPECT_EQ(r.results_size(), 8);
  for (const auto& hit : r.results()) EXPECT_NE(hit.id(), gone);

  RestartServer();
  v1::StatsResponse stats;
  ASSERT_TRUE(query_->Stats(Ctx(false).get(), {}, &stats).ok());
  EXPECT_EQ(stats.sounds(), 9u);
  v1::QueryByExampleResponse after;
  ASSERT_TRUE(query_->QueryByExample(Ctx(false).get(), q, &after).ok());
  ASSERT_EQ(after.results_size(), r.results_size());
  for (int i = 0; i < r.results_size(); ++i) {
    EXPECT_EQ(after.results(i).id(), r.results(i).id());
    EXPECT_NEAR(after.results(i).score(), r.results(i).score(), 1e-5);
  }
  v1::Sound again;
  ASSERT_TRUE(query_->GetSound(Ctx(false).get(), get, &again).ok());
  EXPECT_EQ(again.DebugString(), first.DebugString());
  get.mutable_sound()->set_id(gone);
  EXPECT_EQ(query_->GetSound(Ctx(false).get(), get, &again).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerE2ETest, RefitProjectsAndKeepsAnswering) {
  AddToneAndNoiseCollection();
  v1::RefitRequest refit;
  v1::RefitResponse refitted;
  grpc::Status s = ingest_->Refit(Ctx().get(), refit, &refitted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(refitted.space(), "dsp");
  EXPECT_GE(refitted.fitted_version(), 1u);
  EXPECT_EQ(refitted.items(), 10u);
  v1::ListSpacesResponse spaces;
  ASSERT_TRUE(query_->ListSpaces(Ctx(false).get(), {}, &spaces).ok());
  ASSERT_EQ(spaces.spaces_size(), 1);
  EXPECT_TRUE(spaces.spaces(0).fitted());
  EXPECT_LT(spaces.spaces(0).index_dim(), spaces.spaces(0).raw_dim());
  EXPECT_EQ(spaces.spaces(0).vectors(), 10u);
  v1::QueryByExampleRequest q;
  q.set_id(ids_[0]);
  q.set_k(4);
  v1::QueryByExampleResponse r;
  ASSERT_TRUE(query_->QueryByExample(Ctx(false).get(), q, &r).ok());
  for (const auto& hit : r.results()) EXPECT_EQ(hit.sound().labels(0), "tone");
}

TEST_F(ServerE2ETest, BadRequestsGetTheRightCodeAndTheServerKeepsServing) {
  AddToneAndNoiseCollection();
  v1::AddSoundResponse r;
  struct Case {
    std::string name;
    std::string audio;
    grpc::StatusCode code;
  };
  std::string png("\x89PNG\r\n\x1a\n", 8);
  png.append(2000, '\x11');
  std::string truncated = Wav(300, 1.0).substr(0, 30);
  std::vector<Case> cases = {
      {"empty", "", grpc::StatusCode::INVALID_ARGUMENT},
      {"text", std::string(5000, 'a'), grpc::StatusCode::INVALID_ARGUMENT},
      {"png", png, grpc::StatusCode::INVALID_ARGUMENT},
      {"truncated header", truncated, grpc::StatusCode::INVALID_ARGUMENT},
      {"oversize", std::string((4 << 20) + 10, '\0'),
       grpc::StatusCode::RESOURCE_EXHAUSTED},
  };
  for (const Case& c : cases) {
    grpc::Status s = Add(c.audio, "", {}, {}, &r);
    EXPECT_EQ(s.error_code(), c.code) << c.name << ": " << s.error_message();
    EXPECT_FALSE(s.error_message().empty()) << c.name;
  }
  // A read token on an admin RPC; missing and wrong tokens.
  EXPECT_EQ(Add(Wav(900, 1), "x", {}, {}, &r, /*admin=*/false).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  {
    v1::AddSoundRequest request;
    request.set_audio(Wav(901, 1));
    EXPECT_EQ(
        ingest_->AddSound(test::CallContext().get(), request, &r).error_code(),
        grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(
        ingest_->AddSound(test::CallContext("wrong-token").get(), request, &r)
            .error_code(),
        grpc::StatusCode::UNAUTHENTICATED);
  }
  // External id already used by another sound.
  EXPECT_EQ(Add(Wav(902, 1), "tone-0", {}, {}, &r).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  v1::QueryByExampleResponse qr;
  auto query_code = [&](const v1::QueryByExampleRequest& q) {
    return query_->QueryByExample(Ctx(false).get(), q, &qr).error_code();
  };
  v1::QueryByExampleRequest q;
  EXPECT_EQ(query_code(q), grpc::StatusCode::INVALID_ARGUMENT);  // no example
  q.set_id(999999);
  EXPECT_EQ(query_code(q), grpc::StatusCode::NOT_FOUND);
  q.set_external_id("no-such-sound");
  EXPECT_EQ(query_code(q), grpc::StatusCode::NOT_FOUND);
  q.set_id(ids_[0]);
  q.set_k(10001);
  EXPECT_EQ(query_code(q), grpc::StatusCode::INVALID_ARGUMENT);
  q.set_k(10000);
  EXPECT_EQ(query_code(q), grpc::StatusCode::OK);  // the maximum is allowed
  q.set_k(5);
  q.set_space("no-such-space");
  EXPECT_EQ(query_code(q), grpc::StatusCode::NOT_FOUND);
  v1::QueryByExampleRequest bad_audio;
  bad_audio.set_audio("not audio at all");
  EXPECT_EQ(query_code(bad_audio), grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetSoundRequest get;
  v1::Sound sound;
  EXPECT_EQ(query_->GetSound(Ctx(false).get(), get, &sound).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::DeleteSoundRequest del;
  del.mutable_sound()->set_id(424242);
  v1::DeleteSoundResponse deleted;
  EXPECT_EQ(ingest_->DeleteSound(Ctx().get(), del, &deleted).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetJobRequest job;
  job.set_job_id("job-404");
  v1::Job job_status;
  EXPECT_EQ(ingest_->GetJob(Ctx().get(), job, &job_status).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // An already expired deadline.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() -
                     std::chrono::milliseconds(1));
    v1::StatsResponse stats;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kReadToken));
    EXPECT_EQ(query_->Stats(&ctx, {}, &stats).error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  // Still serving, with nothing added by the failures.
  v1::StatsResponse stats;
  ASSERT_TRUE(query_->Stats(Ctx(false).get(), {}, &stats).ok());
  EXPECT_EQ(stats.sounds(), 10u);
}

// An upload over --max-upload-bytes (4 MiB here) is RESOURCE_EXHAUSTED with
// the error detail UPLOAD_TOO_LARGE (docs/api.md), unlike a full queue
// (retry later): the unary call, the stream and a query example alike.
TEST_F(ServerE2ETest, OversizeUploadsCarryTheUploadTooLargeDetail) {
  const std::string oversize((4 << 20) + 10, '\0');
  v1::AddSoundResponse r;
  grpc::Status unary = Add(oversize, "big", {}, {}, &r);
  EXPECT_EQ(unary.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << unary.error_message();
  EXPECT_EQ(GrpcErrorReason(unary), kReasonUploadTooLarge);
  // On the wire: a google.rpc.Status with the same code and message and one
  // google.rpc.ErrorInfo in the trailing metadata grpc-status-details-bin.
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(unary.error_details()));
  EXPECT_EQ(details.code(), static_cast<int>(unary.error_code()));
  EXPECT_EQ(details.message(), unary.error_message());
  ASSERT_EQ(details.details_size(), 1);
  EXPECT_EQ(details.details(0).type_url(),
            "type.googleapis.com/google.rpc.ErrorInfo");
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "UPLOAD_TOO_LARGE");
  EXPECT_EQ(info.domain(), "soundsearch.v1");

  {
    auto ctx = Ctx();
    auto writer = ingest_->AddSoundStream(ctx.get(), &r);
    v1::AddSoundStreamRequest header;
    header.mutable_header()->mutable_fields()->set_external_id("big-stream");
    ASSERT_TRUE(writer->Write(header));
    for (size_t off = 0; off < oversize.size(); off += 1 << 20) {
      v1::AddSoundStreamRequest chunk;
      chunk.set_chunk(oversize.substr(off, 1 << 20));
      if (!writer->Write(chunk)) break;  // the server has answered
    }
    writer->WritesDone();
    grpc::Status stream = writer->Finish();
    EXPECT_EQ(stream.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << stream.error_message();
    EXPECT_EQ(GrpcErrorReason(stream), kReasonUploadTooLarge);
  }

  // A query example over the limit is refused by the decoder, with the same
  // detail.
  v1::QueryByExampleRequest q;
  q.set_audio(oversize);
  v1::QueryByExampleResponse qr;
  grpc::Status query = query_->QueryByExample(Ctx(false).get(), q, &qr);
  EXPECT_EQ(query.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << query.error_message();
  EXPECT_EQ(GrpcErrorReason(query), kReasonUploadTooLarge);

  // Other errors carry no detail.
  grpc::Status bad = Add("not audio at all", "", {}, {}, &r);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(bad.error_details().empty());
  EXPECT_EQ(GrpcErrorReason(bad), "");
}

TEST_F(ServerE2ETest, ManifestJobIngestsInTheBackground) {
  const std::string audio_dir = dir_->File("bulk");
  ASSERT_EQ(system(("mkdir -p " + audio_dir).c_str()), 0);
  std::string manifest = "fname,labels,tags,id\n";
  for (int i = 0; i < 6; ++i) {
    const std::string name = absl::StrCat("s", i, ".wav");
    ASSERT_TRUE(test::WritePcm16Wav(audio_dir + "/" + name,
                                    test::Sine(300 + 50 * i, 1, kRate), kRate, 1)
                    .ok());
    absl::StrAppend(&manifest, name, ",tone,\"a b\",ext-", i, "\n");
  }
  absl::StrAppend(&manifest, "missing.wav,tone,,ext-missing\n");
  ASSERT_TRUE(test::WriteFileBytes(audio_dir + "/manifest.csv", manifest).ok());
  v1::AddFromManifestRequest request;
  request.set_manifest_path(audio_dir + "/manifest.csv");
  v1::Job job;
  ASSERT_TRUE(ingest_->AddFromManifest(Ctx().get(), request, &job).ok());
  EXPECT_EQ(job.total(), 7u);
  v1::GetJobRequest poll;
  poll.set_job_id(job.job_id());
  for (int i = 0; i < 300 && job.state() != v1::Job::DONE; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(ingest_->GetJob(Ctx().get(), poll, &job).ok());
  }
  ASSERT_EQ(job.state(), v1::Job::DONE);
  EXPECT_EQ(job.stored(), 6u);
  EXPECT_EQ(job.failed(), 1u);
  ASSERT_EQ(job.failures_size(), 1);
  EXPECT_EQ(job.failures(0).fname(), "missing.wav");
  EXPECT_EQ(job.failures(0).code(), "NOT_FOUND");
  v1::GetSoundRequest get;
  get.mutable_sound()->set_external_id("ext-3");
  v1::Sound sound;
  ASSERT_TRUE(query_->GetSound(Ctx(false).get(), get, &sound).ok());
  EXPECT_EQ(sound.source(), "s3.wav");
  ASSERT_EQ(sound.tags_size(), 2);
}

TEST_F(ServerE2ETest, SixteenParallelClientsMixQueriesAndIngests) {
  AddToneAndNoiseCollection();
  std::atomic<int> errors{0};
  std::atomic<int> added{0};
  std::vector<std::string> uploads;
  for (int i = 0; i < 16 * 3; ++i) uploads.push_back(Wav(1000 + 7 * i, 0.5));
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      auto stub_q = v1::Query::NewStub(channel_);
      auto stub_i = v1::Ingest::NewStub(channel_);
      for (int i = 0; i < 6; ++i) {
        if (i % 2 == 0) {
          v1::AddSoundRequest request;
          request.set_audio(uploads[c * 3 + i / 2]);
          request.mutable_fields()->add_labels("tone");
          v1::AddSoundResponse r;
          grpc::Status s = stub_i->AddSound(Ctx().get(), request, &r);
          if (s.ok() && !r.duplicate()) {
            added++;
          } else {
            errors++;
          }
        } else {
          // Query by a stable id: the answer's first hits must be tones.
          v1::QueryByExampleRequest q;
          q.set_id(ids_[0]);
          q.set_k(3);
          v1::QueryByExampleResponse r;
          grpc::Status s = stub_q->QueryByExample(Ctx(false).get(), q, &r);
          if (!s.ok() || r.results_size() != 3) {
            errors++;
          } else {
            for (const auto& hit : r.results()) {
              if (hit.id() == ids_[0]) errors++;
            }
          }
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(added.load(), 48);
  v1::StatsResponse stats;
  ASSERT_TRUE(query_->Stats(Ctx(false).get(), {}, &stats).ok());
  EXPECT_EQ(stats.sounds(), 58u);
  ASSERT_EQ(stats.spaces_size(), 1);
  EXPECT_EQ(stats.spaces(0).vectors(), 58u);
}

}  // namespace
}  // namespace soundsearch
