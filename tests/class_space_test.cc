// A class-score space (a torchscript encoder with output "tags") in a
// collection: its pooled vectors are class probabilities, text queries
// match its class names (and, with an ontology, class documents), merge
// with word vectors, page, filter on auto-tags, and describe sounds. The
// model is written with torch::jit::Module::define (no Python): its four
// "classes" respond to loudness and zero crossings, so tones, quiet tones
// and noise each have their own class.
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/torch_kinds.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

const absl::Status kTorchKinds = RegisterTorchKinds();

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int kRate = 16000;

// (embedding [B, 8], logits [B, 4]) for 0.1 s windows: Dog and Bark for loud
// low-pitched sound, Rain for noise (many zero crossings), Music for quiet;
// the embedding holds the same features, so the kinds cluster there too.
constexpr char kModel[] = R"(
def forward(self, x):
    amp = x.abs().mean(1, keepdim=True)
    zc = ((x[:, 1:] * x[:, :-1]) < 0).float().mean(1, keepdim=True)
    dog = 40.0 * (0.05 - zc) + 20.0 * (amp - 0.15)
    rain = 40.0 * (zc - 0.3)
    music = 20.0 * (0.1 - amp)
    logits = torch.cat([dog, dog, rain, music], 1)
    clip = torch.cat([torch.sigmoid(logits), 4.0 * amp, 2.0 * zc,
                      0.1 + 0.0 * amp, 0.1 + 0.0 * amp], 1)
    return clip, logits
)";

constexpr char kSpec[] = R"({"sample_rate": 16000, "window_seconds": 0.1,
  "device": "cpu", "input": {"kind": "waveform"},
  "output": {"kind": "clip", "dim": 8, "select": 0},
  "tags": {"select": 1, "labels": "labels.txt"}})";

constexpr char kOntology[] = R"([
 {"id": "/m/0bt9lr", "name": "Dog", "description": "The domesticated canid.", "fs_tags": ["dog"]},
 {"id": "/m/05tny_", "name": "Bark", "description": "Sound of dogs, woof.", "fs_tags": ["woof"]},
 {"id": "/m/06mb1", "name": "Rain", "description": "Water drops falling.", "fs_tags": ["storm"]},
 {"id": "/m/04rlf", "name": "Music", "description": "Organised sound.", "fs_tags": ["song"]}
])";

class ClassSpaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kTorchKinds.ok() || absl::IsAlreadyExists(kTorchKinds));
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    torch::jit::Module module("m");
    torch::manual_seed(7);
    module.register_parameter("w", torch::randn({1600, 8}) * 0.05, false);
    module.define(kModel);
    model_ = dir_->File("model.pt");
    module.save(model_);
    std::ofstream(dir_->File("model.pt.json")) << kSpec;
    std::ofstream(dir_->File("labels.txt")) << "Dog\nBark\nRain\nMusic\n";
    std::ofstream(dir_->File("ontology.json")) << kOntology;
    Open();
    for (int n = 0; n < 4; ++n) loud_.push_back(Add(Loud(n), {"puppy"}));
    for (int n = 0; n < 4; ++n) noise_.push_back(Add(Noise(n), {"hiss"}));
    for (int n = 0; n < 4; ++n) quiet_.push_back(Add(Quiet(n), {"soft"}));
  }

  void Open() {
    SpaceConfig emb;
    emb.name = "emb";
    emb.encoder.kind = "torchscript";
    emb.encoder.model_path = model_;
    emb.encoder.allow_gpu = false;
    emb.pooling = Pooling::kMean;
    emb.scaling = Scaling::kNone;
    emb.pca_dims = 0;
    emb.min_fit_items = 1000;
    SpaceConfig tags = emb;
    tags.name = "tags";
    tags.encoder.output = "tags";
    tags.pooling = Pooling::kMax;
    tags.auto_tags.enabled = false;
    CollectionOptions options;
    options.data_dir = dir_->File("data");
    options.spaces = {emb, tags};
    options.text.ontology_path = dir_->File("ontology.json");
    auto opened = SoundCollection::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    collection_ = *std::move(opened);
  }

  std::string Wav(const std::vector<float>& pcm) {
    const std::string path = dir_->File(absl::StrCat("s", counter_++, ".wav"));
    EXPECT_TRUE(test::WritePcm16Wav(path, pcm, kRate, 1).ok());
    return *test::ReadFileBytes(path);
  }
  std::string Loud(int n) {
    return Wav(test::Sine(300 + 7 * n, 0.3, kRate, 0.5f));
  }
  std::string Quiet(int n) {
    return Wav(test::Sine(310 + 7 * n, 0.3, kRate, 0.05f));
  }
  std::string Noise(int n) {
    return Wav(test::WhiteNoise(0.3, kRate, 0.3f, 11 + n));
  }
  uint64_t Add(const std::string& bytes, std::vector<std::string> tags) {
    SoundInput input;
    input.tags = std::move(tags);
    auto added = collection_->Add(bytes, input);
    EXPECT_TRUE(added.ok()) << added.status();
    return added.ok() ? added->id : 0;
  }
  static bool In(const std::vector<uint64_t>& ids, uint64_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  }

  std::unique_ptr<test::TempDir> dir_;
  std::string model_;
  std::unique_ptr<SoundCollection> collection_;
  std::vector<uint64_t> loud_, noise_, quiet_;
  int counter_ = 0;
};

TEST_F(ClassSpaceTest, TheTagsSpaceHoldsClassScores) {
  const std::vector<SpaceStatus> spaces = collection_->Spaces();
  ASSERT_EQ(spaces.size(), 2u);
  EXPECT_EQ(spaces[0].classes, 0);
  EXPECT_EQ(spaces[1].classes, 4);
  EXPECT_EQ(spaces[1].classes_in_ontology, 4);
  EXPECT_EQ(spaces[1].raw_dim, 4);
  DescribeOptions options;
  options.classes = 2;
  auto noise = collection_->DescribeSound({noise_[0], {}}, options);
  ASSERT_TRUE(noise.ok()) << noise.status();
  EXPECT_EQ(noise->class_space, "tags");
  ASSERT_EQ(noise->classes.size(), 2u);
  EXPECT_EQ(noise->classes[0].name, "Rain");
  EXPECT_GT(noise->classes[0].score, 0.9f);
  ASSERT_FALSE(noise->words.empty());
  EXPECT_EQ(noise->words[0].word, "hiss");
  // The auto-tags come from the embedding space (its spec has tags).
  ASSERT_FALSE(noise->auto_tags.empty());
  EXPECT_EQ(noise->auto_tags[0].tag, "rain");
  // An uploaded example is embedded in both spaces.
  auto quiet = collection_->DescribeSound({0, Quiet(9)}, options);
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_EQ(quiet->classes[0].name, "Music");
  EXPECT_EQ(quiet->auto_tags[0].tag, "music");
}

TEST_F(ClassSpaceTest, TextMatchesClassNames) {
  TextQueryOptions options;
  options.use_words = false;
  options.query.k = 4;
  auto result = collection_->QueryByText("Dogs barking", options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->class_space, "tags");
  ASSERT_EQ(result->classes.size(), 2u);
  EXPECT_EQ(result->classes[0].name, "Dog");
  EXPECT_EQ(result->classes[0].ontology_id, "/m/0bt9lr");
  EXPECT_FLOAT_EQ(result->classes[0].weight, 0.5f);
  EXPECT_EQ(result->classes[1].name, "Bark");
  EXPECT_TRUE(result->words.empty());
  EXPECT_TRUE(result->unmatched.empty());
  ASSERT_EQ(result->result.hits.size(), 4u);
  for (const QueryHit& hit : result->result.hits) {
    EXPECT_TRUE(In(loud_, hit.id)) << hit.id;
    ASSERT_EQ(hit.sources.size(), 1u);
    EXPECT_EQ(hit.sources[0].source, "classes");
  }
  EXPECT_EQ(result->result.space, "tags");
}

TEST_F(ClassSpaceTest, DocumentsReachFreesoundTagsAndDescriptions) {
  TextQueryOptions options;
  options.use_words = false;
  options.query.k = 4;
  options.class_match = ClassMatch::kNames;
  auto names = collection_->QueryByText("storm", options);
  EXPECT_EQ(names.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(names.status().message(),
              HasSubstr("the classes of space 'tags'"));
  options.class_match = ClassMatch::kDocuments;
  auto documents = collection_->QueryByText("storm", options);
  ASSERT_TRUE(documents.ok()) << documents.status();
  ASSERT_EQ(documents->classes.size(), 1u);
  EXPECT_EQ(documents->classes[0].name, "Rain");
  for (const QueryHit& hit : documents->result.hits) {
    EXPECT_TRUE(In(noise_, hit.id));
  }
}

TEST_F(ClassSpaceTest, WordsAndClassesMergeByReciprocalRank) {
  TextQueryOptions options;
  options.query.k = 12;
  auto result = collection_->QueryByText("puppy rain", options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->words.size(), 1u);
  EXPECT_EQ(result->words[0].word, "puppy");
  ASSERT_EQ(result->classes.size(), 1u);
  EXPECT_EQ(result->classes[0].name, "Rain");
  EXPECT_EQ(result->result.space, "emb");
  ASSERT_EQ(result->result.hits.size(), 12u);
  float previous = 1e9f;
  for (const QueryHit& hit : result->result.hits) {
    ASSERT_EQ(hit.sources.size(), 2u) << hit.id;  // 12 sounds, windows of 100
    double rrf = 0;
    for (const SourceScore& s : hit.sources) rrf += 1.0 / (60.0 + s.rank);
    EXPECT_NEAR(hit.score, rrf, 1e-6);
    EXPECT_LE(hit.score, previous);
    previous = hit.score;
  }
  // Each source's best hit (a puppy for the words, a rain for the classes)
  // is among the first four of the merged ranking.
  for (const char* source : {"words", "classes"}) {
    int position = -1;
    for (int i = 0; i < 12 && position < 0; ++i) {
      for (const SourceScore& s : result->result.hits[i].sources) {
        if (s.source == source && s.rank == 1) position = i;
      }
    }
    EXPECT_GE(position, 0) << source;
    EXPECT_LT(position, 4) << source;
  }
  EXPECT_TRUE(In(noise_, result->result.hits[0].id) ||
              In(loud_, result->result.hits[0].id));

  // Pages of the merged ranking concatenate to it.
  std::vector<uint64_t> paged;
  for (int offset = 0; offset < 12; offset += 5) {
    TextQueryOptions page = options;
    page.query.k = 5;
    page.query.offset = offset;
    auto r = collection_->QueryByText("puppy rain", page);
    ASSERT_TRUE(r.ok());
    for (const QueryHit& hit : r->result.hits) paged.push_back(hit.id);
  }
  std::vector<uint64_t> whole;
  for (const QueryHit& hit : result->result.hits) whole.push_back(hit.id);
  EXPECT_EQ(paged, whole);

  // Filters apply to both sources: rain auto-tags at >= 0.9 are noise only.
  options.query.filter.auto_tags_at_least = {{"rain", 0.9f}};
  auto filtered = collection_->QueryByText("puppy rain", options);
  ASSERT_TRUE(filtered.ok()) << filtered.status();
  ASSERT_EQ(filtered->result.hits.size(), 4u);
  for (const QueryHit& hit : filtered->result.hits) {
    EXPECT_TRUE(In(noise_, hit.id));
  }
}

TEST_F(ClassSpaceTest, SuggestionsIncludeClassNames) {
  TextQueryOptions options;
  auto result = collection_->QueryByText("rian", options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(),
              HasSubstr("nearest known words: rain"));
  EXPECT_THAT(result.status().message(),
              HasSubstr("the word vectors of space 'emb' or the classes of "
                        "space 'tags'"));
}

}  // namespace
}  // namespace soundsearch
