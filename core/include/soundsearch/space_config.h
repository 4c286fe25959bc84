// SpaceConfig: one complete embedding recipe (encoder + pooling + scaling +
// PCA + search function + index parameters), and its JSON form. See
// docs/config.md for the file format.
#ifndef SOUNDSEARCH_SPACE_CONFIG_H_
#define SOUNDSEARCH_SPACE_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "soundsearch/encoder.h"
#include "soundsearch/index_options.h"
#include "soundsearch/metric.h"
#include "soundsearch/neighbourhood.h"

namespace soundsearch {

// How frame-level encoder outputs (frames x dim) become one clip vector.
enum class Pooling {
  kMean,     // per-dimension mean                     -> dim
  kMedian,   // per-dimension median                   -> dim
  kMax,      // per-dimension maximum                  -> dim
  kMeanStd,  // means, then standard deviations (1/n)  -> 2 * dim
};

// Per-dimension scaling fitted on the collection, applied before PCA.
enum class Scaling {
  kNone,
  kMinMax,  // (x - min) / (max - min): [0, 1] on the fitted collection
  kZScore,  // (x - mean) / std
};

// Lower-case names as used in the JSON config ("mean_std", "minmax", ...)
// and their parsers (InvalidArgument listing the accepted names). The
// metric's are in metric.h, the index kinds' in index_kinds.h.
const char* PoolingName(Pooling p);
const char* ScalingName(Scaling s);
absl::StatusOr<Pooling> ParsePooling(absl::string_view name);
absl::StatusOr<Scaling> ParseScaling(absl::string_view name);

// Bag-of-audio-words codebook (spaces whose encoder is "boaw").
struct CodebookConfig {
  int k = 300;          // codewords (k-means centroids), >= 2
  int seed = 1234;      // k-means seed; same seed + same frames = same codebook
  int iterations = 25;  // k-means iterations, >= 1
  // MFCC frames kept per sound in its RawEmbedding (an evenly spaced
  // sub-sample), so that a refit needs no re-decoding. Histograms are always
  // computed from these frames, for stored sounds and queries alike.
  int stored_frames = 256;
  // Fitting draws at most this many frames per sound (evenly spaced among
  // its stored frames) ...
  int fit_frames_per_clip = 64;
  // ... and at most this many in total (evenly spaced over the whole sample).
  int fit_max_frames = 100000;
};

// Encoder options of a space that does not set them: the EncoderOptions
// defaults except dsp_log_mel = false. A dsp space keeps the MFCCs computed
// from the 64 log-mel bands but not the bands themselves: after per-dimension
// scaling, 256 of the 400 pooled dimensions were log-mel statistics, which
// then dominated the cosine and the PCA (docs/quality.md measures it).
EncoderOptions DefaultSpaceEncoderOptions();

// Which of an encoder's predicted classes (Encoder::tag_names) a sound keeps
// as its auto-tags (SoundRecord::auto_tags). Read only when the encoder
// predicts tags (a torchscript spec with a "tags" output).
struct AutoTagConfig {
  bool enabled = true;           // false: this space stores no auto-tags
  int top_k = 5;                 // at most this many classes, [1, 1000]
  float min_probability = 0.1f;  // keep classes at or above this, [0, 1]
};

// A fused space (the "fusion" object, docs/config.md): a space of the same
// server computed from other spaces ("parts"), with no encoder of its own.
// Its vector of a sound is the concatenation, over the parts, of
// sqrt(w_p) * the part's normalised vector (weights normalised to sum 1), so
// that its cosine is the weighted sum of the parts' cosines.
enum class SpaceFusionKind {
  // No index of its own: each part's top `candidates` are merged and
  // re-scored exactly in every part.
  kLate,
  // One index of the concatenations (config.index), kept at ingest, delete
  // and every refit of a part.
  kConcat,
};
const char* SpaceFusionKindName(SpaceFusionKind kind);  // "late", "concat"

struct SpaceFusion {
  std::vector<std::string> of;  // the parts' names; empty: not fused
  std::vector<float> weights;   // one per part, >= 0, not all 0
  SpaceFusionKind kind = SpaceFusionKind::kLate;
  // Late fusion: each part's search depth; 0 = max(4 * wanted, 100).
  int candidates = 0;
  bool enabled() const { return !of.empty(); }
};

// Re-ranking of the best hits of a query by a sequence distance, inside the
// query path (docs/speech.md): the space's index gives the best
// max(top_n, k) hits that pass the query's filter, these are re-scored and
// re-sorted, and the query's k (and any paging) applies to the new order.
enum class RerankKind {
  kNone,
  // Levenshtein distance between the query's and the hit's recognised phone
  // sequences (SpokenContent::phones), normalised by the longer one:
  // score = (1 - weight) * index score + weight * (1 - distance). Needs a
  // speech encoder; a query or hit without phones has distance 1.
  kPhoneEdit,
};
const char* RerankKindName(RerankKind kind);  // "none", "phone_edit"
absl::StatusOr<RerankKind> ParseRerankKind(absl::string_view name);

struct RerankConfig {
  RerankKind kind = RerankKind::kNone;
  int top_n = 50;       // hits re-scored, [1, 10000]
  float weight = 0.5f;  // of the sequence similarity, [0, 1]
};

// Defaults are the built-in `dsp` space (DefaultSpaceConfig()). Like the
// other structs here, a value type: not synchronised; the free functions in
// this header are thread-safe.
struct SpaceConfig {
  // Unique per server: [a-z0-9_-], 1..64 characters. Keys store and index.
  std::string name = "dsp";
  // Encoder options. For a bag-of-audio-words space `boaw` is true and
  // encoder.kind is "mfcc" (the JSON kind "boaw" sets both). JSON configs
  // start from these defaults too.
  EncoderOptions encoder = DefaultSpaceEncoderOptions();
  bool boaw = false;
  // Frame pooling. For boaw spaces it defines the vector used before a
  // codebook has been fitted (see docs/embedding.md).
  Pooling pooling = Pooling::kMeanStd;
  Scaling scaling = Scaling::kMinMax;
  // PCA output dimensions; 0 = no PCA. The literature uses 100 (default) or
  // 200; any value in [1, 1024] is accepted. Capped at fit time by the input
  // dimension and by (items - 1).
  int pca_dims = 100;
  // Search function (metric.h): cosine (MCSS, default), inner_product,
  // euclidean.
  Metric metric = Metric::kCosine;
  // Space::needs_fit() turns true once the collection holds this many sounds
  // (>= 2).
  int min_fit_items = 200;
  CodebookConfig codebook;  // read only when boaw
  IndexOptions index;       // the "index" object (index_options.h)
  AutoTagConfig auto_tags;  // read only when the encoder predicts tags
  RerankConfig rerank;      // the "rerank" object
  // Ingest embeds a sound in this space only when its auto-tags from the
  // spaces listed before this one hold one of these tags (lower-case, e.g.
  // "speech" from an efficientat space); the others get an all-zero vector
  // (and, in a speech space, no spoken content) at no encoder cost. Empty:
  // every sound. Queries are always embedded.
  std::vector<std::string> only_if_auto_tags;
  // Query expansion of this space's example queries (the "expand" object,
  // docs/config.md): the default of QueryOptions::expand. Off by default.
  // Changing it needs no rebuild.
  NeighbourhoodOptions expand;
  // Database-side augmentation (the "augment" object, docs/config.md): the
  // index holds, for each sound, the normalised weighted mean of its
  // projected vector and those of its nearest neighbours; the stored raw
  // vectors and the query vectors are not augmented. Off by default; cosine
  // spaces only. Changing it rebuilds the index at the next start.
  NeighbourhoodOptions augment;
  // Set for a fused space (SpaceFusion); its encoder, pooling, scaling,
  // PCA and auto-tag settings are then not used (encoder.kind is empty),
  // its metric is cosine, and every part is a cosine space of the same
  // server that is not fused itself.
  SpaceFusion fusion;
};

// The built-in space used when the server is given no config file: `dsp`
// encoder (DefaultSpaceEncoderOptions(): every descriptor group but the
// log-mel bands, with deltas; 72 values per frame), mean_std pooling, minmax
// scaling (the classic Freesound descriptor
// scaled each descriptor to [0, 1] before its PCA; without scaling, PCA would
// be dominated by descriptors with large units such as Hz), PCA 100, cosine,
// flat (exact) index.
SpaceConfig DefaultSpaceConfig();

// InvalidArgument naming the offending field when `config` is inconsistent
// or out of range: the encoder through its kind's validate
// (encoder_kinds.h), the index through ValidateIndexOptions. An encoder kind
// or index kind that is not registered in this process is InvalidArgument
// listing the registered ones (soundsearch/torch_kinds.h registers the
// libtorch kinds). Opens no file.
absl::Status ValidateSpaceConfig(const SpaceConfig& config);

// InvalidArgument naming the space when a fused space of `spaces` names an
// unknown part, a fused part, a part that is not cosine, a part twice or
// itself. ParseSpaceConfigs and SoundCollection::Open call it.
absl::Status ValidateSpaceFusions(const std::vector<SpaceConfig>& spaces);

// Parses the JSON text of a config file: an object whose "spaces" member is a
// non-empty array of space objects (docs/config.md). Other top-level members
// belong to other sections of the server config and are not read here.
// Inside "spaces", unknown keys, wrong types, bad values and duplicate names
// are InvalidArgument errors naming the key, e.g.
// "spaces[1].index.hnsw_m: must be in [2, 256], got 1". The keys an
// "encoder" object may hold are those its kind declares
// (EncoderKind::option_keys).
absl::StatusOr<std::vector<SpaceConfig>> ParseSpaceConfigs(
    absl::string_view json_text);

// Reads and parses a config file; NotFound if it cannot be opened, otherwise
// as ParseSpaceConfigs with the path in error messages. A relative file
// option of the encoder (model_path, spec_path) is resolved against the
// folder of the config file (so a config can name a model beside it).
absl::StatusOr<std::vector<SpaceConfig>> LoadSpaceConfigFile(
    const std::string& path);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SPACE_CONFIG_H_
