// RawEmbedding: what the store keeps per sound and space so that a refit of
// the space (PCA, codebook) needs no re-decoding, and its binary encoding.
#ifndef SOUNDSEARCH_RAW_EMBEDDING_H_
#define SOUNDSEARCH_RAW_EMBEDDING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "soundsearch/encoder.h"
#include "soundsearch/frame_matrix.h"

namespace soundsearch {

// Value type; not synchronised (treat like std::vector).
struct RawEmbedding {
  // Encoder frames pooled over time (Space's pooling), all finite.
  std::vector<float> pooled;
  // Bag-of-audio-words spaces only: an evenly spaced sub-sample of the
  // clip's MFCC frames (at most CodebookConfig::stored_frames rows); empty
  // (dim 0, no rows) for other spaces.
  FrameMatrix frames;
  ClipFlags flags;

  // Compact little-endian encoding with a format version and a CRC-32
  // trailer; docs/embedding.md gives the layout. Size is
  // 24 + 4 * (pooled.size() + frames.data.size()) bytes.
  std::string Encode() const;

  // Inverse of Encode. Rejects, with an error naming the problem: a bad
  // checksum or truncation (DataLoss), a bad magic, an unknown format
  // version, unknown flag bits, sizes that disagree with the length, or a
  // non-finite value (InvalidArgument).
  static absl::StatusOr<RawEmbedding> Decode(absl::string_view bytes);
};

bool operator==(const RawEmbedding& a, const RawEmbedding& b);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RAW_EMBEDDING_H_
