#include "soundsearch/sound_store.h"

#include "absl/strings/str_cat.h"
#include "store/rocksdb_sound_store.h"

namespace soundsearch {
namespace {

absl::Status ValidateOptions(const SoundStoreOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("SoundStoreOptions.path is empty");
  }
  if (options.block_cache_mb < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("SoundStoreOptions.block_cache_mb must be >= 0, got ",
                     options.block_cache_mb));
  }
  if (options.write_buffer_mb < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("SoundStoreOptions.write_buffer_mb must be >= 0, got ",
                     options.write_buffer_mb));
  }
  if (options.memtable_budget_mb < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("SoundStoreOptions.memtable_budget_mb must be >= 0, got ",
                     options.memtable_budget_mb));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SoundStore>> SoundStore::Open(
    const SoundStoreOptions& options) {
  absl::Status valid = ValidateOptions(options);
  if (!valid.ok()) return valid;
  return RocksDbSoundStore::OpenValidated(options);
}

std::vector<absl::StatusOr<SoundRecord>> SoundStore::GetSounds(
    absl::Span<const uint64_t> ids) const {
  std::vector<absl::StatusOr<SoundRecord>> out;
  out.reserve(ids.size());
  for (uint64_t id : ids) out.push_back(GetSound(id));
  return out;
}

}  // namespace soundsearch
