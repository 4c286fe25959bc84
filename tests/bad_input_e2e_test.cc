// End-to-end: every kind of bad input the API documents (docs/api.md, "Bad
// input") sent through the public interface, real gRPC on loopback, to a
// real server with admin and read tokens and an import root. Each gets the
// right gRPC code and a message that names the problem, and the server keeps
// serving: after every case a read call must still be answered.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rpc/grpc_status.h"
#include "soundsearch/error_reason.h"
#include "soundsearch/v1/evaluation.grpc.pb.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_http.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

constexpr int kRate = 22050;
constexpr char kAdmin[] = "bad-input-admin-token";
constexpr char kRead[] = "bad-input-read-token";
using Code = grpc::StatusCode;

// A WAV file's bytes with every header field chosen by the caller.
std::string WavBytes(int channels, uint32_t rate, int bits, int format,
                     const std::string& data, uint32_t data_size) {
  std::string out;
  auto u32 = [&out](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  };
  auto u16 = [&out](uint16_t v) {
    out.push_back(static_cast<char>(v));
    out.push_back(static_cast<char>(v >> 8));
  };
  const int block = channels * bits / 8;
  out += "RIFF";
  u32(36 + static_cast<uint32_t>(data.size()));
  out += "WAVEfmt ";
  u32(16);
  u16(static_cast<uint16_t>(format));
  u16(static_cast<uint16_t>(channels));
  u32(rate);
  u32(rate * static_cast<uint32_t>(block));
  u16(static_cast<uint16_t>(block));
  u16(static_cast<uint16_t>(bits));
  out += "data";
  u32(data_size);
  return out + data;
}

class BadInputE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    root_ = dir_->File("root");
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_TRUE(test::WriteFileBytes(
                    dir_->File("tokens"),
                    absl::StrCat("admin ", kAdmin, "\nread ", kRead, "\n"))
                    .ok());
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    options.auth_token_file = dir_->File("tokens");
    options.import_roots = {root_};
    options.max_upload_bytes = 4 << 20;
    options.max_import_file_bytes = 64 << 10;
    options.max_batch_audio_seconds = 5;
    options.query_threads = 2;
    options.ingest_workers = 1;
    auto server = test::TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    // One sound to query against.
    v1::AddSoundResponse r;
    ASSERT_TRUE(Add(Wav(440, 1), "tone-440", &r).ok());
    id_ = r.id();
  }

  std::unique_ptr<grpc::ClientContext> Admin() const {
    return test::CallContext(kAdmin);
  }
  std::unique_ptr<grpc::ClientContext> Read() const {
    return test::CallContext(kRead);
  }

  std::string Wav(double frequency, double seconds) {
    const std::string path = dir_->File(absl::StrCat("w", n_++, ".wav"));
    EXPECT_TRUE(test::WritePcm16Wav(
                    path, test::Sine(frequency, seconds, kRate, 0.5f), kRate, 1)
                    .ok());
    return *test::ReadFileBytes(path);
  }

  grpc::Status Add(const std::string& audio, const std::string& external_id,
                   v1::AddSoundResponse* r) {
    v1::AddSoundRequest request;
    request.set_audio(audio);
    request.mutable_fields()->set_external_id(external_id);
    return server_->ingest().AddSound(Admin().get(), request, r);
  }

  grpc::Status Query(const v1::QueryByExampleRequest& q) {
    v1::QueryByExampleResponse r;
    return server_->query().QueryByExample(Read().get(), q, &r);
  }

  // The case's code and a message naming the problem; then the server must
  // still answer.
  void Expect(const std::string& kind, const grpc::Status& status, Code code,
              const std::string& names) {
    SCOPED_TRACE(kind);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_TRUE(absl::StrContains(status.error_message(), names))
        << "message \"" << status.error_message() << "\" does not name \""
        << names << "\"";
    v1::StatsResponse stats;
    ASSERT_TRUE(server_->query().Stats(Read().get(), {}, &stats).ok())
        << "the server stopped serving after: " << kind;
    ++kinds_;
  }

  v1::Job StartJob(const std::string& manifest_path, grpc::Status* status) {
    v1::AddFromManifestRequest request;
    request.set_manifest_path(manifest_path);
    v1::Job job;
    *status = server_->ingest().AddFromManifest(Admin().get(), request, &job);
    return job;
  }

  v1::Job WaitForJob(const std::string& id) {
    v1::GetJobRequest poll;
    poll.set_job_id(id);
    v1::Job job;
    for (;;) {
      grpc::Status s = server_->ingest().GetJob(Admin().get(), poll, &job);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok() || job.state() != v1::Job::RUNNING) return job;
      usleep(20000);
    }
  }

  std::unique_ptr<test::TempDir> dir_;
  std::string root_;
  std::unique_ptr<test::TestServer> server_;
  uint64_t id_ = 0;
  int n_ = 0;
  int kinds_ = 0;
};

TEST_F(BadInputE2ETest, BadAudio) {
  v1::AddSoundResponse r;
  Expect("empty upload", Add("", "", &r), Code::INVALID_ARGUMENT, "empty");
  const std::string wav = Wav(300, 1);
  Expect("truncated file", Add(wav.substr(0, 30), "", &r),
         Code::INVALID_ARGUMENT, "");
  Expect("non-audio (text)", Add(std::string(5000, 'a'), "", &r),
         Code::INVALID_ARGUMENT, "");
  std::string png("\x89PNG\r\n\x1a\n", 8);
  png.append(2000, '\x11');
  Expect("non-audio (PNG)", Add(png, "", &r), Code::INVALID_ARGUMENT, "");
  const std::string mp4 = dir_->File("video.mp4");
  ASSERT_TRUE(
      test::RunFfmpeg({"-f", "lavfi", "-i", "testsrc=size=64x64:rate=10", "-t",
                       "1", "-c:v", "mpeg4", mp4})
          .ok());
  Expect("video-only file", Add(*test::ReadFileBytes(mp4), "", &r),
         Code::INVALID_ARGUMENT, "no audio stream");
  const std::string pcm(8000, '\x10');
  Expect("0 channels", Add(WavBytes(0, 8000, 16, 1, pcm, 8000), "", &r),
         Code::INVALID_ARGUMENT, "no audio stream");
  Expect(
      "255 channels",
      Add(WavBytes(255, 8000, 16, 1, std::string(255 * 40, '\x10'), 255 * 40),
          "", &r),
      Code::INVALID_ARGUMENT, "channel count 255");
  Expect("sample rate 0", Add(WavBytes(1, 0, 16, 1, pcm, 8000), "", &r),
         Code::INVALID_ARGUMENT, "");
  Expect("sample rate 1 Hz", Add(WavBytes(1, 1, 16, 1, pcm, 8000), "", &r),
         Code::INVALID_ARGUMENT, "sample rate 1 Hz");
  Expect("sample rate 4 GHz",
         Add(WavBytes(1, 4000000000u, 16, 1, pcm, 8000), "", &r),
         Code::INVALID_ARGUMENT, "");
  Expect("unknown codec", Add(WavBytes(1, 8000, 16, 99, pcm, 8000), "", &r),
         Code::INVALID_ARGUMENT, "codec");
}

TEST_F(BadInputE2ETest, TinyFileThatDecodesToHoursIsCut) {
  // Three hours of FLAC silence at 1 kHz: under 1 MB.
  const std::string flac = dir_->File("hours.flac");
  ASSERT_TRUE(test::RunFfmpeg({"-f", "lavfi", "-i", "anullsrc=r=1000:cl=mono",
                               "-t", "10800", "-c:a", "flac", flac})
                  .ok());
  const std::string bytes = *test::ReadFileBytes(flac);
  ASSERT_LT(bytes.size(), 1u << 20);
  v1::AddSoundResponse r;
  grpc::Status s = Add(bytes, "hours", &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // Cut at --max-clip-seconds (600), and flagged.
  EXPECT_TRUE(r.audio().truncated());
  EXPECT_NEAR(r.sound().duration_seconds(), 600, 1);
  // A batch of such examples stops at its decode budget (5 s here).
  v1::BatchQueryByExampleRequest batch;
  batch.add_queries()->set_audio(bytes);
  v1::BatchQueryByExampleResponse br;
  Expect("batch over its decode budget",
         server_->query().BatchQueryByExample(Read().get(), batch, &br),
         Code::INVALID_ARGUMENT, "--max-batch-audio-seconds");
}

TEST_F(BadInputE2ETest, BatchExamplesStopDecodingAtTheDeadline) {
  // A server that decodes examples of up to an hour, whose batch budget
  // lets the first one through, with a metrics endpoint to see what it did.
  server_.reset();
  ServerOptions options = test::LoopbackServerOptions(dir_->File("data2"));
  options.auth_token_file = dir_->File("tokens");
  options.max_upload_bytes = 64 << 20;
  options.max_clip_seconds = 3600;
  options.max_batch_audio_seconds = 3600;
  options.metrics_listen = "127.0.0.1:0";
  auto server = test::TestServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  // An hour of 48 kHz MP3 (one minute, its frames repeated 60 times):
  // seconds of CPU to decode even on an idle fast machine (ffmpeg alone
  // decodes ten minutes of it in about 0.4 s), several times the call's
  // 500 ms.
  const std::string mp3 = dir_->File("minute.mp3");
  ASSERT_TRUE(test::RunFfmpeg({"-f", "lavfi", "-i",
                               "sine=frequency=440:sample_rate=48000", "-t",
                               "60", "-ac", "1", "-c:a", "libmp3lame", "-b:a",
                               "32k", "-write_xing", "0", mp3})
                  .ok());
  const std::string minute = *test::ReadFileBytes(mp3);
  std::string hour;
  for (int i = 0; i < 60; ++i) hour += minute;
  v1::BatchQueryByExampleRequest batch;
  for (int i = 0; i < 2; ++i) batch.add_queries()->set_audio(hour);
  v1::BatchQueryByExampleResponse br;
  auto ctx = test::CallContext(kRead, std::chrono::milliseconds(500));
  Expect("batch example decoding past the deadline",
         server_->query().BatchQueryByExample(ctx.get(), batch, &br),
         Code::DEADLINE_EXCEEDED, "");
  // The server's own answer (in its metrics): the call ran and ended at its
  // deadline, and no example was searched: the first one's decoding stopped
  // at the deadline (checking only between examples would have decoded,
  // embedded and searched the first in full).
  const std::string answered =
      "soundsearch_rpc_requests_total{code=\"DEADLINE_EXCEEDED\","
      "method=\"BatchQueryByExample\"} 1";
  std::string metrics;
  for (int i = 0; i < 1500; ++i) {
    metrics = test::HttpGet(server_->metrics_port(), "/metrics");
    if (absl::StrContains(metrics, answered)) break;
    usleep(20000);
  }
  ASSERT_TRUE(absl::StrContains(metrics, answered)) << metrics;
  EXPECT_FALSE(
      absl::StrContains(metrics, "soundsearch_search_duration_seconds_count"))
      << metrics;
}

TEST_F(BadInputE2ETest, RequestsOverTheMemoryBudgetAreRefusedAtOnce) {
  // A server holding at most 5 MiB of requests (the upload limit + 1 MiB),
  // with a metrics endpoint that shows the bytes it holds.
  server_.reset();
  ServerOptions options = test::LoopbackServerOptions(dir_->File("data3"));
  options.max_upload_bytes = 4 << 20;
  options.request_memory_bytes = 5 << 20;
  options.metrics_listen = "127.0.0.1:0";
  auto server = test::TestServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  auto held = [this] {
    return test::ScrapeMetric(server_->metrics_port(),
                              "soundsearch_request_memory_bytes");
  };
  EXPECT_EQ(test::ScrapeMetric(server_->metrics_port(),
                               "soundsearch_request_memory_limit_bytes"),
            5 << 20);
  // A stream holds 3 MiB while it stays open.
  v1::AddSoundResponse r;
  auto stream_ctx = test::CallContext();
  auto writer = server_->ingest().AddSoundStream(stream_ctx.get(), &r);
  v1::AddSoundStreamRequest header;
  header.mutable_header();
  ASSERT_TRUE(writer->Write(header));
  for (int i = 0; i < 3; ++i) {
    v1::AddSoundStreamRequest chunk;
    chunk.set_chunk(std::string(1 << 20, '\x01'));
    ASSERT_TRUE(writer->Write(chunk));
  }
  // A client's Write returns before the server has read the chunk, and a
  // query sent while the stream holds less than 3 MiB would fit and make
  // the stream's next chunk the one refused. So wait (bounded at 60 s, for
  // a loaded machine) until the server holds all three.
  double bytes = 0;
  for (int i = 0; i < 3000 && bytes < (3 << 20); ++i) {
    bytes = held();
    if (bytes < (3 << 20)) usleep(20000);
  }
  ASSERT_EQ(bytes, 3 << 20);
  // Another 3 MiB call does not fit beside it.
  v1::QueryByExampleRequest q;
  q.set_audio(std::string(3 << 20, '\x01'));
  v1::QueryByExampleResponse qr;
  grpc::Status s =
      server_->query().QueryByExample(test::CallContext().get(), q, &qr);
  Expect("request over the memory budget", s, Code::RESOURCE_EXHAUSTED,
         "--request-memory-bytes");
  EXPECT_EQ(GrpcErrorReason(s), "");  // retry later, unlike UPLOAD_TOO_LARGE
  writer->WritesDone();
  writer->Finish();  // not audio: fails, and gives its bytes back
  EXPECT_EQ(held(), 0);
  Expect("the same call once the budget is free",
         server_->query().QueryByExample(test::CallContext().get(), q, &qr),
         Code::INVALID_ARGUMENT, "");
  EXPECT_EQ(held(), 0);
}

TEST_F(BadInputE2ETest, OversizeBodies) {
  v1::AddSoundResponse r;
  grpc::Status unary = Add(std::string((4 << 20) + 10, '\0'), "", &r);
  Expect("upload over --max-upload-bytes", unary, Code::RESOURCE_EXHAUSTED,
         "limit");
  EXPECT_EQ(GrpcErrorReason(unary), kReasonUploadTooLarge);
  // Over the limit plus 1 MiB: gRPC's own message-size check.
  Expect("message over gRPC's limit", Add(std::string(6 << 20, '\0'), "", &r),
         Code::RESOURCE_EXHAUSTED, "");
  v1::QueryByExampleRequest q;
  q.set_audio(std::string((4 << 20) + 10, '\0'));
  Expect("query example over the limit", Query(q), Code::RESOURCE_EXHAUSTED,
         "");
  auto ctx = Admin();
  auto writer = server_->ingest().AddSoundStream(ctx.get(), &r);
  v1::AddSoundStreamRequest header;
  header.mutable_header()->mutable_fields()->set_external_id("big");
  ASSERT_TRUE(writer->Write(header));
  for (int i = 0; i < 6; ++i) {
    v1::AddSoundStreamRequest chunk;
    chunk.set_chunk(std::string(1 << 20, '\0'));
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  Expect("stream over the limit", writer->Finish(), Code::RESOURCE_EXHAUSTED,
         "limit");
}

TEST_F(BadInputE2ETest, BadStreams) {
  v1::AddSoundResponse r;
  {
    auto ctx = Admin();
    auto writer = server_->ingest().AddSoundStream(ctx.get(), &r);
    v1::AddSoundStreamRequest chunk;
    chunk.set_chunk("abc");
    writer->Write(chunk);
    writer->WritesDone();
    Expect("stream chunk before its header", writer->Finish(),
           Code::INVALID_ARGUMENT, "header");
  }
  {
    auto ctx = Admin();
    auto writer = server_->ingest().AddSoundStream(ctx.get(), &r);
    v1::AddSoundStreamRequest header;
    header.mutable_header();
    writer->Write(header);
    writer->Write(header);
    writer->WritesDone();
    Expect("stream with two headers", writer->Finish(), Code::INVALID_ARGUMENT,
           "second header");
  }
}

TEST_F(BadInputE2ETest, BadNumbersAndIds) {
  v1::QueryByExampleRequest q;
  Expect("no example set", Query(q), Code::INVALID_ARGUMENT, "example");
  q.set_id(id_);
  q.set_k(10001);
  Expect("k above --max-k", Query(q), Code::INVALID_ARGUMENT, "k must be in");
  q.set_k(std::numeric_limits<uint32_t>::max());
  Expect("huge k", Query(q), Code::INVALID_ARGUMENT, "k must be in");
  // A negative number where an unsigned one is asked: int32 -1 on the wire
  // reads back as 4294967295.
  {
    std::string wire;
    google::protobuf::io::StringOutputStream raw(&wire);
    {
      google::protobuf::io::CodedOutputStream out(&raw);
      out.WriteTag((2 << 3) | 0);  // id
      out.WriteVarint64(id_);
      out.WriteTag((4 << 3) | 0);  // k
      out.WriteVarint64(static_cast<uint64_t>(int64_t{-1}));
    }
    grpc::Slice slice(wire);
    grpc::ByteBuffer buffer(&slice, 1);
    std::string response;
    auto ctx = Read();
    Expect("negative k",
           test::RawUnaryCall(server_->channel(), ctx.get(),
                              "/soundsearch.v1.Query/QueryByExample", buffer,
                              &response),
           Code::INVALID_ARGUMENT, "k must be in");
  }
  q.set_k(5);
  q.set_min_score(std::numeric_limits<float>::quiet_NaN());
  Expect("NaN min_score", Query(q), Code::INVALID_ARGUMENT, "min_score");
  q.set_min_score(std::numeric_limits<float>::infinity());
  Expect("infinite min_score", Query(q), Code::INVALID_ARGUMENT, "min_score");
  q.clear_min_score();
  q.set_id(999999);
  Expect("unknown sound id", Query(q), Code::NOT_FOUND, "999999");
  q.set_external_id("no-such-sound");
  Expect("unknown external id", Query(q), Code::NOT_FOUND, "no-such-sound");
  q.set_id(id_);
  q.set_space("no-such-space");
  Expect("unknown space", Query(q), Code::NOT_FOUND, "no-such-space");
  v1::GetJobRequest job;
  job.set_job_id("job-1");
  v1::Job j;
  Expect("unknown job id", server_->ingest().GetJob(Admin().get(), job, &j),
         Code::NOT_FOUND, "job-1");
  v1::DeleteSoundRequest del;
  del.mutable_sound()->set_id(424242);
  v1::DeleteSoundResponse deleted;
  Expect("delete of an unknown id",
         server_->ingest().DeleteSound(Admin().get(), del, &deleted),
         Code::NOT_FOUND, "424242");
  v1::BatchQueryByExampleRequest batch;
  for (int i = 0; i < 257; ++i) batch.add_queries()->set_id(id_);
  v1::BatchQueryByExampleResponse br;
  Expect("more than 256 batch queries",
         server_->query().BatchQueryByExample(Read().get(), batch, &br),
         Code::INVALID_ARGUMENT, "at most 256");
  v1::GetWordVectorsRequest words;
  for (int i = 0; i < 10001; ++i) words.add_words("w");
  v1::GetWordVectorsResponse wr;
  Expect("more than 10000 words",
         server_->evaluation().GetWordVectors(Read().get(), words, &wr),
         Code::INVALID_ARGUMENT, "at most 10000");
  grpc::ClientContext expired;
  expired.set_deadline(std::chrono::system_clock::now() -
                       std::chrono::milliseconds(1));
  expired.AddMetadata("authorization", absl::StrCat("Bearer ", kRead));
  v1::StatsResponse stats;
  Expect("expired deadline", server_->query().Stats(&expired, {}, &stats),
         Code::DEADLINE_EXCEEDED, "");
}

TEST_F(BadInputE2ETest, OddBytesInExternalIdsAndMetadata) {
  // External ids are opaque bytes: odd ones round-trip exactly and do not
  // collide with their prefixes.
  const std::vector<std::string> odd = {std::string("a\0b", 3),
                                        "a/b",
                                        "a\\b",
                                        " ",
                                        "\x01\x7f",
                                        "caf\xC3\xA9",
                                        "tone-440/x",
                                        std::string("tone-440\0", 9)};
  for (size_t i = 0; i < odd.size(); ++i) {
    v1::AddSoundResponse r;
    grpc::Status s = Add(Wav(500 + 10 * i, 0.5), odd[i], &r);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
    v1::GetSoundRequest get;
    get.mutable_sound()->set_external_id(odd[i]);
    v1::Sound sound;
    ASSERT_TRUE(server_->query().GetSound(Read().get(), get, &sound).ok()) << i;
    EXPECT_EQ(sound.external_id(), odd[i]) << i;
    EXPECT_EQ(sound.id(), r.id()) << i;
  }
  v1::AddSoundResponse r;
  Expect("external id over 256 bytes",
         Add(Wav(900, 0.5), std::string(257, 'x'), &r), Code::INVALID_ARGUMENT,
         "external id");
  Expect("external id of another sound", Add(Wav(910, 0.5), "tone-440", &r),
         Code::ALREADY_EXISTS, "tone-440");
  v1::GetSoundRequest empty;
  empty.mutable_sound()->set_external_id("");
  v1::Sound sound;
  Expect("empty external id",
         server_->query().GetSound(Read().get(), empty, &sound),
         Code::INVALID_ARGUMENT, "external_id");
  struct Case {
    std::string kind, names;
    std::function<void(v1::AddSoundRequest*)> set;
  };
  for (const Case& c : std::vector<Case>{
           {"name over 1 KiB", "name",
            [](v1::AddSoundRequest* q) {
              q->mutable_fields()->set_name(std::string(1025, 'n'));
            }},
           {"more than 256 tags", "tags",
            [](v1::AddSoundRequest* q) {
              for (int i = 0; i < 257; ++i) q->mutable_fields()->add_tags("t");
            }},
           {"tag over 256 bytes", "tag",
            [](v1::AddSoundRequest* q) {
              q->mutable_fields()->add_tags(std::string(257, 't'));
            }},
           {"more than 64 labels", "labels",
            [](v1::AddSoundRequest* q) {
              for (int i = 0; i < 65; ++i) q->mutable_fields()->add_labels("L");
            }},
           {"label over 256 bytes", "labels[0]",
            [](v1::AddSoundRequest* q) {
              q->mutable_fields()->add_labels(std::string(257, 'L'));
            }},
           {"file name over 4 KiB", "source",
            [](v1::AddSoundRequest* q) {
              q->set_filename(std::string(4097, 'f'));
            }},
       }) {
    v1::AddSoundRequest request;
    request.set_audio(Wav(1000 + kinds_, 0.5));
    c.set(&request);
    v1::AddSoundResponse response;
    Expect(c.kind,
           server_->ingest().AddSound(Admin().get(), request, &response),
           Code::INVALID_ARGUMENT, c.names);
  }
}

// Every string field is UTF-8-checked by the server (rpc/checked_request.h;
// text_upload_e2e_test covers every method).
TEST_F(BadInputE2ETest, InvalidUtf8InEveryStringField) {
  const std::string bad = "caf\xC3";  // a truncated two-byte sequence
  for (int field = 0; field < 5; ++field) {
    v1::AddSoundRequest request;
    request.set_audio(Wav(1200 + 10 * field, 0.5));
    auto* f = request.mutable_fields();
    switch (field) {
      case 0:
        f->set_external_id(bad);
        break;
      case 1:
        f->set_name(bad);
        break;
      case 2:
        f->add_tags(bad);
        break;
      case 3:
        f->add_labels(bad);
        break;
      case 4:
        request.set_filename(bad);
        break;
    }
    v1::AddSoundResponse r;
    Expect(absl::StrCat("invalid UTF-8 in field ", field),
           server_->ingest().AddSound(Admin().get(), request, &r),
           Code::INVALID_ARGUMENT, "UTF-8");
  }
}

TEST_F(BadInputE2ETest, Tokens) {
  v1::StatsResponse stats;
  Expect("missing token",
         server_->query().Stats(test::CallContext().get(), {}, &stats),
         Code::UNAUTHENTICATED, "authorization");
  Expect("wrong token",
         server_->query().Stats(test::CallContext("not-a-token-at-all").get(),
                                {}, &stats),
         Code::UNAUTHENTICATED, "not valid");
  {
    auto ctx = test::CallContext();
    ctx->AddMetadata("authorization", absl::StrCat("Basic ", kAdmin));
    Expect("malformed authorization header",
           server_->query().Stats(ctx.get(), {}, &stats), Code::UNAUTHENTICATED,
           "Bearer");
  }
  v1::DeleteSoundRequest del;
  del.mutable_sound()->set_id(id_);
  v1::DeleteSoundResponse deleted;
  Expect("read token on an admin RPC",
         server_->ingest().DeleteSound(Read().get(), del, &deleted),
         Code::PERMISSION_DENIED, "needs an admin token");
  v1::GetJobRequest job;
  job.set_job_id("job-x");
  v1::Job j;
  Expect("read token on GetJob",
         server_->ingest().GetJob(Read().get(), job, &j),
         Code::PERMISSION_DENIED, "needs an admin token");
  // Health answers without a token.
  auto health = test::HealthCheck(server_->channel());
  ASSERT_TRUE(health.ok()) << health.status();
}

TEST_F(BadInputE2ETest, ServerSidePaths) {
  grpc::Status s;
  // Traversal: absolute outside, .. out of the root, a symlink out of it;
  // the same answer whether the target exists or not.
  StartJob("/etc/passwd", &s);
  const std::string exists = s.error_message();
  Expect("absolute path outside the import roots", s, Code::PERMISSION_DENIED,
         "outside the server's import roots");
  StartJob("/etc/no-such-manifest.csv", &s);
  EXPECT_EQ(absl::StrReplaceAll(s.error_message(),
                                {{"/etc/no-such-manifest.csv", "P"}}),
            absl::StrReplaceAll(exists, {{"/etc/passwd", "P"}}));
  Expect("missing path outside the import roots", s, Code::PERMISSION_DENIED,
         "outside");
  StartJob("../../../../../../etc/passwd", &s);
  Expect("path traversal with ..", s, Code::PERMISSION_DENIED, "outside");
  ASSERT_EQ(symlink("/etc/passwd", (root_ + "/link.csv").c_str()), 0);
  StartJob(root_ + "/link.csv", &s);
  Expect("symlink leaving the root", s, Code::PERMISSION_DENIED, "outside");
  StartJob(std::string("m.csv\0/../../x", 14), &s);
  Expect("NUL byte in a path", s, Code::INVALID_ARGUMENT, "NUL");
  // FIFOs and devices.
  ASSERT_EQ(mkfifo((root_ + "/fifo.csv").c_str(), 0644), 0);
  StartJob(root_ + "/fifo.csv", &s);
  Expect("FIFO as a manifest", s, Code::PERMISSION_DENIED,
         "not a regular file");
  StartJob("/dev/zero", &s);
  Expect("device as a manifest", s, Code::PERMISSION_DENIED, "outside");
  StartJob(root_, &s);
  Expect("directory as a manifest", s, Code::PERMISSION_DENIED,
         "not a regular file");
  StartJob(root_ + "/none.csv", &s);
  Expect("missing manifest inside the root", s, Code::NOT_FOUND,
         "does not exist");
  // Oversize and malformed manifests.
  ASSERT_TRUE(test::WriteFileBytes(root_ + "/big.csv",
                                   "fname\n" + std::string(70 << 10, 'a'))
                  .ok());
  StartJob(root_ + "/big.csv", &s);
  Expect("oversize manifest", s, Code::RESOURCE_EXHAUSTED, "limit");
  EXPECT_EQ(GrpcErrorReason(s), kReasonUploadTooLarge);
  ASSERT_TRUE(
      test::WriteFileBytes(root_ + "/quote.csv", "fname,labels\n\"a.wav,x\n")
          .ok());
  StartJob(root_ + "/quote.csv", &s);
  Expect("manifest with bad quoting", s, Code::INVALID_ARGUMENT,
         "unterminated quote");
  ASSERT_TRUE(
      test::WriteFileBytes(root_ + "/nofname.csv", "id,name\n1,x\n").ok());
  StartJob(root_ + "/nofname.csv", &s);
  Expect("manifest without an fname column", s, Code::INVALID_ARGUMENT,
         "fname");
  StartJob("", &s);
  Expect("empty manifest path", s, Code::INVALID_ARGUMENT, "manifest_path");

  // Rows: outside the audio folder, a FIFO, a device; the job ends and
  // reports each.
  ASSERT_EQ(mkfifo((root_ + "/row.wav").c_str(), 0644), 0);
  ASSERT_EQ(symlink("/dev/zero", (root_ + "/zero.wav").c_str()), 0);
  ASSERT_TRUE(test::WriteFileBytes(
                  root_ + "/rows.csv",
                  "fname\n/etc/passwd\n../outside.wav\nrow.wav\nzero.wav\n")
                  .ok());
  v1::Job job = StartJob(root_ + "/rows.csv", &s);
  ASSERT_TRUE(s.ok()) << s.error_message();
  job = WaitForJob(job.job_id());
  ASSERT_EQ(job.failures_size(), 4);
  for (const auto& failure : job.failures()) {
    EXPECT_EQ(failure.code(), "PERMISSION_DENIED") << failure.fname();
  }
  ++kinds_;

  // Evaluate's files follow the same rules.
  v1::EvaluateRequest evaluate;
  v1::EvaluateResponse er;
  evaluate.set_families_path("/etc/passwd");
  Expect("families file outside the roots",
         server_->evaluation().Evaluate(Admin().get(), evaluate, &er),
         Code::PERMISSION_DENIED, "outside");
  evaluate.set_families_path(root_ + "/fifo.csv");
  Expect("FIFO as a families file",
         server_->evaluation().Evaluate(Admin().get(), evaluate, &er),
         Code::PERMISSION_DENIED, "not a regular file");
  ASSERT_TRUE(
      test::WriteFileBytes(root_ + "/families.json", R"({"secret-key": 1})")
          .ok());
  evaluate.set_families_path(root_ + "/families.json");
  Expect("malformed families file",
         server_->evaluation().Evaluate(Admin().get(), evaluate, &er),
         Code::INVALID_ARGUMENT, "not an array");
  EXPECT_GE(kinds_, 15);
}

TEST_F(BadInputE2ETest, NoImportRootTurnsServerPathsOff) {
  server_.reset();
  ServerOptions options = test::LoopbackServerOptions(dir_->File("data2"));
  auto server = test::TestServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  grpc::Status s;
  ASSERT_TRUE(test::WriteFileBytes(root_ + "/m.csv", "fname\na.wav\n").ok());
  StartJob(root_ + "/m.csv", &s);
  Expect("server path without --import-root", s, Code::PERMISSION_DENIED,
         "--import-root");
}

TEST_F(BadInputE2ETest, IllTypedMessages) {
  // Bytes that are not a QueryByExampleRequest, and invalid UTF-8 in a
  // proto3 string field: the server parses its requests itself
  // (rpc/checked_request.h) and answers INVALID_ARGUMENT saying why, rather
  // than gRPC's bare UNIMPLEMENTED.
  const std::string garbage("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
  grpc::Slice slice(garbage);
  grpc::ByteBuffer buffer(&slice, 1);
  std::string response;
  auto ctx = Read();
  grpc::Status s = test::RawUnaryCall(server_->channel(), ctx.get(),
                                      "/soundsearch.v1.Query/QueryByExample",
                                      buffer, &response);
  Expect("ill-typed message", s, Code::INVALID_ARGUMENT, "");
  const std::string utf8("\x12\x03\x0a\x01\xff", 5);  // fields.external_id
  grpc::Slice bad_utf8(utf8);
  grpc::ByteBuffer utf8_buffer(&bad_utf8, 1);
  ctx = Admin();
  Expect("invalid UTF-8 in a string field",
         test::RawUnaryCall(server_->channel(), ctx.get(),
                            "/soundsearch.v1.Ingest/AddSound", utf8_buffer,
                            &response),
         Code::INVALID_ARGUMENT, "UTF-8");
  // Without a token, a request that does not parse is refused for the token
  // first.
  grpc::ClientContext anonymous;
  Expect("ill-typed message without a token",
         test::RawUnaryCall(server_->channel(), &anonymous,
                            "/soundsearch.v1.Query/QueryByExample", buffer,
                            &response),
         Code::UNAUTHENTICATED, "");
  ctx = Read();
  Expect("unknown method",
         test::RawUnaryCall(server_->channel(), ctx.get(),
                            "/soundsearch.v1.Query/NoSuchMethod", buffer,
                            &response),
         Code::UNIMPLEMENTED, "");
}

}  // namespace
}  // namespace soundsearch
