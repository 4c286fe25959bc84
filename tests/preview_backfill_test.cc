// End-to-end: previews for sounds indexed without them. A real server adds
// sounds with previews off, restarts with them on, and the CLI's
// `previews backfill --manifest` (Ingest.AddPreview) gives them previews
// from their files again: by external id or by the bytes' content hash,
// skipping those that have one, with NOT_FOUND and INVALID_ARGUMENT for bad
// rows. Stats (gRPC and HTTP) and the soundsearch_preview_bytes gauge follow
// adds, deletes and restarts; the HTTP routes PUT /api/sounds/{id}/preview
// and POST /api/previews do the same work.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_http.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr int kRate = 22050;

struct CliResult {
  int exit_code = -1;
  std::string out;
};

class PreviewBackfillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
  }
  void TearDown() override {
    server_.reset();
    dir_.reset();
  }

  void Start(bool previews) {
    server_.reset();
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    options.http_listen = "127.0.0.1:0";
    options.metrics_listen = "127.0.0.1:0";
    options.query_threads = 2;
    options.ingest_workers = 1;
    options.previews = previews;
    auto server = test::TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  // Writes a WAV named `name` (a tone at `frequency` Hz) and returns its path.
  std::string Wav(const std::string& name, double frequency) {
    const std::string path = dir_->File(name);
    EXPECT_TRUE(test::WritePcm16Wav(
                    path, test::Sine(frequency, 0.8, kRate, 0.5f), kRate, 1)
                    .ok());
    return path;
  }
  uint64_t Add(const std::string& path, const std::string& external_id) {
    v1::AddSoundRequest request;
    request.set_audio(*test::ReadFileBytes(path));
    request.mutable_fields()->set_external_id(external_id);
    v1::AddSoundResponse response;
    grpc::Status status = server_->ingest().AddSound(test::CallContext().get(),
                                                     request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.id();
  }
  v1::StatsResponse Stats() {
    v1::StatsResponse stats;
    grpc::Status status = server_->query().Stats(test::CallContext().get(),
                                                 v1::StatsRequest(), &stats);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return stats;
  }
  // The value of an unlabelled gauge on /metrics; -1 when absent.
  double Gauge(const std::string& name) {
    const std::string metrics =
        test::HttpGet(server_->metrics_port(), "/metrics");
    std::smatch m;
    if (!std::regex_search(metrics, m,
                           std::regex("\n" + name + " ([0-9.e+]+)"))) {
      return -1;
    }
    return std::stod(m[1].str());
  }
  void ExpectPreviews(uint64_t count, uint64_t bytes) {
    v1::StatsResponse stats = Stats();
    EXPECT_EQ(stats.previews(), count);
    EXPECT_EQ(stats.preview_bytes(), bytes);
    EXPECT_EQ(Gauge("soundsearch_previews"), static_cast<double>(count));
    EXPECT_EQ(Gauge("soundsearch_preview_bytes"), static_cast<double>(bytes));
  }
  int PreviewStatus(uint64_t id) {
    httplib::Client client("127.0.0.1", server_->http_port());
    auto result = client.Get(absl::StrCat("/api/sounds/", id, "/preview"));
    return result ? result->status : -1;
  }
  CliResult Cli(const std::string& args) {
    const std::string command = absl::StrCat(
        SOUNDSEARCH_CLI_PATH, " --server 127.0.0.1:", server_->port(), " ",
        args, " 2>&1");
    CliResult result;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) {
      result.out.append(buf, n);
    }
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<test::TestServer> server_;
};

TEST_F(PreviewBackfillTest, BackfillFromAManifestThenStatsFollowChanges) {
  Start(/*previews=*/false);
  const uint64_t a = Add(Wav("a.wav", 300), "ext-a");
  const uint64_t b = Add(Wav("b.wav", 500), "ext-b");
  const uint64_t c = Add(Wav("c.wav", 700), "");
  const uint64_t d = Add(Wav("d.wav", 900), "");
  ExpectPreviews(0, 0);
  // Sound d's file has changed since (other bytes) and its row names no
  // external id: by its bytes it finds no sound.
  Wav("d.wav", 950);
  std::ofstream(dir_->File("junk.wav")) << "this is not audio at all";
  // One job: the rows run in order, so the first (not audio, for sound a,
  // which has no preview yet) fails to decode.
  std::ofstream(dir_->File("manifest.csv")) << "fname,labels,id\n"
                                            << "junk.wav,Tone,ext-a\n"
                                            << "a.wav,Tone,ext-a\n"
                                            << "b.wav,Tone,ext-b\n"
                                            << "c.wav,Tone,\n"
                                            << "d.wav,Tone,\n"
                                            << "a.wav,Tone,ext-nobody\n"
                                            << "missing.wav,Tone,\n";

  Start(/*previews=*/true);
  ExpectPreviews(0, 0);
  const std::string backfill =
      absl::StrCat("--json previews backfill --manifest ",
                   dir_->File("manifest.csv"), " --jobs 1");
  CliResult first = Cli(backfill);
  EXPECT_EQ(first.exit_code, 1) << first.out;  // some rows failed
  json report = json::parse(first.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << first.out;
  EXPECT_EQ(report["total"], 7);
  EXPECT_EQ(report["added"], 3) << first.out;  // a, b, c
  EXPECT_EQ(report["skipped"], 0) << first.out;
  EXPECT_EQ(report["failed"], 4) << first.out;
  std::string failed;
  for (const json& f : report["failures"]) {
    failed += f["fname"].get<std::string>() + "=" +
              f["code"].get<std::string>() + " ";
  }
  EXPECT_EQ(failed,
            "junk.wav=INVALID_ARGUMENT d.wav=NOT_FOUND a.wav=NOT_FOUND "
            "missing.wav=NOT_FOUND ");
  EXPECT_THAT(first.out, HasSubstr("no sound was added with these bytes"));
  EXPECT_THAT(first.out, HasSubstr("ext-nobody"));
  const uint64_t bytes = report["bytes"].get<uint64_t>();
  EXPECT_GT(bytes, 3 * 2000u);
  ExpectPreviews(3, bytes);
  EXPECT_EQ(PreviewStatus(a), 200);
  EXPECT_EQ(PreviewStatus(b), 200);
  EXPECT_EQ(PreviewStatus(c), 200);
  EXPECT_EQ(PreviewStatus(d), 404);

  // Again: everything that has one is skipped, nothing is remade.
  CliResult second = Cli(backfill);
  json again = json::parse(second.out, nullptr, false);
  ASSERT_FALSE(again.is_discarded()) << second.out;
  EXPECT_EQ(again["added"], 0) << second.out;
  EXPECT_EQ(again["skipped"], 4) << second.out;  // junk (a), a, b, c
  EXPECT_EQ(again["failed"], 3) << second.out;
  ExpectPreviews(3, bytes);
  // The text summary.
  CliResult text = Cli(absl::StrCat("previews backfill --manifest ",
                                    dir_->File("manifest.csv")));
  EXPECT_THAT(text.out, HasSubstr("previews for 7 files"));
  EXPECT_THAT(text.out, HasSubstr("0 added (0 bytes), 4 skipped (had one), "
                                  "3 failed"));

  // Undecodable audio for a sound without a preview: INVALID_ARGUMENT.
  v1::AddPreviewRequest junk;
  junk.set_audio("this is not audio at all");
  junk.mutable_sound()->set_id(d);
  v1::AddPreviewResponse response;
  grpc::Status status =
      server_->ingest().AddPreview(test::CallContext().get(), junk, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  // Unknown id: NOT_FOUND.
  junk.mutable_sound()->set_id(999999);
  status =
      server_->ingest().AddPreview(test::CallContext().get(), junk, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  // Over HTTP: PUT names the sound (d, from its re-encoded file).
  httplib::Client http("127.0.0.1", server_->http_port());
  const std::string d_now = *test::ReadFileBytes(dir_->File("d.wav"));
  auto put =
      http.Put(absl::StrCat("/api/sounds/", d, "/preview"), d_now, "audio/wav");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  json put_body = json::parse(put->body);
  EXPECT_EQ(put_body["id"], std::to_string(d));
  EXPECT_FALSE(put_body.value("skipped", false));
  const uint64_t d_bytes = std::stoull(put_body["bytes"].get<std::string>());
  ExpectPreviews(4, bytes + d_bytes);
  EXPECT_EQ(PreviewStatus(d), 200);
  // POST finds the sound by the bytes: a's has one.
  auto post = http.Post("/api/previews",
                        *test::ReadFileBytes(dir_->File("a.wav")), "audio/wav");
  ASSERT_TRUE(post);
  ASSERT_EQ(post->status, 200) << post->body;
  EXPECT_TRUE(json::parse(post->body).value("skipped", false));
  auto bad = http.Put(absl::StrCat("/api/sounds/", c, "/preview?replace=true"),
                      "this is not audio at all", "audio/wav");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  auto unknown = http.Put("/api/sounds/999999/preview", d_now, "audio/wav");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404) << unknown->body;
  auto stats = http.Get("/api/stats");
  ASSERT_TRUE(stats);
  json stats_body = json::parse(stats->body);
  EXPECT_EQ(stats_body["previews"], "4");
  EXPECT_EQ(stats_body["preview_bytes"], std::to_string(bytes + d_bytes));

  // A delete takes its preview's bytes away; a new sound brings its own.
  v1::DeleteSoundRequest del;
  del.mutable_sound()->set_id(d);
  v1::DeleteSoundResponse deleted;
  ASSERT_TRUE(server_->ingest()
                  .DeleteSound(test::CallContext().get(), del, &deleted)
                  .ok());
  ExpectPreviews(3, bytes);
  const uint64_t e = Add(Wav("e.wav", 1100), "");
  httplib::Client http2("127.0.0.1", server_->http_port());
  auto e_preview = http2.Get(absl::StrCat("/api/sounds/", e, "/preview"));
  ASSERT_TRUE(e_preview);
  ASSERT_EQ(e_preview->status, 200);
  const uint64_t all = bytes + e_preview->body.size();
  ExpectPreviews(4, all);
  // A restart reads the counters back (and the gauge is set at start).
  Start(/*previews=*/true);
  ExpectPreviews(4, all);
}

TEST_F(PreviewBackfillTest, BackfillWithPreviewsOffIsAFailedPrecondition) {
  Start(/*previews=*/false);
  const std::string path = Wav("a.wav", 300);
  Add(path, "");
  CliResult result = Cli(absl::StrCat("previews backfill ", dir_->path()));
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_THAT(result.out, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(result.out, HasSubstr("0 added"));
}

}  // namespace
}  // namespace soundsearch
