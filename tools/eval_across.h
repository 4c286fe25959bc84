// soundsearch-eval --across speaker: spaces scored across speakers, with and
// without re-ranking, and the speech space's vector sweep (docs/quality.md,
// docs/speech.md). Part of the soundsearch-eval program.
#ifndef SOUNDSEARCH_TOOLS_EVAL_ACROSS_H_
#define SOUNDSEARCH_TOOLS_EVAL_ACROSS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "soundsearch/neighbourhood.h"
#include "soundsearch/space_config.h"

namespace soundsearch {

struct AcrossArgs {
  std::string manifest, audio_dir;
  std::vector<SpaceConfig> spaces;
  // Re-ranking variants scored for every space (weights of the phone edit
  // similarity; the first speech space's phones are used for spaces that
  // recognise none). Empty: the space's own rerank config, if any.
  std::vector<double> rerank_weights;
  std::vector<int> rerank_top_n;
  // Query expansion variants scored for every space besides the rows above
  // (which use the space's own "expand"), without re-ranking.
  std::vector<NeighbourhoodOptions> expand_variants;
  bool speech_sweep = false;   // sweep the speech vector's parameters
  // Score each label's name as a text query of the speech spaces' spoken
  // content (QueryByText's speech source), with the rerank variants.
  bool text_queries = false;
  std::string spoken_cache;    // folder: <space>.tsv recognition caches
  int threads = 2;
  bool reference = false;
};

// Prints markdown tables to stdout, progress to stderr.
absl::Status RunAcross(const AcrossArgs& args);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_TOOLS_EVAL_ACROSS_H_
