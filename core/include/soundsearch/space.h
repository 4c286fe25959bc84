// Space: one complete embedding recipe at run time. It turns PCM into a
// RawEmbedding (encoder + pooling), holds the models fitted on the collection
// (BoAW codebook, scaling + PCA) and projects raw embeddings to the vectors
// that the index stores and searches. See docs/embedding.md.
#ifndef SOUNDSEARCH_SPACE_H_
#define SOUNDSEARCH_SPACE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "soundsearch/encoder.h"
#include "soundsearch/raw_embedding.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/space_config.h"

namespace soundsearch {

struct FittedSpaceState;  // private to core (embedding/space.cc)

// A Space is config + a shared const encoder + a const fitted state (the
// immutable-model / per-run-state split of whisper.cpp): it never changes
// after construction. Fitting, or adopting a stored fitted state, returns a
// new Space that shares this one's encoder, so an encoder (a loaded
// TorchScript model, say) is created once and outlives every refit.
//
// Thread-safety: immutable; every method is const and safe to call
// concurrently. Spaces derived by Fit and WithFittedState share the encoder
// (whose Encode is thread-safe, encoder.h) and nothing else.
class Space {
 public:
  // Validates `config` (ValidateSpaceConfig) and builds its encoder with
  // Encoder::Create(config.encoder). Errors from either are returned. The
  // space is not fitted.
  static absl::StatusOr<std::unique_ptr<Space>> Create(
      const SpaceConfig& config);
  // As above with an injected encoder (tests, or a caller sharing one);
  // config.encoder is then only validated, not used. InvalidArgument if
  // encoder is null or its frame_dim() <= 0.
  static absl::StatusOr<std::unique_ptr<Space>> Create(
      const SpaceConfig& config, std::shared_ptr<const Encoder> encoder);

  ~Space();
  Space(const Space&) = delete;
  Space& operator=(const Space&) = delete;

  const SpaceConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  // The encoder, shared by every Space derived from this one.
  const std::shared_ptr<const Encoder>& encoder() const { return encoder_; }
  // Rate (Hz) that Embed() expects its PCM at.
  int sample_rate() const { return encoder_->sample_rate(); }
  // Length of RawEmbedding::pooled for this space.
  int pooled_dim() const { return pooled_dim_; }
  // A class-score space's class names: when the encoder's frame dimensions
  // are named class scores (Encoder::frame_names(), e.g. the 527 AudioSet
  // classes of a torchscript encoder with output "tags") and the space keeps
  // the dimensions as they are (pooling mean, median or max; scaling none;
  // pca_dims 0), dimension i of the pooled and of the index vectors is the
  // score of class_names()[i]. Empty otherwise. Text queries match these
  // names (SoundCollection::QueryByText).
  const std::vector<std::string>& class_names() const;

  // pcm: mono float32 in [-1, 1] at sample_rate() Hz. Encodes and pools; for
  // boaw spaces also keeps an evenly spaced sub-sample of at most
  // config().codebook.stored_frames frames. Independent of the fitted state.
  // Errors: those of Encoder::Encode (InvalidArgument for empty pcm).
  // If auto_tags is not null it receives the clip's auto-tags: when the
  // encoder predicts tags and config().auto_tags.enabled, the classes with
  // probability >= min_probability, at most top_k of them, most probable
  // first (ties by name), names lower-cased (AudioSet's "Computer keyboard"
  // -> "computer keyboard"; spaces and commas are kept); otherwise empty.
  // If spoken is not null it receives what a speech encoder recognised
  // (EncodedClip::spoken, with SpokenContent::space set to this space's
  // name); empty for other encoders.
  absl::StatusOr<RawEmbedding> Embed(absl::Span<const float> pcm,
                                     std::vector<AutoTag>* auto_tags = nullptr,
      SpokenContent* spoken = nullptr) const;

  // Embed for several clips at once (Encoder::EncodeBatch: the torchscript
  // encoder runs the windows of many clips through one forward). One entry
  // per clip, in order, equal to Embed(clips[i]) (up to float rounding of a
  // batched forward); a bad clip fails alone. If auto_tags is not null it is
  // resized to clips.size() and (*auto_tags)[i] receives clip i's auto-tags
  // as in Embed, and likewise (*spoken)[i] clip i's spoken content. The
  // outer status is an error only for a failure that concerns no single
  // clip.
  absl::StatusOr<std::vector<absl::StatusOr<RawEmbedding>>> EmbedBatch(
      absl::Span<const absl::Span<const float>> clips,
      std::vector<std::vector<AutoTag>>* auto_tags = nullptr,
      std::vector<SpokenContent>* spoken = nullptr) const;

  // The raw embedding of a text query in a space whose encoder reads text
  // (Encoder::EncodeText: the speech encoder), pooled as a clip would be;
  // project it with Project. If spoken is not null it receives the words
  // read and their phones (SpokenContent::space set). Errors: those of
  // EncodeText (NotFound: no word could be read; Unimplemented: the encoder
  // reads no text).
  absl::StatusOr<RawEmbedding> EmbedText(absl::Span<const std::string> words,
                                         SpokenContent* spoken = nullptr) const;

  // The raw embedding of a sound the encoder did not run on
  // (SpaceConfig::only_if_auto_tags): all-zero pooled values (one zero
  // frame for boaw; for a bag-of-terms encoder, 1 in the first dimension of
  // each block, TermLayout), flagged silent.
  RawEmbedding EmptyEmbedding() const;

  // The vector to index or search with, under this space's fitted state:
  // - fitted: codebook histogram (boaw) -> scaling -> L2 -> PCA -> L2, the L2
  //   steps only for the cosine metric; length index_dim().
  // - not fitted: the pooled vector, L2-normalised for cosine and as is for
  //   inner product / Euclidean; length pooled_dim(). This holds for boaw
  //   spaces too (the pooled MFCC statistics stand in until a codebook
  //   exists).
  // If fitted_version is not null it receives fitted_version() (0 = not
  // fitted). InvalidArgument if `raw` does not match this space (pooled
  // size; for a fitted boaw space, missing frames or frames of the wrong
  // dim).
  absl::StatusOr<std::vector<float>> Project(
      const RawEmbedding& raw, uint64_t* fitted_version = nullptr) const;
  // As Project for many raw embeddings: n x dim row-major, dim =
  // index_dim() (*index_dim if not null).
  absl::StatusOr<std::vector<float>> ProjectBatch(
      absl::Span<const RawEmbedding> raws, uint64_t* fitted_version = nullptr,
      int* index_dim = nullptr) const;

  // Length of Project()'s vectors: pooled_dim() until fitted, then the
  // fitted output dimension. A refitted space may differ: callers (the index
  // layer) must rebuild their index for it.
  int index_dim() const;
  // 0 for a space that was never fitted; a space returned by Fit has this
  // one's version + 1; WithFittedState takes the blob's.
  uint64_t fitted_version() const;
  bool is_fitted() const { return fitted_version() != 0; }
  // True when the space is not fitted and the collection holds at least
  // config().min_fit_items sounds. Refits after that are on demand.
  bool needs_fit(int64_t num_items) const;

  // Fits the models on `collection` (raw embeddings from this space's
  // Embed): for boaw spaces first the codebook on the stored frames, then
  // scaling + PCA on the clip vectors (pooled vectors, or histograms for
  // boaw). PCA dims are capped at min(config pca_dims, input dim, n - 1).
  // Deterministic: the same collection gives the same state. Returns a new
  // space with this config, this encoder (the same instance) and the new
  // state, fitted_version() + 1; this space is unchanged. FailedPrecondition
  // for fewer than 2 items (or, boaw, fewer frames than codewords);
  // InvalidArgument for an item that does not match this space.
  absl::StatusOr<std::unique_ptr<Space>> Fit(
      absl::Span<const RawEmbedding> collection) const;

  // The fitted state as a versioned blob (docs/embedding.md) to persist in
  // the store. FailedPrecondition if not fitted.
  absl::StatusOr<std::string> SerializeFittedState() const;
  // A new space with this config, this encoder (the same instance) and the
  // state of a blob from SerializeFittedState (its fitted_version included);
  // this space is unchanged. DataLoss / InvalidArgument for a corrupt blob;
  // FailedPrecondition if it was fitted for a different space shape (name,
  // pooled dim, frame dim, boaw, metric, scaling).
  absl::StatusOr<std::unique_ptr<Space>> WithFittedState(
      absl::string_view blob) const;

 private:
  Space(SpaceConfig config, std::shared_ptr<const Encoder> encoder,
        std::shared_ptr<const FittedSpaceState> state);

  // Embed's work after the encoder: auto-tags, pooling, stored frames.
  absl::StatusOr<RawEmbedding> FromEncoded(EncodedClip clip,
                                           std::vector<AutoTag>* auto_tags,
                                           SpokenContent* spoken) const;
  absl::StatusOr<std::vector<float>> ProjectWith(
      absl::Span<const RawEmbedding> raws, int* dim) const;

  const SpaceConfig config_;
  const std::shared_ptr<const Encoder> encoder_;
  const int pooled_dim_;
  // Null when not fitted.
  const std::shared_ptr<const FittedSpaceState> state_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SPACE_H_
