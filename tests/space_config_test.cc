#include "soundsearch/space_config.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "soundsearch/encoder_kinds.h"
#include "soundsearch/index_kinds.h"

namespace soundsearch {
namespace {

// A model-file encoder kind registered by this test alone (core's own kinds
// are dsp and mfcc; soundsearch_torch's torchscript is tested in
// torch_kinds_test): the config reader takes its keys, defaults and checks
// from its table entry.
const bool kTestKindRegistered = [] {
  EncoderKind kind;
  kind.name = "test_model";
  kind.option_keys = {"model_path", "spec_path", "torch_threads", "allow_gpu",
                      "batch_size"};
  kind.default_pooling = "mean";
  kind.validate = [](const EncoderOptions& o) -> absl::Status {
    if (o.model_path.empty()) {
      return absl::InvalidArgumentError("encoder.model_path: required");
    }
    return absl::OkStatus();
  };
  kind.create =
      [](const EncoderOptions&) -> absl::StatusOr<std::unique_ptr<Encoder>> {
    return absl::UnimplementedError("test kind");
  };
  return RegisterEncoderKind(std::move(kind)).ok();
}();

constexpr char kGoodFile[] = R"json({
  "server": {"port": 50051},
  "spaces": [
    {"name": "dsp", "encoder": {"kind": "dsp"}},
    {"name": "boaw", "encoder": {"kind": "boaw", "sample_rate": 16000},
     "pca_dims": 0, "metric": "euclidean", "min_fit_items": 50,
     "codebook": {"k": 64, "seed": 7, "iterations": 10, "stored_frames": 128,
                  "fit_frames_per_clip": 32, "fit_max_frames": 5000}},
    {"name": "efficientat",
     "encoder": {"kind": "test_model", "model_path": "/models/ea.pt",
                 "spec_path": "/models/ea.json", "torch_threads": 2,
                 "allow_gpu": false, "batch_size": 8},
     "pooling": "max", "scaling": "zscore", "pca_dims": 200,
     "metric": "inner_product",
     "index": {"type": "hnsw", "hnsw_m": 16, "hnsw_ef_search": 128,
               "hnsw_ef_construction": 100}},
    {"name": "mfcc", "encoder": {"kind": "mfcc"}, "pooling": "median",
     "index": {"type": "ivf", "ivf_nlist": 256, "ivf_nprobe": 8}}
  ]
})json";

TEST(SpaceConfigTest, ParsesSeveralSpacesWithPerKindDefaults) {
  auto spaces = ParseSpaceConfigs(kGoodFile);
  ASSERT_TRUE(spaces.ok()) << spaces.status();
  ASSERT_EQ(spaces->size(), 4u);

  const SpaceConfig& dsp = (*spaces)[0];
  EXPECT_EQ(dsp.name, "dsp");
  EXPECT_EQ(dsp.encoder.kind, "dsp");
  EXPECT_FALSE(dsp.boaw);
  EXPECT_EQ(dsp.pooling, Pooling::kMeanStd);
  EXPECT_EQ(dsp.scaling, Scaling::kMinMax);
  EXPECT_EQ(dsp.pca_dims, 100);
  EXPECT_EQ(dsp.metric, Metric::kCosine);
  EXPECT_EQ(dsp.min_fit_items, 200);
  EXPECT_EQ(dsp.index.kind, "flat");

  const SpaceConfig& boaw = (*spaces)[1];
  EXPECT_TRUE(boaw.boaw);
  EXPECT_EQ(boaw.encoder.kind, "mfcc");
  EXPECT_EQ(boaw.encoder.sample_rate, 16000);
  EXPECT_EQ(boaw.scaling, Scaling::kNone);
  EXPECT_EQ(boaw.pca_dims, 0);
  EXPECT_EQ(boaw.metric, Metric::kEuclidean);
  EXPECT_EQ(boaw.min_fit_items, 50);
  EXPECT_EQ(boaw.codebook.k, 64);
  EXPECT_EQ(boaw.codebook.seed, 7);
  EXPECT_EQ(boaw.codebook.iterations, 10);
  EXPECT_EQ(boaw.codebook.stored_frames, 128);
  EXPECT_EQ(boaw.codebook.fit_frames_per_clip, 32);
  EXPECT_EQ(boaw.codebook.fit_max_frames, 5000);

  const SpaceConfig& ea = (*spaces)[2];
  EXPECT_EQ(ea.encoder.kind, "test_model");
  EXPECT_EQ(ea.encoder.model_path, "/models/ea.pt");
  EXPECT_EQ(ea.encoder.spec_path, "/models/ea.json");
  EXPECT_EQ(ea.encoder.torch_threads, 2);
  EXPECT_FALSE(ea.encoder.allow_gpu);
  EXPECT_EQ(ea.encoder.batch_size, 8);
  EXPECT_EQ(ea.pooling, Pooling::kMax);
  EXPECT_EQ(ea.scaling, Scaling::kZScore);
  EXPECT_EQ(ea.pca_dims, 200);
  EXPECT_EQ(ea.metric, Metric::kInnerProduct);
  EXPECT_EQ(ea.index.kind, "hnsw");
  EXPECT_EQ(ea.index.hnsw_m, 16);
  EXPECT_EQ(ea.index.hnsw_ef_search, 128);
  EXPECT_EQ(ea.index.hnsw_ef_construction, 100);

  const SpaceConfig& mfcc = (*spaces)[3];
  EXPECT_EQ(mfcc.pooling, Pooling::kMedian);
  EXPECT_EQ(mfcc.index.kind, "ivf");
  EXPECT_EQ(mfcc.index.ivf_nlist, 256);
  EXPECT_EQ(mfcc.index.ivf_nprobe, 8);
}

TEST(SpaceConfigTest, AKindsDefaultsComeFromItsTableEntry) {
  auto spaces = ParseSpaceConfigs(
      R"({"spaces": [{"name": "clap", "encoder": {"kind": "test_model",
          "model_path": "m.pt"}}]})");
  ASSERT_TRUE(spaces.ok()) << spaces.status();
  EXPECT_EQ((*spaces)[0].pooling, Pooling::kMean);
  EXPECT_EQ((*spaces)[0].scaling, Scaling::kNone);
}

TEST(SpaceConfigTest, KindTablesHoldCoresKindsAndRefuseDuplicates) {
  ASSERT_TRUE(kTestKindRegistered);
  EXPECT_NE(FindEncoderKind("dsp"), nullptr);
  EXPECT_NE(FindEncoderKind("mfcc"), nullptr);
  EXPECT_EQ(FindEncoderKind("torchscript"), nullptr);  // not linked here
  EXPECT_EQ(FindIndexKind("torch_flat"), nullptr);
  for (const char* name : {"flat", "hnsw", "ivf"}) {
    EXPECT_NE(FindIndexKind(name), nullptr) << name;
  }
  EncoderKind again = *FindEncoderKind("dsp");
  EXPECT_EQ(RegisterEncoderKind(again).code(),
            absl::StatusCode::kAlreadyExists);
  IndexKind clash = *FindIndexKind("flat");
  clash.name = "flat2";  // a new name with flat's snapshot code
  EXPECT_EQ(RegisterIndexKind(clash).code(), absl::StatusCode::kAlreadyExists);
  EncoderKind unnamed;
  EXPECT_EQ(RegisterEncoderKind(unnamed).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SpaceConfigTest, EveryIndexOptionIsSettable) {
  auto spaces = ParseSpaceConfigs(R"({"spaces": [{"name": "s",
      "encoder": {"kind": "dsp"}, "metric": "ip",
      "index": {"type": "ivf", "hnsw_m": 8, "hnsw_ef_search": 32,
                "hnsw_ef_construction": 40,
                "hnsw_rebuild_tombstone_fraction": 0.5,
                "ivf_nlist": 64, "ivf_nprobe": 4,
                "ivf_train_min_vectors": 1000}}]})");
  ASSERT_TRUE(spaces.ok()) << spaces.status();
  const IndexOptions& ix = (*spaces)[0].index;
  EXPECT_EQ((*spaces)[0].metric, Metric::kInnerProduct);
  EXPECT_EQ(ix.kind, "ivf");
  EXPECT_EQ(ix.hnsw_m, 8);
  EXPECT_EQ(ix.hnsw_ef_search, 32);
  EXPECT_EQ(ix.hnsw_ef_construction, 40);
  EXPECT_DOUBLE_EQ(ix.hnsw_rebuild_tombstone_fraction, 0.5);
  EXPECT_EQ(ix.ivf_nlist, 64);
  EXPECT_EQ(ix.ivf_nprobe, 4);
  EXPECT_EQ(ix.ivf_train_min_vectors, 1000);
  // The defaults are IndexOptions' own, the same for the config and the
  // index layer.
  const IndexOptions defaults;
  const IndexOptions& d = DefaultSpaceConfig().index;
  EXPECT_EQ(d.kind, "flat");
  EXPECT_EQ(d.hnsw_ef_construction, defaults.hnsw_ef_construction);
  EXPECT_EQ(d.ivf_nlist, defaults.ivf_nlist);
  EXPECT_EQ(VectorIndexOptions().index.hnsw_ef_construction,
            defaults.hnsw_ef_construction);
}

TEST(SpaceConfigTest, BuiltInDefaultIsTheDspSpace) {
  const SpaceConfig c = DefaultSpaceConfig();
  EXPECT_TRUE(ValidateSpaceConfig(c).ok());
  EXPECT_EQ(c.name, "dsp");
  EXPECT_EQ(c.encoder.kind, "dsp");
  EXPECT_EQ(c.pooling, Pooling::kMeanStd);
  EXPECT_EQ(c.scaling, Scaling::kMinMax);
  EXPECT_EQ(c.pca_dims, 100);
  EXPECT_EQ(c.metric, Metric::kCosine);
  EXPECT_EQ(c.index.kind, "flat");
  // It is what a minimal JSON declaration of a dsp space gives, too.
  auto parsed = ParseSpaceConfigs(
      R"({"spaces": [{"name": "dsp", "encoder": {"kind": "dsp"}}]})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)[0].pooling, c.pooling);
  EXPECT_EQ((*parsed)[0].scaling, c.scaling);
  EXPECT_EQ((*parsed)[0].pca_dims, c.pca_dims);
  // Encoder defaults: the log-mel bands are left out (docs/quality.md), the
  // other groups and the deltas are in, for built-in and JSON spaces alike.
  EXPECT_FALSE(c.encoder.dsp_log_mel);
  EXPECT_TRUE(c.encoder.dsp_mfcc && c.encoder.dsp_spectral_shape &&
              c.encoder.dsp_contrast && c.encoder.dsp_zcr &&
              c.encoder.dsp_rms && c.encoder.dsp_pitch &&
              c.encoder.dsp_deltas);
  EXPECT_EQ(c.encoder.n_mfcc, 20);
  EXPECT_FALSE((*parsed)[0].encoder.dsp_log_mel);
}

TEST(SpaceConfigTest, ReadsFrontEndAndDescriptorSwitches) {
  auto parsed = ParseSpaceConfigs(R"({"spaces": [
      {"name": "d", "encoder": {"kind": "dsp", "n_fft": 2048,
       "hop_length": 256, "n_mfcc": 13, "dsp_n_mels": 40, "dsp_log_mel": true,
       "dsp_mfcc": false, "dsp_spectral_shape": false, "dsp_contrast": false,
       "dsp_zcr": false, "dsp_rms": false, "dsp_pitch": true,
       "dsp_deltas": false}},
      {"name": "b", "encoder": {"kind": "boaw", "n_mfcc": 13,
       "mfcc_n_mels": 32, "mfcc_deltas": true}}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const EncoderOptions& d = (*parsed)[0].encoder;
  EXPECT_EQ(d.n_fft, 2048);
  EXPECT_EQ(d.hop_length, 256);
  EXPECT_EQ(d.n_mfcc, 13);
  EXPECT_EQ(d.dsp_n_mels, 40);
  EXPECT_TRUE(d.dsp_log_mel);
  EXPECT_FALSE(d.dsp_mfcc || d.dsp_spectral_shape || d.dsp_contrast ||
               d.dsp_zcr || d.dsp_rms || d.dsp_deltas);
  EXPECT_TRUE(d.dsp_pitch);
  const EncoderOptions& b = (*parsed)[1].encoder;
  EXPECT_EQ(b.n_mfcc, 13);
  EXPECT_EQ(b.mfcc_n_mels, 32);
  EXPECT_TRUE(b.mfcc_deltas);
}

TEST(SpaceConfigTest, EnumNamesRoundTrip) {
  for (Pooling p :
       {Pooling::kMean, Pooling::kMedian, Pooling::kMax, Pooling::kMeanStd}) {
    EXPECT_EQ(*ParsePooling(PoolingName(p)), p);
  }
  for (Scaling s : {Scaling::kNone, Scaling::kMinMax, Scaling::kZScore}) {
    EXPECT_EQ(*ParseScaling(ScalingName(s)), s);
  }
  for (Metric m :
       {Metric::kCosine, Metric::kInnerProduct, Metric::kEuclidean}) {
    EXPECT_EQ(*ParseMetric(MetricName(m)), m);
  }
  for (const char* alias : {"mcss", "MCSS", "Cosine"}) {
    EXPECT_EQ(*ParseMetric(alias), Metric::kCosine) << alias;
  }
  for (const char* alias : {"ip", "mips"}) {
    EXPECT_EQ(*ParseMetric(alias), Metric::kInnerProduct) << alias;
  }
  for (const char* alias : {"l2", "nns"}) {
    EXPECT_EQ(*ParseMetric(alias), Metric::kEuclidean) << alias;
  }
  EXPECT_FALSE(ParseMetric("dot").ok());
}

struct BadCase {
  const char* json;
  const char* expected_in_message;  // the key the error must name
};

class SpaceConfigBadValueTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(SpaceConfigBadValueTest, IsInvalidArgumentNamingTheKey) {
  auto r = ParseSpaceConfigs(GetParam().json);
  ASSERT_FALSE(r.ok()) << GetParam().json;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(GetParam().expected_in_message),
            std::string::npos)
      << "message: " << r.status().message();
}

#define SPACE(body) "{\"spaces\": [{\"name\": \"s\", " body "}]}"
#define DSP "\"encoder\": {\"kind\": \"dsp\"}"

INSTANTIATE_TEST_SUITE_P(
    EachKindOfError, SpaceConfigBadValueTest,
    ::testing::Values(
        BadCase{"not json", "invalid JSON"}, BadCase{"[1, 2]", "top level"},
        BadCase{"{\"other\": 1}", "spaces: missing"},
        BadCase{"{\"spaces\": []}", "spaces: must be a non-empty array"},
        BadCase{"{\"spaces\": [3]}", "spaces[0]: must be a JSON object"},
        BadCase{"{\"spaces\": [{\"encoder\": {\"kind\": \"dsp\"}}]}",
                "spaces[0].name: missing"},
        BadCase{SPACE("\"pca\": 3"), "spaces[0].encoder: missing"},
        BadCase{SPACE(DSP ", \"pca\": 3"), "spaces[0].pca: unknown key"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"dsp\", \"rate\": 1}"),
                "spaces[0].encoder.rate: unknown key"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"wav2vec\"}"),
                "spaces[0].encoder.kind: unknown encoder kind"},
        BadCase{SPACE("\"encoder\": {}"), "spaces[0].encoder.kind: missing"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"test_model\"}"),
                "spaces[0].encoder.model_path: required"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"test_model\", "
                      "\"model_path\": \"m\", \"sample_rate\": 16000}"),
                "spaces[0].encoder.sample_rate: unknown key"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"dsp\", \"sample_rate\": 100}"),
                "spaces[0].encoder.sample_rate: must be in [8000, 192000]"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"dsp\", "
                      "\"sample_rate\": \"22050\"}"),
                "spaces[0].encoder.sample_rate: must be an integer"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"boaw\", "
                      "\"dsp_log_mel\": true}"),
                "spaces[0].encoder.dsp_log_mel: unknown key"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"dsp\", "
                      "\"mfcc_deltas\": true}"),
                "spaces[0].encoder.mfcc_deltas: unknown key"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"dsp\", "
                      "\"n_mfcc\": 80}"),
                "spaces[0].encoder.n_mfcc: must be in [1, 64], got 80"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"dsp\", "
                      "\"n_fft\": 32}"),
                "spaces[0].encoder.n_fft: must be in [64, 65536]"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"dsp\", "
                      "\"dsp_mfcc\": false, \"dsp_spectral_shape\": false, "
                      "\"dsp_contrast\": false, \"dsp_zcr\": false, "
                      "\"dsp_rms\": false, \"dsp_pitch\": false}"),
                "spaces[0].encoder: a dsp encoder needs at least one"},
        BadCase{SPACE(DSP ", \"pca_dims\": 100.5"),
                "spaces[0].pca_dims: must be an integer"},
        BadCase{SPACE(DSP ", \"pca_dims\": -1"),
                "spaces[0].pca_dims: must be in [0, 1024]"},
        BadCase{SPACE(DSP ", \"pca_dims\": 99999999999"),
                "spaces[0].pca_dims: 99999999999 is out of range"},
        BadCase{SPACE(DSP ", \"pooling\": \"sum\""),
                "spaces[0].pooling: unknown value \"sum\""},
        BadCase{SPACE(DSP ", \"pooling\": 1"),
                "spaces[0].pooling: must be a string"},
        BadCase{SPACE(DSP ", \"scaling\": \"l2\""), "spaces[0].scaling"},
        BadCase{SPACE(DSP ", \"metric\": \"dot\""), "spaces[0].metric"},
        BadCase{SPACE(DSP ", \"min_fit_items\": 1"),
                "spaces[0].min_fit_items: must be in [2,"},
        BadCase{SPACE(DSP ", \"codebook\": {\"k\": 10}"),
                "spaces[0].codebook: only a \"boaw\" encoder"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"boaw\"}, "
                      "\"codebook\": {\"k\": 1}"),
                "spaces[0].codebook.k: must be in [2, 65536]"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"boaw\"}, "
                      "\"codebook\": {\"size\": 10}"),
                "spaces[0].codebook.size: unknown key"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"boaw\"}, "
                      "\"codebook\": {\"k\": 300, \"fit_max_frames\": 10}"),
                "spaces[0].codebook.fit_max_frames: must be in [300,"},
        BadCase{SPACE(DSP ", \"index\": {\"type\": \"lsh\"}"),
                "spaces[0].index.type: unknown index kind \"lsh\" "
                "(registered: flat, hnsw, ivf"},
        BadCase{SPACE(DSP ", \"index\": {\"type\": \"torch_flat\"}"),
                "spaces[0].index.type: unknown index kind \"torch_flat\""},
        BadCase{SPACE("\"encoder\": {\"kind\": \"torchscript\"}"),
                "spaces[0].encoder.kind: unknown encoder kind "
                "\"torchscript\" (expected \"dsp\", \"mfcc\""},
        BadCase{
            SPACE(DSP ", \"index\": {\"hnsw_rebuild_tombstone_fraction\": 0}"),
            "spaces[0].index.hnsw_rebuild_tombstone_fraction: must be in "
            "(0, 1]"},
        BadCase{SPACE(DSP ", \"index\": {\"ivf_nlist\": 64, "
                          "\"ivf_train_min_vectors\": 10}"),
                "spaces[0].index.ivf_train_min_vectors: must be 0"},
        BadCase{SPACE(DSP ", \"index\": {\"hnsw_m\": 1}"),
                "spaces[0].index.hnsw_m: must be in [2, 256], got 1"},
        BadCase{SPACE(DSP ", \"index\": {\"ivf_nlist\": 8, \"ivf_nprobe\": 9}"),
                "spaces[0].index.ivf_nprobe: must be in [1, 8], got 9"},
        BadCase{SPACE(DSP ", \"index\": {\"efSearch\": 8}"),
                "spaces[0].index.efSearch: unknown key"},
        BadCase{SPACE(DSP ", \"index\": []"),
                "spaces[0].index: must be a JSON object"},
        BadCase{SPACE("\"encoder\": {\"kind\": \"test_model\", "
                      "\"model_path\": \"m\", \"allow_gpu\": 1}"),
                "spaces[0].encoder.allow_gpu: must be true or false"},
        BadCase{SPACE(DSP ", \"auto_tags\": {\"top_k\": 0}"),
                "spaces[0].auto_tags.top_k: must be in [1, 1000]"},
        BadCase{SPACE(DSP ", \"auto_tags\": {\"min_probability\": 1.5}"),
                "spaces[0].auto_tags.min_probability: must be in [0, 1]"},
        BadCase{SPACE(DSP ", \"auto_tags\": {\"top\": 3}"),
                "spaces[0].auto_tags.top: unknown key"},
        BadCase{SPACE(DSP ", \"auto_tags\": true"),
                "spaces[0].auto_tags: must be a JSON object"},
        BadCase{"{\"spaces\": [{\"name\": \"Bad Name\", " DSP "}]}",
                "spaces[0].name:"},
        BadCase{"{\"spaces\": [{\"name\": \"a\", " DSP "}, "
                "{\"name\": \"a\", " DSP "}]}",
                "spaces[1].name: duplicate space name \"a\""}));

TEST(SpaceConfigTest, LoadsAFileAndReportsAMissingOne) {
  const std::string path =
      ::testing::TempDir() + "/space_config_test_spaces.json";
  {
    std::ofstream out(path);
    out << kGoodFile;
  }
  auto spaces = LoadSpaceConfigFile(path);
  ASSERT_TRUE(spaces.ok()) << spaces.status();
  EXPECT_EQ(spaces->size(), 4u);
  std::remove(path.c_str());
  auto missing = LoadSpaceConfigFile(path);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  {
    std::ofstream out(path);
    out << "{\"spaces\": [{\"name\": \"x\"}]}";
  }
  auto bad = LoadSpaceConfigFile(path);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find(path), std::string::npos);
  std::remove(path.c_str());
}

TEST(SpaceConfigTest, AutoTagsDefaultsAndOverrides) {
  auto spaces = ParseSpaceConfigs(R"({"spaces": [
      {"name": "a", "encoder": {"kind": "test_model", "model_path": "/m.pt"}},
      {"name": "b", "encoder": {"kind": "test_model", "model_path": "/m.pt"},
       "auto_tags": {"enabled": false, "top_k": 10, "min_probability": 0.25}}
  ]})");
  ASSERT_TRUE(spaces.ok()) << spaces.status();
  EXPECT_TRUE((*spaces)[0].auto_tags.enabled);
  EXPECT_EQ((*spaces)[0].auto_tags.top_k, 5);
  EXPECT_FLOAT_EQ((*spaces)[0].auto_tags.min_probability, 0.1f);
  EXPECT_FALSE((*spaces)[1].auto_tags.enabled);
  EXPECT_EQ((*spaces)[1].auto_tags.top_k, 10);
  EXPECT_FLOAT_EQ((*spaces)[1].auto_tags.min_probability, 0.25f);
}

TEST(SpaceConfigTest, FileResolvesRelativeModelPathsAgainstItsFolder) {
  const std::string dir =
      std::filesystem::path(::testing::TempDir() + "/space_config_test_rel")
          .lexically_normal()
          .string();
  std::filesystem::create_directories(dir + "/conf");
  const std::string path = dir + "/conf/spaces.json";
  {
    std::ofstream out(path);
    out << R"({"spaces": [
        {"name": "rel", "encoder": {"kind": "test_model",
         "model_path": "../models/m.pt", "spec_path": "m.json"}},
        {"name": "abs", "encoder": {"kind": "test_model",
         "model_path": "/opt/m.pt"}}]})";
  }
  auto spaces = LoadSpaceConfigFile(path);
  ASSERT_TRUE(spaces.ok()) << spaces.status();
  EXPECT_EQ((*spaces)[0].encoder.model_path, dir + "/models/m.pt");
  EXPECT_EQ((*spaces)[0].encoder.spec_path, dir + "/conf/m.json");
  EXPECT_EQ((*spaces)[1].encoder.model_path, "/opt/m.pt");
  EXPECT_EQ((*spaces)[1].encoder.spec_path, "");  // <model>.json
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace soundsearch
