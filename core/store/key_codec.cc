#include "store/key_codec.h"

#include "absl/strings/str_cat.h"

namespace soundsearch {

absl::Status ValidateSpaceName(absl::string_view space) {
  if (space.empty() || space.size() > kMaxSpaceNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("space name must be 1 to ", kMaxSpaceNameBytes,
                     " bytes, got ", space.size()));
  }
  if (space.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("space name must not contain a NUL byte");
  }
  return absl::OkStatus();
}

std::string EncodeU64BigEndian(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::optional<uint64_t> DecodeU64BigEndian(absl::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return v;
}

std::string EncodeU64LittleEndian(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::optional<uint64_t> DecodeU64LittleEndian(absl::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return v;
}

std::string SpacePrefix(absl::string_view space) {
  std::string key(space);
  key.push_back('\0');
  return key;
}

std::string RawKey(absl::string_view space, uint64_t id) {
  return SpacePrefix(space) + EncodeU64BigEndian(id);
}

std::string SpaceNameKey(absl::string_view space, absl::string_view name) {
  std::string key = SpacePrefix(space);
  key.append(name.data(), name.size());
  return key;
}

std::string SpaceRegistryKey(absl::string_view space) {
  return absl::StrCat(kSpaceKeyPrefix, space);
}

std::string SnapshotMarkKey(absl::string_view space) {
  return absl::StrCat(kSnapshotMarkKeyPrefix, space);
}

std::string EvaluationKey(absl::string_view space) {
  return absl::StrCat(kEvaluationKeyPrefix, space);
}

std::string QuarantineKey(absl::string_view family, absl::string_view key) {
  std::string out = absl::StrCat(kQuarantineKeyPrefix, family);
  out.push_back('\0');
  out.append(key.data(), key.size());
  return out;
}

std::string PreviewKey(uint64_t id) {
  return absl::StrCat(kPreviewKeyPrefix, EncodeU64BigEndian(id));
}

}  // namespace soundsearch
