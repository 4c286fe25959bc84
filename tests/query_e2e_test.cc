// End-to-end: the query RPCs of issue 14 on a real soundsearch server on a
// loopback port (QueryByText, several examples for and against, page tokens
// and their cap, ListSounds, DescribeSound, NearestWords paging, the new
// filter clauses, status codes and the TEXT_NOT_MATCHED detail) and the
// `soundsearch` CLI's query, search, describe, list and export against it.
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "rpc/grpc_status.h"
#include "soundsearch/v1/evaluation.grpc.pb.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

using ::testing::HasSubstr;

constexpr int kRate = 22050;

struct CliResult {
  int exit_code = -1;
  std::string out;
};

class QueryE2ETest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = new test::TempDir(*std::move(dir));
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    options.query_threads = 2;
    options.ingest_workers = 1;
    auto server = test::TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    // Six tones (tag sine, external ids tone-N) and six noises (tag hiss).
    for (int i = 0; i < 6; ++i) {
      tones_.push_back(Add(File(300 + 60 * i), "tone", "sine",
                           absl::StrCat("tone-", i)));
      noises_.push_back(Add(File(0, 40 + i), "noise", "hiss",
                            absl::StrCat("noise-", i)));
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  // A WAV file: a tone at `frequency` Hz, or noise (frequency 0).
  static std::string File(double frequency, uint32_t seed = 1,
                          double seconds = 0.8) {
    std::vector<float> pcm =
        frequency > 0 ? test::Sine(frequency, seconds, kRate, 0.5f)
                      : test::WhiteNoise(seconds, kRate, 0.3f, seed);
    const std::string path = dir_->File(absl::StrCat("f", counter_++, ".wav"));
    EXPECT_TRUE(test::WritePcm16Wav(path, pcm, kRate, 1).ok());
    return path;
  }
  static uint64_t Add(const std::string& path, const std::string& label,
                      const std::string& tag, const std::string& external_id) {
    v1::AddSoundRequest request;
    request.set_audio(*test::ReadFileBytes(path));
    request.mutable_fields()->add_labels(label);
    request.mutable_fields()->add_tags(tag);
    request.mutable_fields()->set_external_id(external_id);
    v1::AddSoundResponse response;
    grpc::Status status =
        server_->ingest().AddSound(Ctx().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.id();
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    return test::CallContext("", std::chrono::seconds(60));
  }
  static bool IsTone(uint64_t id) {
    return std::find(tones_.begin(), tones_.end(), id) != tones_.end();
  }
  static std::vector<uint64_t> Ids(
      const google::protobuf::RepeatedPtrField<v1::ScoredSound>& results) {
    std::vector<uint64_t> ids;
    for (const auto& r : results) ids.push_back(r.id());
    return ids;
  }

  CliResult Cli(const std::string& args) {
    const std::string command =
        absl::StrCat(SOUNDSEARCH_CLI_PATH, " --server 127.0.0.1:",
                     server_->port(), " ", args, " 2>&1");
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

  static test::TempDir* dir_;
  static test::TestServer* server_;
  static std::vector<uint64_t> tones_, noises_;
  static int counter_;
};

test::TempDir* QueryE2ETest::dir_ = nullptr;
test::TestServer* QueryE2ETest::server_ = nullptr;
std::vector<uint64_t> QueryE2ETest::tones_;
std::vector<uint64_t> QueryE2ETest::noises_;
int QueryE2ETest::counter_ = 0;

TEST_F(QueryE2ETest, QueryByTextMatchesWordsAndReportsThem) {
  v1::QueryByTextRequest request;
  request.set_text("Hissing noises");
  request.set_k(6);
  v1::QueryByTextResponse response;
  grpc::Status status =
      server_->query().QueryByText(Ctx().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.space(), "dsp");
  EXPECT_EQ(response.class_space(), "");
  ASSERT_EQ(response.words_size(), 2);  // "hiss" (tag), "noise" (label)
  EXPECT_EQ(response.words(0).word(), "hiss");
  EXPECT_EQ(response.words(0).text(), "hissing");
  EXPECT_EQ(response.words(1).word(), "noise");
  ASSERT_EQ(response.results_size(), 6);
  for (const v1::ScoredSound& r : response.results()) {
    EXPECT_FALSE(IsTone(r.id()));
    ASSERT_EQ(r.sources_size(), 1);
    EXPECT_EQ(r.sources(0).source(), "words");
    EXPECT_EQ(r.sound().labels(0), "noise");
  }
  EXPECT_EQ(response.results(0).sources(0).rank(), 1u);
  EXPECT_FALSE(response.next_page_token().empty());  // the tones follow
}

TEST_F(QueryE2ETest, TextStatusCodes) {
  v1::QueryByTextRequest request;
  v1::QueryByTextResponse response;
  grpc::Status status =
      server_->query().QueryByText(Ctx().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_text("hsis");
  status = server_->query().QueryByText(Ctx().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("nearest known words: hiss"));
  EXPECT_EQ(GrpcErrorReason(status), "TEXT_NOT_MATCHED");
  request.set_text("hiss");
  request.set_space("nope");
  status = server_->query().QueryByText(Ctx().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GrpcErrorReason(status), "");
}

TEST_F(QueryE2ETest, PageTokensWalkTheRankingUpToTheCap) {
  v1::QueryByExampleRequest whole;
  whole.set_id(tones_[0]);
  whole.set_k(11);
  v1::QueryByExampleResponse all;
  ASSERT_TRUE(server_->query().QueryByExample(Ctx().get(), whole, &all).ok());
  EXPECT_TRUE(all.next_page_token().empty());
  std::vector<uint64_t> paged;
  v1::QueryByExampleRequest request;
  request.set_id(tones_[0]);
  request.set_k(4);
  for (int page = 0; page < 5; ++page) {
    v1::QueryByExampleResponse response;
    grpc::Status status =
        server_->query().QueryByExample(Ctx().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.offset(), static_cast<uint32_t>(4 * page));
    for (uint64_t id : Ids(response.results())) paged.push_back(id);
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(paged, Ids(all.results()));

  v1::QueryByExampleRequest capped;
  capped.set_id(tones_[0]);
  capped.set_k(10);
  capped.set_offset(9995);  // 9995 + 10 > --max-k (10000)
  v1::QueryByExampleResponse response;
  grpc::Status status =
      server_->query().QueryByExample(Ctx().get(), capped, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("offset + k must be <= 10000"));
  capped.set_offset(0);
  capped.set_page_token("not-a-token");
  status = server_->query().QueryByExample(Ctx().get(), capped, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
}

TEST_F(QueryE2ETest, SeveralExamplesForAndAgainst) {
  v1::QueryByExampleRequest request;
  request.set_external_id("tone-1");
  request.add_positive()->set_id(tones_[2]);
  request.add_positive()->set_audio(*test::ReadFileBytes(File(500)));
  request.add_negative()->set_external_id("noise-0");
  request.set_k(8);
  for (auto strategy :
       {v1::EXAMPLE_STRATEGY_AVERAGE, v1::EXAMPLE_STRATEGY_BEST_SCORE}) {
    request.set_strategy(strategy);
    v1::QueryByExampleResponse response;
    grpc::Status status =
        server_->query().QueryByExample(Ctx().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    const std::vector<uint64_t> ids = Ids(response.results());
    ASSERT_EQ(ids.size(), 8u);
    for (uint64_t example : {tones_[1], tones_[2], noises_[0]}) {
      EXPECT_EQ(std::count(ids.begin(), ids.end(), example), 0);
    }
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(IsTone(ids[i])) << i;
    if (strategy == v1::EXAMPLE_STRATEGY_BEST_SCORE) {
      ASSERT_EQ(response.results(0).sources_size(), 2);
      EXPECT_EQ(response.results(0).sources(1).source(), "negative");
    }
  }
  v1::QueryByExampleRequest bad;
  bad.add_positive()->set_external_id("nope");
  v1::QueryByExampleResponse response;
  EXPECT_EQ(server_->query().QueryByExample(Ctx().get(), bad, &response)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  bad.clear_positive();
  bad.add_negative()->set_id(tones_[0]);
  EXPECT_EQ(server_->query().QueryByExample(Ctx().get(), bad, &response)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Query expansion over gRPC (docs/api.md): with alpha 0 the expanded query
// of tone-0 with its 2 nearest sounds is the average query of the three
// (include_query keeps them); bad settings are INVALID_ARGUMENT; the CLI's
// --expand sets it.
TEST_F(QueryE2ETest, QueryExpansionOverGrpcAndCli) {
  v1::QueryByExampleRequest plain;
  plain.set_id(tones_[0]);
  plain.set_k(2);
  v1::QueryByExampleResponse nearest;
  ASSERT_TRUE(
      server_->query().QueryByExample(Ctx().get(), plain, &nearest).ok());
  ASSERT_EQ(nearest.results_size(), 2);
  v1::QueryByExampleRequest expanded = plain;
  expanded.set_k(10);
  expanded.set_include_query(true);
  expanded.mutable_expand()->set_neighbours(2);
  expanded.mutable_expand()->set_alpha(0.0f);
  v1::QueryByExampleRequest mean = plain;
  mean.set_k(10);
  mean.set_include_query(true);
  for (const auto& r : nearest.results()) mean.add_positive()->set_id(r.id());
  v1::QueryByExampleResponse got, want;
  ASSERT_TRUE(
      server_->query().QueryByExample(Ctx().get(), expanded, &got).ok());
  ASSERT_TRUE(server_->query().QueryByExample(Ctx().get(), mean, &want).ok());
  ASSERT_EQ(got.results_size(), want.results_size());
  for (int i = 0; i < got.results_size(); ++i) {
    EXPECT_EQ(got.results(i).id(), want.results(i).id()) << i;
    EXPECT_NEAR(got.results(i).score(), want.results(i).score(), 1e-5) << i;
  }
  v1::QueryByExampleRequest bad = plain;
  bad.mutable_expand()->set_neighbours(101);
  v1::QueryByExampleResponse response;
  grpc::Status status =
      server_->query().QueryByExample(Ctx().get(), bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("expand.neighbours"));
  bad.mutable_expand()->set_neighbours(2);
  bad.mutable_expand()->set_alpha(-1.0f);
  EXPECT_EQ(
      server_->query().QueryByExample(Ctx().get(), bad, &response).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  CliResult cli = Cli(absl::StrCat("--json query --id ", tones_[0],
                                   " --include-query --expand 2:0 -k 10"));
  ASSERT_EQ(cli.exit_code, 0) << cli.out;
  nlohmann::json j = nlohmann::json::parse(cli.out);
  ASSERT_EQ(j["results"].size(), static_cast<size_t>(want.results_size()));
  for (int i = 0; i < want.results_size(); ++i) {
    const nlohmann::json& id = j["results"][i]["id"];  // proto JSON: a string
    EXPECT_EQ(id.is_string() ? id.get<std::string>()
                             : std::to_string(id.get<uint64_t>()),
              std::to_string(want.results(i).id()));
  }
  EXPECT_EQ(
      Cli(absl::StrCat("query --id ", tones_[0], " --expand x")).exit_code, 2);
}

TEST_F(QueryE2ETest, GroupByLabelOverGrpc) {
  v1::QueryByExampleRequest request;
  request.set_id(tones_[0]);
  request.set_k(5);
  request.set_group_by(v1::GROUP_BY_LABEL);
  v1::QueryByExampleResponse response;
  ASSERT_TRUE(
      server_->query().QueryByExample(Ctx().get(), request, &response).ok());
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_NE(response.results(0).sound().labels(0),
            response.results(1).sound().labels(0));
}

TEST_F(QueryE2ETest, ListSoundsPagesAndFilters) {
  v1::ListSoundsRequest request;
  request.set_page_size(5);
  std::vector<uint64_t> ids;
  for (int page = 0; page < 10; ++page) {
    v1::ListSoundsResponse response;
    grpc::Status status =
        server_->query().ListSounds(Ctx().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const v1::Sound& s : response.sounds()) ids.push_back(s.id());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  ASSERT_EQ(ids.size(), 12u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));

  v1::ListSoundsRequest filtered;
  filtered.mutable_filter()->add_labels_any("tone");
  filtered.mutable_filter()->set_added_after_unix_ms(0);
  filtered.mutable_filter()->set_max_duration_seconds(1.0);
  v1::ListSoundsResponse response;
  ASSERT_TRUE(
      server_->query().ListSounds(Ctx().get(), filtered, &response).ok());
  EXPECT_EQ(response.sounds_size(), 6);
  filtered.mutable_filter()->set_added_before_unix_ms(1);  // before 1970+1ms
  ASSERT_TRUE(
      server_->query().ListSounds(Ctx().get(), filtered, &response).ok());
  EXPECT_EQ(response.sounds_size(), 0);
  filtered.set_page_size(1001);
  EXPECT_EQ(
      server_->query().ListSounds(Ctx().get(), filtered, &response).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  filtered.set_page_size(0);
  filtered.set_page_token("bad");
  EXPECT_EQ(
      server_->query().ListSounds(Ctx().get(), filtered, &response).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(QueryE2ETest, DescribeSoundByIdAndByAudio) {
  v1::DescribeSoundRequest request;
  request.set_id(noises_[1]);
  request.set_words(2);
  v1::DescribeSoundResponse response;
  grpc::Status status =
      server_->query().DescribeSound(Ctx().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.sound().id(), noises_[1]);
  ASSERT_EQ(response.words_size(), 2);
  const std::set<std::string> noise_words = {"hiss", "noise"};
  EXPECT_EQ(noise_words.count(response.words(0).word()), 1u);
  EXPECT_EQ(response.class_space(), "");
  v1::DescribeSoundRequest by_audio;
  by_audio.set_audio(*test::ReadFileBytes(File(410)));
  status = server_->query().DescribeSound(Ctx().get(), by_audio, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.has_sound());
  const std::set<std::string> tone_words = {"sine", "tone"};
  EXPECT_EQ(tone_words.count(response.words(0).word()), 1u);
  v1::DescribeSoundRequest none;
  EXPECT_EQ(
      server_->query().DescribeSound(Ctx().get(), none, &response).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(QueryE2ETest, NearestWordsPages) {
  v1::NearestWordsRequest request;
  request.set_word("hiss");
  request.set_k(1);
  std::vector<std::string> words;
  for (int page = 0; page < 5; ++page) {
    v1::NearestWordsResponse response;
    grpc::Status status =
        server_->evaluation().NearestWords(Ctx().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& n : response.neighbours()) words.push_back(n.word());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  // Every other word: noise, tone, sine (labels and tags).
  EXPECT_EQ(words.size(), 3u);
}

TEST_F(QueryE2ETest, CliQuerySearchDescribeListExport) {
  // query a.wav b.wav --not c.wav
  const std::string a = File(330), b = File(390), c = File(0, 77);
  CliResult query = Cli(absl::StrCat("--json query ", a, " ", b, " --not ", c,
                                     " -k 4 --strategy best-score"));
  ASSERT_EQ(query.exit_code, 0) << query.out;
  nlohmann::json q = nlohmann::json::parse(query.out);
  ASSERT_EQ(q["results"].size(), 4u);
  for (const auto& r : q["results"]) {
    EXPECT_EQ(r["sound"]["labels"][0], "tone") << query.out;
  }
  CliResult ids = Cli(absl::StrCat("query --id ", tones_[0], ",", tones_[1],
                                   " --not-external-id noise-2 -k 3"));
  ASSERT_EQ(ids.exit_code, 0) << ids.out;
  EXPECT_THAT(ids.out, HasSubstr("3 results"));
  EXPECT_THAT(ids.out, HasSubstr("next page: --page-token "));
  CliResult weighted = Cli(absl::StrCat("query --id ", tones_[0],
                                        " --not-external-id noise-2 "
                                        "--negative-weight 0.25 -k 3"));
  ASSERT_EQ(weighted.exit_code, 0) << weighted.out;
  EXPECT_THAT(weighted.out, HasSubstr("3 results"));

  CliResult search = Cli("search hissing -k 3");
  ASSERT_EQ(search.exit_code, 0) << search.out;
  EXPECT_THAT(search.out, HasSubstr("word  hissing"));
  EXPECT_THAT(search.out, HasSubstr("-> hiss"));
  EXPECT_THAT(search.out, HasSubstr("[words #1 "));
  CliResult unknown = Cli("search hsis");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.out, HasSubstr("NOT_FOUND"));

  CliResult describe = Cli(absl::StrCat("describe --id ", noises_[0]));
  ASSERT_EQ(describe.exit_code, 0) << describe.out;
  EXPECT_THAT(describe.out, HasSubstr("words (space dsp):"));
  CliResult describe_file = Cli(absl::StrCat("--json describe ", a));
  ASSERT_EQ(describe_file.exit_code, 0) << describe_file.out;
  EXPECT_FALSE(nlohmann::json::parse(describe_file.out)["words"].empty());

  CliResult list = Cli("list --labels-any noise --page-size 2");
  ASSERT_EQ(list.exit_code, 0) << list.out;
  EXPECT_THAT(list.out, HasSubstr("next page: --page-token"));

  const std::string out = dir_->File("export.jsonl");
  CliResult exported = Cli(absl::StrCat("export --json --page-size 5 --out ", out));
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_THAT(exported.out, HasSubstr("exported 12 sounds"));
  std::ifstream in(out);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 12u);
  std::set<std::string> labels;
  for (const std::string& line : lines) {
    nlohmann::json sound = nlohmann::json::parse(line);
    labels.insert(sound["labels"][0].get<std::string>());
  }
  EXPECT_EQ(labels, (std::set<std::string>{"noise", "tone"}));
  CliResult tones_only = Cli("export --labels-any tone --added-after 2000-01-01T00:00:00Z");
  ASSERT_EQ(tones_only.exit_code, 0) << tones_only.out;
  EXPECT_EQ(std::count(tones_only.out.begin(), tones_only.out.end(), '\n'), 6);
  EXPECT_EQ(Cli("export --auto-tag dog").exit_code, 2);
}

// The text-query flags are checked at start-up.
TEST(QueryServerOptionsTest, BadTextFlagsStopTheStart) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  ServerOptions options = test::LoopbackServerOptions(dir->File("data"));
  options.class_match = "fuzzy";
  auto server = SoundsearchServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("--class-match"));
  options.class_match = "documents";
  options.ontology_path = dir->File("missing.json");
  server = SoundsearchServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace soundsearch
