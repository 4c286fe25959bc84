// End-to-end: a server whose config declares two dsp spaces and a late and a
// concat fusion of them (docs/config.md "fusion"), over loopback gRPC:
// QueryByExample by id and by upload in a fused space scores each hit with
// the weighted sum of the parts' cosines (each read from the part's own
// exhaustive ranking over gRPC), a filter and paging apply, ListSpaces lists
// the fused spaces (encoder "fusion"), Evaluate evaluates them, and a bad
// fusion config stops the server with a message naming the problem.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "soundsearch/v1/evaluation.grpc.pb.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"
#include "support/test_audio.h"
#include "support/test_server.h"

namespace soundsearch {
namespace {

using ::testing::HasSubstr;

constexpr int kRate = 22050;

constexpr char kConfig[] = R"({"spaces": [
  {"name": "a", "encoder": {"kind": "dsp"}, "pca_dims": 6,
   "min_fit_items": 1000},
  {"name": "b", "encoder": {"kind": "dsp"}, "pooling": "mean",
   "scaling": "none", "pca_dims": 0},
  {"name": "ab", "fusion": {"of": ["a", "b"], "weights": [0.25, 0.75]}},
  {"name": "ab-cat", "fusion": {"of": ["a", "b"], "weights": [0.25, 0.75],
   "kind": "concat"}}
]})";

class FusionE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
  }

  absl::Status Start(const std::string& config) {
    const std::string path = dir_->File("spaces.json");
    absl::Status written = test::WriteFileBytes(path, config);
    if (!written.ok()) return written;
    ServerOptions options = test::LoopbackServerOptions(dir_->File("data"));
    options.config_path = path;
    options.query_threads = 2;
    options.ingest_workers = 1;
    auto server = test::TestServer::Start(options);
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    return absl::OkStatus();
  }

  std::string Wav(int kind, int n) {
    std::vector<float> pcm =
        kind == 0 ? test::Sine(300 + 41 * n, 0.6, kRate, 0.5f)
                  : test::WhiteNoise(0.6, kRate, 0.1f + 0.05f * n, 7 + n);
    const std::string path = dir_->File(absl::StrCat("w", counter_++, ".wav"));
    EXPECT_TRUE(test::WritePcm16Wav(path, pcm, kRate, 1).ok());
    return *test::ReadFileBytes(path);
  }

  uint64_t Add(int kind, int n) {
    v1::AddSoundRequest request;
    request.set_audio(Wav(kind, n));
    request.mutable_fields()->add_labels(kind == 0 ? "tone" : "noise");
    v1::AddSoundResponse response;
    grpc::Status status = server_->ingest().AddSound(test::CallContext().get(),
                                                     request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.id();
  }

  v1::QueryByExampleResponse Query(v1::QueryByExampleRequest request,
                                   const std::string& space, int k) {
    request.set_space(space);
    request.set_k(k);
    v1::QueryByExampleResponse response;
    grpc::Status status = server_->query().QueryByExample(
        test::CallContext().get(), request, &response);
    EXPECT_TRUE(status.ok()) << space << ": " << status.error_message();
    return response;
  }

  // The hits of `space` score 0.25 cos_a + 0.75 cos_b, in descending order.
  void ExpectWeightedSum(const v1::QueryByExampleRequest& request,
                         const std::string& space) {
    std::map<uint64_t, float> a, b;
    const v1::QueryByExampleResponse in_a = Query(request, "a", 100);
    const v1::QueryByExampleResponse in_b = Query(request, "b", 100);
    for (const auto& r : in_a.results()) a[r.id()] = r.score();
    for (const auto& r : in_b.results()) b[r.id()] = r.score();
    const v1::QueryByExampleResponse fused = Query(request, space, 8);
    ASSERT_EQ(fused.results_size(), 8);
    EXPECT_EQ(fused.space(), space);
    float last = 2.0f;
    for (const auto& r : fused.results()) {
      ASSERT_EQ(a.count(r.id()), 1u);
      EXPECT_NEAR(r.score(), 0.25f * a[r.id()] + 0.75f * b[r.id()], 1e-5)
          << space;
      EXPECT_LE(r.score(), last);
      last = r.score();
    }
    // The best hit is the best of the weighted sums.
    float best = -2.0f;
    for (const auto& [id, s] : a)
      best = std::max(best, 0.25f * s + 0.75f * b[id]);
    EXPECT_NEAR(fused.results(0).score(), best, 1e-5) << space;
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<test::TestServer> server_;
  int counter_ = 0;
};

TEST_F(FusionE2ETest, QueriesListSpacesAndEvaluateOnFusedSpaces) {
  ASSERT_TRUE(Start(kConfig).ok());
  std::vector<uint64_t> tones, noises;
  for (int n = 0; n < 5; ++n) tones.push_back(Add(0, n));
  for (int n = 0; n < 5; ++n) noises.push_back(Add(1, n));

  for (const std::string space : {"ab", "ab-cat"}) {
    v1::QueryByExampleRequest by_id;
    by_id.set_id(tones[1]);
    ExpectWeightedSum(by_id, space);
    v1::QueryByExampleRequest upload;
    upload.set_audio(Wav(1, 9));
    ExpectWeightedSum(upload, space);
    // Filter and paging.
    v1::QueryByExampleRequest filtered = by_id;
    filtered.mutable_filter()->add_labels_any("noise");
    const auto noise_only = Query(filtered, space, 10);
    EXPECT_EQ(noise_only.results_size(), 5) << space;
    const auto all = Query(by_id, space, 9);
    v1::QueryByExampleRequest paged = by_id;
    paged.set_offset(4);
    const auto page = Query(paged, space, 3);
    ASSERT_EQ(page.results_size(), 3);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(page.results(i).id(), all.results(4 + i).id()) << space;
    }
  }

  v1::ListSpacesResponse spaces;
  ASSERT_TRUE(server_->query()
                  .ListSpaces(test::CallContext().get(),
                              v1::ListSpacesRequest(), &spaces)
                  .ok());
  ASSERT_EQ(spaces.spaces_size(), 4);
  EXPECT_EQ(spaces.spaces(2).name(), "ab");
  EXPECT_EQ(spaces.spaces(2).encoder(), "fusion");
  EXPECT_EQ(spaces.spaces(2).index_dim(),
            spaces.spaces(0).index_dim() + spaces.spaces(1).index_dim());
  EXPECT_EQ(spaces.spaces(3).vectors(), 10u);

  v1::EvaluateRequest evaluate;
  evaluate.set_space("ab");
  v1::EvaluateResponse evaluated;
  grpc::Status status = server_->evaluation().Evaluate(
      test::CallContext().get(), evaluate, &evaluated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(evaluated.spaces_size(), 1);
  EXPECT_EQ(evaluated.spaces(0).space(), "ab");
  EXPECT_EQ(evaluated.spaces(0).sounds(), 10);
}

TEST_F(FusionE2ETest, ABadFusionConfigStopsTheServerClearly) {
  absl::Status started = Start(R"({"spaces": [
    {"name": "a", "encoder": {"kind": "dsp"}},
    {"name": "ab", "fusion": {"of": ["a", "nope"]}}]})");
  EXPECT_TRUE(absl::IsInvalidArgument(started)) << started;
  EXPECT_THAT(started.message(), HasSubstr("\"nope\" is not a space"));
}

}  // namespace
}  // namespace soundsearch
