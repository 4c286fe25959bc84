// End-to-end: the HTTP/JSON API (server/http_api.h) of a real soundsearch
// server on loopback, with real uploads (WAV written by the test, Ogg/Vorbis
// and FLAC encoded by ffmpeg): query by raw body, multipart and JSON, by
// id, by several examples, by text; get, list, describe; spaces, stats,
// evaluation and jobs; the same answers as gRPC; the status mapping (400,
// 404, 413) with JSON errors; the OpenAPI description.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "rpc/http_status.h"
#include "soundsearch/audio_decoder.h"
#include "soundsearch/error_reason.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr int kRate = 22050;

// The body as JSON; a failed request or a body that does not parse fails
// the test and gives null.
json Json(const httplib::Result& result, int want_status = 200) {
  EXPECT_TRUE(result) << httplib::to_string(result.error());
  if (!result) return nullptr;
  EXPECT_EQ(result->status, want_status) << result->body;
  EXPECT_THAT(result->get_header_value("Content-Type"),
              HasSubstr("application/json"));
  json body = json::parse(result->body, nullptr, false);
  EXPECT_FALSE(body.is_discarded()) << result->body;
  return body;
}

class HttpApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = new test::TempDir(*std::move(dir));
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    options.http_listen = "127.0.0.1:0";
    options.query_threads = 2;
    options.ingest_workers = 1;
    options.max_upload_bytes = 200 << 10;  // 200 KiB: a 413 is cheap to make
    auto server = test::TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    for (int i = 0; i < 4; ++i) {
      tones_.push_back(Add(Wav(300 + 80 * i), "Tone", "sine"));
      noises_.push_back(Add(Wav(0, 7 + i), "Noise", "hiss"));
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  // A WAV file: a tone at `frequency` Hz, or noise (frequency 0).
  static std::string Wav(double frequency, uint32_t seed = 1,
                         double seconds = 0.8) {
    std::vector<float> pcm = frequency > 0
                                 ? test::Sine(frequency, seconds, kRate, 0.5f)
                                 : test::WhiteNoise(seconds, kRate, 0.3f, seed);
    const std::string path = dir_->File(absl::StrCat("f", counter_++, ".wav"));
    EXPECT_TRUE(test::WritePcm16Wav(path, pcm, kRate, 1).ok());
    return path;
  }
  static std::string Encode(const std::string& wav, const std::string& ext,
                            const std::vector<std::string>& args) {
    const std::string out = dir_->File(absl::StrCat("e", counter_++, ext));
    absl::Status s = test::EncodeWithFfmpeg(wav, out, args);
    EXPECT_TRUE(s.ok()) << s;
    return *test::ReadFileBytes(out);
  }
  static uint64_t Add(const std::string& path, const std::string& label,
                      const std::string& tag) {
    v1::AddSoundRequest request;
    request.set_audio(*test::ReadFileBytes(path));
    request.mutable_fields()->add_labels(label);
    request.mutable_fields()->add_tags(tag);
    request.mutable_fields()->set_name(absl::StrCat(tag, "-", counter_));
    v1::AddSoundResponse response;
    grpc::Status status = server_->ingest().AddSound(test::CallContext().get(),
                                                     request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.id();
  }

  static httplib::Client Client() {
    httplib::Client client("127.0.0.1", server_->http_port());
    client.set_read_timeout(60, 0);
    return client;
  }
  static std::vector<uint64_t> Ids(const json& response) {
    std::vector<uint64_t> ids;
    for (const json& r : response["results"]) {
      ids.push_back(std::stoull(r["id"].get<std::string>()));
    }
    return ids;
  }
  static bool IsTone(uint64_t id) {
    return std::find(tones_.begin(), tones_.end(), id) != tones_.end();
  }

  static test::TempDir* dir_;
  static test::TestServer* server_;
  static std::vector<uint64_t> tones_;
  static std::vector<uint64_t> noises_;
  static int counter_;
};

test::TempDir* HttpApiTest::dir_ = nullptr;
test::TestServer* HttpApiTest::server_ = nullptr;
std::vector<uint64_t> HttpApiTest::tones_;
std::vector<uint64_t> HttpApiTest::noises_;
int HttpApiTest::counter_ = 0;

TEST_F(HttpApiTest, QueryByRawUploadOfOggRanksTonesFirstLikeGrpc) {
  const std::string ogg =
      Encode(Wav(420), ".ogg", {"-c:a", "libvorbis", "-q:a", "4"});
  auto client = Client();
  json body = Json(client.Post("/api/query?k=4", ogg, "audio/ogg"));
  ASSERT_EQ(body["results"].size(), 4u) << body.dump();
  for (uint64_t id : Ids(body)) EXPECT_TRUE(IsTone(id)) << id;
  EXPECT_EQ(body["space"], "dsp");
  EXPECT_EQ(body["results"][0]["sound"]["labels"][0], "Tone");

  // gRPC gives the same ranking for the same bytes.
  v1::QueryByExampleRequest request;
  request.set_audio(ogg);
  request.set_k(4);
  v1::QueryByExampleResponse response;
  ASSERT_TRUE(server_->query()
                  .QueryByExample(test::CallContext().get(), request, &response)
                  .ok());
  std::vector<uint64_t> grpc_ids;
  for (const auto& r : response.results()) grpc_ids.push_back(r.id());
  EXPECT_EQ(Ids(body), grpc_ids);
}

TEST_F(HttpApiTest, QueryByMultipartFlacWithJsonRequestPart) {
  const std::string flac = Encode(Wav(0, 99), ".flac", {"-c:a", "flac"});
  httplib::MultipartFormDataItems items = {
      {"file", flac, "noise.flac", "audio/flac"},
      {"request", R"({"k": 3, "filter": {"tags_any": ["hiss"]}})", "",
       "application/json"},
  };
  auto client = Client();
  json body = Json(client.Post("/api/query", items));
  ASSERT_EQ(body["results"].size(), 3u) << body.dump();
  for (uint64_t id : Ids(body)) EXPECT_FALSE(IsTone(id)) << id;
}

TEST_F(HttpApiTest, QueryByIdAndBySeveralExamples) {
  auto client = Client();
  json by_id =
      Json(client.Get(absl::StrCat("/api/query?id=", tones_[0], "&k=3")));
  ASSERT_EQ(by_id["results"].size(), 3u);
  for (uint64_t id : Ids(by_id)) {
    EXPECT_TRUE(IsTone(id));
    EXPECT_NE(id, tones_[0]);  // the example is left out
  }
  json request = {{"positive", {{{"id", tones_[0]}}, {{"id", tones_[1]}}}},
                  {"negative", {{{"id", noises_[0]}}}},
                  {"k", 2}};
  json several =
      Json(client.Post("/api/query", request.dump(), "application/json"));
  ASSERT_EQ(several["results"].size(), 2u) << several.dump();
  for (uint64_t id : Ids(several)) {
    EXPECT_TRUE(IsTone(id));
    EXPECT_NE(id, tones_[0]);
    EXPECT_NE(id, tones_[1]);
  }
  EXPECT_FALSE(several["next_page_token"].get<std::string>().empty());
  json page2 = Json(client.Post("/api/query",
                                json{{"positive", request["positive"]},
                                     {"k", 2},
                                     {"page_token", several["next_page_token"]}}
                                    .dump(),
                                "application/json"));
  EXPECT_EQ(page2["offset"], 2);
}

TEST_F(HttpApiTest, TextQueryFromTagWords) {
  auto client = Client();
  json body = Json(client.Get("/api/search?text=hiss&k=4"));
  ASSERT_EQ(body["results"].size(), 4u) << body.dump();
  for (uint64_t id : Ids(body)) EXPECT_FALSE(IsTone(id));
  json missing = Json(client.Get("/api/search?text=zzzqqq"), 404);
  EXPECT_EQ(missing["error"]["reason"], std::string(kReasonTextNotMatched));
  json empty = Json(client.Get("/api/search?text="), 400);
  EXPECT_EQ(empty["error"]["code"], "INVALID_ARGUMENT");
}

TEST_F(HttpApiTest, GetListDescribeSpacesStatsEvaluationJobs) {
  auto client = Client();
  json sound = Json(client.Get(absl::StrCat("/api/sounds/", tones_[1])));
  EXPECT_EQ(sound["labels"][0], "Tone");
  EXPECT_EQ(sound["tags"][0], "sine");
  json list = Json(client.Get("/api/sounds?page_size=3"));
  EXPECT_EQ(list["sounds"].size(), 3u);
  EXPECT_FALSE(list["next_page_token"].get<std::string>().empty());
  json filtered = Json(client.Post("/api/sounds/list",
                                   R"({"filter": {"labels_any": ["Noise"]}})",
                                   "application/json"));
  EXPECT_EQ(filtered["sounds"].size(), noises_.size());
  json described =
      Json(client.Get(absl::StrCat("/api/sounds/", noises_[0], "/describe")));
  ASSERT_FALSE(described["words"].empty()) << described.dump();
  EXPECT_EQ(described["words"][0]["word"], "hiss");
  json spaces = Json(client.Get("/api/spaces"));
  EXPECT_EQ(spaces["spaces"][0]["name"], "dsp");
  json stats = Json(client.Get("/api/stats"));
  EXPECT_EQ(stats["sounds"], std::to_string(tones_.size() + noises_.size()));
  json evaluation = Json(client.Get("/api/evaluation"));
  EXPECT_TRUE(evaluation["spaces"].empty());  // never evaluated
  json jobs = Json(client.Get("/api/jobs"));
  EXPECT_TRUE(jobs["jobs"].is_array());
}

TEST_F(HttpApiTest, BadInputGetsTheGrpcCodesAsJsonErrors) {
  auto client = Client();
  // Not audio: 400, as INVALID_ARGUMENT over gRPC.
  json not_audio = Json(client.Post("/api/query", std::string(4000, 'x'),
                                    "application/octet-stream"),
                        400);
  EXPECT_EQ(not_audio["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_FALSE(not_audio["error"]["message"].get<std::string>().empty());
  // Empty upload.
  json empty =
      Json(client.Post("/api/query", "", "application/octet-stream"), 400);
  EXPECT_THAT(empty["error"]["message"].get<std::string>(),
              HasSubstr("example"));
  // Unknown id and unknown route: 404.
  json unknown = Json(client.Get("/api/sounds/999999"), 404);
  EXPECT_EQ(unknown["error"]["code"], "NOT_FOUND");
  Json(client.Get("/api/nothing-here"), 404);
  // Bad JSON, unknown parameter, k over --max-k: 400.
  Json(client.Post("/api/query", "{not json", "application/json"), 400);
  Json(client.Get("/api/query?colour=red"), 400);
  Json(client.Get(absl::StrCat("/api/query?id=", tones_[0], "&k=20000")), 400);
  // Over --max-upload-bytes (200 KiB): 413 with the UPLOAD_TOO_LARGE reason,
  // from the decoder's check...
  const std::string big = *test::ReadFileBytes(Wav(440, 1, 6.0));  // 260 KB
  ASSERT_GT(big.size(), size_t{200} << 10);
  json too_large = Json(client.Post("/api/query", big, "audio/wav"), 413);
  EXPECT_EQ(too_large["error"]["reason"], std::string(kReasonUploadTooLarge));
  // ...and from the HTTP layer's body limit, before any decoding.
  const std::string huge(1 << 20 | 300 << 10, '\0');
  Json(client.Post("/api/query", huge, "audio/wav"), 413);
  // The server keeps serving.
  Json(client.Get("/api/spaces"));
}

TEST_F(HttpApiTest, PreviewIsAnMp3OfTheSoundServedWithRanges) {
  auto client = Client();
  auto whole = client.Get(absl::StrCat("/api/sounds/", tones_[2], "/preview"));
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200) << whole->body;
  EXPECT_EQ(whole->get_header_value("Content-Type"), "audio/mpeg");
  // 0.8 s at 32 kbit/s: about 3.2 kB.
  EXPECT_GT(whole->body.size(), 2000u);
  EXPECT_LT(whole->body.size(), 6000u);
  // It decodes to the sound's length (MP3 pads by at most a few frames).
  auto decoder = AudioDecoder::Create(AudioDecoderOptions());
  ASSERT_TRUE(decoder.ok());
  DecodeRequest request;
  request.sample_rate = kRate;
  auto decoded = (*decoder)->DecodeBytes(whole->body, request);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->codec, "mp3");
  EXPECT_NEAR(decoded->duration_seconds, 0.8, 0.15);
  // A range: 206 with exactly those bytes.
  auto part = client.Get(absl::StrCat("/api/sounds/", tones_[2], "/preview"),
                         httplib::Headers{{"Range", "bytes=100-199"}});
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, whole->body.substr(100, 100));
  EXPECT_THAT(part->get_header_value("Content-Range"),
              HasSubstr(absl::StrCat("bytes 100-199/", whole->body.size())));
  // Unknown sound: 404 JSON.
  Json(client.Get("/api/sounds/999999/preview"), 404);
}

TEST_F(HttpApiTest, WaveformIsAPngMadeOnceAndCached) {
  auto client = Client();
  const std::string path =
      absl::StrCat("/api/sounds/", noises_[1], "/waveform.png");
  auto first = client.Get(path);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(first->get_header_value("Content-Type"), "image/png");
  ASSERT_GT(first->body.size(), 24u);
  EXPECT_EQ(first->body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // IHDR: 480 x 64.
  auto be32 = [&](size_t at) {
    const auto* b = reinterpret_cast<const unsigned char*>(first->body.data());
    return (uint32_t{b[at]} << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) |
           b[at + 3];
  };
  EXPECT_EQ(be32(16), 480u);
  EXPECT_EQ(be32(20), 64u);
  auto second = client.Get(path);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, first->body);
  Json(client.Get("/api/sounds/999999/waveform.png"), 404);
}

TEST_F(HttpApiTest, DeletingASoundDeletesItsPreview) {
  const uint64_t id = Add(Wav(1234), "Tone", "extra");
  auto client = Client();
  auto before = client.Get(absl::StrCat("/api/sounds/", id, "/preview"));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200);
  v1::DeleteSoundRequest request;
  request.mutable_sound()->set_id(id);
  v1::DeleteSoundResponse response;
  ASSERT_TRUE(server_->ingest()
                  .DeleteSound(test::CallContext().get(), request, &response)
                  .ok());
  Json(client.Get(absl::StrCat("/api/sounds/", id, "/preview")), 404);
}

TEST(HttpApiPreviewsOffTest, NoPreviewIsKept) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  ServerOptions options = test::LoopbackServerOptions(dir->File("data"));
  options.http_listen = "127.0.0.1:0";
  options.previews = false;
  auto server = test::TestServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string path = dir->File("t.wav");
  ASSERT_TRUE(
      test::WritePcm16Wav(path, test::Sine(500, 0.5, kRate, 0.5f), kRate, 1)
          .ok());
  v1::AddSoundRequest request;
  request.set_audio(*test::ReadFileBytes(path));
  v1::AddSoundResponse response;
  ASSERT_TRUE((*server)
                  ->ingest()
                  .AddSound(test::CallContext().get(), request, &response)
                  .ok());
  httplib::Client client("127.0.0.1", (*server)->http_port());
  auto result =
      client.Get(absl::StrCat("/api/sounds/", response.id(), "/preview"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 404);
  EXPECT_THAT(result->body, HasSubstr("has no preview"));
}

// Tokens on: the gRPC roles apply to the HTTP routes (docs/operations.md,
// "Tokens and roles").
TEST(HttpApiTokensTest, RoutesNeedATokenWithTheGrpcMethodsRole) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const std::string tokens = dir->File("tokens");
  ASSERT_TRUE(test::WriteFileBytes(tokens,
                                   "admin admin-token-0123\n"
                                   "read read-token-0123\n")
                  .ok());
  ServerOptions options = test::LoopbackServerOptions(dir->File("data"));
  options.http_listen = "127.0.0.1:0";
  options.auth_token_file = tokens;
  auto server = test::TestServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string wav = dir->File("t.wav");
  ASSERT_TRUE(
      test::WritePcm16Wav(wav, test::Sine(500, 0.5, kRate, 0.5f), kRate, 1)
          .ok());
  v1::AddSoundRequest add;
  add.set_audio(*test::ReadFileBytes(wav));
  v1::AddSoundResponse added;
  ASSERT_TRUE(
      (*server)
          ->ingest()
          .AddSound(test::CallContext("admin-token-0123").get(), add, &added)
          .ok());
  httplib::Client client("127.0.0.1", (*server)->http_port());
  const httplib::Headers read = {{"Authorization", "Bearer read-token-0123"}};
  // No token, or a wrong one: 401 JSON.
  json none = Json(client.Get("/api/spaces"), 401);
  EXPECT_EQ(none["error"]["code"], "UNAUTHENTICATED");
  Json(client.Get("/api/spaces", {{"Authorization", "Bearer nope-nope-nope"}}),
       401);
  // A read token reads...
  Json(client.Get("/api/spaces", read));
  Json(client.Post("/api/query?k=1", read, *test::ReadFileBytes(wav),
                   "audio/wav"));
  // ...but the jobs list (GetJob: admin) is 403 for it, 200 for admin.
  json denied = Json(client.Get("/api/jobs", read), 403);
  EXPECT_EQ(denied["error"]["code"], "PERMISSION_DENIED");
  Json(client.Get("/api/jobs", {{"Authorization", "Bearer admin-token-0123"}}));
  // An <audio> source cannot send a header: the preview takes access_token.
  const std::string preview =
      absl::StrCat("/api/sounds/", added.id(), "/preview");
  auto anonymous = client.Get(preview);
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto with_query =
      client.Get(absl::StrCat(preview, "?access_token=read-token-0123"));
  ASSERT_TRUE(with_query);
  EXPECT_EQ(with_query->status, 200);
  // The page itself loads without a token (it then asks for one).
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("token-form"));
}

TEST_F(HttpApiTest, OpenApiDescribesTheRoutes) {
  auto client = Client();
  json spec = Json(client.Get("/api/openapi.json"));
  EXPECT_EQ(spec["openapi"].get<std::string>().substr(0, 2), "3.");
  for (const char* path :
       {"/api/query", "/api/search", "/api/sounds/{id}", "/api/sounds",
        "/api/spaces", "/api/stats", "/api/evaluation", "/api/jobs",
        "/api/sounds/{id}/preview", "/api/sounds/{id}/waveform.png"}) {
    EXPECT_TRUE(spec["paths"].contains(path)) << path;
  }
}

TEST(HttpStatusTest, MapsEveryCodeLikeTheIssueSays) {
  EXPECT_EQ(HttpStatusOf(absl::OkStatus()), 200);
  EXPECT_EQ(HttpStatusOf(absl::InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpStatusOf(absl::UnauthenticatedError("x")), 401);
  EXPECT_EQ(HttpStatusOf(absl::PermissionDeniedError("x")), 403);
  EXPECT_EQ(HttpStatusOf(absl::NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusOf(UploadTooLargeError("x")), 413);
  EXPECT_EQ(HttpStatusOf(absl::ResourceExhaustedError("queue full")), 429);
  EXPECT_EQ(HttpStatusOf(absl::UnavailableError("x")), 503);
  EXPECT_EQ(HttpStatusOf(absl::DeadlineExceededError("x")), 504);
  EXPECT_EQ(HttpStatusOf(absl::InternalError("x")), 500);
  json error = json::parse(HttpErrorJson(UploadTooLargeError("too big")));
  EXPECT_EQ(error["error"]["code"], "RESOURCE_EXHAUSTED");
  EXPECT_EQ(error["error"]["http"], 413);
  EXPECT_EQ(error["error"]["message"], "too big");
  EXPECT_EQ(error["error"]["reason"], "UPLOAD_TOO_LARGE");
}

}  // namespace
}  // namespace soundsearch
