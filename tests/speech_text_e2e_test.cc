// End-to-end: text queries find speech by its content (issue 17, item 3). A
// real server on a loopback port with a speech space; words said by several
// espeak-ng voices are uploaded through the Ingest service without labels or
// tags (so no word vector knows them), and QueryByText with a word ranks a
// recording of that word first: the word's dictionary phones, embedded as a
// recording would be, against the recognised words and phones. Also the
// `soundsearch search` CLI against the same server, TEXT_SOURCES_SPEECH, a
// stop word ("on" is a word people say), and a word no dictionary knows.
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "soundsearch/speech_kinds.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

constexpr char kConfig[] = R"({"spaces": [
  {"name": "speech",
   "encoder": {"kind": "speech", "sample_rate": 16000},
   "pooling": "mean", "scaling": "none", "pca_dims": 0, "metric": "cosine",
   "min_fit_items": 8, "index": {"type": "flat"},
   "rerank": {"kind": "phone_edit", "top_n": 20, "weight": 0.5}}]})";

const std::vector<std::string>& Words() {
  static const auto* const kWords =
      new std::vector<std::string>{"seven", "yes", "left", "stop"};
  return *kWords;
}
const std::vector<std::string>& Voices() {
  static const auto* const kVoices =
      new std::vector<std::string>{"en-us", "en-gb", "en-us+f3"};
  return *kVoices;
}

class SpeechTextE2ETest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(RegisterSpeechKinds().ok());
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = new test::TempDir(*std::move(dir));
    const std::string config = dir_->File("spaces.json");
    {
      FILE* f = std::fopen(config.c_str(), "w");
      ASSERT_NE(f, nullptr);
      std::fputs(kConfig, f);
      std::fclose(f);
    }
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    options.config_path = config;
    options.query_threads = 2;
    options.ingest_workers = 2;
    options.previews = false;
    auto server = test::TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    word_of_ = new std::map<uint64_t, std::string>();
    int n = 0;
    for (const std::string& voice : Voices()) {
      for (const std::string& word : Words()) {
        const std::string path = dir_->File(absl::StrCat("say", n++, ".wav"));
        const std::string cmd = absl::StrCat("espeak-ng -v ", voice,
                                             " -s 150 -w ", path, " ", word);
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        v1::AddSoundRequest request;
        request.set_audio(*test::ReadFileBytes(path));
        request.mutable_fields()->set_name(absl::StrCat("clip", n));
        v1::AddSoundResponse response;
        grpc::Status status =
            server_->ingest().AddSound(Ctx().get(), request, &response);
        ASSERT_TRUE(status.ok()) << status.error_message();
        (*word_of_)[response.id()] = word;
      }
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    delete word_of_;
    delete dir_;
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    return test::CallContext("", std::chrono::seconds(120));
  }
  static v1::QueryByTextResponse Search(const std::string& text,
                                        v1::TextSources sources,
                                        grpc::Status* status) {
    v1::QueryByTextRequest request;
    request.set_text(text);
    request.set_k(static_cast<uint32_t>(Voices().size()));
    request.set_sources(sources);
    v1::QueryByTextResponse response;
    *status = server_->query().QueryByText(Ctx().get(), request, &response);
    return response;
  }

  static test::TempDir* dir_;
  static test::TestServer* server_;
  static std::map<uint64_t, std::string>* word_of_;
};

test::TempDir* SpeechTextE2ETest::dir_ = nullptr;
test::TestServer* SpeechTextE2ETest::server_ = nullptr;
std::map<uint64_t, std::string>* SpeechTextE2ETest::word_of_ = nullptr;

TEST_F(SpeechTextE2ETest, EachWordFindsARecordingOfItFirst) {
  for (const std::string& word : Words()) {
    for (v1::TextSources sources :
         {v1::TEXT_SOURCES_ALL, v1::TEXT_SOURCES_SPEECH}) {
      grpc::Status status;
      v1::QueryByTextResponse r = Search(word, sources, &status);
      ASSERT_TRUE(status.ok()) << word << ": " << status.error_message();
      ASSERT_GT(r.results_size(), 0) << word;
      EXPECT_EQ(word_of_->at(r.results(0).id()), word)
          << "query \"" << word << "\" ranked first a recording of \""
          << word_of_->at(r.results(0).id()) << "\"";
      ASSERT_EQ(r.speech_spaces_size(), 1);
      EXPECT_EQ(r.speech_spaces(0), "speech");
      EXPECT_EQ(r.unmatched_size(), 0) << word;
      ASSERT_GT(r.results(0).sources_size(), 0);
      EXPECT_EQ(r.results(0).sources(0).source(), "spoken:speech");
    }
  }
}

TEST_F(SpeechTextE2ETest, WordsOnlyOrUnknownWordsAreNotFound) {
  grpc::Status status;
  // A stop word is a word people say: searched in the spoken content, not
  // refused.
  v1::QueryByTextResponse on = Search("on", v1::TEXT_SOURCES_ALL, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(on.speech_spaces_size(), 1);
  EXPECT_GT(on.results_size(), 0);
  // No sound has a label or tag: the word vectors know no word.
  Search("seven", v1::TEXT_SOURCES_WORDS, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  // No dictionary knows the word.
  Search("zzqxv", v1::TEXT_SOURCES_SPEECH, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(absl::StrContains(status.error_message(),
                                "pronouncing dictionary of space 'speech'"))
      << status.error_message();
  // One known word is enough; the other is listed as unmatched.
  v1::QueryByTextResponse r =
      Search("seven zzqxv", v1::TEXT_SOURCES_SPEECH, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(r.unmatched_size(), 1);
  EXPECT_EQ(r.unmatched(0), "zzqxv");
}

TEST_F(SpeechTextE2ETest, CliSearchPrintsTheRecordingsOfTheWord) {
  const std::string command = absl::StrCat(
      SOUNDSEARCH_CLI_PATH, " --server 127.0.0.1:", server_->port(),
      " search seven -k 1 --json 2>&1");
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) {
    out.append(buf, n);
  }
  const int rc = pclose(pipe);
  ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  ASSERT_EQ(j["results"].size(), 1u) << out;
  const nlohmann::json& id = j["results"][0]["id"];  // proto JSON: a string
  const uint64_t first =
      std::stoull(id.is_string() ? id.get<std::string>()
                                 : std::to_string(id.get<uint64_t>()));
  EXPECT_EQ(word_of_->at(first), "seven") << out;
  EXPECT_EQ(j["speech_spaces"][0], "speech") << out;
}

}  // namespace
}  // namespace soundsearch
