// The table of encoder kinds, looked up by name (EncoderOptions::kind).
// Core registers "dsp" and "mfcc" itself; a library that brings another
// kind registers it before the first space of that kind is created or its
// config is validated (soundsearch_torch: "torchscript", see
// soundsearch/torch_kinds.h). Encoder::Create, ValidateSpaceConfig and the
// JSON config reader dispatch through this table.
#ifndef SOUNDSEARCH_ENCODER_KINDS_H_
#define SOUNDSEARCH_ENCODER_KINDS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "soundsearch/encoder.h"

namespace soundsearch {

struct EncoderKind {
  std::string name;  // [a-z0-9_]+, unique
  // The EncoderOptions fields this kind reads, by their config key (the
  // field's name, e.g. "sample_rate", "model_path"; docs/config.md). A
  // config's "encoder" object may hold only these keys besides "kind".
  std::vector<std::string> option_keys;
  // Defaults of a space built on this kind, by their config names
  // (space_config.h, docs/config.md): hand-made descriptors keep their
  // statistics ("mean_std"); neural embeddings are averaged ("mean");
  // descriptors of mixed units are scaled ("minmax").
  std::string default_pooling = "mean_std";
  std::string default_scaling = "none";
  // Checks the fields this kind reads without opening any file;
  // InvalidArgument naming the field as the config does
  // ("encoder.n_fft: must be in [64, 65536], got 1").
  std::function<absl::Status(const EncoderOptions& options)> validate;
  // Builds the encoder from options that passed `validate` (may read model
  // files: NotFound for a missing one, FailedPrecondition for a model that
  // does not match its spec).
  std::function<absl::StatusOr<std::unique_ptr<Encoder>>(
      const EncoderOptions& options)>
      create;
};

// Adds `kind` to the table. AlreadyExists when its name is taken
// (registering the same library twice is an error the caller may ignore);
// InvalidArgument for a bad name or a missing function. Thread-safe.
absl::Status RegisterEncoderKind(EncoderKind kind);

// The kind named `name`, or nullptr. The pointer stays valid for the life of
// the process. Thread-safe.
const EncoderKind* FindEncoderKind(absl::string_view name);

// Registered names in registration order (core's first). Thread-safe.
std::vector<std::string> EncoderKindNames();

}  // namespace soundsearch

#endif  // SOUNDSEARCH_ENCODER_KINDS_H_
