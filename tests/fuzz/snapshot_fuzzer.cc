// libFuzzer target: the index snapshot loader, VectorIndex::Load (the
// frame of index/snapshot_file.h, our header and id sections, then the
// kind's FAISS body: flat, HNSW, IVF), on arbitrary file contents. The first
// input byte picks the kind and metric the caller expects. With its top bit
// clear the rest is the whole file (the CRC-32C must catch what it breaks);
// with it set the rest is the header and id section, followed by the FAISS
// body of a real snapshot of that kind and a trailer whose checksum matches:
// that reaches every check of ours behind the checksum. FAISS's own reader
// is not fuzzed behind a matching checksum: it trusts the sizes a file
// declares (a crafted vector size makes it allocate that much), so a
// snapshot is trusted as far as its CRC-32C (docs/operations.md, "Fuzzing").
// Any crash, sanitizer report or broken contract is a bug: an index that
// loads answers a search with stored ids.
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "index/snapshot_file.h"
#include "soundsearch/vector_index.h"

namespace {

constexpr int kDim = 4;
const char* const kKinds[] = {"flat", "hnsw", "ivf"};
const soundsearch::Metric kMetrics[] = {soundsearch::Metric::kCosine,
                                        soundsearch::Metric::kInnerProduct,
                                        soundsearch::Metric::kEuclidean};

// Selectors 0..11: kind (flat, hnsw, ivf) x metric.
soundsearch::VectorIndexOptions Options(uint8_t selector) {
  soundsearch::VectorIndexOptions options;
  options.dim = kDim;
  options.metric = kMetrics[(selector / 3) % 3];
  options.index.kind = kKinds[selector % 3];
  options.index.hnsw_m = 4;
  options.index.ivf_nlist = 2;
  options.index.ivf_nprobe = 2;
  options.index.ivf_train_min_vectors = 4;
  return options;
}

std::string& Path() {
  static std::string* path = [] {
    char dir[] = "/tmp/snapshot_fuzzer.XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    return new std::string(std::string(dir) + "/index.idx");
  }();
  return *path;
}

bool WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data, 1, size, f) == size;
  return std::fclose(f) == 0 && ok;
}

struct Pristine {
  std::string prefix;   // header and id section
  std::string payload;  // the FAISS body
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A real snapshot of six vectors for each selector (kind x metric), split
// into its sections.
const std::vector<Pristine>& Snapshots() {
  static const auto* snapshots = [] {
    auto* out = new std::vector<Pristine>;
    for (uint8_t selector = 0; selector < 12; ++selector) {
      auto index = soundsearch::VectorIndex::Create(Options(selector));
      if (!index.ok()) std::abort();
      std::vector<int64_t> ids;
      std::vector<float> vectors;
      for (int i = 0; i < 6; ++i) {
        ids.push_back(i + 1);
        for (int d = 0; d < kDim; ++d) {
          vectors.push_back(std::cos(0.7f * static_cast<float>(i * kDim + d)));
        }
      }
      if (!(*index)->Add(ids, vectors).ok()) std::abort();
      if (!(*index)->Save(Path(), soundsearch::SnapshotMarks()).ok()) {
        std::abort();
      }
      const std::string bytes = ReadAll(Path());
      soundsearch::SnapshotTrailer trailer;
      std::memcpy(&trailer, bytes.data() + bytes.size() - sizeof(trailer),
                  sizeof(trailer));
      const size_t body_end = bytes.size() - sizeof(trailer);
      const size_t payload_at = body_end - trailer.payload_bytes;
      out->push_back({bytes.substr(0, payload_at),
                      bytes.substr(payload_at, trailer.payload_bytes)});
    }
    return out;
  }();
  return *snapshots;
}

// Seeds: each real snapshot whole (top bit clear) and as its prefix (set).
std::vector<std::string> MakeSeeds() {
  std::vector<std::string> seeds;
  for (uint8_t selector = 0; selector < 12; ++selector) {
    const Pristine& p = Snapshots()[selector];
    soundsearch::SnapshotTrailer trailer{};
    trailer.payload_bytes = p.payload.size();
    std::string whole = p.prefix + p.payload;
    whole.append(reinterpret_cast<const char*>(&trailer), sizeof(trailer));
    const size_t crc_at = whole.size() - 8;
    const uint32_t crc = soundsearch::Crc32c(0, whole.data(), crc_at);
    std::memcpy(whole.data() + crc_at, &crc, sizeof(crc));
    seeds.push_back(std::string(1, static_cast<char>(selector)) + whole);
    seeds.push_back(std::string(1, static_cast<char>(selector | 0x80)) +
                    p.prefix);
  }
  return seeds;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (std::getenv("SOUNDSEARCH_FUZZ_WRITE_SEEDS") != nullptr) {
    soundsearch::fuzz::WriteSeedsIfAsked(MakeSeeds());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using soundsearch::fuzz::Check;
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (selector & 0x80) {
    // Our sections as mutated, a real FAISS body, a matching trailer.
    const Pristine& p = Snapshots()[(selector & 0x7f) % 12];
    file += p.payload;
    soundsearch::SnapshotTrailer trailer{};
    trailer.payload_bytes = p.payload.size();
    file.append(reinterpret_cast<const char*>(&trailer), sizeof(trailer));
    const size_t crc_at = file.size() - 8;
    const uint32_t crc = soundsearch::Crc32c(0, file.data(), crc_at);
    std::memcpy(file.data() + crc_at, &crc, sizeof(crc));
  }
  if (!WriteFile(Path(), reinterpret_cast<const uint8_t*>(file.data()),
                 file.size())) {
    std::abort();
  }
  const auto loaded =
      soundsearch::VectorIndex::Load(Path(), Options((selector & 0x7f) % 12));
  if (!loaded.ok()) {
    Check(!loaded.status().message().empty(), "snapshot_fuzzer",
          "an error has a message");
    return 0;
  }
  const soundsearch::VectorIndex& index = *loaded->index;
  Check(index.dim() == kDim, "snapshot_fuzzer", "the expected dim");
  Check(index.size() >= 0, "snapshot_fuzzer", "a size");
  const float query[kDim] = {1, 0.5f, -0.25f, 0.125f};
  soundsearch::SearchOptions search;
  search.k = 3;
  auto hits = index.Search(query, search);
  if (hits.ok()) {
    Check(hits->size() <= 3, "snapshot_fuzzer", "at most k hits");
    for (const auto& hit : *hits) {
      Check(index.Contains(hit.id), "snapshot_fuzzer", "hits are stored ids");
    }
  }
  return 0;
}
