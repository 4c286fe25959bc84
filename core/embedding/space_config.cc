#include "soundsearch/space_config.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "soundsearch/encoder_kinds.h"
#include "soundsearch/index_kinds.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

using Json = nlohmann::json;

template <typename E>
struct NamedValue {
  const char* name;
  E value;
};

constexpr NamedValue<Pooling> kPoolings[] = {{"mean", Pooling::kMean},
                                             {"median", Pooling::kMedian},
                                             {"max", Pooling::kMax},
                                             {"mean_std", Pooling::kMeanStd}};
constexpr NamedValue<Scaling> kScalings[] = {{"none", Scaling::kNone},
                                             {"minmax", Scaling::kMinMax},
                                             {"zscore", Scaling::kZScore}};
constexpr NamedValue<RerankKind> kRerankKinds[] = {
    {"none", RerankKind::kNone}, {"phone_edit", RerankKind::kPhoneEdit}};

// The config key of a bag-of-audio-words space's encoder: MFCC frames
// (encoder kind "mfcc") quantised against a fitted codebook.
constexpr char kBagOfWordsKind[] = "boaw";

// Every EncoderOptions field a config can set, by its key; which of them an
// encoder object may hold is its kind's option_keys (encoder_kinds.h).
// kPath fields are file names, resolved against the config file's folder.
struct EncoderField {
  enum Type { kInt, kFloat, kDouble, kBool, kString, kPath };
  const char* key;
  Type type;
  int EncoderOptions::*int_member = nullptr;
  float EncoderOptions::*float_member = nullptr;
  double EncoderOptions::*double_member = nullptr;
  bool EncoderOptions::*bool_member = nullptr;
  std::string EncoderOptions::*string_member = nullptr;
};

EncoderField IntField(const char* key, int EncoderOptions::*m) {
  EncoderField f{key, EncoderField::kInt};
  f.int_member = m;
  return f;
}
EncoderField BoolField(const char* key, bool EncoderOptions::*m) {
  EncoderField f{key, EncoderField::kBool};
  f.bool_member = m;
  return f;
}
EncoderField FloatField(const char* key, float EncoderOptions::*m) {
  EncoderField f{key, EncoderField::kFloat};
  f.float_member = m;
  return f;
}
EncoderField DoubleField(const char* key, double EncoderOptions::*m) {
  EncoderField f{key, EncoderField::kDouble};
  f.double_member = m;
  return f;
}
EncoderField StringField(const char* key, std::string EncoderOptions::*m,
                         bool path) {
  EncoderField f{key, path ? EncoderField::kPath : EncoderField::kString};
  f.string_member = m;
  return f;
}

const std::vector<EncoderField>& EncoderFields() {
  using E = EncoderOptions;
  static const auto* const fields = new std::vector<EncoderField>{
      IntField("sample_rate", &E::sample_rate),
      IntField("n_fft", &E::n_fft),
      IntField("hop_length", &E::hop_length),
      IntField("n_mfcc", &E::n_mfcc),
      FloatField("silence_db", &E::silence_db),
      IntField("dsp_n_mels", &E::dsp_n_mels),
      BoolField("dsp_log_mel", &E::dsp_log_mel),
      BoolField("dsp_mfcc", &E::dsp_mfcc),
      BoolField("dsp_spectral_shape", &E::dsp_spectral_shape),
      BoolField("dsp_contrast", &E::dsp_contrast),
      BoolField("dsp_zcr", &E::dsp_zcr),
      BoolField("dsp_rms", &E::dsp_rms),
      BoolField("dsp_pitch", &E::dsp_pitch),
      BoolField("dsp_deltas", &E::dsp_deltas),
      IntField("mfcc_n_mels", &E::mfcc_n_mels),
      BoolField("mfcc_deltas", &E::mfcc_deltas),
      StringField("model_path", &E::model_path, /*path=*/true),
      StringField("spec_path", &E::spec_path, /*path=*/true),
      IntField("torch_threads", &E::torch_threads),
      BoolField("allow_gpu", &E::allow_gpu),
      IntField("batch_size", &E::batch_size),
      StringField("output", &E::output, /*path=*/false),
      StringField("speech_hmm", &E::speech_hmm, /*path=*/true),
      StringField("speech_lm", &E::speech_lm, /*path=*/true),
      StringField("speech_dict", &E::speech_dict, /*path=*/true),
      StringField("speech_phone_lm", &E::speech_phone_lm, /*path=*/true),
      DoubleField("speech_word_beam", &E::speech_word_beam),
      DoubleField("speech_word_wbeam", &E::speech_word_wbeam),
      FloatField("speech_word_lw", &E::speech_word_lw),
      DoubleField("speech_phone_beam", &E::speech_phone_beam),
      DoubleField("speech_phone_pbeam", &E::speech_phone_pbeam),
      FloatField("speech_phone_lw", &E::speech_phone_lw),
      IntField("speech_word_dims", &E::speech_word_dims),
      IntField("speech_phone_dims", &E::speech_phone_dims),
      IntField("speech_ngram_min", &E::speech_ngram_min),
      IntField("speech_ngram_max", &E::speech_ngram_max),
      FloatField("speech_word_weight", &E::speech_word_weight),
      FloatField("speech_phone_weight", &E::speech_phone_weight),
      BoolField("speech_word_lattice", &E::speech_word_lattice),
      FloatField("speech_lattice_exponent", &E::speech_lattice_exponent),
      BoolField("speech_word_confidence", &E::speech_word_confidence),
      FloatField("speech_vtln_warp", &E::speech_vtln_warp),
      FloatField("speech_pad_seconds", &E::speech_pad_seconds),
      FloatField("speech_pad_percentile", &E::speech_pad_percentile),
      FloatField("speech_max_seconds", &E::speech_max_seconds),
      FloatField("speech_budget_seconds", &E::speech_budget_seconds),
  };
  return *fields;
}

const EncoderField* FindEncoderField(absl::string_view key) {
  for (const EncoderField& f : EncoderFields()) {
    if (key == f.key) return &f;
  }
  return nullptr;
}

// InvalidArgument for an encoder kind this process does not know.
absl::Status UnknownEncoderKind(absl::string_view field,
                                absl::string_view kind) {
  std::vector<std::string> names;
  for (const std::string& name : EncoderKindNames()) {
    names.push_back(absl::StrCat("\"", name, "\""));
  }
  names.push_back(absl::StrCat("\"", kBagOfWordsKind, "\""));
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": unknown encoder kind \"", kind, "\" (expected ",
                   absl::StrJoin(names, ", "), ")"));
}

template <typename E, size_t N>
const char* NameOf(const NamedValue<E> (&table)[N], E value) {
  for (const auto& nv : table) {
    if (nv.value == value) return nv.name;
  }
  return "?";
}

template <typename E, size_t N>
absl::StatusOr<E> ParseName(const NamedValue<E> (&table)[N],
                            absl::string_view name, absl::string_view what) {
  std::vector<std::string> names;
  for (const auto& nv : table) {
    if (name == nv.name) return nv.value;
    names.push_back(absl::StrCat("\"", nv.name, "\""));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ", what, " \"", name, "\" (expected ",
                   absl::StrJoin(names, ", "), ")"));
}

// --- validation
// ----------------------------------------------------------------

absl::Status RangeError(absl::string_view field, int64_t value, int64_t lo,
                        int64_t hi) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": must be in [", lo, ", ", hi, "], got ", value));
}

absl::Status CheckRange(absl::string_view field, int64_t value, int64_t lo,
                        int64_t hi) {
  if (value < lo || value > hi) return RangeError(field, value, lo, hi);
  return absl::OkStatus();
}

constexpr int kIntMax = std::numeric_limits<int>::max();

// --- JSON reading ------------------------------------------------------------

// Reads the members of one JSON object, tracking which keys were used so
// that the unknown ones can be reported.
class ObjectReader {
 public:
  ObjectReader(const Json& obj, std::string path)
      : obj_(obj), path_(std::move(path)) {}

  static absl::Status ExpectObject(const Json& j, absl::string_view path) {
    if (!j.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": must be a JSON object"));
    }
    return absl::OkStatus();
  }

  std::string Path(absl::string_view key) const {
    return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
  }

  bool Has(const char* key) const { return obj_.contains(key); }

  // Each Get* leaves *out untouched when the key is absent.
  absl::Status GetString(const char* key, std::string* out) {
    const Json* j = Find(key);
    if (j == nullptr) return absl::OkStatus();
    if (!j->is_string()) return TypeError(key, "a string");
    *out = j->get<std::string>();
    return absl::OkStatus();
  }

  absl::Status GetInt(const char* key, int* out) {
    const Json* j = Find(key);
    if (j == nullptr) return absl::OkStatus();
    if (!j->is_number_integer()) return TypeError(key, "an integer");
    if (j->is_number_unsigned()) {
      const uint64_t v = j->get<uint64_t>();
      if (v > static_cast<uint64_t>(kIntMax)) {
        return absl::InvalidArgumentError(
            absl::StrCat(Path(key), ": ", v, " is out of range"));
      }
      *out = static_cast<int>(v);
      return absl::OkStatus();
    }
    const int64_t v = j->get<int64_t>();
    if (v < std::numeric_limits<int>::min() || v > kIntMax) {
      return absl::InvalidArgumentError(
          absl::StrCat(Path(key), ": ", v, " is out of range"));
    }
    *out = static_cast<int>(v);
    return absl::OkStatus();
  }

  absl::Status GetFloat(const char* key, float* out) {
    const Json* j = Find(key);
    if (j == nullptr) return absl::OkStatus();
    if (!j->is_number()) return TypeError(key, "a number");
    *out = static_cast<float>(j->get<double>());
    return absl::OkStatus();
  }

  absl::Status GetDouble(const char* key, double* out) {
    const Json* j = Find(key);
    if (j == nullptr) return absl::OkStatus();
    if (!j->is_number()) return TypeError(key, "a number");
    *out = j->get<double>();
    return absl::OkStatus();
  }

  absl::Status GetBool(const char* key, bool* out) {
    const Json* j = Find(key);
    if (j == nullptr) return absl::OkStatus();
    if (!j->is_boolean()) return TypeError(key, "true or false");
    *out = j->get<bool>();
    return absl::OkStatus();
  }

  template <typename E, size_t N>
  absl::Status GetEnum(const char* key, const NamedValue<E> (&table)[N],
                       E* out) {
    std::string name;
    if (!Has(key)) {
      used_.insert(key);
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(GetString(key, &name));
    auto parsed = ParseName(table, name, "value");
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Path(key), ": ", parsed.status().message()));
    }
    *out = *parsed;
    return absl::OkStatus();
  }

  // Marks `key` as known without reading it (the caller reads it).
  const Json* Find(const char* key) {
    used_.insert(key);
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }

  // InvalidArgument naming the first key that no Get*/Find asked for.
  absl::Status RejectUnknownKeys() const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (used_.count(it.key()) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(Path(it.key()), ": unknown key (expected one of: ",
                         absl::StrJoin(used_, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status TypeError(const char* key, absl::string_view expected) const {
    return absl::InvalidArgumentError(
        absl::StrCat(Path(key), ": must be ", expected));
  }

  const Json& obj_;
  std::string path_;
  std::set<std::string> used_;
};

absl::Status ParseEncoder(const Json& j, const std::string& path,
                          SpaceConfig* config) {
  RETURN_IF_ERROR(ObjectReader::ExpectObject(j, path));
  ObjectReader r(j, path);
  std::string kind_name;
  if (!r.Has("kind")) {
    return absl::InvalidArgumentError(absl::StrCat(
        r.Path("kind"), ": missing (", absl::StrJoin(EncoderKindNames(), ", "),
        " or ", kBagOfWordsKind, ")"));
  }
  RETURN_IF_ERROR(r.GetString("kind", &kind_name));
  EncoderOptions& enc = config->encoder;
  config->boaw = kind_name == kBagOfWordsKind;
  enc.kind = config->boaw ? "mfcc" : kind_name;
  const EncoderKind* kind = FindEncoderKind(enc.kind);
  if (kind == nullptr) return UnknownEncoderKind(r.Path("kind"), kind_name);
  for (const std::string& key : kind->option_keys) {
    const EncoderField* field = FindEncoderField(key);
    if (field == nullptr) {
      return absl::InternalError(absl::StrCat("encoder kind \"", kind->name,
                                              "\" declares unknown option \"",
                                              key, "\""));
    }
    switch (field->type) {
      case EncoderField::kInt:
        RETURN_IF_ERROR(r.GetInt(field->key, &(enc.*field->int_member)));
        break;
      case EncoderField::kFloat:
        RETURN_IF_ERROR(r.GetFloat(field->key, &(enc.*field->float_member)));
        break;
      case EncoderField::kDouble:
        RETURN_IF_ERROR(r.GetDouble(field->key, &(enc.*field->double_member)));
        break;
      case EncoderField::kBool:
        RETURN_IF_ERROR(r.GetBool(field->key, &(enc.*field->bool_member)));
        break;
      case EncoderField::kString:
      case EncoderField::kPath:
        RETURN_IF_ERROR(r.GetString(field->key, &(enc.*field->string_member)));
        break;
    }
  }
  return r.RejectUnknownKeys();
}

absl::Status ParseCodebook(const Json& j, const std::string& path,
                           CodebookConfig* c) {
  RETURN_IF_ERROR(ObjectReader::ExpectObject(j, path));
  ObjectReader r(j, path);
  RETURN_IF_ERROR(r.GetInt("k", &c->k));
  RETURN_IF_ERROR(r.GetInt("seed", &c->seed));
  RETURN_IF_ERROR(r.GetInt("iterations", &c->iterations));
  RETURN_IF_ERROR(r.GetInt("stored_frames", &c->stored_frames));
  RETURN_IF_ERROR(r.GetInt("fit_frames_per_clip", &c->fit_frames_per_clip));
  RETURN_IF_ERROR(r.GetInt("fit_max_frames", &c->fit_max_frames));
  return r.RejectUnknownKeys();
}

absl::Status ParseIndex(const Json& j, const std::string& path,
                        IndexOptions* c) {
  RETURN_IF_ERROR(ObjectReader::ExpectObject(j, path));
  ObjectReader r(j, path);
  RETURN_IF_ERROR(r.GetString("type", &c->kind));
  RETURN_IF_ERROR(r.GetInt("hnsw_m", &c->hnsw_m));
  RETURN_IF_ERROR(r.GetInt("hnsw_ef_search", &c->hnsw_ef_search));
  RETURN_IF_ERROR(r.GetInt("hnsw_ef_construction", &c->hnsw_ef_construction));
  RETURN_IF_ERROR(r.GetDouble("hnsw_rebuild_tombstone_fraction",
                              &c->hnsw_rebuild_tombstone_fraction));
  RETURN_IF_ERROR(r.GetInt("ivf_nlist", &c->ivf_nlist));
  RETURN_IF_ERROR(r.GetInt("ivf_nprobe", &c->ivf_nprobe));
  RETURN_IF_ERROR(r.GetInt("ivf_train_min_vectors", &c->ivf_train_min_vectors));
  RETURN_IF_ERROR(r.GetInt("sq_train_min_vectors", &c->sq_train_min_vectors));
  RETURN_IF_ERROR(r.GetInt("auto_hnsw_min_vectors", &c->auto_hnsw_min_vectors));
  RETURN_IF_ERROR(r.GetInt("background_build_min_vectors",
                           &c->background_build_min_vectors));
  return r.RejectUnknownKeys();
}

absl::Status ParseAutoTags(const Json& j, const std::string& path,
                           AutoTagConfig* c) {
  RETURN_IF_ERROR(ObjectReader::ExpectObject(j, path));
  ObjectReader r(j, path);
  RETURN_IF_ERROR(r.GetBool("enabled", &c->enabled));
  RETURN_IF_ERROR(r.GetInt("top_k", &c->top_k));
  RETURN_IF_ERROR(r.GetFloat("min_probability", &c->min_probability));
  return r.RejectUnknownKeys();
}

absl::Status ParseRerank(const Json& j, const std::string& path,
                         RerankConfig* c) {
  RETURN_IF_ERROR(ObjectReader::ExpectObject(j, path));
  ObjectReader r(j, path);
  if (r.Has("kind")) {
    std::string kind;
    RETURN_IF_ERROR(r.GetString("kind", &kind));
    auto parsed = ParseRerankKind(kind);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(r.Path("kind"), ": ", parsed.status().message()));
    }
    c->kind = *parsed;
  }
  RETURN_IF_ERROR(r.GetInt("top_n", &c->top_n));
  RETURN_IF_ERROR(r.GetFloat("weight", &c->weight));
  return r.RejectUnknownKeys();
}

absl::Status ParseNeighbourhood(const Json& j, const std::string& path,
                                NeighbourhoodOptions* c) {
  RETURN_IF_ERROR(ObjectReader::ExpectObject(j, path));
  ObjectReader r(j, path);
  RETURN_IF_ERROR(r.GetInt("neighbours", &c->neighbours));
  RETURN_IF_ERROR(r.GetFloat("alpha", &c->alpha));
  return r.RejectUnknownKeys();
}

// The "fusion" object of a fused space.
absl::Status ParseFusion(const Json& j, const std::string& path,
                         SpaceFusion* c) {
  RETURN_IF_ERROR(ObjectReader::ExpectObject(j, path));
  ObjectReader r(j, path);
  const Json* of = r.Find("of");
  if (of == nullptr || !of->is_array() || of->size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        r.Path("of"), ": must be an array of at least 2 space names"));
  }
  for (const Json& name : *of) {
    if (!name.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(r.Path("of"), ": must hold space names (strings)"));
    }
    c->of.push_back(name.get<std::string>());
  }
  if (const Json* weights = r.Find("weights"); weights != nullptr) {
    if (!weights->is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat(r.Path("weights"), ": must be an array of numbers"));
    }
    for (const Json& w : *weights) {
      if (!w.is_number()) {
        return absl::InvalidArgumentError(
            absl::StrCat(r.Path("weights"), ": must be an array of numbers"));
      }
      c->weights.push_back(static_cast<float>(w.get<double>()));
    }
  } else {
    c->weights.assign(c->of.size(), 1.0f / static_cast<float>(c->of.size()));
  }
  if (r.Has("kind")) {
    std::string kind;
    RETURN_IF_ERROR(r.GetString("kind", &kind));
    if (kind == "late") {
      c->kind = SpaceFusionKind::kLate;
    } else if (kind == "concat") {
      c->kind = SpaceFusionKind::kConcat;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(r.Path("kind"),
                       ": must be \"late\" or \"concat\", got \"", kind, "\""));
    }
  }
  RETURN_IF_ERROR(r.GetInt("candidates", &c->candidates));
  return r.RejectUnknownKeys();
}

// A fused space: name, fusion and the few settings that apply to it.
absl::StatusOr<SpaceConfig> ParseFusedSpace(ObjectReader& r, const Json& fusion,
                                            const std::string& path,
                                            SpaceConfig config) {
  config.encoder.kind.clear();
  config.pca_dims = 0;
  config.scaling = Scaling::kNone;
  config.metric = Metric::kCosine;
  for (const char* key :
       {"encoder", "pooling", "scaling", "pca_dims", "metric", "codebook",
        "auto_tags", "min_fit_items", "augment"}) {
    if (r.Has(key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          r.Path(key), ": a fused space has no ", key,
          " of its own (its parts compute its vectors); set it on the parts"));
    }
  }
  RETURN_IF_ERROR(ParseFusion(fusion, r.Path("fusion"), &config.fusion));
  if (const Json* index = r.Find("index"); index != nullptr) {
    RETURN_IF_ERROR(ParseIndex(*index, r.Path("index"), &config.index));
  }
  if (const Json* expand = r.Find("expand"); expand != nullptr) {
    RETURN_IF_ERROR(
        ParseNeighbourhood(*expand, r.Path("expand"), &config.expand));
  }
  RETURN_IF_ERROR(r.RejectUnknownKeys());
  absl::Status valid = ValidateSpaceConfig(config);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".", valid.message()));
  }
  return config;
}

absl::StatusOr<SpaceConfig> ParseSpace(const Json& j, const std::string& path) {
  RETURN_IF_ERROR(ObjectReader::ExpectObject(j, path));
  ObjectReader r(j, path);
  SpaceConfig config;
  if (!r.Has("name")) {
    return absl::InvalidArgumentError(
        absl::StrCat(r.Path("name"), ": missing"));
  }
  RETURN_IF_ERROR(r.GetString("name", &config.name));
  if (const Json* fusion = r.Find("fusion"); fusion != nullptr) {
    return ParseFusedSpace(r, *fusion, path, std::move(config));
  }
  const Json* encoder = r.Find("encoder");
  if (encoder == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(r.Path("encoder"), ": missing"));
  }
  RETURN_IF_ERROR(ParseEncoder(*encoder, r.Path("encoder"), &config));
  // Per-kind defaults (docs/config.md, EncoderKind::default_pooling).
  const EncoderKind* kind = FindEncoderKind(config.encoder.kind);
  ASSIGN_OR_RETURN(config.pooling, ParsePooling(kind->default_pooling));
  ASSIGN_OR_RETURN(config.scaling, ParseScaling(kind->default_scaling));
  RETURN_IF_ERROR(r.GetEnum("pooling", kPoolings, &config.pooling));
  RETURN_IF_ERROR(r.GetEnum("scaling", kScalings, &config.scaling));
  RETURN_IF_ERROR(r.GetInt("pca_dims", &config.pca_dims));
  if (r.Has("metric")) {
    std::string metric;
    RETURN_IF_ERROR(r.GetString("metric", &metric));
    auto parsed = ParseMetric(metric);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(r.Path("metric"), ": ", parsed.status().message()));
    }
    config.metric = *parsed;
  }
  RETURN_IF_ERROR(r.GetInt("min_fit_items", &config.min_fit_items));
  if (const Json* cb = r.Find("codebook"); cb != nullptr) {
    if (!config.boaw) {
      return absl::InvalidArgumentError(absl::StrCat(
          r.Path("codebook"), ": only a \"boaw\" encoder has a codebook"));
    }
    RETURN_IF_ERROR(ParseCodebook(*cb, r.Path("codebook"), &config.codebook));
  }
  if (const Json* index = r.Find("index"); index != nullptr) {
    RETURN_IF_ERROR(ParseIndex(*index, r.Path("index"), &config.index));
  }
  if (const Json* tags = r.Find("auto_tags"); tags != nullptr) {
    RETURN_IF_ERROR(
        ParseAutoTags(*tags, r.Path("auto_tags"), &config.auto_tags));
  }
  if (const Json* rerank = r.Find("rerank"); rerank != nullptr) {
    RETURN_IF_ERROR(ParseRerank(*rerank, r.Path("rerank"), &config.rerank));
  }
  if (const Json* only = r.Find("only_if_auto_tags"); only != nullptr) {
    if (!only->is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(
          r.Path("only_if_auto_tags"), ": must be an array of strings"));
    }
    for (const Json& tag : *only) {
      if (!tag.is_string() || tag.get<std::string>().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            r.Path("only_if_auto_tags"), ": must hold non-empty strings"));
      }
      config.only_if_auto_tags.push_back(
          absl::AsciiStrToLower(tag.get<std::string>()));
    }
  }
  if (const Json* expand = r.Find("expand"); expand != nullptr) {
    RETURN_IF_ERROR(
        ParseNeighbourhood(*expand, r.Path("expand"), &config.expand));
  }
  if (const Json* augment = r.Find("augment"); augment != nullptr) {
    RETURN_IF_ERROR(
        ParseNeighbourhood(*augment, r.Path("augment"), &config.augment));
  }
  RETURN_IF_ERROR(r.RejectUnknownKeys());
  absl::Status valid = ValidateSpaceConfig(config);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".", valid.message()));
  }
  return config;
}

}  // namespace

const char* PoolingName(Pooling p) { return NameOf(kPoolings, p); }
const char* ScalingName(Scaling s) { return NameOf(kScalings, s); }

absl::StatusOr<Pooling> ParsePooling(absl::string_view name) {
  return ParseName(kPoolings, name, "pooling");
}
absl::StatusOr<Scaling> ParseScaling(absl::string_view name) {
  return ParseName(kScalings, name, "scaling");
}
const char* RerankKindName(RerankKind k) { return NameOf(kRerankKinds, k); }
absl::StatusOr<RerankKind> ParseRerankKind(absl::string_view name) {
  return ParseName(kRerankKinds, name, "rerank kind");
}

EncoderOptions DefaultSpaceEncoderOptions() {
  EncoderOptions options;
  options.dsp_log_mel = false;  // see space_config.h and docs/quality.md
  return options;
}

SpaceConfig DefaultSpaceConfig() { return SpaceConfig(); }

const char* SpaceFusionKindName(SpaceFusionKind kind) {
  return kind == SpaceFusionKind::kConcat ? "concat" : "late";
}

absl::Status ValidateSpaceConfig(const SpaceConfig& c) {
  if (c.name.empty() || c.name.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("name: must be 1..64 characters, got \"", c.name, "\""));
  }
  for (char ch : c.name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                    ch == '_' || ch == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("name: \"", c.name, "\" may only hold [a-z0-9_-]"));
    }
  }
  if (c.fusion.enabled()) {
    const SpaceFusion& f = c.fusion;
    if (f.of.size() < 2) {
      return absl::InvalidArgumentError(
          "fusion.of: a fused space needs at least 2 parts");
    }
    if (f.weights.size() != f.of.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("fusion.weights: ", f.weights.size(), " weights for ",
                       f.of.size(), " parts"));
    }
    double sum = 0;
    for (float w : f.weights) {
      if (!(w >= 0.0f) || !std::isfinite(w)) {
        return absl::InvalidArgumentError(
            absl::StrCat("fusion.weights: must be finite and >= 0, got ", w));
      }
      sum += w;
    }
    if (!(sum > 0)) {
      return absl::InvalidArgumentError("fusion.weights: all 0");
    }
    RETURN_IF_ERROR(CheckRange("fusion.candidates", f.candidates, 0, 1000000));
    if (c.metric != Metric::kCosine) {
      return absl::InvalidArgumentError("metric: a fused space is cosine");
    }
    RETURN_IF_ERROR(ValidateNeighbourhood(c.expand, "expand"));
    return ValidateIndexOptions(c.index);
  }
  const EncoderKind* kind = FindEncoderKind(c.encoder.kind);
  if (kind == nullptr)
    return UnknownEncoderKind("encoder.kind", c.encoder.kind);
  if (c.boaw && c.encoder.kind != "mfcc") {
    return absl::InvalidArgumentError(
        "encoder.kind: a bag-of-audio-words space uses mfcc frames");
  }
  RETURN_IF_ERROR(kind->validate(c.encoder));
  RETURN_IF_ERROR(CheckRange("pca_dims", c.pca_dims, 0, 1024));
  RETURN_IF_ERROR(CheckRange("min_fit_items", c.min_fit_items, 2, kIntMax));
  if (c.boaw) {
    const CodebookConfig& cb = c.codebook;
    RETURN_IF_ERROR(CheckRange("codebook.k", cb.k, 2, 65536));
    RETURN_IF_ERROR(CheckRange("codebook.iterations", cb.iterations, 1, 1000));
    RETURN_IF_ERROR(
        CheckRange("codebook.stored_frames", cb.stored_frames, 1, 100000));
    RETURN_IF_ERROR(CheckRange("codebook.fit_frames_per_clip",
                               cb.fit_frames_per_clip, 1, 100000));
    RETURN_IF_ERROR(CheckRange("codebook.fit_max_frames", cb.fit_max_frames,
                               cb.k, 100000000));
  }
  RETURN_IF_ERROR(CheckRange("auto_tags.top_k", c.auto_tags.top_k, 1, 1000));
  RETURN_IF_ERROR(CheckRange("rerank.top_n", c.rerank.top_n, 1, 10000));
  if (!(c.rerank.weight >= 0.0f && c.rerank.weight <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rerank.weight: must be in [0, 1], got ", c.rerank.weight));
  }
  if (!(c.auto_tags.min_probability >= 0.0f &&
        c.auto_tags.min_probability <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("auto_tags.min_probability: must be in [0, 1], got ",
                     c.auto_tags.min_probability));
  }
  RETURN_IF_ERROR(ValidateNeighbourhood(c.expand, "expand"));
  RETURN_IF_ERROR(ValidateNeighbourhood(c.augment, "augment"));
  if (c.augment.enabled() && c.metric != Metric::kCosine) {
    return absl::InvalidArgumentError(
        "augment: database-side augmentation weighs neighbours by their "
        "cosine; the space must be cosine");
  }
  return ValidateIndexOptions(c.index);
}

absl::StatusOr<std::vector<SpaceConfig>> ParseSpaceConfigs(
    absl::string_view json_text) {
  Json root;
  try {
    root = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::exception& e) {
    // parse_error, and out_of_range for a number too large for any type.
    return absl::InvalidArgumentError(
        absl::StrCat("config: invalid JSON: ", e.what()));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError("config: top level must be an object");
  }
  auto it = root.find("spaces");
  if (it == root.end()) {
    return absl::InvalidArgumentError("spaces: missing");
  }
  if (!it->is_array() || it->empty()) {
    return absl::InvalidArgumentError(
        "spaces: must be a non-empty array of space objects");
  }
  std::vector<SpaceConfig> spaces;
  std::set<std::string> names;
  for (size_t i = 0; i < it->size(); ++i) {
    const std::string path = absl::StrCat("spaces[", i, "]");
    ASSIGN_OR_RETURN(SpaceConfig space, ParseSpace((*it)[i], path));
    if (!names.insert(space.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ".name: duplicate space name \"", space.name, "\""));
    }
    spaces.push_back(std::move(space));
  }
  RETURN_IF_ERROR(ValidateSpaceFusions(spaces));
  return spaces;
}

absl::Status ValidateSpaceFusions(const std::vector<SpaceConfig>& spaces) {
  for (const SpaceConfig& space : spaces) {
    if (!space.fusion.enabled()) continue;
    std::set<std::string> seen;
    for (const std::string& part : space.fusion.of) {
      const std::string where =
          absl::StrCat("space \"", space.name, "\": fusion.of: \"", part, "\"");
      auto it =
          std::find_if(spaces.begin(), spaces.end(),
                       [&](const SpaceConfig& s) { return s.name == part; });
      if (it == spaces.end()) {
        std::vector<std::string> names;
        for (const SpaceConfig& s : spaces) {
          if (!s.fusion.enabled()) names.push_back(s.name);
        }
        return absl::InvalidArgumentError(
            absl::StrCat(where, " is not a space of this config (spaces: ",
                         absl::StrJoin(names, ", "), ")"));
      }
      if (it->fusion.enabled()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, " is a fused space itself; fuse its parts instead"));
      }
      if (it->metric != Metric::kCosine) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, " is a ", MetricName(it->metric),
            " space; fusion adds cosines, so every part must be cosine"));
      }
      if (!seen.insert(part).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " appears twice"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SpaceConfig>> LoadSpaceConfigFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("config file ", path, ": cannot be opened"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto spaces = ParseSpaceConfigs(buffer.str());
  if (!spaces.ok()) {
    return absl::Status(spaces.status().code(),
                        absl::StrCat(path, ": ", spaces.status().message()));
  }
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  for (SpaceConfig& space : *spaces) {
    for (const EncoderField& field : EncoderFields()) {
      if (field.type != EncoderField::kPath) continue;
      std::string& file = space.encoder.*field.string_member;
      if (!file.empty() && std::filesystem::path(file).is_relative()) {
        file = (dir / file).lexically_normal().string();
      }
    }
  }
  return spaces;
}

}  // namespace soundsearch
