// Tests of the "torchscript" encoder. Models are written from C++ with
// torch::jit::Module::define + save into a temp dir, so no Python is needed.
#include <stdlib.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "features/log_mel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soundsearch/encoder.h"
#include "soundsearch/torch_kinds.h"

namespace soundsearch {
namespace {

// The libtorch kinds (torchscript, torch_flat) join core's tables before any
// test runs.
const absl::Status kTorchKinds = RegisterTorchKinds();

using ::testing::HasSubstr;

constexpr int kRate = 16000;
constexpr int kWindow = 1600;  // 0.1 s
constexpr int kDim = 8;

// [B, 1600] -> [B, 8]: a fixed random projection, plus the window's first
// sample so that a misplaced window shows.
constexpr char kClipModel[] = R"(
def forward(self, x):
    return torch.matmul(x, self.w) + x[:, 0:1]
)";

// [B, 1600] -> [B, 4, 8]: four 400-sample frames per window.
constexpr char kFramesModel[] = R"(
def forward(self, x):
    return torch.matmul(x.reshape(x.size(0), 4, 400), self.w[0:400])
)";

// (clip [B, 8], frames [B, 4, 8], logits [B, 3]) as a real model will return.
constexpr char kTupleModel[] = R"(
def forward(self, x):
    clip = torch.matmul(x, self.w) + x[:, 0:1]
    frames = torch.matmul(x.reshape(x.size(0), 4, 400), self.w[0:400])
    return clip, frames, clip[:, 0:3]
)";

constexpr char kDictModel[] = R"(
def forward(self, x) -> Dict[str, Tensor]:
    clip = torch.matmul(x, self.w) + x[:, 0:1]
    return {'logits': clip[:, 0:3], 'embedding': clip}
)";

// Output dim 5 where the spec says 8.
constexpr char kWrongShapeModel[] = R"(
def forward(self, x):
    return torch.matmul(x, self.w)[:, 0:5]
)";

// Fails on loud input with an ATen shape error (the probe on silence passes).
constexpr char kFailingModel[] = R"(
def forward(self, x):
    if bool(x.abs().max() > 0.9):
        return torch.matmul(x, x)
    return torch.matmul(x, self.w)
)";

std::string WaveformSpec(const std::string& output_kind,
                         const std::string& extra_output = "",
                         double hop_seconds = 0.1) {
  return "{\"sample_rate\": 16000, \"window_seconds\": 0.1, "
         "\"hop_seconds\": " +
         std::to_string(hop_seconds) +
         ", \"device\": \"cpu\", \"input\": {\"kind\": \"waveform\"}, "
         "\"output\": {\"kind\": \"" +
         output_kind + "\", \"dim\": 8" + extra_output + "}}";
}

// Deterministic test signal in [-0.8, 0.8].
std::vector<float> Signal(int n, int seed) {
  std::vector<float> pcm(n);
  for (int i = 0; i < n; ++i) {
    pcm[i] =
        0.8f * std::sin(0.01f * (seed + 1) * i + seed) * std::cos(0.0003f * i);
  }
  return pcm;
}

class TorchScriptEncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/torchscript_encoder_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes model `name` (forward = `source`, parameter w [1600, 8]) and, when
  // `spec` is not empty, its spec beside it. Returns the model path.
  std::string WriteModel(const std::string& name, const std::string& source,
                         const std::string& spec) {
    torch::jit::Module module("m");
    torch::manual_seed(7);
    module.register_parameter("w", torch::randn({kWindow, kDim}) * 0.05,
                              /*is_buffer=*/false);
    module.define(source);
    const std::string path = dir_ + "/" + name + ".pt";
    module.save(path);
    if (!spec.empty()) WriteFile(path + ".json", spec);
    return path;
  }

  void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  }

  static EncoderOptions Options(const std::string& model_path,
                                int batch_size = 16) {
    EncoderOptions options;
    options.kind = "torchscript";
    options.model_path = model_path;
    options.batch_size = batch_size;
    options.allow_gpu = false;
    return options;
  }

  // Runs the saved model by hand on windows of `pcm` (zero-padded), with
  // batch 1, and returns the rows it produces, concatenated.
  static std::vector<float> ByHand(const std::string& model_path,
                                   const std::vector<float>& pcm, int hop) {
    torch::jit::Module module = torch::jit::load(model_path);
    c10::InferenceMode guard;
    std::vector<float> rows;
    const int n = static_cast<int>(pcm.size());
    for (int start = 0;; start += hop) {
      at::Tensor x = torch::zeros({1, kWindow});
      for (int i = 0; i < kWindow && start + i < n; ++i) {
        x[0][i] = pcm[start + i];
      }
      at::Tensor out = module.forward({x}).toTensor().contiguous();
      rows.insert(rows.end(), out.data_ptr<float>(),
                  out.data_ptr<float>() + out.numel());
      if (start + kWindow >= n) break;
    }
    return rows;
  }

  std::string dir_;
};

void ExpectNear(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a[i], b[i], 1e-5f * (1.0f + std::fabs(b[i]))) << "at " << i;
  }
}

TEST_F(TorchScriptEncoderTest, ClipModelWindowsLongClip) {
  const std::string path = WriteModel("clip", kClipModel, WaveformSpec("clip"));
  auto encoder = Encoder::Create(Options(path));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_EQ((*encoder)->kind(), "torchscript");
  EXPECT_EQ((*encoder)->sample_rate(), kRate);
  EXPECT_EQ((*encoder)->frame_dim(), kDim);

  const std::vector<float> pcm = Signal(3 * kWindow + 500, 1);  // 4 windows
  auto clip = (*encoder)->Encode(pcm);
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_EQ(clip->frames.dim, kDim);
  EXPECT_EQ(clip->frames.num_frames(), 4);
  EXPECT_FALSE(clip->flags.silent);
  EXPECT_FALSE(clip->flags.too_short);
  ExpectNear(clip->frames.data, ByHand(path, pcm, kWindow));
}

TEST_F(TorchScriptEncoderTest, OverlappingHop) {
  const std::string path =
      WriteModel("clip", kClipModel, WaveformSpec("clip", "", 0.05));
  auto encoder = Encoder::Create(Options(path, 3));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  // 2 full windows of 1600 at hop 800 cover 2400; 2500 samples need 3.
  const std::vector<float> pcm = Signal(2500, 2);
  auto clip = (*encoder)->Encode(pcm);
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_EQ(clip->frames.num_frames(), 3);
  ExpectNear(clip->frames.data, ByHand(path, pcm, kWindow / 2));
}

TEST_F(TorchScriptEncoderTest, FramesModelConcatenatesWindows) {
  const std::string path =
      WriteModel("frames", kFramesModel, WaveformSpec("frames"));
  auto encoder = Encoder::Create(Options(path));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  const std::vector<float> pcm = Signal(2 * kWindow + 1, 3);  // 3 windows
  auto clip = (*encoder)->Encode(pcm);
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_EQ(clip->frames.num_frames(), 3 * 4);
  ExpectNear(clip->frames.data, ByHand(path, pcm, kWindow));
}

TEST_F(TorchScriptEncoderTest, ShortAndSilentClipsAreFlaggedAndPadded) {
  const std::string path = WriteModel("clip", kClipModel, WaveformSpec("clip"));
  auto encoder = Encoder::Create(Options(path));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  auto short_clip = (*encoder)->Encode(Signal(100, 4));
  ASSERT_TRUE(short_clip.ok()) << short_clip.status();
  EXPECT_TRUE(short_clip->flags.too_short);
  EXPECT_EQ(short_clip->frames.num_frames(), 1);
  ExpectNear(short_clip->frames.data, ByHand(path, Signal(100, 4), kWindow));

  auto silent = (*encoder)->Encode(std::vector<float>(5000, 0.0f));
  ASSERT_TRUE(silent.ok()) << silent.status();
  EXPECT_TRUE(silent->flags.silent);
  EXPECT_EQ(silent->frames.num_frames(), 4);

  auto empty = (*encoder)->Encode({});
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TorchScriptEncoderTest, TupleOutputSelectsByIndex) {
  const std::string clip_path =
      WriteModel("clip", kClipModel, WaveformSpec("clip"));
  const std::string frames_path =
      WriteModel("frames", kFramesModel, WaveformSpec("frames"));
  const std::vector<float> pcm = Signal(5000, 5);

  const std::string tuple_clip =
      WriteModel("tuple", kTupleModel, WaveformSpec("clip", ", \"select\": 0"));
  auto encoder = Encoder::Create(Options(tuple_clip));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  auto clip = (*encoder)->Encode(pcm);
  ASSERT_TRUE(clip.ok()) << clip.status();
  ExpectNear(clip->frames.data, ByHand(clip_path, pcm, kWindow));

  EncoderOptions frames_options = Options(tuple_clip);
  frames_options.spec_path = dir_ + "/tuple_frames.json";
  WriteFile(frames_options.spec_path,
            WaveformSpec("frames", ", \"select\": 1"));
  encoder = Encoder::Create(frames_options);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  auto frames = (*encoder)->Encode(pcm);
  ASSERT_TRUE(frames.ok()) << frames.status();
  EXPECT_EQ(frames->frames.num_frames(), 4 * 4);
  ExpectNear(frames->frames.data, ByHand(frames_path, pcm, kWindow));
}

TEST_F(TorchScriptEncoderTest, DictOutputSelectsByKey) {
  const std::string clip_path =
      WriteModel("clip", kClipModel, WaveformSpec("clip"));
  const std::string path = WriteModel(
      "dict", kDictModel, WaveformSpec("clip", ", \"select\": \"embedding\""));
  auto encoder = Encoder::Create(Options(path));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  const std::vector<float> pcm = Signal(4000, 6);
  auto clip = (*encoder)->Encode(pcm);
  ASSERT_TRUE(clip.ok()) << clip.status();
  ExpectNear(clip->frames.data, ByHand(clip_path, pcm, kWindow));
}

TEST_F(TorchScriptEncoderTest, TupleWithoutSelectIsFailedPrecondition) {
  const std::string path =
      WriteModel("tuple", kTupleModel, WaveformSpec("clip"));
  auto encoder = Encoder::Create(Options(path));
  EXPECT_EQ(encoder.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(encoder.status().message(), HasSubstr("output.select"));
}

TEST_F(TorchScriptEncoderTest, BatchOneAndSixteenAgree) {
  const std::string path = WriteModel("clip", kClipModel, WaveformSpec("clip"));
  auto one = Encoder::Create(Options(path, 1));
  auto sixteen = Encoder::Create(Options(path, 16));
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_TRUE(sixteen.ok()) << sixteen.status();
  const std::vector<float> pcm = Signal(40 * kWindow + 7, 7);  // 41 windows
  auto a = (*one)->Encode(pcm);
  auto b = (*sixteen)->Encode(pcm);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->frames.num_frames(), 41);
  ExpectNear(a->frames.data, b->frames.data);
}

TEST_F(TorchScriptEncoderTest, ConcurrentEncodeIsDeterministic) {
  const std::string path =
      WriteModel("frames", kFramesModel, WaveformSpec("frames"));
  auto encoder = Encoder::Create(Options(path, 4));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  const Encoder& shared = **encoder;
  constexpr int kClips = 4;
  std::vector<std::vector<float>> inputs, expected;
  for (int c = 0; c < kClips; ++c) {
    inputs.push_back(Signal(3000 + 1700 * c, 10 + c));
    auto clip = shared.Encode(inputs.back());
    ASSERT_TRUE(clip.ok()) << clip.status();
    expected.push_back(clip->frames.data);
  }
  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        const int c = (t + round) % kClips;
        auto clip = shared.Encode(inputs[c]);
        if (!clip.ok() || clip->frames.data != expected[c]) ++mismatches[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << t;
}

TEST_F(TorchScriptEncoderTest, WrongOutputShapeIsFailedPrecondition) {
  const std::string path =
      WriteModel("wrong", kWrongShapeModel, WaveformSpec("clip"));
  auto encoder = Encoder::Create(Options(path));
  EXPECT_EQ(encoder.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(encoder.status().message(), HasSubstr("[2, 5]"));
  EXPECT_THAT(encoder.status().message(), HasSubstr("[2, 8]"));

  // Spec says frames, the model gives clip vectors.
  const std::string clip_path =
      WriteModel("clip", kClipModel, WaveformSpec("frames"));
  encoder = Encoder::Create(Options(clip_path));
  EXPECT_EQ(encoder.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(encoder.status().message(), HasSubstr("output.kind frames"));
}

TEST_F(TorchScriptEncoderTest, FailingForwardIsAnErrorNotACrash) {
  const std::string path =
      WriteModel("failing", kFailingModel, WaveformSpec("clip"));
  auto encoder = Encoder::Create(Options(path));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_TRUE((*encoder)->Encode(Signal(2000, 1)).ok());
  std::vector<float> loud(2000, 0.95f);
  auto clip = (*encoder)->Encode(loud);
  EXPECT_EQ(clip.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(clip.status().message(), HasSubstr("forward() failed"));
  EXPECT_THAT(clip.status().message(), HasSubstr("cannot be multiplied"));
  // Still usable afterwards.
  EXPECT_TRUE((*encoder)->Encode(Signal(2000, 1)).ok());
}

// EncodeBatch(clips)[i] must equal Encode(clips[i]): same status, flags,
// frames (to float rounding of a different batch) and tag probabilities.
void ExpectBatchEqualsEncode(const Encoder& encoder,
                             const std::vector<std::vector<float>>& clips) {
  std::vector<absl::Span<const float>> spans(clips.begin(), clips.end());
  auto batch = encoder.EncodeBatch(spans);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->size(), clips.size());
  for (size_t i = 0; i < clips.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "clip " << i);
    auto one = encoder.Encode(clips[i]);
    ASSERT_EQ((*batch)[i].ok(), one.ok()) << (*batch)[i].status();
    if (!one.ok()) {
      EXPECT_EQ((*batch)[i].status(), one.status());
      continue;
    }
    EXPECT_EQ((*batch)[i]->frames.dim, one->frames.dim);
    EXPECT_EQ((*batch)[i]->frames.num_frames(), one->frames.num_frames());
    ExpectNear((*batch)[i]->frames.data, one->frames.data);
    ExpectNear((*batch)[i]->tag_probabilities, one->tag_probabilities);
    EXPECT_EQ((*batch)[i]->flags.silent, one->flags.silent);
    EXPECT_EQ((*batch)[i]->flags.too_short, one->flags.too_short);
  }
}

// Short, long, empty, silent clips; with batch 4 the forwards mix windows
// of several clips (1 + 4 + 1 + 1 + 9 windows).
std::vector<std::vector<float>> MixedClips() {
  return {Signal(800, 1),
          Signal(3 * kWindow + 10, 2),
          {},
          Signal(kWindow, 3),
          std::vector<float>(500, 0.0f),
          Signal(9 * kWindow, 4)};
}

TEST_F(TorchScriptEncoderTest, EncodeBatchEqualsEncodePerClip) {
  for (const auto& [name, source, kind] :
       {std::make_tuple("clip", kClipModel, "clip"),
        std::make_tuple("frames", kFramesModel, "frames")}) {
    const std::string path = WriteModel(name, source, WaveformSpec(kind));
    for (int batch_size : {1, 4, 16}) {
      SCOPED_TRACE(::testing::Message() << name << " batch " << batch_size);
      auto encoder = Encoder::Create(Options(path, batch_size));
      ASSERT_TRUE(encoder.ok()) << encoder.status();
      ExpectBatchEqualsEncode(**encoder, MixedClips());
    }
  }
  const std::string path = WriteModel("clip", kClipModel, WaveformSpec("clip"));
  auto encoder = Encoder::Create(Options(path, 4));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  // The clip model's rows are checked against the model run by hand.
  const std::vector<float> a = Signal(800, 5), b = Signal(2 * kWindow, 6);
  auto batch = (*encoder)->EncodeBatch({a, b});
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_TRUE((*batch)[0].ok() && (*batch)[1].ok());
  ExpectNear((*batch)[0]->frames.data, ByHand(path, a, kWindow));
  ExpectNear((*batch)[1]->frames.data, ByHand(path, b, kWindow));
  EXPECT_TRUE((*batch)[0]->flags.too_short);
  auto none = (*encoder)->EncodeBatch({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// A clip that makes forward() fail, in the middle of one batched forward,
// fails alone with Encode's error; the clips around it are encoded.
TEST_F(TorchScriptEncoderTest, EncodeBatchFailingClipFailsAlone) {
  const std::string path =
      WriteModel("failing", kFailingModel, WaveformSpec("clip"));
  auto encoder = Encoder::Create(Options(path, 16));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  const std::vector<std::vector<float>> clips = {
      Signal(2000, 1), std::vector<float>(2000, 0.95f), Signal(5000, 2),
      std::vector<float>(10, std::nanf(""))};
  ExpectBatchEqualsEncode(**encoder, clips);
  std::vector<absl::Span<const float>> spans(clips.begin(), clips.end());
  auto batch = (*encoder)->EncodeBatch(spans);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_TRUE((*batch)[0].ok());
  EXPECT_EQ((*batch)[1].status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT((*batch)[1].status().message(), HasSubstr("forward() failed"));
  EXPECT_TRUE((*batch)[2].ok());
  EXPECT_EQ((*batch)[3].status().code(), absl::StatusCode::kInvalidArgument);
}

// Models that hand the log-mel input back as frames [B, T, 8 mels], one per
// layout, so that the encoder's frames are exactly the front end's.
TEST_F(TorchScriptEncoderTest, LogMelInputLayouts) {
  struct Layout {
    std::string name;
    std::string forward;
  };
  const std::vector<Layout> layouts = {
      {"batch_1_mels_frames",
       "def forward(self, x):\n    return x[:, 0].transpose(1, 2) + 0.0\n"},
      {"batch_mels_frames",
       "def forward(self, x):\n    return x.transpose(1, 2) + 0.0\n"},
      {"batch_frames_mels", "def forward(self, x):\n    return x + 0.0\n"},
  };
  LogMelOptions mel_options;
  mel_options.sample_rate = kRate;
  mel_options.n_fft = 512;
  mel_options.win_length = 400;
  mel_options.hop_length = 160;
  mel_options.n_mels = 8;
  mel_options.f_min = 50.0f;
  mel_options.f_max = 7000.0f;
  auto front_end = LogMelSpectrogram::Create(mel_options);
  ASSERT_TRUE(front_end.ok()) << front_end.status();

  const std::vector<float> pcm = Signal(kWindow + 300, 8);  // 2 windows
  std::vector<float> expected;
  for (int start : {0, kWindow}) {
    std::vector<float> window(kWindow, 0.0f);
    for (int i = 0; i < kWindow && start + i < static_cast<int>(pcm.size());
         ++i) {
      window[i] = pcm[start + i];
    }
    auto frames = (*front_end)->Compute(window);
    ASSERT_TRUE(frames.ok()) << frames.status();
    EXPECT_EQ(frames->num_frames(), 1 + kWindow / 160);
    expected.insert(expected.end(), frames->data.begin(), frames->data.end());
  }

  for (const Layout& layout : layouts) {
    SCOPED_TRACE(layout.name);
    const std::string path =
        WriteModel(layout.name, layout.forward,
                   R"({"sample_rate": 16000, "window_seconds": 0.1,
            "input": {"kind": "log_mel", "layout": ")" +
                       layout.name + R"(", "n_fft": 512, "win_length": 400,
                      "hop_length": 160, "n_mels": 8, "f_min": 50,
                      "f_max": 7000},
            "output": {"kind": "frames", "dim": 8}})");
    auto encoder = Encoder::Create(Options(path, 1));
    ASSERT_TRUE(encoder.ok()) << encoder.status();
    auto clip = (*encoder)->Encode(pcm);
    ASSERT_TRUE(clip.ok()) << clip.status();
    EXPECT_EQ(clip->frames.num_frames(), 2 * (1 + kWindow / 160));
    ExpectNear(clip->frames.data, expected);
  }
}

// A realistic log-mel -> clip model: mean over time, then a projection.
TEST_F(TorchScriptEncoderTest, LogMelClipModelBatchesAgree) {
  const std::string path = WriteModel(
      "mel_clip",
      "def forward(self, x):\n"
      "    return torch.matmul(x[:, 0].mean(2), self.w[0:64])\n",
      R"({"sample_rate": 16000, "window_seconds": 0.1, "hop_seconds": 0.05,
          "input": {"kind": "log_mel", "layout": "batch_1_mels_frames",
                    "n_fft": 512, "hop_length": 160, "n_mels": 64},
          "output": {"kind": "clip", "dim": 8}})");
  auto one = Encoder::Create(Options(path, 1));
  auto sixteen = Encoder::Create(Options(path, 16));
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_TRUE(sixteen.ok()) << sixteen.status();
  const std::vector<float> pcm = Signal(20 * kWindow, 9);
  auto a = (*one)->Encode(pcm);
  auto b = (*sixteen)->Encode(pcm);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->frames.num_frames(), 39);
  ExpectNear(a->frames.data, b->frames.data);
}

TEST_F(TorchScriptEncoderTest, MissingModelIsNotFound) {
  auto encoder = Encoder::Create(Options(dir_ + "/nope.pt"));
  EXPECT_EQ(encoder.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(encoder.status().message(), HasSubstr("nope.pt"));
}

TEST_F(TorchScriptEncoderTest, CorruptModelIsInvalidArgument) {
  const std::string path = dir_ + "/corrupt.pt";
  WriteFile(path, "this is not a zip archive");
  WriteFile(path + ".json", WaveformSpec("clip"));
  auto encoder = Encoder::Create(Options(path));
  EXPECT_EQ(encoder.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(encoder.status().message(),
              HasSubstr("cannot load '" + path + "' as a TorchScript model"));
}

TEST_F(TorchScriptEncoderTest, BadSpecNamesTheField) {
  const std::string path = WriteModel("clip", kClipModel, "");
  struct Case {
    std::string spec;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"", "cannot read"},  // no spec file at all
      {"{not json", "not valid JSON"},
      {R"({"sample_rate": 16000, "window_seconds": 0.1,
           "input": {"kind": "waveform"}, "output": {"kind": "clip"}})",
       "'output.dim' is missing"},
      {R"({"sample_rate": "16k", "window_seconds": 0.1,
           "input": {"kind": "waveform"},
           "output": {"kind": "clip", "dim": 8}})",
       "'sample_rate' must be an integer"},
      {R"({"sample_rate": 16000, "window_seconds": 0.1,
           "input": {"kind": "spectrogram"},
           "output": {"kind": "clip", "dim": 8}})",
       "'input.kind' must be one of"},
      {R"({"sample_rate": 16000, "window_seconds": 0.1, "hop": 0.05,
           "input": {"kind": "waveform"},
           "output": {"kind": "clip", "dim": 8}})",
       "'hop' is unknown"},
      {R"({"sample_rate": 16000, "window_seconds": 0.1, "hop_seconds": 0.2,
           "input": {"kind": "waveform"},
           "output": {"kind": "clip", "dim": 8}})",
       "'hop_seconds' must be in"},
      {R"({"sample_rate": 16000, "window_seconds": 0.1,
           "input": {"kind": "log_mel", "layout": "batch_1_mels_frames",
                     "n_fft": 512, "hop_length": 160, "n_mels": 64,
                     "f_max": 9000},
           "output": {"kind": "clip", "dim": 8}})",
       "'input.f_max' must be"},
      {R"({"sample_rate": 16000, "window_seconds": 0.1, "device": "tpu",
           "input": {"kind": "waveform"},
           "output": {"kind": "clip", "dim": 8}})",
       "'device' must be one of"},
  };
  for (const Case& c : cases) {
    if (c.spec.empty()) {
      std::filesystem::remove(path + ".json");
    } else {
      WriteFile(path + ".json", c.spec);
    }
    auto encoder = Encoder::Create(Options(path));
    EXPECT_EQ(encoder.status().code(), absl::StatusCode::kInvalidArgument)
        << c.field << ": " << encoder.status();
    EXPECT_THAT(encoder.status().message(), HasSubstr(c.field));
  }
}

TEST_F(TorchScriptEncoderTest, BadOptionsAreInvalidArgument) {
  const std::string path = WriteModel("clip", kClipModel, WaveformSpec("clip"));
  EncoderOptions options = Options(path, 0);
  EXPECT_EQ(Encoder::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options(path);
  options.torch_threads = -1;
  EXPECT_EQ(Encoder::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options("");
  EXPECT_EQ(Encoder::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TorchScriptEncoderTest, CudaWithoutGpuIsFailedPrecondition) {
  const std::string path = WriteModel(
      "clip", kClipModel,
      R"({"sample_rate": 16000, "window_seconds": 0.1, "device": "cuda",
          "input": {"kind": "waveform"},
          "output": {"kind": "clip", "dim": 8}})");
  auto encoder = Encoder::Create(Options(path));  // allow_gpu = false
  EXPECT_EQ(encoder.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(encoder.status().message(), HasSubstr("cuda"));
}

// ---- Tags output ("tags" in the spec) -------------------------------------

// A spec for kTupleModel / kDictModel: embedding = `output_select`, tags as
// given (the JSON members of "tags").
std::string TagsSpec(const std::string& tags,
                     const std::string& output_select = "0") {
  return "{\"sample_rate\": 16000, \"window_seconds\": 0.1, "
         "\"device\": \"cpu\", \"input\": {\"kind\": \"waveform\"}, "
         "\"output\": {\"kind\": \"clip\", \"dim\": 8, \"select\": " +
         output_select + "}, \"tags\": {" + tags + "}}";
}

float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

class TorchScriptTagsTest : public TorchScriptEncoderTest {
 protected:
  void SetUp() override {
    TorchScriptEncoderTest::SetUp();
    WriteFile(dir_ + "/labels.txt",
              "Speech\nComputer keyboard\nInside, small room\n");
  }
  // The clip rows of kClipModel over `pcm` (the tuple model's logits are
  // their first three columns).
  std::vector<float> Rows(const std::vector<float>& pcm) {
    const std::string clip_path =
        WriteModel("plain", kClipModel, WaveformSpec("clip"));
    return ByHand(clip_path, pcm, kWindow);
  }
};

TEST_F(TorchScriptTagsTest, SigmoidMeanOverWindows) {
  const std::string path = WriteModel(
      "tuple", kTupleModel,
      TagsSpec(R"("select": 2, "labels": "labels.txt")"));  // defaults
  auto encoder = Encoder::Create(Options(path, 2));  // 2 batches of windows
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_THAT((*encoder)->tag_names(),
              ::testing::ElementsAre("Speech", "Computer keyboard",
                                     "Inside, small room"));
  const std::vector<float> pcm = Signal(3 * kWindow + 10, 8);  // 4 windows
  auto clip = (*encoder)->Encode(pcm);
  ASSERT_TRUE(clip.ok()) << clip.status();
  const std::vector<float> rows = Rows(pcm);
  ASSERT_EQ(rows.size(), 4u * kDim);
  std::vector<float> want(3, 0.0f);
  for (int w = 0; w < 4; ++w) {
    for (int c = 0; c < 3; ++c) want[c] += Sigmoid(rows[w * kDim + c]) / 4;
  }
  ExpectNear(clip->tag_probabilities, want);
  EXPECT_EQ(clip->frames.num_frames(), 4);  // the embedding is unchanged
  ExpectNear(clip->frames.data, rows);
}

TEST_F(TorchScriptTagsTest, EncodeBatchPoolsTagsPerClip) {
  for (const char* pooling : {"mean", "max"}) {
    const std::string path = WriteModel(
        absl::StrCat("tuple_", pooling), kTupleModel,
        TagsSpec(absl::StrCat(R"("select": 2, "labels": "labels.txt", )",
                              R"("pooling": ")", pooling, R"(")")));
    auto encoder = Encoder::Create(Options(path, 3));
    ASSERT_TRUE(encoder.ok()) << encoder.status();
    SCOPED_TRACE(pooling);
    ExpectBatchEqualsEncode(**encoder, MixedClips());
  }
}

TEST_F(TorchScriptTagsTest, SoftmaxMaxOverWindows) {
  const std::string path = WriteModel(
      "tuple", kTupleModel, TagsSpec(R"("select": 2, "labels": "labels.txt",
                  "activation": "softmax", "pooling": "max")"));
  auto encoder = Encoder::Create(Options(path));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  const std::vector<float> pcm = Signal(2 * kWindow + 10, 9);  // 3 windows
  auto clip = (*encoder)->Encode(pcm);
  ASSERT_TRUE(clip.ok()) << clip.status();
  const std::vector<float> rows = Rows(pcm);
  std::vector<float> want(3, 0.0f);
  for (int w = 0; w < 3; ++w) {
    float sum = 0;
    for (int c = 0; c < 3; ++c) sum += std::exp(rows[w * kDim + c]);
    for (int c = 0; c < 3; ++c) {
      want[c] = std::max(want[c], std::exp(rows[w * kDim + c]) / sum);
    }
  }
  ExpectNear(clip->tag_probabilities, want);
}

TEST_F(TorchScriptTagsTest, DictSelectsTagsByKey) {
  const std::string path =
      WriteModel("dict", kDictModel,
                 TagsSpec(R"("select": "logits", "labels": ")" + dir_ +
                              R"(/labels.txt", "activation": "none")",
                          "\"embedding\""));
  auto encoder = Encoder::Create(Options(path));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  const std::vector<float> pcm = Signal(kWindow, 10);
  auto clip = (*encoder)->Encode(pcm);
  ASSERT_TRUE(clip.ok()) << clip.status();
  const std::vector<float> rows = Rows(pcm);
  std::vector<float> want(3);
  for (int c = 0; c < 3; ++c) want[c] = std::clamp(rows[c], 0.0f, 1.0f);
  ExpectNear(clip->tag_probabilities, want);
}

TEST_F(TorchScriptTagsTest, NoTagsSpecGivesNoTags) {
  const std::string path =
      WriteModel("tuple", kTupleModel, WaveformSpec("clip", ", \"select\": 0"));
  auto encoder = Encoder::Create(Options(path));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_TRUE((*encoder)->tag_names().empty());
  auto clip = (*encoder)->Encode(Signal(500, 1));
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_TRUE(clip->tag_probabilities.empty());
}

TEST_F(TorchScriptTagsTest, LabelCountMismatchIsFailedPrecondition) {
  WriteFile(dir_ + "/two.txt", "a\nb\n");
  const std::string path = WriteModel(
      "tuple", kTupleModel, TagsSpec(R"("select": 2, "labels": "two.txt")"));
  auto encoder = Encoder::Create(Options(path));
  EXPECT_EQ(encoder.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(encoder.status().message(),
              HasSubstr("tags output shape [2, 3] does not match the spec: "
                        "want [2, 2]"));
}

TEST_F(TorchScriptTagsTest, BadTagsSpecNamesTheField) {
  const std::string path = WriteModel("tuple", kTupleModel, "");
  struct Case {
    std::string tags;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"("labels": "labels.txt")", "'tags.select' is missing"},
      {R"("select": 2)", "'tags.labels' is missing"},
      {R"("select": 0, "labels": "labels.txt")",
       "'tags.select' must differ from output.select"},
      {R"("select": 2, "labels": "labels.txt", "activation": "relu")",
       "'tags.activation' must be one of"},
      {R"("select": 2, "labels": "labels.txt", "pooling": "median")",
       "'tags.pooling' must be one of"},
      {R"("select": 2, "labels": "labels.txt", "top": 3)",
       "'tags.top' is unknown"},
      {R"("select": 2, "labels": "missing.txt")",
       "cannot read tags.labels file"},
  };
  for (const Case& c : cases) {
    WriteFile(path + ".json", TagsSpec(c.tags));
    auto encoder = Encoder::Create(Options(path));
    EXPECT_EQ(encoder.status().code(), absl::StatusCode::kInvalidArgument)
        << c.message << ": " << encoder.status();
    EXPECT_THAT(encoder.status().message(), HasSubstr(c.message));
  }
}

TEST_F(TorchScriptTagsTest, TagsSelectOutOfRangeIsFailedPrecondition) {
  const std::string path = WriteModel(
      "tuple", kTupleModel, TagsSpec(R"("select": 5, "labels": "labels.txt")"));
  auto encoder = Encoder::Create(Options(path));
  EXPECT_EQ(encoder.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(encoder.status().message(),
              HasSubstr("tags.select = 5 but forward() returns 3 elements"));
}

// ---- Class scores as frames (EncoderOptions::output = "tags") --------------

TEST_F(TorchScriptTagsTest, TagsOutputGivesOneFramePerWindow) {
  const std::string path = WriteModel(
      "tuple", kTupleModel,
      TagsSpec(R"("select": 2, "labels": "labels.txt", "pooling": "mean")"));
  EncoderOptions options = Options(path, 3);
  options.output = "tags";
  auto encoder = Encoder::Create(options);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_EQ((*encoder)->frame_dim(), 3);
  EXPECT_EQ((*encoder)->frame_names(), (*encoder)->tag_names());
  const std::vector<float> pcm = Signal(3 * kWindow + 10, 8);  // 4 windows
  auto clip = (*encoder)->Encode(pcm);
  ASSERT_TRUE(clip.ok()) << clip.status();
  const std::vector<float> rows = Rows(pcm);
  std::vector<float> want;  // sigmoid of each window's three logits
  for (int w = 0; w < 4; ++w) {
    for (int c = 0; c < 3; ++c) want.push_back(Sigmoid(rows[w * kDim + c]));
  }
  EXPECT_EQ(clip->frames.num_frames(), 4);
  EXPECT_EQ(clip->frames.dim, 3);
  ExpectNear(clip->frames.data, want);
  EXPECT_EQ(clip->tag_probabilities.size(), 3u);  // still pooled per spec
  ExpectBatchEqualsEncode(**encoder, MixedClips());
  // The embedding output's encoder names no frame dimensions.
  auto plain = Encoder::Create(Options(path));
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE((*plain)->frame_names().empty());
}

TEST_F(TorchScriptTagsTest, TagsOutputNeedsATagsSpec) {
  const std::string path =
      WriteModel("tuple", kTupleModel, WaveformSpec("clip", ", \"select\": 0"));
  EncoderOptions options = Options(path);
  options.output = "tags";
  auto encoder = Encoder::Create(options);
  EXPECT_EQ(encoder.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(encoder.status().message(), HasSubstr("encoder.output"));
  options.output = "logits";
  encoder = Encoder::Create(options);
  EXPECT_EQ(encoder.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(encoder.status().message(),
              HasSubstr("encoder.output: must be \"embedding\" or \"tags\""));
}

}  // namespace
}  // namespace soundsearch
