#include "soundsearch/raw_embedding.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "embedding/byte_io.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

constexpr char kMagic[] = "SSRE";
constexpr uint16_t kFormatVersion = 1;
constexpr uint16_t kFlagSilent = 1u << 0;
constexpr uint16_t kFlagTooShort = 1u << 1;
constexpr uint16_t kKnownFlags = kFlagSilent | kFlagTooShort;

bool AllFinite(const std::vector<float>& v) {
  for (float x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

}  // namespace

std::string RawEmbedding::Encode() const {
  ByteWriter w;
  w.PutBytes(absl::string_view(kMagic, 4));
  w.PutU16(kFormatVersion);
  w.PutU16((flags.silent ? kFlagSilent : 0) |
           (flags.too_short ? kFlagTooShort : 0));
  const int num_frames = frames.num_frames();
  w.PutU32(static_cast<uint32_t>(pooled.size()));
  w.PutU32(static_cast<uint32_t>(num_frames == 0 ? 0 : frames.dim));
  w.PutU32(static_cast<uint32_t>(num_frames));
  w.PutFloats(pooled);
  if (num_frames > 0) w.PutFloats(frames.data);
  return w.FinishWithCrc();
}

absl::StatusOr<RawEmbedding> RawEmbedding::Decode(absl::string_view bytes) {
  constexpr absl::string_view kWhat = "raw embedding";
  ASSIGN_OR_RETURN(absl::string_view body, StripCrc(bytes, kWhat));
  ByteReader r(body, kWhat);
  ASSIGN_OR_RETURN(absl::string_view magic, r.ReadBytes(4, "magic"));
  if (magic != absl::string_view(kMagic, 4)) {
    return absl::InvalidArgumentError("raw embedding: bad magic");
  }
  ASSIGN_OR_RETURN(uint16_t version, r.ReadU16("version"));
  if (version != kFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("raw embedding: unsupported format version ", version,
                     " (this build reads ", kFormatVersion, ")"));
  }
  ASSIGN_OR_RETURN(uint16_t flag_bits, r.ReadU16("flags"));
  if ((flag_bits & ~kKnownFlags) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("raw embedding: unknown flag bits ", flag_bits));
  }
  ASSIGN_OR_RETURN(uint32_t pooled_dim, r.ReadU32("pooled_dim"));
  ASSIGN_OR_RETURN(uint32_t frame_dim, r.ReadU32("frame_dim"));
  ASSIGN_OR_RETURN(uint32_t num_frames, r.ReadU32("num_frames"));
  const uint64_t expected =
      4ull * (static_cast<uint64_t>(pooled_dim) +
              static_cast<uint64_t>(frame_dim) * num_frames);
  if ((frame_dim == 0) != (num_frames == 0) || expected != r.remaining()) {
    return absl::InvalidArgumentError(
        absl::StrCat("raw embedding: sizes (pooled ", pooled_dim, ", frames ",
                     num_frames, " x ", frame_dim, ") disagree with the ",
                     r.remaining(), " payload bytes"));
  }
  RawEmbedding e;
  e.flags.silent = (flag_bits & kFlagSilent) != 0;
  e.flags.too_short = (flag_bits & kFlagTooShort) != 0;
  RETURN_IF_ERROR(r.ReadFloats(pooled_dim, "pooled", &e.pooled));
  if (num_frames > 0) {
    e.frames.dim = static_cast<int>(frame_dim);
    RETURN_IF_ERROR(r.ReadFloats(static_cast<uint64_t>(frame_dim) * num_frames,
                                 "frames", &e.frames.data));
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  if (!AllFinite(e.pooled) || !AllFinite(e.frames.data)) {
    return absl::InvalidArgumentError("raw embedding: non-finite value");
  }
  return e;
}

bool operator==(const RawEmbedding& a, const RawEmbedding& b) {
  const bool a_frames = a.frames.num_frames() > 0;
  const bool b_frames = b.frames.num_frames() > 0;
  return a.pooled == b.pooled && a_frames == b_frames &&
         (!a_frames ||
          (a.frames.dim == b.frames.dim && a.frames.data == b.frames.data)) &&
         a.flags.silent == b.flags.silent &&
         a.flags.too_short == b.flags.too_short;
}

}  // namespace soundsearch
