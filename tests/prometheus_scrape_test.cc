// The metrics as an operator sees them: a real Prometheus server (Debian's
// `prometheus`, started here on loopback with deploy/prometheus.yml, its
// target rewritten to our metrics port) scrapes a real soundsearch server,
// and a latency quantile is read back through Prometheus's HTTP API.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_http.h"
#include "support/test_server.h"

#ifndef SOUNDSEARCH_SOURCE_DIR
#error "SOUNDSEARCH_SOURCE_DIR must point at the repository"
#endif

namespace soundsearch {
namespace {

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '_' || c == '.' || c == '-') {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

TEST(PrometheusScrapeTest, PrometheusScrapesLatencyQuantiles) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  ServerOptions options = test::LoopbackServerOptions(dir->File("data"));
  options.metrics_listen = "127.0.0.1:0";
  auto server = test::TestServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const int metrics_port = (*server)->metrics_port();
  ASSERT_GT(metrics_port, 0);

  // Some traffic: ingests and queries.
  v1::Ingest::Stub* ingest = &(*server)->ingest();
  v1::Query::Stub* query = &(*server)->query();
  const std::string wav = dir->File("a.wav");
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(test::WritePcm16Wav(wav, test::Sine(300 + 100 * i, 1, 22050),
                                    22050, 1)
                    .ok());
    v1::AddSoundRequest request;
    request.set_audio(*test::ReadFileBytes(wav));
    v1::AddSoundResponse response;
    grpc::ClientContext ctx;
    ASSERT_TRUE(ingest->AddSound(&ctx, request, &response).ok());
  }
  auto send_queries = [&] {
    for (int i = 0; i < 20; ++i) {
      v1::QueryByExampleRequest request;
      request.set_id(1 + i % 4);
      request.set_k(2);
      v1::QueryByExampleResponse response;
      grpc::ClientContext ctx;
      EXPECT_TRUE(query->QueryByExample(&ctx, request, &response).ok());
    }
  };
  send_queries();

  // Our own /metrics first: the names the issue asks for are there.
  const std::string metrics = test::HttpGet(metrics_port, "/metrics");
  for (const char* name :
       {"soundsearch_rpc_duration_seconds_bucket", "soundsearch_rpc_requests_total",
        "soundsearch_ingest_sounds_total", "soundsearch_ingest_queue_depth",
        "soundsearch_decode_duration_seconds", "soundsearch_embed_duration_seconds",
        "soundsearch_search_duration_seconds", "soundsearch_index_vectors"}) {
    EXPECT_NE(metrics.find(name), std::string::npos) << name;
  }
  EXPECT_NE(metrics.find("soundsearch_index_vectors{space=\"dsp\"} 4"),
            std::string::npos);

  // Prometheus with deploy/prometheus.yml, pointed at our port.
  std::ifstream in(std::string(SOUNDSEARCH_SOURCE_DIR) + "/deploy/prometheus.yml");
  ASSERT_TRUE(in.good());
  std::stringstream config;
  config << in.rdbuf();
  std::string yml = absl::StrReplaceAll(
      config.str(), {{"127.0.0.1:9464", absl::StrCat("127.0.0.1:", metrics_port)},
                     {"scrape_interval: 5s", "scrape_interval: 1s"}});
  ASSERT_TRUE(test::WriteFileBytes(dir->File("prometheus.yml"), yml).ok());
  std::ifstream rules_in(std::string(SOUNDSEARCH_SOURCE_DIR) +
                         "/deploy/soundsearch_rules.yml");
  std::stringstream rules;
  rules << rules_in.rdbuf();
  ASSERT_TRUE(
      test::WriteFileBytes(dir->File("soundsearch_rules.yml"), rules.str()).ok());
  const int prom_port = test::FreeLoopbackPort();
  const std::string web = absl::StrCat("--web.listen-address=127.0.0.1:", prom_port);
  const std::string conf = "--config.file=" + dir->File("prometheus.yml");
  const std::string tsdb = "--storage.tsdb.path=" + dir->File("tsdb");
  pid_t pid = fork();
  if (pid == 0) {
    freopen((dir->File("prometheus.log")).c_str(), "w", stderr);
    execlp("prometheus", "prometheus", conf.c_str(), web.c_str(), tsdb.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);

  // Poll (bounded) until Prometheus answers with a quantile for our RPCs.
  const std::string promql =
      "histogram_quantile(0.5, sum by (le) (rate("
      "soundsearch_rpc_duration_seconds_bucket{method=\"QueryByExample\"}[20s])))";
  double p50 = -1;
  std::string last_body;
  for (int attempt = 0; attempt < 60 && p50 < 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    send_queries();
    last_body = test::HttpGet(prom_port, "/api/v1/query?query=" + UrlEncode(promql));
    if (last_body.empty()) continue;
    auto json = nlohmann::json::parse(last_body, nullptr, false);
    if (json.is_discarded() || json["status"] != "success") continue;
    const auto& result = json["data"]["result"];
    if (result.empty()) continue;
    const std::string value = result[0]["value"][1];
    if (value == "NaN") continue;
    p50 = std::stod(value);
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_GE(p50, 0) << "no quantile from Prometheus; last answer: " << last_body;
  EXPECT_GT(p50, 0);
  EXPECT_LT(p50, 5.0);  // a query by id on 4 sounds: far under the top bucket
  std::printf("Prometheus p50 of QueryByExample: %.6f s\n", p50);
}

}  // namespace
}  // namespace soundsearch
