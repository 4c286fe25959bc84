// CollectionQueries: the query layer of a SoundCollection above its spaces'
// searches: several examples for and against, text queries (word vectors
// and class scores, merged), paging and grouping of every ranked answer,
// listing with filters, and describing a sound with words and classes.
// Every search goes through LiveSpace::Search; nothing here reaches into an
// index. Private to core: SoundCollection owns one, created at Open after
// its spaces, and forwards its query methods to it (contracts in
// soundsearch/sound_collection.h).
//
// Thread-safety: immutable after Create; every method is const and may run
// concurrently with anything the collection does (they read the store, the
// tag and word indexes and each space's current view, all thread-safe).
#ifndef SOUNDSEARCH_CORE_COLLECTION_COLLECTION_QUERIES_H_
#define SOUNDSEARCH_CORE_COLLECTION_COLLECTION_QUERIES_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collection/live_space.h"
#include "collection/ranked_page.h"
#include "collection/tag_index.h"
#include "collection/word_index.h"
#include "soundsearch/audio_decoder.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/sound_store.h"
#include "text/class_ontology.h"
#include "text/class_vocabulary.h"

namespace soundsearch {

// What the queries read; every pointer is borrowed from the collection and
// outlives the CollectionQueries.
struct QueryContext {
  const SoundStore* store = nullptr;
  const AudioDecoder* decoder = nullptr;
  const TagIndex* tags = nullptr;
  const WordIndex* words = nullptr;
  std::vector<const LiveSpace*> spaces;  // in config order, fixed
  std::string default_space;
  TextQueryConfig text;
};

class CollectionQueries {
 public:
  // Reads context.text.ontology_path (when set) and builds the class
  // vocabulary of every class-score space. Errors: ReadOntologyFile's;
  // InvalidArgument for text.max_classes outside [1, 100].
  static absl::StatusOr<std::unique_ptr<CollectionQueries>> Create(
      QueryContext context);

  absl::StatusOr<QueryResult> QueryByExamples(
      const ExampleQuery& query, const QueryOptions& options) const;
  absl::StatusOr<TextQueryResult> QueryByText(
      absl::string_view text, const TextQueryOptions& options) const;
  absl::StatusOr<ListResult> ListSounds(const ListRequest& request) const;
  absl::StatusOr<SoundDescription> DescribeSound(
      const QueryExample& example, const DescribeOptions& options) const;

  // The class vocabulary of a class-score space; null for other spaces.
  const ClassVocabulary* Classes(absl::string_view space) const;

 private:
  explicit CollectionQueries(QueryContext context) : ctx_(std::move(context)) {}

  // The named space (empty: the default one); NotFound naming the spaces.
  absl::StatusOr<const LiveSpace*> FindSpace(absl::string_view name) const;
  // The named class-score space, or (empty name) the first one; null when
  // the name is empty and there is none. InvalidArgument for a named space
  // without class names.
  absl::StatusOr<const LiveSpace*> FindClassSpace(absl::string_view name) const;
  std::shared_ptr<const IdSet> Allowed(const SoundFilter& filter) const;
  // What a query's audio examples may decode and have decoded so far.
  struct AudioUse {
    absl::Time deadline = absl::InfiniteFuture();  // QueryOptions::deadline
    double max_seconds = 0;  // QueryOptions::max_audio_seconds (0: no limit)
    double embed_seconds = 0;  // decode + embed, summed
    double vector_seconds = 0;  // by id: reading the vector, summed
    double audio_seconds = 0;  // decoded duration, summed
    bool truncated = false;    // an example was cut
  };
  // The index vector of an example in `view` (an audio example is decoded,
  // within use->deadline and what is left of use->max_seconds, and embedded;
  // *use grows by it).
  // `spoken` (not null): an audio example's recognised content (a speech
  // space's encoder fills it; left empty otherwise).
  absl::StatusOr<std::vector<float>> ExampleVector(
      const LiveSpace& live, const SpaceView& view, const QueryExample& example,
      AudioUse* use, SpokenContent* spoken = nullptr) const;
  // TakePage of `fetch` under options (offset, k, group_by) as a result of
  // `live`'s space; while `live` is diverged, hits of sounds the store no
  // longer holds are dropped.
  absl::StatusOr<QueryResult> Page(const LiveSpace& live, const SpaceView& view,
                                   const RankedFetch& fetch,
                                   const QueryOptions& options) const;

  const QueryContext ctx_;
  std::map<std::string, std::unique_ptr<ClassVocabulary>> classes_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_COLLECTION_QUERIES_H_
