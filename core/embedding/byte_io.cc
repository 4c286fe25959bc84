#include "embedding/byte_io.h"

#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace soundsearch {
namespace {

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

}  // namespace

uint32_t Crc32(absl::string_view bytes) {
  static const std::array<uint32_t, 256> kTable = MakeCrcTable();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = kTable[(c ^ b) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void ByteWriter::PutU8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
void ByteWriter::PutU16(uint16_t v) {
  for (int i = 0; i < 2; ++i) PutU8(static_cast<uint8_t>(v >> (8 * i)));
}
void ByteWriter::PutU32(uint32_t v) {
  for (int i = 0; i < 4; ++i) PutU8(static_cast<uint8_t>(v >> (8 * i)));
}
void ByteWriter::PutU64(uint64_t v) {
  for (int i = 0; i < 8; ++i) PutU8(static_cast<uint8_t>(v >> (8 * i)));
}
void ByteWriter::PutF32(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  PutU32(bits);
}
void ByteWriter::PutFloats(absl::Span<const float> v) {
  out_.reserve(out_.size() + v.size() * 4);
  for (float f : v) PutF32(f);
}
void ByteWriter::PutBytes(absl::string_view bytes) {
  out_.append(bytes.data(), bytes.size());
}
void ByteWriter::PutBlob(absl::string_view bytes) {
  PutU64(bytes.size());
  PutBytes(bytes);
}

std::string ByteWriter::FinishWithCrc() {
  PutU32(Crc32(out_));
  std::string result = std::move(out_);
  out_.clear();
  return result;
}

std::string ByteWriter::Release() {
  std::string result = std::move(out_);
  out_.clear();
  return result;
}

absl::Status ByteReader::Need(uint64_t n, absl::string_view field) const {
  if (n > remaining()) {
    return absl::OutOfRangeError(
        absl::StrCat(what_, ": truncated at ", field, " (need ", n,
                     " bytes at offset ", pos_, ", have ", remaining(), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint8_t> ByteReader::ReadU8(absl::string_view field) {
  if (auto s = Need(1, field); !s.ok()) return s;
  return static_cast<uint8_t>(bytes_[pos_++]);
}

absl::StatusOr<uint16_t> ByteReader::ReadU16(absl::string_view field) {
  if (auto s = Need(2, field); !s.ok()) return s;
  uint16_t v = 0;
  for (int i = 0; i < 2; ++i) {
    v |= static_cast<uint16_t>(static_cast<uint8_t>(bytes_[pos_++])) << (8 * i);
  }
  return v;
}

absl::StatusOr<uint32_t> ByteReader::ReadU32(absl::string_view field) {
  if (auto s = Need(4, field); !s.ok()) return s;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes_[pos_++])) << (8 * i);
  }
  return v;
}

absl::StatusOr<uint64_t> ByteReader::ReadU64(absl::string_view field) {
  if (auto s = Need(8, field); !s.ok()) return s;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[pos_++])) << (8 * i);
  }
  return v;
}

absl::StatusOr<float> ByteReader::ReadF32(absl::string_view field) {
  auto bits = ReadU32(field);
  if (!bits.ok()) return bits.status();
  float v;
  uint32_t b = *bits;
  std::memcpy(&v, &b, sizeof(v));
  return v;
}

absl::Status ByteReader::ReadFloats(uint64_t count, absl::string_view field,
                                    std::vector<float>* out) {
  if (count > remaining() / 4) {
    return absl::OutOfRangeError(absl::StrCat(
        what_, ": truncated at ", field, " (", count, " floats at offset ",
        pos_, ", have ", remaining(), " bytes)"));
  }
  out->resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t bits = 0;
    for (int k = 0; k < 4; ++k) {
      bits |= static_cast<uint32_t>(static_cast<uint8_t>(bytes_[pos_++]))
              << (8 * k);
    }
    std::memcpy(&(*out)[i], &bits, sizeof(float));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::string_view> ByteReader::ReadBytes(
    uint64_t count, absl::string_view field) {
  if (auto s = Need(count, field); !s.ok()) return s;
  absl::string_view v = bytes_.substr(pos_, count);
  pos_ += count;
  return v;
}

absl::StatusOr<absl::string_view> ByteReader::ReadBlob(
    absl::string_view field) {
  auto size = ReadU64(field);
  if (!size.ok()) return size.status();
  return ReadBytes(*size, field);
}

absl::Status ByteReader::ExpectEnd() const {
  if (remaining() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": ", remaining(),
                     " unexpected trailing bytes at offset ", pos_));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::string_view> StripCrc(absl::string_view blob,
                                           absl::string_view what) {
  if (blob.size() < 4) {
    return absl::DataLossError(
        absl::StrCat(what, ": ", blob.size(), " bytes is too short"));
  }
  absl::string_view body = blob.substr(0, blob.size() - 4);
  ByteReader trailer(blob.substr(blob.size() - 4), what);
  uint32_t stored = *trailer.ReadU32("crc32");
  uint32_t actual = Crc32(body);
  if (stored != actual) {
    return absl::DataLossError(
        absl::StrCat(what, ": checksum mismatch (corrupt or truncated blob of ",
                     blob.size(), " bytes)"));
  }
  return body;
}

}  // namespace soundsearch
