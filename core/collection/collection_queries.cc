#include "collection/collection_queries.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "collection/example_query.h"
#include "collection/phone_rerank.h"
#include "collection/query_hits.h"
#include "soundsearch/error_reason.h"
#include "soundsearch/raw_embedding.h"
#include "soundsearch/status_macros.h"
#include "soundsearch/text_terms.h"
#include "text/word_suggestions.h"

namespace soundsearch {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

absl::Status CheckPaging(const QueryOptions& options) {
  if (options.k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("k must be >= 1, got ", options.k));
  }
  if (options.offset < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("offset must be >= 0, got ", options.offset));
  }
  return absl::OkStatus();
}

void NormaliseInPlace(std::vector<float>& v) {
  double norm = 0;
  for (float x : v) norm += double{x} * x;
  if (norm <= 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& x : v) x *= inv;
}

// Decoding of an uploaded example ends at `deadline` (InfiniteFuture: no
// deadline of the caller's): DeadlineExceeded when it has passed already,
// else the time left becomes the decoder's timeout.
absl::Status DecodeUntil(absl::Time deadline, DecodeRequest* request) {
  if (deadline == absl::InfiniteFuture()) return absl::OkStatus();
  const double left = absl::ToDoubleSeconds(deadline - absl::Now());
  if (left <= 0) {
    return absl::DeadlineExceededError(
        "deadline passed before the audio example was decoded");
  }
  request->timeout_seconds = left;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CollectionQueries>> CollectionQueries::Create(
    QueryContext context) {
  if (context.text.max_classes < 1 || context.text.max_classes > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("text.max_classes: must be in [1, 100], got ",
                     context.text.max_classes));
  }
  std::vector<OntologyClass> ontology;
  if (!context.text.ontology_path.empty()) {
    ASSIGN_OR_RETURN(ontology, ReadOntologyFile(context.text.ontology_path));
  }
  std::unique_ptr<CollectionQueries> queries(
      new CollectionQueries(std::move(context)));
  for (const LiveSpace* live : queries->ctx_.spaces) {
    if (live->fused()) continue;  // no classes of its own
    const std::vector<std::string>& names = live->view()->space->class_names();
    if (names.empty()) continue;
    queries->classes_[live->name()] =
        std::make_unique<ClassVocabulary>(names, ontology);
  }
  return queries;
}

const ClassVocabulary* CollectionQueries::Classes(
    absl::string_view space) const {
  auto it = classes_.find(std::string(space));
  return it == classes_.end() ? nullptr : it->second.get();
}

absl::StatusOr<const LiveSpace*> CollectionQueries::FindSpace(
    absl::string_view name) const {
  if (name.empty()) name = ctx_.default_space;
  for (const LiveSpace* live : ctx_.spaces) {
    if (live->name() == name) return live;
  }
  std::vector<std::string> known;
  for (const LiveSpace* live : ctx_.spaces) known.push_back(live->name());
  return absl::NotFoundError(absl::StrCat(
      "unknown space '", name, "' (spaces: ", absl::StrJoin(known, ", "), ")"));
}

absl::StatusOr<const LiveSpace*> CollectionQueries::FindClassSpace(
    absl::string_view name) const {
  if (name.empty()) {
    for (const LiveSpace* live : ctx_.spaces) {
      if (classes_.count(live->name()) > 0) return live;
    }
    return nullptr;
  }
  ASSIGN_OR_RETURN(const LiveSpace* live, FindSpace(name));
  if (classes_.count(live->name()) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "space '", live->name(),
        "' is not a class-score space (docs/config.md: an encoder with "
        "output \"tags\", pooling mean/median/max, no scaling, pca_dims 0)"));
  }
  return live;
}

std::shared_ptr<const IdSet> CollectionQueries::Allowed(
    const SoundFilter& filter) const {
  if (filter.empty()) return nullptr;
  return ctx_.tags->Match(filter);
}

absl::StatusOr<std::vector<float>> CollectionQueries::ExampleVector(
    const LiveSpace& live, const SpaceView& view, const QueryExample& example,
    AudioUse* use, SpokenContent* spoken) const {
  if (live.fused() && !example.audio.empty()) {
    // Embedded in every part, under the views the fusion searches.
    std::vector<std::vector<float>> parts;
    for (size_t p = 0; p < live.parts().size(); ++p) {
      ASSIGN_OR_RETURN(std::vector<float> v,
                       ExampleVector(*live.parts()[p], *view.parts[p], example,
                                     use, spoken));
      parts.push_back(std::move(v));
    }
    return live.FuseParts(parts);
  }
  if (!example.audio.empty()) {
    const auto start = Clock::now();
    DecodeRequest request;
    request.sample_rate = view.space->sample_rate();
    if (use->max_seconds > 0) {
      const double left = use->max_seconds - use->audio_seconds;
      if (left <= 0) {
        use->truncated = true;
        return absl::InvalidArgumentError(absl::StrCat(
            "the query's audio examples decode to more than ", use->max_seconds,
            " s in all; send fewer or shorter examples"));
      }
      request.max_duration_seconds = left;
    }
    RETURN_IF_ERROR(DecodeUntil(use->deadline, &request));
    ASSIGN_OR_RETURN(DecodedAudio pcm,
                     ctx_.decoder->DecodeBytes(example.audio, request));
    use->audio_seconds += pcm.duration_seconds;
    use->truncated = use->truncated || pcm.truncated;
    ASSIGN_OR_RETURN(RawEmbedding raw,
                     view.space->Embed(pcm.samples, nullptr, spoken));
    ASSIGN_OR_RETURN(std::vector<float> vector, view.space->Project(raw));
    use->embed_seconds += SecondsSince(start);
    return vector;
  }
  const auto start = Clock::now();
  auto vector = live.QueryVector(view, example.id);
  use->vector_seconds += SecondsSince(start);
  if (absl::IsNotFound(vector.status())) {
    RETURN_IF_ERROR(ctx_.store->GetSound(example.id).status());  // unknown id
    return absl::NotFoundError(absl::StrCat(
        "sound ", example.id, " has no vector in space '", live.name(), "'"));
  }
  return vector;
}

absl::StatusOr<QueryResult> CollectionQueries::Page(
    const LiveSpace& live, const SpaceView& view, const RankedFetch& fetch,
    const QueryOptions& options) const {
  GroupKeyFn group_key;
  if (options.group_by != GroupBy::kNone) {
    const SoundStore* store = ctx_.store;
    const GroupBy by = options.group_by;
    group_key = [store, by](uint64_t id) -> absl::StatusOr<std::string> {
      ASSIGN_OR_RETURN(SoundRecord record, store->GetSound(id));
      if (by == GroupBy::kLabel) {
        return record.class_labels.empty() ? std::string()
                                           : record.class_labels[0];
      }
      if (!record.tags.empty()) return record.tags[0];
      return record.auto_tags.empty() ? std::string() : record.auto_tags[0].tag;
    };
  }
  const auto start = Clock::now();
  ASSIGN_OR_RETURN(RankedPage page, TakePage(fetch, options.offset, options.k,
                                             group_key ? &group_key : nullptr));
  QueryResult result;
  result.space = live.name();
  result.collection_size = static_cast<uint64_t>(view.index->size());
  result.search_seconds = SecondsSince(start);
  result.hits = std::move(page.hits);
  result.more = page.more;
  DropGoneHits(live, *ctx_.store, &result.hits);
  return result;
}

// ---- Several examples -------------------------------------------------------

absl::StatusOr<QueryResult> CollectionQueries::QueryByExamples(
    const ExampleQuery& query, const QueryOptions& options) const {
  RETURN_IF_ERROR(CheckPaging(options));
  if (query.positive.empty()) {
    return absl::InvalidArgumentError("at least one positive example needed");
  }
  if (!(query.negative_weight > 0.0f && query.negative_weight <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "negative_weight must be in (0, 1], got ", query.negative_weight));
  }
  ASSIGN_OR_RETURN(const LiveSpace* live, FindSpace(options.space));
  std::shared_ptr<const SpaceView> view = live->view();
  ExampleVectors vectors;
  AudioUse use;
  use.deadline = options.deadline;
  use.max_seconds = options.max_audio_seconds;
  // A re-ranking space (SpaceConfig::rerank) re-scores the head of the
  // ranking by the positives' recognised phones (PhoneRerankFetch).
  const RerankConfig& rerank = live->config().rerank;
  const bool reranked = rerank.kind != RerankKind::kNone;
  std::vector<std::vector<std::string>> query_phones;
  for (const QueryExample& e : query.positive) {
    SpokenContent spoken;
    ASSIGN_OR_RETURN(
        std::vector<float> v,
        ExampleVector(*live, *view, e, &use, reranked ? &spoken : nullptr));
    vectors.positive.push_back(std::move(v));
    if (reranked && e.audio.empty()) {
      ASSIGN_OR_RETURN(SoundRecord record, ctx_.store->GetSound(e.id));
      const std::vector<std::string>* phones = PhonesOf(record, live->name());
      if (phones != nullptr) spoken.phones = *phones;
    }
    if (reranked) query_phones.push_back(std::move(spoken.phones));
    if (e.audio.empty() && !options.include_query) {
      vectors.exclude.push_back(e.id);
    }
    if (e.audio.empty()) vectors.examples.push_back(e.id);
  }
  for (const QueryExample& e : query.negative) {
    ASSIGN_OR_RETURN(std::vector<float> v,
                     ExampleVector(*live, *view, e, &use));
    vectors.negative.push_back(std::move(v));
    if (e.audio.empty()) {
      vectors.exclude.push_back(e.id);
      vectors.examples.push_back(e.id);
    }
  }
  vectors.expand = live->config().expand;
  if (options.expand_neighbours.has_value()) {
    vectors.expand.neighbours = *options.expand_neighbours;
  }
  if (options.expand_alpha.has_value()) {
    vectors.expand.alpha = *options.expand_alpha;
  }
  RETURN_IF_ERROR(ValidateNeighbourhood(vectors.expand, "expand"));
  ASSIGN_OR_RETURN(RankedFetch fetch,
                   ExampleFetch(*live, view, std::move(vectors), query.strategy,
                                query.negative_weight,
                                reranked ? std::nullopt : options.min_score,
                                Allowed(options.filter), options.exact));
  if (reranked) {
    // min_score applies to the re-ranked scores.
    fetch = PhoneRerankFetch(std::move(fetch), rerank, std::move(query_phones),
                             ctx_.store, live->name(), options.min_score);
  }
  ASSIGN_OR_RETURN(QueryResult result, Page(*live, *view, fetch, options));
  result.embed_seconds = use.embed_seconds;
  result.audio_seconds = use.audio_seconds;
  result.audio_truncated = use.truncated;
  result.vector_seconds = use.vector_seconds;
  return result;
}

// ---- Text -------------------------------------------------------------------

absl::StatusOr<TextQueryResult> CollectionQueries::QueryByText(
    absl::string_view text, const TextQueryOptions& options) const {
  RETURN_IF_ERROR(CheckPaging(options.query));
  // The query's words (stop words dropped) and their terms, in step.
  // Spoken content is matched on every word, stop words included ("on" and
  // "off" are words people say).
  const std::vector<std::string> all_words = SplitWords(text);
  std::vector<std::string> words;
  std::vector<std::string> terms;
  for (const std::string& w : all_words) {
    if (IsStopWord(w)) continue;
    terms.push_back(StemTerm(w));
    words.push_back(w);
  }
  if (all_words.empty()) {
    return absl::InvalidArgumentError(
        "text is empty: give the words to search for");
  }
  const ClassMatch mode = options.class_match.value_or(ctx_.text.class_match);
  const int max_classes =
      options.max_classes > 0 ? options.max_classes : ctx_.text.max_classes;
  if (max_classes > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_classes must be in [1, 100], got ", max_classes));
  }
  const std::shared_ptr<const IdSet> allowed = Allowed(options.query.filter);

  TextQueryResult out;
  std::vector<bool> matched(terms.size(), false);
  std::vector<std::pair<std::string, RankedFetch>> sources;
  const LiveSpace* page_space = nullptr;
  std::shared_ptr<const SpaceView> page_view;

  // (a) word vectors of the chosen space.
  const LiveSpace* word_space = nullptr;
  if (options.use_words && !words.empty()) {
    ASSIGN_OR_RETURN(word_space, FindSpace(options.query.space));
    std::shared_ptr<const SpaceView> view = word_space->view();
    std::vector<WordIndex::TermMatch> found =
        ctx_.words->MatchTerms(word_space->name(), terms);
    if (!found.empty()) {
      std::vector<float> query;
      for (WordIndex::TermMatch& m : found) {
        NormaliseInPlace(m.vector);
        if (query.empty()) query.assign(m.vector.size(), 0.0f);
        if (m.vector.size() != query.size()) {
          return absl::InternalError("word vectors of differing lengths");
        }
        for (size_t i = 0; i < query.size(); ++i) query[i] += m.vector[i];
        std::vector<std::string> run;
        for (int t = m.first_term; t < m.first_term + m.num_terms; ++t) {
          matched[t] = true;
          run.push_back(words[t]);
        }
        out.words.push_back({absl::StrJoin(run, " "), m.word, m.sounds});
      }
      NormaliseInPlace(query);
      sources.emplace_back("words",
                           VectorFetch(*word_space, view, std::move(query), {},
                                       options.query.min_score, allowed));
      page_space = word_space;
      page_view = view;
    }
  }

  // (b) classes of the class-score space.
  const LiveSpace* class_space = nullptr;
  if (options.use_classes && !words.empty()) {
    ASSIGN_OR_RETURN(class_space, FindClassSpace(options.class_space));
  }
  if (class_space != nullptr) {
    const ClassVocabulary& vocabulary = *classes_.at(class_space->name());
    std::vector<ClassVocabulary::Weighted> best =
        vocabulary.Match(terms, mode, max_classes);
    if (!best.empty()) {
      std::shared_ptr<const SpaceView> view = class_space->view();
      std::vector<float> query(view->space->index_dim(), 0.0f);
      for (const ClassVocabulary::Weighted& c : best) {
        query[c.index] = c.weight;
        out.classes.push_back({vocabulary.name(c.index),
                               vocabulary.ontology_id(c.index), c.weight});
        for (size_t t = 0; t < terms.size(); ++t) {
          if (vocabulary.Knows(terms[t], mode, c.index)) matched[t] = true;
        }
      }
      out.class_space = class_space->name();
      sources.emplace_back("classes",
                           VectorFetch(*class_space, view, std::move(query), {},
                                       options.query.min_score, allowed));
      if (page_space == nullptr) {
        page_space = class_space;
        page_view = view;
      }
    }
  }

  // (c) spoken content: every space whose encoder reads text (the speech
  // encoder: the words and their dictionary phones, Encoder::EncodeText)
  // embeds the words as it would a recording saying them, and its index is
  // searched as for an audio example, re-ranked by its rerank config against
  // the words' phones. A space that can read none of the words adds no
  // source.
  std::vector<const LiveSpace*> speech_spaces;
  if (options.use_speech) {
    for (const LiveSpace* live : ctx_.spaces) {
      if (live->fused()) continue;  // reads no text: its parts may
      std::shared_ptr<const SpaceView> view = live->view();
      SpokenContent read;
      absl::StatusOr<RawEmbedding> raw =
          view->space->EmbedText(all_words, &read);
      if (absl::IsUnimplemented(raw.status())) continue;
      speech_spaces.push_back(live);
      if (absl::IsNotFound(raw.status())) continue;
      RETURN_IF_ERROR(raw.status());
      ASSIGN_OR_RETURN(std::vector<float> query, view->space->Project(*raw));
      const RerankConfig& rerank = view->space->config().rerank;
      const bool reranked = rerank.kind != RerankKind::kNone;
      RankedFetch fetch = VectorFetch(
          *live, view, std::move(query), {},
          reranked ? std::nullopt : options.query.min_score, allowed);
      if (reranked) {
        fetch =
            PhoneRerankFetch(std::move(fetch), rerank, {read.phones},
                             ctx_.store, live->name(), options.query.min_score);
      }
      for (const SpokenWord& w : read.words) {
        for (size_t t = 0; t < words.size(); ++t) {
          if (words[t] == w.word) matched[t] = true;
        }
      }
      out.speech_spaces.push_back(live->name());
      sources.emplace_back(absl::StrCat("spoken:", live->name()),
                           std::move(fetch));
      if (page_space == nullptr) {
        page_space = live;
        page_view = view;
      }
    }
  }

  if (sources.empty() && words.empty() && speech_spaces.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "text \"", text, "\" has only stop words (a, the, of, ...)"));
  }
  if (sources.empty()) {
    std::vector<std::string> vocabulary;
    if (word_space != nullptr) vocabulary = ctx_.words->Vocabulary();
    if (class_space != nullptr) {
      for (std::string& w : classes_.at(class_space->name())->NameWords()) {
        vocabulary.push_back(std::move(w));
      }
    }
    std::vector<std::string> known;
    if (word_space != nullptr) {
      known.push_back(
          absl::StrCat("the word vectors of space '", word_space->name(), "'"));
    }
    if (class_space != nullptr) {
      known.push_back(
          absl::StrCat("the classes of space '", class_space->name(), "'"));
    }
    for (const LiveSpace* live : speech_spaces) {
      known.push_back(absl::StrCat("the pronouncing dictionary of space '",
                                   live->name(), "'"));
    }
    const std::vector<std::string> nearest =
        NearestKnownWords(words, vocabulary, 5);
    return WithErrorReason(
        absl::NotFoundError(absl::StrCat(
            "no word of \"", text, "\" is known to ",
            known.empty() ? "any source (no source was asked)"
                          : absl::StrJoin(known, " or "),
            nearest.empty() ? std::string("; no words are known yet")
                            : absl::StrCat("; nearest known words: ",
                                           absl::StrJoin(nearest, ", ")))),
        kReasonTextNotMatched);
  }
  for (size_t t = 0; t < terms.size(); ++t) {
    if (!matched[t]) out.unmatched.push_back(words[t]);
  }
  const RankedFetch fetch = MergedFetch(std::move(sources));
  ASSIGN_OR_RETURN(out.result,
                   Page(*page_space, *page_view, fetch, options.query));
  return out;
}

// ---- Listing ----------------------------------------------------------------

absl::StatusOr<ListResult> CollectionQueries::ListSounds(
    const ListRequest& request) const {
  if (request.limit < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit must be >= 1, got ", request.limit));
  }
  const TagIndex::IdPage page = ctx_.tags->List(
      request.filter, static_cast<int64_t>(request.after_id), request.limit);
  ListResult out;
  out.more = page.more;
  for (int64_t id : page.ids) {
    auto record = ctx_.store->GetSound(static_cast<uint64_t>(id));
    if (absl::IsNotFound(record.status())) continue;  // deleted meanwhile
    RETURN_IF_ERROR(record.status());
    out.sounds.push_back(*std::move(record));
  }
  return out;
}

// ---- Describe ---------------------------------------------------------------

absl::StatusOr<SoundDescription> CollectionQueries::DescribeSound(
    const QueryExample& example, const DescribeOptions& options) const {
  if (options.words < 0 || options.classes < 0) {
    return absl::InvalidArgumentError("words and classes must be >= 0");
  }
  ASSIGN_OR_RETURN(const LiveSpace* live, FindSpace(options.space));
  if (live->fused() && !example.audio.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "space '", live->name(),
        "' is a fusion: describe a stored sound there, or an upload in one "
        "of its parts"));
  }
  ASSIGN_OR_RETURN(const LiveSpace* class_live,
                   FindClassSpace(options.class_space));
  SoundDescription out;
  out.space = live->name();
  std::shared_ptr<const SpaceView> view = live->view();
  std::vector<float> vector;
  std::vector<float> class_scores;
  if (example.audio.empty()) {
    ASSIGN_OR_RETURN(SoundRecord record, ctx_.store->GetSound(example.id));
    out.auto_tags = record.auto_tags;
    AudioUse unused;
    ASSIGN_OR_RETURN(vector, ExampleVector(*live, *view, example, &unused));
    if (class_live != nullptr) {
      auto bytes = ctx_.store->GetRaw(class_live->name(), example.id);
      if (bytes.ok()) {
        ASSIGN_OR_RETURN(RawEmbedding raw, RawEmbedding::Decode(*bytes));
        class_scores = std::move(raw.pooled);
      } else if (!absl::IsNotFound(bytes.status())) {
        return bytes.status();
      }
    }
  } else {
    // Decode once per rate; embed in the word space and the class space.
    std::map<int, DecodedAudio> decoded;
    auto embed = [&](const Space& space, RawEmbedding* raw) -> absl::Status {
      const int rate = space.sample_rate();
      if (decoded.count(rate) == 0) {
        DecodeRequest request;
        request.sample_rate = rate;
        RETURN_IF_ERROR(DecodeUntil(options.deadline, &request));
        ASSIGN_OR_RETURN(decoded[rate],
                         ctx_.decoder->DecodeBytes(example.audio, request));
      }
      std::vector<AutoTag> tags;
      ASSIGN_OR_RETURN(*raw, space.Embed(decoded.at(rate).samples, &tags));
      MergeAutoTags(tags, &out.auto_tags);
      return absl::OkStatus();
    };
    RawEmbedding raw;
    RETURN_IF_ERROR(embed(*view->space, &raw));
    ASSIGN_OR_RETURN(vector, view->space->Project(raw));
    if (class_live != nullptr) {
      if (class_live == live) {
        class_scores = raw.pooled;
      } else {
        RawEmbedding class_raw;
        RETURN_IF_ERROR(embed(*class_live->view()->space, &class_raw));
        class_scores = std::move(class_raw.pooled);
      }
    }
  }
  ASSIGN_OR_RETURN(out.words, ctx_.words->NearestToVector(live->name(), vector,
                                                          options.words));
  if (class_live != nullptr) {
    out.class_space = class_live->name();
    const ClassVocabulary& vocabulary = *classes_.at(class_live->name());
    std::vector<int> order;
    for (int i = 0;
         i < static_cast<int>(class_scores.size()) && i < vocabulary.size();
         ++i) {
      order.push_back(i);
    }
    const size_t n =
        std::min(order.size(), static_cast<size_t>(options.classes));
    std::partial_sort(order.begin(), order.begin() + n, order.end(),
                      [&](int a, int b) {
                        if (class_scores[a] != class_scores[b]) {
                          return class_scores[a] > class_scores[b];
                        }
                        return a < b;
                      });
    for (size_t i = 0; i < n; ++i) {
      out.classes.push_back(
          {vocabulary.name(order[i]), class_scores[order[i]]});
    }
  }
  return out;
}

}  // namespace soundsearch
