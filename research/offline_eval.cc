#include "research/offline_eval.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "soundsearch/manifest.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::StatusOr<OfflineCollection> LoadOfflineCollection(
    const std::string& manifest_path, const std::string& audio_dir) {
  ASSIGN_OR_RETURN(std::vector<ManifestRow> rows, ReadManifest(manifest_path));
  if (rows.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(manifest_path, ": no rows"));
  }
  std::string dir = audio_dir;
  if (dir.empty()) {
    const size_t slash = manifest_path.find_last_of('/');
    dir = slash == std::string::npos ? "." : manifest_path.substr(0, slash);
    if (dir.empty()) dir = "/";
  }
  OfflineCollection out;
  std::set<std::string> seen;
  for (ManifestRow& row : rows) {
    if (!row.error.ok()) return row.error;
    if (!seen.insert(row.fname).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(manifest_path, ":", row.line, ": repeated fname \"",
                       row.fname, "\""));
    }
    out.paths.push_back(absl::StrCat(dir, "/", row.fname));
    out.items.push_back(LabeledItem{row.fname, std::move(row.labels)});
    out.speakers.push_back(std::move(row.speaker));
  }
  return out;
}

absl::Status ParallelFor(int64_t n, int num_threads,
                         const std::function<absl::Status(int64_t)>& fn) {
  if (num_threads < 1) {
    return absl::InvalidArgumentError("num_threads must be >= 1");
  }
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  int64_t first_bad = std::numeric_limits<int64_t>::max();
  absl::Status first_error;
  auto work = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      const int64_t i = next.fetch_add(1);
      if (i >= n) return;
      absl::Status s = fn(i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (i < first_bad) {
          first_bad = i;
          first_error = std::move(s);
        }
        failed.store(true);
      }
    }
  };
  const int extra = static_cast<int>(std::min<int64_t>(
                        num_threads, std::max<int64_t>(n, 1))) -
                    1;
  std::vector<std::thread> threads;
  threads.reserve(extra);
  for (int t = 0; t < extra; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  return first_error;
}

namespace {

// Decodes paths[i] at `sample_rate` and hands its samples to `use(i, pcm)`,
// on up to num_threads threads. Errors name the file.
template <typename Use>
absl::Status ForEachDecodedFile(const AudioDecoder& decoder,
                                absl::Span<const std::string> paths,
                                int sample_rate, int num_threads, Use use) {
  DecodeRequest request;
  request.sample_rate = sample_rate;
  return ParallelFor(
      static_cast<int64_t>(paths.size()), num_threads,
      [&](int64_t i) -> absl::Status {
        auto audio = decoder.DecodeFile(paths[i], request);
        absl::Status status = audio.ok()
                                  ? use(i, absl::MakeConstSpan(audio->samples))
                                  : audio.status();
        if (!status.ok()) {
          return absl::Status(status.code(),
                              absl::StrCat(paths[i], ": ", status.message()));
        }
        return absl::OkStatus();
      });
}

}  // namespace

absl::StatusOr<std::vector<EncodedClip>> EncodeFiles(
    const Encoder& encoder, const AudioDecoder& decoder,
    absl::Span<const std::string> paths, int num_threads) {
  std::vector<EncodedClip> out(paths.size());
  RETURN_IF_ERROR(ForEachDecodedFile(
      decoder, paths, encoder.sample_rate(), num_threads,
      [&](int64_t i, absl::Span<const float> pcm) -> absl::Status {
        ASSIGN_OR_RETURN(out[i], encoder.Encode(pcm));
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::vector<RawEmbedding>> EmbedFiles(
    const Space& space, const AudioDecoder& decoder,
    absl::Span<const std::string> paths, int num_threads) {
  std::vector<RawEmbedding> out(paths.size());
  RETURN_IF_ERROR(ForEachDecodedFile(
      decoder, paths, space.sample_rate(), num_threads,
      [&](int64_t i, absl::Span<const float> pcm) -> absl::Status {
        ASSIGN_OR_RETURN(out[i], space.Embed(pcm));
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<OfflineSpaceEvaluation> FitAndEvaluateSpace(
    const Space& space, absl::Span<const RawEmbedding> raws,
    absl::Span<const LabeledItem> items, const RetrievalEvalOptions& options) {
  if (raws.size() != items.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("FitAndEvaluateSpace: ", raws.size(),
                     " raw embeddings for ", items.size(), " items"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Space> fitted, space.Fit(raws));
  OfflineSpaceEvaluation out;
  out.space = fitted->name();
  ASSIGN_OR_RETURN(out.vectors, fitted->ProjectBatch(raws, nullptr, &out.dim));
  ASSIGN_OR_RETURN(out.report,
                   EvaluateRetrieval(items, out.vectors, out.dim,
                                     fitted->config().metric, options));
  return out;
}

absl::StatusOr<std::vector<Neighbour>> NearestNeighbours(
    absl::Span<const float> vectors, int dim, Metric metric, int64_t query,
    int k) {
  if (dim <= 0 || vectors.size() % dim != 0) {
    return absl::InvalidArgumentError("NearestNeighbours: bad dim or size");
  }
  const int64_t n = static_cast<int64_t>(vectors.size() / dim);
  if (query < 0 || query >= n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "NearestNeighbours: query ", query, " not in [0, ", n, ")"));
  }
  auto row = [&](int64_t i) { return vectors.data() + i * dim; };
  auto dot = [&](const float* a, const float* b) {
    double s = 0.0;
    for (int d = 0; d < dim; ++d) s += static_cast<double>(a[d]) * b[d];
    return s;
  };
  const float* q = row(query);
  const double qn = std::sqrt(dot(q, q));
  std::vector<Neighbour> all;
  all.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    if (i == query) continue;
    const float* x = row(i);
    double score = 0.0;
    switch (metric) {
      case Metric::kCosine: {
        const double xn = std::sqrt(dot(x, x));
        score = (qn == 0.0 || xn == 0.0) ? 0.0 : dot(q, x) / (qn * xn);
        break;
      }
      case Metric::kInnerProduct:
        score = dot(q, x);
        break;
      case Metric::kEuclidean: {
        double d2 = 0.0;
        for (int d = 0; d < dim; ++d) {
          const double diff = static_cast<double>(q[d]) - x[d];
          d2 += diff * diff;
        }
        score = -d2;
        break;
      }
    }
    all.push_back(Neighbour{i, static_cast<float>(score)});
  }
  const size_t keep = std::min<size_t>(std::max(k, 0), all.size());
  std::partial_sort(all.begin(), all.begin() + keep, all.end(),
                    [](const Neighbour& a, const Neighbour& b) {
                      if (a.score != b.score) return a.score > b.score;
                      return a.index < b.index;
                    });
  all.resize(keep);
  return all;
}

}  // namespace soundsearch
