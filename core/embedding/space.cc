#include "soundsearch/space.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "embedding/byte_io.h"
#include "embedding/codebook.h"
#include "embedding/term_weighting.h"
#include "soundsearch/pooling.h"
#include "soundsearch/projection.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

// Immutable; shared by the Space that holds it and nothing else.
struct FittedSpaceState {
  uint64_t version = 0;
  std::optional<Codebook> codebook;  // boaw spaces only
  // Spaces over a bag-of-terms encoder (Encoder::term_layout) only.
  std::optional<TermWeighting> terms;
  std::optional<Projection> projection;
};

namespace {

constexpr char kMagic[] = "SSFS";
// Version 1: no term weighting. Version 2 (written only by spaces over a
// bag-of-terms encoder, so that other spaces' blobs stay readable by older
// builds): a has-term-weighting byte and its blob after the codebook.
constexpr uint16_t kFormatVersion = 1;
constexpr uint16_t kTermsFormatVersion = 2;

ProjectionOptions ProjectionOptionsFor(const SpaceConfig& c) {
  ProjectionOptions o;
  o.scaling = c.scaling;
  o.pca_dims = c.pca_dims;
  o.l2_normalize = c.metric == Metric::kCosine;
  return o;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Space>> Space::Create(
    const SpaceConfig& config) {
  RETURN_IF_ERROR(ValidateSpaceConfig(config));
  ASSIGN_OR_RETURN(std::unique_ptr<Encoder> encoder,
                   Encoder::Create(config.encoder));
  return Create(config, std::move(encoder));
}

absl::StatusOr<std::unique_ptr<Space>> Space::Create(
    const SpaceConfig& config, std::shared_ptr<const Encoder> encoder) {
  RETURN_IF_ERROR(ValidateSpaceConfig(config));
  if (encoder == nullptr || encoder->frame_dim() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "space ", config.name, ": encoder missing or with frame_dim <= 0"));
  }
  if (const TermLayout* layout = encoder->term_layout(); layout != nullptr) {
    RETURN_IF_ERROR(TermWeighting::Unit(*layout).status());
    int total = 0;
    for (int size : layout->block_sizes) total += size;
    if (total != encoder->frame_dim() || config.boaw ||
        config.pooling != Pooling::kMean) {
      return absl::InvalidArgumentError(absl::StrCat(
          "space ", config.name, ": a ", encoder->kind(),
          " space needs pooling \"mean\" (its one frame is a bag of terms)"));
    }
  } else if (config.rerank.kind == RerankKind::kPhoneEdit) {
    return absl::InvalidArgumentError(
        absl::StrCat("space ", config.name,
                     ": rerank.kind \"phone_edit\" needs an encoder "
                     "that recognises phones (\"speech\"), not \"",
                     encoder->kind(), "\""));
  }
  return std::unique_ptr<Space>(
      new Space(config, std::move(encoder), /*state=*/nullptr));
}

Space::Space(SpaceConfig config, std::shared_ptr<const Encoder> encoder,
             std::shared_ptr<const FittedSpaceState> state)
    : config_(std::move(config)),
      encoder_(std::move(encoder)),
      pooled_dim_(PooledDim(config_.pooling, encoder_->frame_dim())),
      state_(std::move(state)) {}

Space::~Space() = default;

const std::vector<std::string>& Space::class_names() const {
  static const auto* const kNone = new std::vector<std::string>();
  const std::vector<std::string>& names = encoder_->frame_names();
  const bool kept = config_.pooling != Pooling::kMeanStd && !config_.boaw &&
                    config_.scaling == Scaling::kNone && config_.pca_dims == 0;
  if (!kept || static_cast<int>(names.size()) != encoder_->frame_dim()) {
    return *kNone;
  }
  return names;
}

absl::StatusOr<RawEmbedding> Space::Embed(absl::Span<const float> pcm,
                                          std::vector<AutoTag>* auto_tags,
                                          SpokenContent* spoken) const {
  ASSIGN_OR_RETURN(EncodedClip clip, encoder_->Encode(pcm));
  return FromEncoded(std::move(clip), auto_tags, spoken);
}

absl::StatusOr<RawEmbedding> Space::EmbedText(
    absl::Span<const std::string> words, SpokenContent* spoken) const {
  ASSIGN_OR_RETURN(EncodedClip clip, encoder_->EncodeText(words));
  return FromEncoded(std::move(clip), nullptr, spoken);
}

absl::StatusOr<std::vector<absl::StatusOr<RawEmbedding>>> Space::EmbedBatch(
    absl::Span<const absl::Span<const float>> clips,
    std::vector<std::vector<AutoTag>>* auto_tags,
    std::vector<SpokenContent>* spoken) const {
  ASSIGN_OR_RETURN(std::vector<absl::StatusOr<EncodedClip>> encoded,
                   encoder_->EncodeBatch(clips));
  if (encoded.size() != clips.size()) {
    return absl::InternalError(absl::StrCat("space ", name(), ": encoder gave ",
                                            encoded.size(), " results for ",
                                            clips.size(), " clips"));
  }
  if (auto_tags != nullptr) {
    auto_tags->assign(clips.size(), {});
  }
  if (spoken != nullptr) spoken->assign(clips.size(), {});
  std::vector<absl::StatusOr<RawEmbedding>> out;
  out.reserve(clips.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (!encoded[i].ok()) {
      out.push_back(encoded[i].status());
      continue;
    }
    out.push_back(FromEncoded(std::move(encoded[i]).value(),
                              auto_tags != nullptr ? &(*auto_tags)[i] : nullptr,
                              spoken != nullptr ? &(*spoken)[i] : nullptr));
  }
  return out;
}

absl::StatusOr<RawEmbedding> Space::FromEncoded(EncodedClip clip,
                                                std::vector<AutoTag>* auto_tags,
                                                SpokenContent* spoken) const {
  if (spoken != nullptr) {
    *spoken = std::move(clip.spoken);
    spoken->space = name();
  }
  if (auto_tags != nullptr) {
    auto_tags->clear();
    const std::vector<std::string>& names = encoder_->tag_names();
    const AutoTagConfig& want = config_.auto_tags;
    if (want.enabled && !names.empty()) {
      if (clip.tag_probabilities.size() != names.size()) {
        return absl::InternalError(absl::StrCat(
            "space ", name(), ": encoder gave ", clip.tag_probabilities.size(),
            " tag probabilities for ", names.size(), " tag names"));
      }
      for (size_t i = 0; i < names.size(); ++i) {
        if (clip.tag_probabilities[i] >= want.min_probability) {
          auto_tags->push_back(
              {absl::AsciiStrToLower(names[i]), clip.tag_probabilities[i]});
        }
      }
      std::sort(auto_tags->begin(), auto_tags->end(),
                [](const AutoTag& a, const AutoTag& b) {
                  if (a.probability != b.probability) {
                    return a.probability > b.probability;
                  }
                  return a.tag < b.tag;
                });
      if (static_cast<int>(auto_tags->size()) > want.top_k) {
        auto_tags->resize(want.top_k);
      }
    }
  }
  if (clip.frames.dim != encoder_->frame_dim()) {
    return absl::InternalError(
        absl::StrCat("space ", name(), ": encoder gave frames of dim ",
                     clip.frames.dim, ", expected ", encoder_->frame_dim()));
  }
  RawEmbedding raw;
  ASSIGN_OR_RETURN(raw.pooled, Pool(clip.frames, config_.pooling));
  raw.flags = clip.flags;
  if (config_.boaw) {
    const int n = clip.frames.num_frames();
    const auto keep = EvenlySpaced(n, config_.codebook.stored_frames);
    if (static_cast<int>(keep.size()) == n) {
      raw.frames = std::move(clip.frames);
    } else {
      raw.frames = FrameMatrix(static_cast<int>(keep.size()), clip.frames.dim);
      for (size_t i = 0; i < keep.size(); ++i) {
        auto src = clip.frames.row(static_cast<int>(keep[i]));
        std::copy(src.begin(), src.end(),
                  raw.frames.row(static_cast<int>(i)).begin());
      }
    }
  }
  return raw;
}

absl::StatusOr<std::vector<float>> Space::ProjectWith(
    absl::Span<const RawEmbedding> raws, int* dim) const {
  const FittedSpaceState* state = state_.get();
  for (size_t i = 0; i < raws.size(); ++i) {
    if (static_cast<int>(raws[i].pooled.size()) != pooled_dim_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "space ", name(), ": raw embedding ", i, " has ",
          raws[i].pooled.size(), " pooled values, expected ", pooled_dim_));
    }
  }
  if (state == nullptr) {
    std::vector<float> out;
    out.reserve(raws.size() * pooled_dim_);
    for (const RawEmbedding& raw : raws) {
      out.insert(out.end(), raw.pooled.begin(), raw.pooled.end());
    }
    if (const TermLayout* layout = encoder_->term_layout(); layout != nullptr) {
      ASSIGN_OR_RETURN(TermWeighting unit, TermWeighting::Unit(*layout));
      unit.Apply(out.data(), static_cast<int64_t>(raws.size()),
                 layout->block_weights);
    }
    if (config_.metric == Metric::kCosine) {
      L2NormalizeRows(out.data(), static_cast<int64_t>(raws.size()),
                      pooled_dim_);
    }
    if (dim != nullptr) *dim = pooled_dim_;
    return out;
  }
  const Projection& projection = *state->projection;
  std::vector<float> rows;
  if (state->codebook.has_value()) {
    rows.reserve(raws.size() * state->codebook->k());
    for (size_t i = 0; i < raws.size(); ++i) {
      auto histogram = state->codebook->Quantize(raws[i].frames);
      if (!histogram.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("space ", name(), ": raw embedding ", i, ": ",
                         histogram.status().message()));
      }
      rows.insert(rows.end(), histogram->begin(), histogram->end());
    }
  } else {
    rows.reserve(raws.size() * pooled_dim_);
    for (const RawEmbedding& raw : raws) {
      rows.insert(rows.end(), raw.pooled.begin(), raw.pooled.end());
    }
    if (state->terms.has_value()) {
      state->terms->Apply(rows.data(), static_cast<int64_t>(raws.size()),
                          encoder_->term_layout()->block_weights);
    }
  }
  if (dim != nullptr) *dim = projection.output_dim();
  if (rows.empty()) return rows;
  return projection.Apply(rows);
}

absl::StatusOr<std::vector<float>> Space::Project(
    const RawEmbedding& raw, uint64_t* fitted_version) const {
  if (fitted_version != nullptr) *fitted_version = this->fitted_version();
  return ProjectWith(absl::MakeConstSpan(&raw, 1), nullptr);
}

absl::StatusOr<std::vector<float>> Space::ProjectBatch(
    absl::Span<const RawEmbedding> raws, uint64_t* fitted_version,
    int* index_dim) const {
  if (fitted_version != nullptr) *fitted_version = this->fitted_version();
  return ProjectWith(raws, index_dim);
}

RawEmbedding Space::EmptyEmbedding() const {
  RawEmbedding raw;
  raw.pooled.assign(pooled_dim_, 0.0f);
  raw.flags.silent = true;
  // A bag of terms with nothing in it counts 1 in the first dimension of
  // each block (TermLayout), so that a cosine index accepts it.
  if (const TermLayout* layout = encoder_->term_layout(); layout != nullptr) {
    int at = 0;
    for (int size : layout->block_sizes) {
      if (size > 0 && at < pooled_dim_) raw.pooled[at] = 1.0f;
      at += size;
    }
  }
  if (config_.boaw) raw.frames = FrameMatrix(1, encoder_->frame_dim());
  return raw;
}

int Space::index_dim() const {
  return state_ ? state_->projection->output_dim() : pooled_dim_;
}

uint64_t Space::fitted_version() const { return state_ ? state_->version : 0; }

bool Space::needs_fit(int64_t num_items) const {
  return !is_fitted() && num_items >= config_.min_fit_items;
}

absl::StatusOr<std::unique_ptr<Space>> Space::Fit(
    absl::Span<const RawEmbedding> collection) const {
  const int64_t n = static_cast<int64_t>(collection.size());
  if (n < 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "space ", name(), ": fitting needs at least 2 sounds, got ", n));
  }
  for (int64_t i = 0; i < n; ++i) {
    const RawEmbedding& raw = collection[i];
    if (static_cast<int>(raw.pooled.size()) != pooled_dim_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "space ", name(), ": fit item ", i, " has ", raw.pooled.size(),
          " pooled values, expected ", pooled_dim_));
    }
    if (config_.boaw && (raw.frames.num_frames() == 0 ||
                         raw.frames.dim != encoder_->frame_dim())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "space ", name(), ": fit item ", i, " has ", raw.frames.num_frames(),
          " frames of dim ", raw.frames.dim, ", expected frames of dim ",
          encoder_->frame_dim()));
    }
  }

  auto next = std::make_shared<FittedSpaceState>();
  std::vector<float> rows;
  int dim = pooled_dim_;
  if (config_.boaw) {
    std::vector<const FrameMatrix*> clips;
    clips.reserve(n);
    for (const RawEmbedding& raw : collection) clips.push_back(&raw.frames);
    ASSIGN_OR_RETURN(next->codebook, Codebook::Fit(clips, config_.codebook));
    dim = next->codebook->k();
    rows.reserve(static_cast<size_t>(n) * dim);
    for (const RawEmbedding& raw : collection) {
      ASSIGN_OR_RETURN(std::vector<float> h,
                       next->codebook->Quantize(raw.frames));
      rows.insert(rows.end(), h.begin(), h.end());
    }
  } else {
    rows.reserve(static_cast<size_t>(n) * dim);
    for (const RawEmbedding& raw : collection) {
      rows.insert(rows.end(), raw.pooled.begin(), raw.pooled.end());
    }
    if (const TermLayout* layout = encoder_->term_layout(); layout != nullptr) {
      ASSIGN_OR_RETURN(next->terms, TermWeighting::Fit(rows, n, *layout));
      next->terms->Apply(rows.data(), n, layout->block_weights);
    }
  }
  ASSIGN_OR_RETURN(next->projection,
                   Projection::Fit(rows, dim, ProjectionOptionsFor(config_)));
  next->version = fitted_version() + 1;
  return std::unique_ptr<Space>(new Space(config_, encoder_, std::move(next)));
}

absl::StatusOr<std::string> Space::SerializeFittedState() const {
  const FittedSpaceState* s = state_.get();
  if (s == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("space ", name(), ": not fitted"));
  }
  ByteWriter w;
  w.PutBytes(absl::string_view(kMagic, 4));
  w.PutU16(s->terms.has_value() ? kTermsFormatVersion : kFormatVersion);
  w.PutU64(s->version);
  w.PutBlob(config_.name);
  w.PutU32(static_cast<uint32_t>(pooled_dim_));
  w.PutU32(static_cast<uint32_t>(encoder_->frame_dim()));
  w.PutU8(config_.boaw ? 1 : 0);
  w.PutU8(static_cast<uint8_t>(config_.metric));
  w.PutU8(s->codebook.has_value() ? 1 : 0);
  if (s->codebook.has_value()) w.PutBlob(s->codebook->Serialize());
  if (s->terms.has_value()) {
    w.PutU8(1);
    w.PutBlob(s->terms->Serialize());
  }
  w.PutBlob(s->projection->Serialize());
  return w.FinishWithCrc();
}

absl::StatusOr<std::unique_ptr<Space>> Space::WithFittedState(
    absl::string_view blob) const {
  const std::string what = absl::StrCat("fitted state of space ", name());
  ASSIGN_OR_RETURN(absl::string_view body, StripCrc(blob, what));
  ByteReader r(body, what);
  ASSIGN_OR_RETURN(absl::string_view magic, r.ReadBytes(4, "magic"));
  if (magic != absl::string_view(kMagic, 4)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": bad magic"));
  }
  ASSIGN_OR_RETURN(uint16_t format, r.ReadU16("format version"));
  if (format != kFormatVersion && format != kTermsFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": unsupported format version ", format, " (this build reads ",
        kFormatVersion, " and ", kTermsFormatVersion, ")"));
  }
  auto next = std::make_shared<FittedSpaceState>();
  ASSIGN_OR_RETURN(next->version, r.ReadU64("fitted version"));
  ASSIGN_OR_RETURN(absl::string_view stored_name, r.ReadBlob("name"));
  ASSIGN_OR_RETURN(uint32_t pooled_dim, r.ReadU32("pooled dim"));
  ASSIGN_OR_RETURN(uint32_t frame_dim, r.ReadU32("frame dim"));
  ASSIGN_OR_RETURN(uint8_t boaw, r.ReadU8("boaw"));
  ASSIGN_OR_RETURN(uint8_t metric, r.ReadU8("metric"));
  ASSIGN_OR_RETURN(uint8_t has_codebook, r.ReadU8("has codebook"));
  if (next->version == 0 || has_codebook > 1 || boaw > 1) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": bad header"));
  }
  if (has_codebook == 1) {
    ASSIGN_OR_RETURN(absl::string_view cb, r.ReadBlob("codebook"));
    ASSIGN_OR_RETURN(next->codebook, Codebook::Deserialize(cb));
  }
  if (format == kTermsFormatVersion) {
    ASSIGN_OR_RETURN(uint8_t has_terms, r.ReadU8("has term weighting"));
    if (has_terms != 1) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": bad header"));
    }
    ASSIGN_OR_RETURN(absl::string_view tw, r.ReadBlob("term weighting"));
    ASSIGN_OR_RETURN(next->terms, TermWeighting::Deserialize(tw));
  }
  ASSIGN_OR_RETURN(absl::string_view pj, r.ReadBlob("projection"));
  ASSIGN_OR_RETURN(next->projection, Projection::Deserialize(pj));
  RETURN_IF_ERROR(r.ExpectEnd());

  // The state must fit this space as configured now.
  const ProjectionOptions want = ProjectionOptionsFor(config_);
  const Projection& p = *next->projection;
  std::string mismatch;
  if (stored_name != config_.name) {
    mismatch = absl::StrCat("it belongs to space \"", stored_name, "\"");
  } else if (static_cast<int>(pooled_dim) != pooled_dim_ ||
             static_cast<int>(frame_dim) != encoder_->frame_dim()) {
    mismatch =
        absl::StrCat("pooled/frame dims ", pooled_dim, "/", frame_dim,
                     " differ from ", pooled_dim_, "/", encoder_->frame_dim());
  } else if ((boaw == 1) != config_.boaw ||
             next->codebook.has_value() != config_.boaw ||
             metric != static_cast<uint8_t>(config_.metric)) {
    mismatch = "its encoder kind or metric differs";
  } else if (config_.boaw && (next->codebook->k() != config_.codebook.k ||
                              next->codebook->dim() != encoder_->frame_dim())) {
    mismatch = "its codebook shape differs from the config";
  } else if (const TermLayout* layout = encoder_->term_layout();
             next->terms.has_value() != (layout != nullptr) ||
             (layout != nullptr &&
              next->terms->block_sizes() != layout->block_sizes)) {
    mismatch = "its term weighting differs from the encoder's term layout";
  } else if (p.input_dim() !=
                 (config_.boaw ? config_.codebook.k : pooled_dim_) ||
             p.options().scaling != want.scaling ||
             p.options().pca_dims != want.pca_dims ||
             p.options().l2_normalize != want.l2_normalize) {
    mismatch = "its scaling, PCA or metric differs from the config";
  }
  if (!mismatch.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": cannot load, ", mismatch, "; refit instead"));
  }
  return std::unique_ptr<Space>(new Space(config_, encoder_, std::move(next)));
}

}  // namespace soundsearch
