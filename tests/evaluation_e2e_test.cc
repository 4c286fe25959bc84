// End-to-end: the v1.Evaluation service of a real soundsearch server on a
// loopback port (retrieval evaluation, persisted results and their
// Prometheus gauges, word vectors that follow deletes, refits and restarts)
// and the `soundsearch` CLI's evaluation and word commands against it (and
// its `index` on a file over the upload limit). The test makes its own audio,
// pairs file and word2vec file.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "soundsearch/v1/evaluation.grpc.pb.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_http.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

constexpr int kRate = 22050;
constexpr char kToken[] = "eval-token";           // admin
constexpr char kReadToken[] = "eval-read-token";  // read

struct CliResult {
  int exit_code = -1;
  std::string out;
};

class EvaluationE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    // The server's token file (an admin token alone on its line, and a read
    // token); the CLI's holds the admin token alone.
    server_tokens_ = dir_->File("tokens");
    ASSERT_TRUE(
        test::WriteFileBytes(server_tokens_,
                             absl::StrCat(kToken, "\nread ", kReadToken, "\n"))
            .ok());
    token_file_ = dir_->File("token");
    ASSERT_TRUE(test::WriteFileBytes(token_file_, kToken).ok());
    StartServer();
  }

  void TearDown() override {
    server_.reset();
    dir_.reset();
  }

  void StartServer() {
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    options.metrics_listen = "127.0.0.1:0";
    options.auth_token_file = server_tokens_;
    options.import_roots = {dir_->path()};  // Evaluate's families files
    options.query_threads = 2;
    options.ingest_workers = 1;
    if (max_upload_bytes_ > 0) options.max_upload_bytes = max_upload_bytes_;
    auto server = test::TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    query_ = &server_->query();
    ingest_ = &server_->ingest();
    eval_ = &server_->evaluation();
  }

  void RestartServer() {
    server_.reset();
    StartServer();
  }

  // With the admin token, or the read token.
  std::unique_ptr<grpc::ClientContext> Ctx(bool admin = true) const {
    return test::CallContext(admin ? kToken : kReadToken,
                             std::chrono::seconds(120));
  }

  std::string Wav(double frequency, double seconds, uint32_t seed = 1) {
    std::vector<float> pcm = frequency > 0
                                 ? test::Sine(frequency, seconds, kRate, 0.5f)
                                 : test::WhiteNoise(seconds, kRate, 0.4f, seed);
    const std::string path = dir_->File(absl::StrCat("w", counter_++, ".wav"));
    EXPECT_TRUE(test::WritePcm16Wav(path, pcm, kRate, 1).ok());
    return *test::ReadFileBytes(path);
  }

  uint64_t Add(const std::string& audio, const std::string& label,
               const std::string& tag) {
    v1::AddSoundRequest request;
    request.set_audio(audio);
    request.mutable_fields()->add_labels(label);
    request.mutable_fields()->add_tags(tag);
    v1::AddSoundResponse response;
    grpc::Status status = ingest_->AddSound(Ctx().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.id();
  }

  // Six tones ("Pure_tone"; tags alternately beep / whistle) and six noises
  // ("White_noise"; tags alternately hiss / static).
  void AddTonesAndNoises() {
    for (int i = 0; i < 6; ++i) {
      tone_ids_.push_back(
          Add(Wav(300 + 90 * i, 1.0), "Pure_tone", i % 2 ? "whistle" : "beep"));
      noise_ids_.push_back(
          Add(Wav(0, 1.0, 50 + i), "White_noise", i % 2 ? "static" : "hiss"));
    }
  }

  grpc::Status WordVector(const std::string& word, v1::WordVector* out) {
    v1::GetWordVectorsRequest request;
    request.add_words(word);
    v1::GetWordVectorsResponse response;
    grpc::Status status =
        eval_->GetWordVectors(Ctx(false).get(), request, &response);
    if (!status.ok()) return status;
    if (response.vectors_size() == 0) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "missing");
    }
    *out = response.vectors(0);
    return status;
  }

  double Cosine(const std::string& a, const std::string& b) {
    v1::WordSimilarityRequest request;
    request.set_a(a);
    request.set_b(b);
    v1::WordSimilarityResponse response;
    grpc::Status status =
        eval_->WordSimilarity(Ctx(false).get(), request, &response);
    EXPECT_TRUE(status.ok()) << a << " " << b << ": " << status.error_message();
    return response.cosine();
  }

  void Delete(uint64_t id) {
    v1::DeleteSoundRequest request;
    request.mutable_sound()->set_id(id);
    v1::DeleteSoundResponse response;
    grpc::Status status = ingest_->DeleteSound(Ctx().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Runs the soundsearch CLI against the server; stdout in `out`.
  CliResult Cli(const std::string& args) {
    const std::string command = absl::StrCat(
        SOUNDSEARCH_CLI_PATH, " --server 127.0.0.1:", server_->port(),
        " --token-file ", token_file_, " ", args);
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
  std::string server_tokens_;
  std::string token_file_;
  int64_t max_upload_bytes_ = 0;  // > 0: the next StartServer's limit
  std::unique_ptr<test::TestServer> server_;
  v1::Query::Stub* query_ = nullptr;
  v1::Ingest::Stub* ingest_ = nullptr;
  v1::Evaluation::Stub* eval_ = nullptr;
  std::vector<uint64_t> tone_ids_;
  std::vector<uint64_t> noise_ids_;
  int counter_ = 0;
};

TEST_F(EvaluationE2ETest, EvaluateTonesVsNoisesPersistsAndExportsGauges) {
  AddTonesAndNoises();
  ASSERT_TRUE(test::WriteFileBytes(
                  dir_->File("families.json"),
                  R"({"Tonal": ["Pure_tone"], "Noisy": ["White_noise"]})")
                  .ok());
  v1::EvaluateRequest request;
  request.set_families_path(dir_->File("families.json"));
  v1::EvaluateResponse response;
  grpc::Status status = eval_->Evaluate(Ctx().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.spaces_size(), 1);
  const v1::SpaceEvaluation& e = response.spaces(0);
  EXPECT_EQ(e.space(), "dsp");
  EXPECT_EQ(e.sounds(), 12);
  EXPECT_EQ(e.labels_size(), 2);
  EXPECT_EQ(e.labels_scored(), 2);
  EXPECT_GT(e.label_based().map_at_15(), 0.8);
  EXPECT_LT(e.label_based().mr1(), 1.0);
  EXPECT_GT(e.instance_based().map_at_15(), 0.8);
  ASSERT_EQ(e.families_size(), 2);
  EXPECT_EQ(e.families(0).family(), "Tonal");
  EXPECT_EQ(e.families(0).labels(), 1);
  EXPECT_GT(e.unix_ms(), 0);
  EXPECT_TRUE(absl::StrContains(e.report_json(), "Pure_tone"));
  const double map15 = e.label_based().map_at_15();

  std::string metrics = test::HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_NEAR(test::MetricValue(metrics, "soundsearch_eval_map",
                                {"space=\"dsp\"", "k=\"15\""}),
              map15, 1e-6)
      << metrics;
  EXPECT_NEAR(test::MetricValue(metrics, "soundsearch_eval_map",
                                {"space=\"dsp\"", "k=\"150\""}),
              e.label_based().map_at_150(), 1e-6);
  EXPECT_NEAR(
      test::MetricValue(metrics, "soundsearch_eval_mr1", {"space=\"dsp\""}),
      e.label_based().mr1(), 1e-6);

  // Kept in the store: the gauges come back after a restart.
  RestartServer();
  metrics = test::HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_NEAR(test::MetricValue(metrics, "soundsearch_eval_map",
                                {"space=\"dsp\"", "k=\"15\""}),
              map15, 1e-6)
      << metrics;
  EXPECT_NEAR(test::MetricValue(metrics, "soundsearch_eval_timestamp_seconds",
                                {"space=\"dsp\""}),
              e.unix_ms() / 1000.0, 1e-3);

  // Read back without evaluating.
  v1::GetEvaluationRequest last;
  v1::EvaluateResponse stored;
  status = eval_->GetEvaluation(Ctx(false).get(), last, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(stored.spaces_size(), 1);
  EXPECT_EQ(stored.spaces(0).unix_ms(), e.unix_ms());
  EXPECT_NEAR(stored.spaces(0).label_based().map_at_15(), map15, 1e-12);
  EXPECT_TRUE(absl::StrContains(stored.spaces(0).report_json(), "White_noise"));

  // The CLI gives the same figures.
  CliResult cli = Cli("evaluate --space dsp --json");
  ASSERT_EQ(cli.exit_code, 0) << cli.out;
  auto json = nlohmann::json::parse(cli.out);
  EXPECT_NEAR(json["spaces"][0]["label_based"]["map_at_15"].get<double>(),
              map15, 1e-9);
  cli = Cli("evaluate --last");
  ASSERT_EQ(cli.exit_code, 0) << cli.out;
  EXPECT_TRUE(absl::StrContains(cli.out, "space dsp: evaluated 20")) << cli.out;
}

TEST_F(EvaluationE2ETest, EvaluateErrors) {
  v1::EvaluateRequest request;
  v1::EvaluateResponse response;
  // Never evaluated: nothing stored.
  v1::GetEvaluationRequest last;
  EXPECT_TRUE(eval_->GetEvaluation(Ctx(false).get(), last, &response).ok());
  EXPECT_EQ(response.spaces_size(), 0);
  last.set_space("dsp");
  EXPECT_EQ(
      eval_->GetEvaluation(Ctx(false).get(), last, &response).error_code(),
      grpc::StatusCode::NOT_FOUND);
  // Nothing labelled yet.
  EXPECT_EQ(eval_->Evaluate(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  AddTonesAndNoises();
  // A mutating call: the admin token is required.
  EXPECT_EQ(eval_->Evaluate(Ctx(false).get(), request, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(eval_->Evaluate(test::CallContext().get(), request, &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  request.set_families_path(dir_->File("no-such-families.json"));
  EXPECT_EQ(eval_->Evaluate(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Outside the import root: refused, whether the file exists or not, with
  // the same message.
  request.set_families_path("/etc/passwd");
  grpc::Status outside = eval_->Evaluate(Ctx().get(), request, &response);
  EXPECT_EQ(outside.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  request.set_families_path("/etc/no-such-file.json");
  grpc::Status missing = eval_->Evaluate(Ctx().get(), request, &response);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(absl::StrReplaceAll(outside.error_message(), {{"passwd", "X"}}),
            absl::StrReplaceAll(missing.error_message(),
                                {{"no-such-file.json", "X"}}));
  request.set_families_path(dir_->File("../../../../../../etc/passwd"));
  EXPECT_EQ(eval_->Evaluate(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.clear_families_path();
  request.set_space("nope");
  EXPECT_EQ(eval_->Evaluate(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(EvaluationE2ETest, WordSimilarityAndNearestWords) {
  AddTonesAndNoises();
  // Label words: the phrase and its words.
  v1::WordVector v;
  ASSERT_TRUE(WordVector("pure tone", &v).ok());
  EXPECT_EQ(v.sounds_total(), 6);
  ASSERT_TRUE(WordVector("Pure_tone", &v).ok());  // normalised
  ASSERT_TRUE(WordVector("tone", &v).ok());
  ASSERT_TRUE(WordVector("noise", &v).ok());
  ASSERT_TRUE(WordVector("beep", &v).ok());
  EXPECT_EQ(v.sounds_total(), 3);
  EXPECT_EQ(v.sounds_used(), 3);

  // A tone word is nearer to another tone word than to a noise word.
  EXPECT_GT(Cosine("beep", "whistle"), Cosine("beep", "hiss"));
  EXPECT_GT(Cosine("hiss", "static"), Cosine("hiss", "whistle"));
  EXPECT_NEAR(Cosine("beep", "beep"), 1.0, 1e-6);

  v1::NearestWordsRequest nearest;
  nearest.set_word("beep");
  nearest.set_k(3);
  v1::NearestWordsResponse neighbours;
  grpc::Status status =
      eval_->NearestWords(Ctx(false).get(), nearest, &neighbours);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(neighbours.sounds(), 3);
  ASSERT_EQ(neighbours.neighbours_size(), 3);
  const std::vector<std::string> tone_words = {"whistle", "pure", "tone",
                                               "pure tone"};
  for (const auto& n : neighbours.neighbours()) {
    EXPECT_NE(std::find(tone_words.begin(), tone_words.end(), n.word()),
              tone_words.end())
        << n.word();
  }

  // Unknown words and spaces.
  v1::WordSimilarityRequest request;
  request.set_a("beep");
  request.set_b("trombone");
  v1::WordSimilarityResponse response;
  EXPECT_EQ(
      eval_->WordSimilarity(Ctx(false).get(), request, &response).error_code(),
      grpc::StatusCode::NOT_FOUND);
  nearest.set_word("trombone");
  EXPECT_EQ(
      eval_->NearestWords(Ctx(false).get(), nearest, &neighbours).error_code(),
      grpc::StatusCode::NOT_FOUND);
  request.set_b("hiss");
  request.set_space("nope");
  EXPECT_EQ(
      eval_->WordSimilarity(Ctx(false).get(), request, &response).error_code(),
      grpc::StatusCode::NOT_FOUND);
  request.clear_space();
  request.set_b("");
  EXPECT_EQ(
      eval_->WordSimilarity(Ctx(false).get(), request, &response).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  // The CLI.
  CliResult cli = Cli("word-sim beep whistle");
  EXPECT_EQ(cli.exit_code, 0) << cli.out;
  EXPECT_TRUE(absl::StrContains(cli.out, "3 and 3 sounds")) << cli.out;
  cli = Cli("nearest-words hiss -k 2");
  EXPECT_EQ(cli.exit_code, 0) << cli.out;
  EXPECT_TRUE(absl::StrContains(cli.out, "hiss (3 sounds")) << cli.out;
  EXPECT_EQ(Cli("word-sim beep trombone").exit_code, 1);
}

TEST_F(EvaluationE2ETest, WordVectorsFollowDeletesRefitsAndRestarts) {
  AddTonesAndNoises();
  v1::WordVector before;
  ASSERT_TRUE(WordVector("beep", &before).ok());
  ASSERT_EQ(before.sounds_total(), 3);

  Delete(tone_ids_[0]);  // a beep
  v1::WordVector after;
  ASSERT_TRUE(WordVector("beep", &after).ok());
  EXPECT_EQ(after.sounds_total(), 2);
  EXPECT_EQ(after.sounds_used(), 2);
  ASSERT_EQ(after.vector_size(), before.vector_size());
  bool changed = false;
  for (int i = 0; i < after.vector_size(); ++i) {
    changed = changed || std::abs(after.vector(i) - before.vector(i)) > 1e-6;
  }
  EXPECT_TRUE(changed);

  RestartServer();
  v1::WordVector reloaded;
  ASSERT_TRUE(WordVector("beep", &reloaded).ok());
  EXPECT_EQ(reloaded.sounds_total(), 2);
  ASSERT_EQ(reloaded.vector_size(), after.vector_size());
  for (int i = 0; i < after.vector_size(); ++i) {
    EXPECT_NEAR(reloaded.vector(i), after.vector(i), 1e-6);
  }

  // A refit changes the index vectors: word vectors follow, in the new
  // index dimension.
  v1::RefitRequest refit;
  v1::RefitResponse refitted;
  grpc::Status status = ingest_->Refit(Ctx().get(), refit, &refitted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::ListSpacesResponse spaces;
  ASSERT_TRUE(
      query_->ListSpaces(Ctx(false).get(), v1::ListSpacesRequest(), &spaces)
          .ok());
  ASSERT_TRUE(WordVector("beep", &after).ok());
  EXPECT_EQ(after.vector_size(), spaces.spaces(0).index_dim());
  EXPECT_GT(Cosine("beep", "whistle"), Cosine("beep", "hiss"));

  // Every beep gone: the word is gone, also after a restart.
  Delete(tone_ids_[2]);
  Delete(tone_ids_[4]);
  EXPECT_EQ(WordVector("beep", &after).error_code(),
            grpc::StatusCode::NOT_FOUND);
  RestartServer();
  EXPECT_EQ(WordVector("beep", &after).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(WordVector("whistle", &after).ok());
  EXPECT_EQ(after.sounds_total(), 3);
  EXPECT_EQ(after.vector_size(), spaces.spaces(0).index_dim());
}

TEST_F(EvaluationE2ETest, WordEvalAndFusionFromTheCli) {
  AddTonesAndNoises();
  // Related (same kind of sound) pairs are rated high, unrelated low; tabs,
  // spaces and CRLF mixed; one pair has a word no sound carries.
  const std::string pairs =
      "beep\twhistle\t9.5\r\n"
      "hiss static 9.0\r\n"
      "pure tone 8.5\n"
      "white noise 8.0\n"
      "beep pure 7.5\n"
      "hiss white 7.0\n"
      "whistle tone 6.5\n"
      "static noise 6.0\n"
      "beep hiss 3.0\n"
      "whistle static 2.5\n"
      "pure noise 2.0\n"
      "tone white 1.5\n"
      "beep noise 1.0\n"
      "whistle hiss 0.5\n"
      "static tone 0.2\n"
      "beep trombone 5.0\n";
  ASSERT_TRUE(test::WriteFileBytes(dir_->File("pairs.txt"), pairs).ok());
  CliResult cli =
      Cli(absl::StrCat("word-eval ", dir_->File("pairs.txt"), " --json"));
  ASSERT_EQ(cli.exit_code, 0) << cli.out;
  auto json = nlohmann::json::parse(cli.out);
  EXPECT_EQ(json["pairs"].get<int>(), 16);
  EXPECT_EQ(json["covered"].get<int>(), 15);
  EXPECT_NEAR(json["coverage"].get<double>(), 15.0 / 16, 1e-6);
  EXPECT_GT(json["spearman"].get<double>(), 0.5) << cli.out;

  // Text vectors: tone words near (1, 0, 0), noise words near (0, 1, 0).
  const std::string w2v =
      "8 3\n"
      "beep 1 0.1 0\n"
      "whistle 0.9 0 0.2\n"
      "pure 1 0 0.1\n"
      "tone 0.8 0.1 0.1\n"
      "hiss 0 1 0.1\n"
      "static 0.1 0.9 0\n"
      "white 0 1 0.2\n"
      "noise 0.2 0.8 0\n";
  ASSERT_TRUE(test::WriteFileBytes(dir_->File("w2v.txt"), w2v).ok());
  cli = Cli(absl::StrCat("word-eval ", dir_->File("pairs.txt"),
                         " --text-vectors ", dir_->File("w2v.txt"),
                         " --fusion middle --alpha 0.5 --json"));
  ASSERT_EQ(cli.exit_code, 0) << cli.out;
  json = nlohmann::json::parse(cli.out);
  EXPECT_EQ(json["fusion"]["kind"], "middle");
  EXPECT_EQ(json["fusion"]["covered"].get<int>(), 15);
  EXPECT_GT(json["fusion"]["spearman"].get<double>(), 0.5) << cli.out;

  cli = Cli(absl::StrCat("word-eval ", dir_->File("pairs.txt"),
                         " --text-vectors ", dir_->File("w2v.txt"),
                         " --fusion late --cv --json"));
  ASSERT_EQ(cli.exit_code, 0) << cli.out;
  json = nlohmann::json::parse(cli.out);
  EXPECT_EQ(json["fusion"]["cv_folds"].get<int>(), 5);
  EXPECT_EQ(json["fusion"]["fold_alpha"].size(), 5u);
  EXPECT_GT(json["fusion"]["spearman"].get<double>(), 0.0) << cli.out;

  // Categorisation: tone words vs noise words in two clusters.
  cli =
      Cli("categorise --words beep,whistle,pure,hiss,static,white "
          "--categories t,t,t,n,n,n --clusters 2 --json");
  ASSERT_EQ(cli.exit_code, 0) << cli.out;
  json = nlohmann::json::parse(cli.out);
  EXPECT_EQ(json["covered"].get<int>(), 6);
  EXPECT_GT(json["v_measure"].get<double>(), 0.5) << cli.out;
}

// `soundsearch index` retries a file while the server's queue is full, but a
// file over --max-upload-bytes fails at once: the server marks it with the
// error detail UPLOAD_TOO_LARGE and the CLI sends it exactly once.
TEST_F(EvaluationE2ETest, CliIndexFailsAnOversizeFileWithoutRetrying) {
  max_upload_bytes_ = 64 << 10;
  RestartServer();
  const std::string folder = dir_->File("index-me");
  ASSERT_EQ(system(("mkdir -p " + folder).c_str()), 0);
  // 0.5 s of PCM16 at 22050 Hz is about 22 KiB; 3 s is about 130 KiB.
  ASSERT_TRUE(test::WritePcm16Wav(folder + "/small.wav",
                                  test::Sine(440, 0.5, kRate), kRate, 1)
                  .ok());
  ASSERT_TRUE(test::WritePcm16Wav(folder + "/large.wav",
                                  test::Sine(660, 3.0, kRate), kRate, 1)
                  .ok());
  CliResult cli = Cli(absl::StrCat("index ", folder, " --json"));
  EXPECT_EQ(cli.exit_code, 1) << cli.out;
  nlohmann::json json = nlohmann::json::parse(cli.out);
  EXPECT_EQ(json["stored"].get<int>(), 1) << cli.out;
  EXPECT_EQ(json["failed"].get<int>(), 1) << cli.out;
  ASSERT_EQ(json["failures"].size(), 1u) << cli.out;
  EXPECT_EQ(json["failures"][0]["fname"], "large.wav");
  EXPECT_EQ(json["failures"][0]["code"], "RESOURCE_EXHAUSTED");
  const std::string metrics =
      test::HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_EQ(
      test::MetricValue(metrics, "soundsearch_rpc_requests_total",
                        {"method=\"AddSound\"", "code=\"RESOURCE_EXHAUSTED\""}),
      1)
      << metrics;
}

}  // namespace
}  // namespace soundsearch
