// Little-endian byte writer/reader and the CRC-32 trailer shared by the
// embedding layer's binary formats (raw embeddings, projections, codebooks,
// fitted space state). Private to core.
#ifndef SOUNDSEARCH_CORE_EMBEDDING_BYTE_IO_H_
#define SOUNDSEARCH_CORE_EMBEDDING_BYTE_IO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace soundsearch {

// CRC-32 (IEEE 802.3, the zlib polynomial) of `bytes`.
uint32_t Crc32(absl::string_view bytes);

// Appends little-endian values to a string. Not synchronised.
class ByteWriter {
 public:
  void PutU8(uint8_t v);
  void PutU16(uint16_t v);
  void PutU32(uint32_t v);
  void PutU64(uint64_t v);
  void PutF32(float v);
  void PutFloats(absl::Span<const float> v);
  // Raw bytes, no length prefix.
  void PutBytes(absl::string_view bytes);
  // u64 length, then the bytes.
  void PutBlob(absl::string_view bytes);

  size_t size() const { return out_.size(); }
  // Appends the CRC-32 of everything written so far (u32) and returns the
  // buffer. The writer is empty afterwards.
  std::string FinishWithCrc();
  // Returns the buffer without a trailer. The writer is empty afterwards.
  std::string Release();

 private:
  std::string out_;
};

// Reads little-endian values from a borrowed buffer (which must outlive the
// reader). Every Read* returns OutOfRange, naming `what` (the format being
// decoded) and the field, when the buffer is too short. Not synchronised.
class ByteReader {
 public:
  ByteReader(absl::string_view bytes, absl::string_view what)
      : bytes_(bytes), what_(what) {}

  absl::StatusOr<uint8_t> ReadU8(absl::string_view field);
  absl::StatusOr<uint16_t> ReadU16(absl::string_view field);
  absl::StatusOr<uint32_t> ReadU32(absl::string_view field);
  absl::StatusOr<uint64_t> ReadU64(absl::string_view field);
  absl::StatusOr<float> ReadF32(absl::string_view field);
  // Reads `count` floats into `out` (resized).
  absl::Status ReadFloats(uint64_t count, absl::string_view field,
                          std::vector<float>* out);
  absl::StatusOr<absl::string_view> ReadBytes(uint64_t count,
                                              absl::string_view field);
  // A u64 length then that many bytes.
  absl::StatusOr<absl::string_view> ReadBlob(absl::string_view field);

  size_t remaining() const { return bytes_.size() - pos_; }
  // InvalidArgument if bytes are left over.
  absl::Status ExpectEnd() const;

 private:
  absl::Status Need(uint64_t n, absl::string_view field) const;

  absl::string_view bytes_;
  std::string what_;
  size_t pos_ = 0;
};

// Checks the 4-byte CRC-32 trailer written by ByteWriter::FinishWithCrc and
// returns the bytes before it. DataLoss naming `what` when the blob is too
// short or the checksum does not match.
absl::StatusOr<absl::string_view> StripCrc(absl::string_view blob,
                                           absl::string_view what);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_EMBEDDING_BYTE_IO_H_
