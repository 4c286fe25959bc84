// soundsearch_torch joins core's tables: RegisterTorchKinds adds the
// "torchscript" encoder kind, the "torch_flat" index kind and the libtorch
// version line, and the config reader then takes torchscript spaces.
#include "soundsearch/torch_kinds.h"

#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "soundsearch/build_info.h"
#include "soundsearch/encoder_kinds.h"
#include "soundsearch/index_kinds.h"
#include "soundsearch/space_config.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {
namespace {

class TorchKindsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(RegisterTorchKinds().ok()); }
};

TEST_F(TorchKindsTest, RegistersItsKindsAndVersionOnce) {
  ASSERT_NE(FindEncoderKind("torchscript"), nullptr);
  ASSERT_NE(FindIndexKind("torch_flat"), nullptr);
  EXPECT_EQ(FindIndexKind("torch_flat")->snapshot_code, 3u);
  // Core's kinds come first, then the registered ones.
  const std::vector<std::string> names = EncoderKindNames();
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[2], "torchscript");
  EXPECT_TRUE(RegisterTorchKinds().ok());  // idempotent
  EXPECT_EQ(EncoderKindNames().size(), 3u);
  const auto versions = DependencyVersions();
  ASSERT_EQ(versions.count("libtorch"), 1u);
  EXPECT_EQ(versions.at("libtorch").substr(0, 4), "1.13");
}

TEST_F(TorchKindsTest, TorchFlatIndexIsCreatedThroughTheTable) {
  VectorIndexOptions o;
  o.dim = 4;
  o.index.kind = "torch_flat";
  auto index = VectorIndex::Create(o);
  ASSERT_TRUE(index.ok()) << index.status();
  const int64_t ids[] = {7};
  const float v[] = {1, 0, 0, 0};
  ASSERT_TRUE((*index)->Add(ids, v).ok());
  auto hits = (*index)->Search(v, SearchOptions{});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, 7);
}

TEST_F(TorchKindsTest, TorchScriptSpacesParseWithTheirOwnKeysAndDefaults) {
  auto spaces = ParseSpaceConfigs(R"({"spaces": [
      {"name": "ea", "encoder": {"kind": "torchscript",
       "model_path": "/models/ea.pt", "spec_path": "/models/ea.json",
       "torch_threads": 2, "allow_gpu": false, "batch_size": 8},
       "index": {"type": "torch_flat"}}]})");
  ASSERT_TRUE(spaces.ok()) << spaces.status();
  const SpaceConfig& ea = (*spaces)[0];
  EXPECT_EQ(ea.encoder.kind, "torchscript");
  EXPECT_EQ(ea.encoder.model_path, "/models/ea.pt");
  EXPECT_EQ(ea.encoder.spec_path, "/models/ea.json");
  EXPECT_EQ(ea.encoder.torch_threads, 2);
  EXPECT_FALSE(ea.encoder.allow_gpu);
  EXPECT_EQ(ea.encoder.batch_size, 8);
  EXPECT_EQ(ea.pooling, Pooling::kMean);  // neural embeddings: mean
  EXPECT_EQ(ea.scaling, Scaling::kNone);
  EXPECT_EQ(ea.index.kind, "torch_flat");
}

TEST_F(TorchKindsTest, BadTorchScriptOptionsNameTheKey) {
  struct Case {
    const char* encoder;
    const char* expected;
  };
  for (const Case& c : {
           Case{R"({"kind": "torchscript"})",
                "spaces[0].encoder.model_path: required"},
           Case{R"({"kind": "torchscript", "model_path": "m",
                    "sample_rate": 16000})",
                "spaces[0].encoder.sample_rate: unknown key"},
           Case{R"({"kind": "torchscript", "model_path": "m",
                    "allow_gpu": 1})",
                "spaces[0].encoder.allow_gpu: must be true or false"},
           Case{R"({"kind": "torchscript", "model_path": "m",
                    "batch_size": 0})",
                "spaces[0].encoder.batch_size: must be in [1, 4096]"},
           Case{R"({"kind": "torchscript", "model_path": "m",
                    "torch_threads": 999})",
                "spaces[0].encoder.torch_threads: must be in [0, 256]"},
       }) {
    auto r = ParseSpaceConfigs(std::string(R"({"spaces": [{"name": "s",
        "encoder": )") + c.encoder +
                               "}]}");
    ASSERT_FALSE(r.ok()) << c.encoder;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
        << r.status().message();
  }
}

// deploy/spaces.efficientat.json: dsp plus the exported EfficientAT model,
// named relative to the file (docs/performance.md, README), and its
// class-score space (docs/config.md); query expansion off.
TEST_F(TorchKindsTest, ShippedEfficientAtFileParses) {
  const std::string source = SOUNDSEARCH_SOURCE_DIR;
  auto spaces = LoadSpaceConfigFile(source + "/deploy/spaces.efficientat.json");
  ASSERT_TRUE(spaces.ok()) << spaces.status();
  ASSERT_EQ(spaces->size(), 3u);
  EXPECT_EQ((*spaces)[0].name, "dsp");
  EXPECT_EQ((*spaces)[2].name, "efficientat-tags");
  for (const SpaceConfig& s : *spaces) EXPECT_FALSE(s.expand.enabled());
  const SpaceConfig& e = (*spaces)[1];
  EXPECT_EQ(e.name, "efficientat");
  EXPECT_EQ(e.encoder.kind, "torchscript");
  EXPECT_EQ(std::filesystem::path(e.encoder.model_path).lexically_normal(),
            std::filesystem::path(source + "/data/models/efficientat/"
                                           "efficientat.pt")
                .lexically_normal());
  EXPECT_EQ(e.pooling, Pooling::kMean);
  EXPECT_EQ(e.pca_dims, 100);
  EXPECT_EQ(e.metric, Metric::kCosine);
  EXPECT_TRUE(e.auto_tags.enabled);
  const SpaceConfig& tags = (*spaces)[2];
  EXPECT_EQ(tags.name, "efficientat-tags");
  EXPECT_EQ(tags.encoder.kind, "torchscript");
  EXPECT_EQ(tags.pooling, Pooling::kMax);
  EXPECT_EQ(tags.pca_dims, 0);
  EXPECT_FALSE(tags.auto_tags.enabled);
}

// The example shipped in deploy/ and shown in docs/config.md stays valid.
TEST_F(TorchKindsTest, ShippedExampleFileParses) {
  auto spaces = LoadSpaceConfigFile(std::string(SOUNDSEARCH_SOURCE_DIR) +
                                    "/deploy/spaces.example.json");
  ASSERT_TRUE(spaces.ok()) << spaces.status();
  EXPECT_GE(spaces->size(), 2u);
}

}  // namespace
}  // namespace soundsearch
