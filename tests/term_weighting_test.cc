// TermWeighting: idf fitted on counts, per-block L2 and weights, the blob.
#include "embedding/term_weighting.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

TermLayout Layout() {
  TermLayout layout;
  layout.block_sizes = {2, 3};
  layout.block_weights = {0.25f, 0.75f};
  return layout;
}

TEST(TermWeightingTest, IdfIsSmoothedLogOfDocumentFrequency) {
  // 3 clips; dim 0 in all, dim 1 in one, dim 2 in two, dims 3, 4 in none.
  const std::vector<float> rows = {1, 0, 2, 0, 0,  //
                                   3, 1, 0, 0, 0,  //
                                   1, 0, 1, 0, 0};
  auto t = TermWeighting::Fit(rows, 3, Layout());
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->dim(), 5);
  EXPECT_FLOAT_EQ(t->idf()[0], 1.0f);                          // ln(4/4) + 1
  EXPECT_FLOAT_EQ(t->idf()[1], std::log(4.0f / 2.0f) + 1.0f);  // df 1
  EXPECT_FLOAT_EQ(t->idf()[2], std::log(4.0f / 3.0f) + 1.0f);  // df 2
  EXPECT_FLOAT_EQ(t->idf()[3], std::log(4.0f) + 1.0f);         // unseen
}

TEST(TermWeightingTest, ApplyNormalisesEachBlockAndWeightsIt) {
  auto t = TermWeighting::Unit(Layout());
  ASSERT_TRUE(t.ok());
  std::vector<float> row = {3, 4, 0, 0, 2};
  const std::vector<float> weights = {0.25f, 0.75f};
  t->Apply(row.data(), 1, weights);
  EXPECT_FLOAT_EQ(row[0], 0.25f * 0.6f);
  EXPECT_FLOAT_EQ(row[1], 0.25f * 0.8f);
  EXPECT_FLOAT_EQ(row[4], 0.75f);
  // A zero block stays zero.
  std::vector<float> words_only = {1, 0, 0, 0, 0};
  t->Apply(words_only.data(), 1, weights);
  EXPECT_FLOAT_EQ(words_only[0], 0.25f);
  for (int j = 2; j < 5; ++j) EXPECT_EQ(words_only[j], 0.0f);
}

TEST(TermWeightingTest, SerializeRoundTripsAndRejectsDamage) {
  const std::vector<float> rows = {1, 0, 2, 0, 1, 0, 1, 0, 0, 0};
  auto t = TermWeighting::Fit(rows, 2, Layout());
  ASSERT_TRUE(t.ok());
  const std::string blob = t->Serialize();
  auto back = TermWeighting::Deserialize(blob);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->idf(), t->idf());
  EXPECT_EQ(back->block_sizes(), t->block_sizes());
  std::string bad = blob;
  bad[6] ^= 1;
  EXPECT_FALSE(TermWeighting::Deserialize(bad).ok());
  EXPECT_FALSE(TermWeighting::Deserialize(blob.substr(0, 8)).ok());
}

TEST(TermWeightingTest, RejectsBadLayoutsAndSizes) {
  TermLayout none;
  EXPECT_FALSE(TermWeighting::Unit(none).ok());
  TermLayout mismatch = Layout();
  mismatch.block_weights.pop_back();
  EXPECT_FALSE(TermWeighting::Unit(mismatch).ok());
  EXPECT_EQ(TermWeighting::Fit({1, 2}, 1, Layout()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TermWeighting::Fit({}, 0, Layout()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace soundsearch

// A Space over a bag-of-terms encoder fits the idf, projects through it and
// keeps it in its fitted-state blob (format version 2).
#include "soundsearch/space.h"

namespace soundsearch {
namespace {

class FakeTermEncoder final : public Encoder {
 public:
  FakeTermEncoder() { layout_ = Layout(); }
  const std::string& kind() const override { return kind_; }
  int sample_rate() const override { return 16000; }
  int frame_dim() const override { return 5; }
  const TermLayout* term_layout() const override { return &layout_; }
  absl::StatusOr<EncodedClip> Encode(
      absl::Span<const float> pcm) const override {
    EncodedClip clip;
    clip.frames = FrameMatrix(1, 5);
    clip.frames.row(0)[pcm.size() % 5] = 1;
    clip.spoken.phones = {"S", "EH"};
    return clip;
  }

 private:
  const std::string kind_ = "fake_terms";
  TermLayout layout_;
};

SpaceConfig TermSpaceConfig() {
  SpaceConfig c;
  c.name = "terms";
  c.pooling = Pooling::kMean;
  c.scaling = Scaling::kNone;
  c.pca_dims = 0;
  return c;
}

TEST(TermSpaceTest, FitsIdfProjectsAndPersistsIt) {
  auto space = Space::Create(TermSpaceConfig(),
                             std::make_shared<FakeTermEncoder>());
  ASSERT_TRUE(space.ok()) << space.status();
  std::vector<RawEmbedding> raws(3);
  raws[0].pooled = {1, 0, 1, 0, 0};
  raws[1].pooled = {1, 1, 0, 0, 0};
  raws[2].pooled = {1, 0, 0, 0, 1};
  // Unfitted: idf 1, blocks weighted, then L2 (weights 0.25 / 0.75).
  auto unfitted = (*space)->Project(raws[0]);
  ASSERT_TRUE(unfitted.ok());
  const float norm = std::sqrt(0.25f * 0.25f + 0.75f * 0.75f);
  EXPECT_NEAR((*unfitted)[0], 0.25f / norm, 1e-6);
  EXPECT_NEAR((*unfitted)[2], 0.75f / norm, 1e-6);

  auto fitted = (*space)->Fit(raws);
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  auto v = (*fitted)->Project(raws[1]);
  ASSERT_TRUE(v.ok());
  // Dim 0 is in every clip (idf 1), dim 1 in one (idf ln 2 + 1): the word
  // block leans towards dim 1.
  EXPECT_GT((*v)[1], (*v)[0]);
  auto blob = (*fitted)->SerializeFittedState();
  ASSERT_TRUE(blob.ok());
  auto again = (*space)->WithFittedState(*blob);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*(*again)->Project(raws[1]), *v);

  SpokenContent spoken;
  auto raw = (*space)->Embed(std::vector<float>(7, 0.1f), nullptr, &spoken);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(spoken.space, "terms");
  EXPECT_EQ(spoken.phones, (std::vector<std::string>{"S", "EH"}));
}

TEST(TermSpaceTest, NeedsMeanPoolingAndRerankNeedsPhones) {
  SpaceConfig c = TermSpaceConfig();
  c.pooling = Pooling::kMeanStd;
  EXPECT_EQ(Space::Create(c, std::make_shared<FakeTermEncoder>())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  SpaceConfig dsp = DefaultSpaceConfig();
  dsp.rerank.kind = RerankKind::kPhoneEdit;
  EXPECT_EQ(Space::Create(dsp).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
