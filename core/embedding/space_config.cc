#include "soundsearch/space_config.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
constexpr NamedValue<SpaceMetric> kMetrics[] = {
    {"cosine", SpaceMetric::kCosine},
    {"inner_product", SpaceMetric::kInnerProduct},
    {"euclidean", SpaceMetric::kEuclidean}};
constexpr NamedValue<IndexType> kIndexTypes[] = {{"flat", IndexType::kFlat},
                                                 {"hnsw", IndexType::kHnsw},
                                                 {"ivf", IndexType::kIvf},
                                                 {"torch_flat", IndexType::kTorchFlat}};

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
  std::string kind;
  if (!r.Has("kind")) {
    return absl::InvalidArgumentError(
        absl::StrCat(r.Path("kind"),
                     ": missing (dsp, mfcc, boaw or "
                     "torchscript)"));
  }
  RETURN_IF_ERROR(r.GetString("kind", &kind));
  EncoderOptions& enc = config->encoder;
  const bool torch = kind == "torchscript";
  if (kind == "boaw") {
    enc.kind = "mfcc";
    config->boaw = true;
  } else if (kind == "dsp" || kind == "mfcc" || torch) {
    enc.kind = kind;
    config->boaw = false;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        r.Path("kind"), ": unknown encoder kind \"", kind,
        "\" (expected \"dsp\", \"mfcc\", \"boaw\" or \"torchscript\")"));
  }
  if (torch) {
    // The model spec gives the sample rate of a TorchScript encoder.
    RETURN_IF_ERROR(r.GetString("model_path", &enc.model_path));
    RETURN_IF_ERROR(r.GetString("spec_path", &enc.spec_path));
    RETURN_IF_ERROR(r.GetInt("torch_threads", &enc.torch_threads));
    RETURN_IF_ERROR(r.GetBool("allow_gpu", &enc.allow_gpu));
    RETURN_IF_ERROR(r.GetInt("batch_size", &enc.batch_size));
    if (enc.model_path.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          r.Path("model_path"), ": required for a torchscript encoder"));
    }
  } else {
    RETURN_IF_ERROR(r.GetInt("sample_rate", &enc.sample_rate));
    // Front end and descriptor choices (EncoderOptions; docs/config.md).
    // Encoder::Create checks their ranges.
    RETURN_IF_ERROR(r.GetInt("n_fft", &enc.n_fft));
    RETURN_IF_ERROR(r.GetInt("hop_length", &enc.hop_length));
    RETURN_IF_ERROR(r.GetInt("n_mfcc", &enc.n_mfcc));
    if (enc.kind == "dsp") {
      RETURN_IF_ERROR(r.GetInt("dsp_n_mels", &enc.dsp_n_mels));
      RETURN_IF_ERROR(r.GetBool("dsp_log_mel", &enc.dsp_log_mel));
      RETURN_IF_ERROR(r.GetBool("dsp_mfcc", &enc.dsp_mfcc));
      RETURN_IF_ERROR(
          r.GetBool("dsp_spectral_shape", &enc.dsp_spectral_shape));
      RETURN_IF_ERROR(r.GetBool("dsp_contrast", &enc.dsp_contrast));
      RETURN_IF_ERROR(r.GetBool("dsp_zcr", &enc.dsp_zcr));
      RETURN_IF_ERROR(r.GetBool("dsp_rms", &enc.dsp_rms));
      RETURN_IF_ERROR(r.GetBool("dsp_pitch", &enc.dsp_pitch));
      RETURN_IF_ERROR(r.GetBool("dsp_deltas", &enc.dsp_deltas));
    } else {
      RETURN_IF_ERROR(r.GetInt("mfcc_n_mels", &enc.mfcc_n_mels));
      RETURN_IF_ERROR(r.GetBool("mfcc_deltas", &enc.mfcc_deltas));
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
                        IndexConfig* c) {
  RETURN_IF_ERROR(ObjectReader::ExpectObject(j, path));
  ObjectReader r(j, path);
  RETURN_IF_ERROR(r.GetEnum("type", kIndexTypes, &c->type));
  RETURN_IF_ERROR(r.GetInt("hnsw_m", &c->hnsw_m));
  RETURN_IF_ERROR(r.GetInt("hnsw_ef_search", &c->hnsw_ef_search));
  RETURN_IF_ERROR(r.GetInt("hnsw_ef_construction", &c->hnsw_ef_construction));
  RETURN_IF_ERROR(r.GetInt("ivf_nlist", &c->ivf_nlist));
  RETURN_IF_ERROR(r.GetInt("ivf_nprobe", &c->ivf_nprobe));
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

absl::StatusOr<SpaceConfig> ParseSpace(const Json& j, const std::string& path) {
  RETURN_IF_ERROR(ObjectReader::ExpectObject(j, path));
  ObjectReader r(j, path);
  SpaceConfig config;
  if (!r.Has("name")) {
    return absl::InvalidArgumentError(
        absl::StrCat(r.Path("name"), ": missing"));
  }
  RETURN_IF_ERROR(r.GetString("name", &config.name));
  const Json* encoder = r.Find("encoder");
  if (encoder == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(r.Path("encoder"), ": missing"));
  }
  RETURN_IF_ERROR(ParseEncoder(*encoder, r.Path("encoder"), &config));
  // Per-kind defaults (docs/config.md): hand-made features keep their
  // statistics; dsp descriptors have mixed units and are minmax-scaled.
  const bool neural = config.encoder.kind == "torchscript";
  config.pooling = neural ? Pooling::kMean : Pooling::kMeanStd;
  config.scaling =
      config.encoder.kind == "dsp" ? Scaling::kMinMax : Scaling::kNone;
  RETURN_IF_ERROR(r.GetEnum("pooling", kPoolings, &config.pooling));
  RETURN_IF_ERROR(r.GetEnum("scaling", kScalings, &config.scaling));
  RETURN_IF_ERROR(r.GetInt("pca_dims", &config.pca_dims));
  RETURN_IF_ERROR(r.GetEnum("metric", kMetrics, &config.metric));
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
const char* MetricName(SpaceMetric m) { return NameOf(kMetrics, m); }
const char* IndexTypeName(IndexType t) { return NameOf(kIndexTypes, t); }

absl::StatusOr<Pooling> ParsePooling(absl::string_view name) {
  return ParseName(kPoolings, name, "pooling");
}
absl::StatusOr<Scaling> ParseScaling(absl::string_view name) {
  return ParseName(kScalings, name, "scaling");
}
absl::StatusOr<SpaceMetric> ParseMetric(absl::string_view name) {
  return ParseName(kMetrics, name, "metric");
}
absl::StatusOr<IndexType> ParseIndexType(absl::string_view name) {
  return ParseName(kIndexTypes, name, "index type");
}

EncoderOptions DefaultSpaceEncoderOptions() {
  EncoderOptions options;
  options.dsp_log_mel = false;  // see space_config.h and docs/quality.md
  return options;
}

SpaceConfig DefaultSpaceConfig() { return SpaceConfig(); }

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
  const std::string& kind = c.encoder.kind;
  if (kind != "dsp" && kind != "mfcc" && kind != "torchscript") {
    return absl::InvalidArgumentError(
        absl::StrCat("encoder.kind: unknown kind \"", kind, "\""));
  }
  if (c.boaw && kind != "mfcc") {
    return absl::InvalidArgumentError(
        "encoder.kind: a bag-of-audio-words space uses mfcc frames");
  }
  if (kind == "torchscript") {
    if (c.encoder.model_path.empty()) {
      return absl::InvalidArgumentError(
          "encoder.model_path: required for a torchscript encoder");
    }
    RETURN_IF_ERROR(
        CheckRange("encoder.torch_threads", c.encoder.torch_threads, 1, 256));
    RETURN_IF_ERROR(
        CheckRange("encoder.batch_size", c.encoder.batch_size, 1, 4096));
  } else {
    const EncoderOptions& e = c.encoder;
    RETURN_IF_ERROR(
        CheckRange("encoder.sample_rate", e.sample_rate, 8000, 192000));
    RETURN_IF_ERROR(CheckRange("encoder.n_fft", e.n_fft, 64, 65536));
    RETURN_IF_ERROR(CheckRange("encoder.hop_length", e.hop_length, 1, 65536));
    if (kind == "dsp") {
      RETURN_IF_ERROR(CheckRange("encoder.dsp_n_mels", e.dsp_n_mels, 1, 1024));
      RETURN_IF_ERROR(CheckRange("encoder.n_mfcc", e.n_mfcc, 1, e.dsp_n_mels));
      if (!(e.dsp_log_mel || e.dsp_mfcc || e.dsp_spectral_shape ||
            e.dsp_contrast || e.dsp_zcr || e.dsp_rms || e.dsp_pitch)) {
        return absl::InvalidArgumentError(
            "encoder: a dsp encoder needs at least one descriptor group");
      }
    } else {
      RETURN_IF_ERROR(
          CheckRange("encoder.mfcc_n_mels", e.mfcc_n_mels, 1, 1024));
      RETURN_IF_ERROR(
          CheckRange("encoder.n_mfcc", e.n_mfcc, 1, e.mfcc_n_mels));
    }
  }
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
  if (!(c.auto_tags.min_probability >= 0.0f &&
        c.auto_tags.min_probability <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("auto_tags.min_probability: must be in [0, 1], got ",
                     c.auto_tags.min_probability));
  }
  const IndexConfig& ix = c.index;
  RETURN_IF_ERROR(CheckRange("index.hnsw_m", ix.hnsw_m, 2, 256));
  RETURN_IF_ERROR(
      CheckRange("index.hnsw_ef_search", ix.hnsw_ef_search, 1, 1 << 20));
  RETURN_IF_ERROR(CheckRange("index.hnsw_ef_construction",
                             ix.hnsw_ef_construction, 1, 1 << 20));
  RETURN_IF_ERROR(CheckRange("index.ivf_nlist", ix.ivf_nlist, 1, 1 << 24));
  RETURN_IF_ERROR(
      CheckRange("index.ivf_nprobe", ix.ivf_nprobe, 1, ix.ivf_nlist));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SpaceConfig>> ParseSpaceConfigs(
    absl::string_view json_text) {
  Json root;
  try {
    root = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::parse_error& e) {
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
  return spaces;
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
    for (std::string* file :
         {&space.encoder.model_path, &space.encoder.spec_path}) {
      if (!file->empty() && std::filesystem::path(*file).is_relative()) {
        *file = (dir / *file).lexically_normal().string();
      }
    }
  }
  return spaces;
}

}  // namespace soundsearch
