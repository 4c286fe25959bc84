// soundsearch-eval: offline retrieval quality of spaces on a labelled
// collection (docs/quality.md). A thin main over research/offline_eval.h
// and research/frame_recipes.h.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "research/frame_recipes.h"
#include "research/neighbourhood_eval.h"
#include "research/offline_eval.h"
#include "research/query_eval.h"
#include "research/word_pairs.h"
#include "research/retrieval_sweep.h"
#include "soundsearch/audio_decoder.h"
#include "soundsearch/encoder.h"
#include "soundsearch/label_families.h"
#include "soundsearch/manifest.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/retrieval_report.h"
#include "soundsearch/space.h"
#include "soundsearch/space_config.h"
#include "soundsearch/status_macros.h"
#include "soundsearch/speech_kinds.h"
#include "soundsearch/torch_kinds.h"
#include "tools/eval_across.h"

namespace soundsearch {
namespace {

constexpr char kUsage[] =
    R"(usage: soundsearch-eval --manifest CSV [options]

Builds each space in memory over the collection (decode, embed, fit on the
whole collection, project) and prints label-based (macro) and instance-based
(micro) MAP@15, MAP@150 and MR1 (exact search, query left out).

  --manifest CSV        FSD50K-form manifest (fname, labels[, tags])
  --audio-dir DIR       folder of the audio files (default: the manifest's)
  --space-config FILE   JSON config with "spaces" (default: built-in dsp)
  --space NAME[,NAME]   evaluate only these spaces of the config
  --families FILE       label -> family JSON; adds family scores
  --exclude-labels FILE labels left out of family averages
  --reference-mode      AP denominator min(N, R + 1) (published code)
  --json                print JSON instead of markdown
  --sweep               27-system sweep (pooling x PCA x search function)
                        over each non-boaw space's encoder frames
  --ablation            dsp descriptor/scaling/pooling/PCA ablation around
                        each dsp space's recipe
  --sweep-out DIR       write <space>_sweep.{md,csv} / <space>_ablation.md
                        (and neighbourhood.md)
  --sweep-kind K        frames, neighbourhood or all (default all): with
                        neighbourhood, --sweep also evaluates late fusion of
                        the cosine spaces evaluated, query expansion and
                        database-side augmentation (research/
                        neighbourhood_eval.h; the "expand", "augment" and
                        "fusion" settings of docs/config.md), then the
                        config's own: each space with its "augment" /
                        "expand", each fused space named in --space
  --split N[,N...]      with the neighbourhood sweep: every N-th sound of
                        each label is an uploaded query, not in the
                        database; the spaces are fitted on the database only
                        (0: leave-one-out over the whole collection, the
                        default); several values: one sweep each
  --neighbours K        print the K nearest neighbours of the first clip of
                        each label (per space)
  --threads N           decoding/encoding/evaluation threads (default 2)

Across speakers (spoken content; docs/quality.md, docs/speech.md):
  --across speaker      score every space across speakers: the manifest's
                        speaker column; a query's own speaker's clips are
                        left out of its ranking and of its relevant count
  --rerank-weights LIST comma-separated phone_edit weights to score besides
                        no re-ranking (default: each space's rerank config);
                        spaces without phones use the first speech space's
  --rerank-top-n LIST   comma-separated top_n values (default: the space's)
  --expand-variants LIST comma-separated N:ALPHA query expansions (the
                        server's "expand": N neighbours, weights score^ALPHA)
                        scored besides each space's own, without re-ranking
  --speech-sweep        speech spaces: word/phone weights, n-gram orders,
                        hash sizes, word posteriors and PCA, one at a time
  --text-queries        speech spaces: each label's name as a text query of
                        the spoken content (QueryByText's speech source)
  --spoken-cache DIR    keep each speech space's recognitions in
                        DIR/<space>.tsv and reuse them on the next run
                        whose recognition options are the same (else
                        recognise again and rewrite the file)

The running collection's query layer (--collection-queries; docs/quality.md,
"Text queries", "Several examples", "Word relatedness with auto-tag words"):
indexes the manifest into a SoundCollection (labels kept for scoring only,
never as words), then scores text queries of the label names (classes only,
words from auto-tags, words from tags, merged, a random floor), queries with
1, 2 and 4 positive examples (and one negative from the most confused label),
and the word vectors from tags and from auto-tags against rated word pairs.
  --collection-queries  this mode (needs --space-config)
  --work-dir DIR        the collection's data directory (default: a temporary
                        one, removed at the end; an existing one is reused)
  --ontology FILE       AudioSet ontology JSON for the class documents
  --text-space NAME     word vectors' space (default: the config's first)
  --example-space NAME  space of the example queries (default: the first)
  --word-pairs F1,F2    rated word pairs (MEN, WordSim353, SimLex-999 form)
  --skip-examples       leave out the several-example queries
  --collection-eval     instead of the queries above: Evaluate every space of
                        the config in the running collection (leave-one-out,
                        exact; fused and augmented spaces as the server runs
                        them) and time QueryById (k 15) of every sound in it
)";

struct Args {
  std::string manifest, audio_dir, space_config, space, families, exclude;
  std::string sweep_out;
  bool collection_queries = false, skip_examples = false;
  bool collection_eval = false;
  std::string work_dir, ontology, text_space, example_space, word_pairs;
  bool reference = false, json = false, sweep = false, ablation = false;
  int neighbours = 0;
  int threads = 2;
  std::string across;  // "speaker" or empty
  std::vector<double> rerank_weights;
  std::vector<int> rerank_top_n;
  std::vector<NeighbourhoodOptions> expand_variants;
  bool speech_sweep = false;
  bool text_queries = false;
  std::string spoken_cache;
  std::string sweep_kind = "all";
  std::vector<int> splits = {0};
};

absl::StatusOr<Args> ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> absl::StatusOr<std::string> {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
      }
      return std::string(argv[++i]);
    };
    auto int_value = [&](int lo) -> absl::StatusOr<int> {
      ASSIGN_OR_RETURN(std::string v, value());
      int n = 0;
      if (!absl::SimpleAtoi(v, &n) || n < lo) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, ": expected an integer >= ", lo, ", got ", v));
      }
      return n;
    };
    if (flag == "--manifest") {
      ASSIGN_OR_RETURN(a.manifest, value());
    } else if (flag == "--audio-dir") {
      ASSIGN_OR_RETURN(a.audio_dir, value());
    } else if (flag == "--space-config") {
      ASSIGN_OR_RETURN(a.space_config, value());
    } else if (flag == "--space") {
      ASSIGN_OR_RETURN(a.space, value());
    } else if (flag == "--families") {
      ASSIGN_OR_RETURN(a.families, value());
    } else if (flag == "--exclude-labels") {
      ASSIGN_OR_RETURN(a.exclude, value());
    } else if (flag == "--sweep-out") {
      ASSIGN_OR_RETURN(a.sweep_out, value());
    } else if (flag == "--sweep-kind") {
      ASSIGN_OR_RETURN(a.sweep_kind, value());
      if (a.sweep_kind != "all" && a.sweep_kind != "frames" &&
          a.sweep_kind != "neighbourhood") {
        return absl::InvalidArgumentError(
            "--sweep-kind: expected frames, neighbourhood or all");
      }
    } else if (flag == "--split") {
      ASSIGN_OR_RETURN(std::string v, value());
      a.splits.clear();
      for (absl::string_view part : absl::StrSplit(v, ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(part, &n) || n < 0 || n == 1) {
          return absl::InvalidArgumentError(
              absl::StrCat("--split: expected 0 or integers >= 2, got ", v));
        }
        a.splits.push_back(n);
      }
    } else if (flag == "--threads") {
      ASSIGN_OR_RETURN(a.threads, int_value(1));
    } else if (flag == "--neighbours") {
      ASSIGN_OR_RETURN(a.neighbours, int_value(0));
    } else if (flag == "--skip-examples") {
      a.skip_examples = true;
    } else if (flag == "--collection-queries") {
      a.collection_queries = true;
    } else if (flag == "--collection-eval") {
      a.collection_queries = true;
      a.collection_eval = true;
    } else if (flag == "--work-dir") {
      ASSIGN_OR_RETURN(a.work_dir, value());
    } else if (flag == "--ontology") {
      ASSIGN_OR_RETURN(a.ontology, value());
    } else if (flag == "--text-space") {
      ASSIGN_OR_RETURN(a.text_space, value());
    } else if (flag == "--example-space") {
      ASSIGN_OR_RETURN(a.example_space, value());
    } else if (flag == "--word-pairs") {
      ASSIGN_OR_RETURN(a.word_pairs, value());
    } else if (flag == "--reference-mode") {
      a.reference = true;
    } else if (flag == "--json") {
      a.json = true;
    } else if (flag == "--sweep") {
      a.sweep = true;
    } else if (flag == "--ablation") {
      a.ablation = true;
    } else if (flag == "--across") {
      ASSIGN_OR_RETURN(a.across, value());
      if (a.across != "speaker") {
        return absl::InvalidArgumentError(
            absl::StrCat("--across: only \"speaker\" is known, got ", a.across));
      }
    } else if (flag == "--rerank-weights" || flag == "--rerank-top-n") {
      ASSIGN_OR_RETURN(std::string list, value());
      for (absl::string_view part : absl::StrSplit(list, ',')) {
        double v = 0;
        if (!absl::SimpleAtod(part, &v) || v < 0 ||
            (flag == "--rerank-weights" && v > 1) ||
            (flag == "--rerank-top-n" && (v < 1 || v != static_cast<int>(v)))) {
          return absl::InvalidArgumentError(
              absl::StrCat(flag, ": bad value \"", part, "\""));
        }
        if (flag == "--rerank-weights") {
          a.rerank_weights.push_back(v);
        } else {
          a.rerank_top_n.push_back(static_cast<int>(v));
        }
      }
    } else if (flag == "--expand-variants") {
      ASSIGN_OR_RETURN(std::string list, value());
      for (absl::string_view part : absl::StrSplit(list, ',')) {
        std::vector<absl::string_view> nv = absl::StrSplit(part, ':');
        NeighbourhoodOptions e;
        double alpha = 0;
        if (nv.size() != 2 || !absl::SimpleAtoi(nv[0], &e.neighbours) ||
            e.neighbours < 1 || !absl::SimpleAtod(nv[1], &alpha)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--expand-variants: bad value \"", part, "\" (want N:ALPHA)"));
        }
        e.alpha = static_cast<float>(alpha);
        RETURN_IF_ERROR(ValidateNeighbourhood(e, "--expand-variants"));
        a.expand_variants.push_back(e);
      }
    } else if (flag == "--speech-sweep") {
      a.speech_sweep = true;
    } else if (flag == "--text-queries") {
      a.text_queries = true;
    } else if (flag == "--spoken-cache") {
      ASSIGN_OR_RETURN(a.spoken_cache, value());
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag));
    }
  }
  if (a.manifest.empty()) {
    return absl::InvalidArgumentError("--manifest is required");
  }
  if (a.exclude.size() > 0 && a.families.empty()) {
    return absl::InvalidArgumentError("--exclude-labels needs --families");
  }
  return a;
}

// A JSON string literal of `s` (quotes, backslashes and control characters
// escaped).
std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) return absl::InternalError(absl::StrCat("cannot write ", path));
  std::cerr << "wrote " << path << "\n";
  return absl::OkStatus();
}

std::string RecipeLine(const SpaceConfig& c) {
  return absl::StrCat(PoolingName(c.pooling), ", ", ScalingName(c.scaling),
                      ", PCA ",
                      c.pca_dims == 0 ? "none" : absl::StrCat(c.pca_dims), ", ",
                      MetricName(c.metric));
}

std::string NeighboursText(const OfflineCollection& coll,
                           const OfflineSpaceEvaluation& ev, int k) {
  std::string out;
  std::map<std::string, int64_t> first_of_label;
  for (int64_t i = 0; i < static_cast<int64_t>(coll.items.size()); ++i) {
    for (const std::string& l : coll.items[i].labels) {
      first_of_label.emplace(l, i);
    }
  }
  for (const auto& [label, q] : first_of_label) {
    auto metric = ParseMetric(ev.report.metric);
    if (!metric.ok()) continue;
    auto nn = NearestNeighbours(ev.vectors, ev.dim, *metric, q, k);
    if (!nn.ok()) continue;
    int same = 0;
    std::vector<std::string> parts;
    for (const Neighbour& n : *nn) {
      const auto& labels = coll.items[n.index].labels;
      const bool rel =
          std::find(labels.begin(), labels.end(), label) != labels.end();
      same += rel;
      parts.push_back(
          absl::StrCat(absl::StrJoin(labels, "+"), rel ? "" : " (x)"));
    }
    absl::StrAppend(&out, "- ", coll.items[q].id, " [", label, "] ", same, "/",
                    nn->size(), ": ", absl::StrJoin(parts, ", "), "\n");
  }
  return out;
}

// ---- --collection-queries ----------------------------------------------------

std::string ScoresRow(const std::string& name, const QueryEvalResult& r) {
  return absl::StrFormat("| %s | %.4f | %.2f |\n", name, r.macro.map_at_15,
                         r.macro.mr1);
}

std::string PerLabelTable(
    const std::vector<std::pair<std::string, QueryEvalResult>>& rows) {
  if (rows.empty()) return "";
  std::string out = "| label |";
  std::string rule = "| --- |";
  for (const auto& [name, r] : rows) {
    absl::StrAppend(&out, " ", name, " |");
    absl::StrAppend(&rule, " --- |");
  }
  absl::StrAppend(&out, "\n", rule, "\n");
  for (size_t i = 0; i < rows[0].second.labels.size(); ++i) {
    absl::StrAppend(&out, "| ", rows[0].second.labels[i].label, " |");
    for (const auto& [name, r] : rows) {
      absl::StrAppend(&out, absl::StrFormat(" %.3f |",
                                            r.labels[i].scores.map_at_15));
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

absl::StatusOr<std::unique_ptr<SoundCollection>> OpenForQueries(
    const Args& args, const std::vector<SpaceConfig>& spaces,
    const std::string& data_dir, const WordVectorOptions& words) {
  CollectionOptions options;
  options.data_dir = data_dir;
  options.spaces = spaces;
  options.sync_writes = false;  // rebuildable
  options.words = words;
  options.text.ontology_path = args.ontology;
  return SoundCollection::Open(options);
}

absl::Status RunCollectionQueries(const Args& args) {
  if (args.space_config.empty()) {
    return absl::InvalidArgumentError("--collection-queries needs --space-config");
  }
  ASSIGN_OR_RETURN(std::vector<SpaceConfig> spaces,
                   LoadSpaceConfigFile(args.space_config));
  ASSIGN_OR_RETURN(std::vector<ManifestRow> rows, ReadManifest(args.manifest));
  const std::string audio_dir =
      args.audio_dir.empty()
          ? std::filesystem::path(args.manifest).parent_path().string()
          : args.audio_dir;
  std::string data_dir = args.work_dir;
  bool temporary = false;
  if (data_dir.empty()) {
    char pattern[] = "/tmp/soundsearch-eval-queries.XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      return absl::InternalError("cannot create a temporary directory");
    }
    data_dir = pattern;
    temporary = true;
  }
  const std::string text_space =
      args.text_space.empty() ? spaces[0].name : args.text_space;
  const std::string example_space =
      args.example_space.empty() ? spaces[0].name : args.example_space;

  // Words: labels never (they are the ground truth); three word sources.
  WordVectorOptions none;
  none.use_tags = false;
  none.use_labels = false;
  none.auto_tags_when_untagged = false;
  WordVectorOptions from_tags = none;
  from_tags.use_tags = true;
  WordVectorOptions from_auto_tags = none;
  from_auto_tags.use_auto_tags = true;
  from_auto_tags.split_auto_tags = true;

  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auto collection,
                     OpenForQueries(args, spaces, data_dir, none));
    if (collection->size() == 0) {
      std::cerr << "indexing " << rows.size() << " files into " << data_dir
                << "\n";
      const auto start = std::chrono::steady_clock::now();
      RETURN_IF_ERROR(AddManifest(*collection, rows, audio_dir,
                                  /*with_tags=*/true, args.threads));
      std::cerr << "indexed in "
                << std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count()
                << " s\n";
    } else {
      std::cerr << "reusing " << collection->size() << " sounds in "
                << data_dir << "\n";
    }
    // Fitted on the whole collection, as the offline evaluation is (the
    // automatic fit saw only the first min_fit_items sounds).
    for (const SpaceConfig& space : spaces) {
      ASSIGN_OR_RETURN(RefitResult refit, collection->Refit(space.name));
      std::cerr << "refitted " << space.name << " on " << refit.items
                << " sounds\n";
    }
    if (args.collection_eval) {
      std::cout << "| space | Evaluate MAP@15 | MAP@150 | MR1 | query path "
                   "MAP@15 | MAP@150 | MR1 | QueryById k 15, mean ms |\n"
                << "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
      for (const SpaceConfig& space : spaces) {
        EvaluationRequest request;
        request.space = space.name;
        ASSIGN_OR_RETURN(SpaceEvaluation ev, collection->Evaluate(request));
        // Every sound once, one at a time (no batching): the query path's
        // latency, vector read and search and paging included.
        std::vector<uint64_t> ids;
        std::vector<LabeledItem> items;
        ListRequest list;
        list.limit = 1000;
        while (true) {
          ASSIGN_OR_RETURN(ListResult page, collection->ListSounds(list));
          for (const SoundRecord& r : page.sounds) {
            if (r.class_labels.empty()) continue;
            ids.push_back(r.id);
            items.push_back({std::to_string(r.id), r.class_labels});
          }
          if (!page.more || page.sounds.empty()) break;
          list.after_id = page.sounds.back().id;
        }
        // The same figures through QueryById (every other sound ranked):
        // the index's search, late fusion's candidates and re-scoring
        // included.
        std::map<uint64_t, int64_t> row_of;
        for (size_t i = 0; i < ids.size(); ++i) row_of[ids[i]] = i;
        auto rank = [&](int64_t query,
                        std::vector<int64_t>* ranking) -> absl::Status {
          QueryOptions all;
          all.space = space.name;
          all.k = static_cast<int>(ids.size()) - 1;
          ASSIGN_OR_RETURN(QueryResult r,
                           collection->QueryById(ids[query], all));
          ranking->clear();
          for (const QueryHit& h : r.hits) {
            auto it = row_of.find(h.id);
            if (it != row_of.end()) ranking->push_back(it->second);
          }
          return absl::OkStatus();
        };
        ASSIGN_OR_RETURN(RetrievalReport by_query,
                         EvaluateRankings(items, rank));
        QueryOptions q;
        q.space = space.name;
        q.k = 15;
        const auto start = std::chrono::steady_clock::now();
        for (uint64_t id : ids) {
          RETURN_IF_ERROR(collection->QueryById(id, q).status());
        }
        const double ms = 1000.0 *
                          std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - start)
                              .count() /
                          std::max<size_t>(ids.size(), 1);
        std::cout << absl::StrFormat(
                         "| %s | %.4f | %.4f | %.2f | %.4f | %.4f | %.2f | "
                         "%.3f |\n",
                         space.name, ev.macro.map[0], ev.macro.map[1],
                         ev.macro.mr1, by_query.macro.map[0],
                         by_query.macro.map[1], by_query.macro.mr1, ms)
                  << std::flush;
      }
      return absl::OkStatus();
    }
    std::vector<std::string> class_spaces;
    for (const SpaceStatus& s : collection->Spaces()) {
      if (s.classes > 0) class_spaces.push_back(s.config.name);
    }
    std::string text_table = absl::StrCat(
        "## Text queries of the label names (", rows.size(),
        " sounds; MAP@15, MR1 over labels)\n\n",
        "| source | MAP@15 | MR1 |\n| --- | --- | --- |\n");
    std::string word_tables;
    std::vector<std::pair<std::string, QueryEvalResult>> per_label;
    auto text_row = [&](const SoundCollection& c, const std::string& name,
                        const TextQueryOptions& o,
                        bool keep) -> absl::Status {
      ASSIGN_OR_RETURN(QueryEvalResult r, EvaluateLabelTextQueries(c, o));
      text_table += ScoresRow(name, r);
      std::cerr << ScoresRow(name, r);
      if (keep) per_label.emplace_back(name, std::move(r));
      return absl::OkStatus();
    };
    ASSIGN_OR_RETURN(QueryEvalResult random,
                     RandomLabelTextQueries(*collection, 5));
    text_table += ScoresRow("random ranking (mean of 5)", random);
    for (const std::string& cs : class_spaces) {
      for (ClassMatch match : {ClassMatch::kNames, ClassMatch::kDocuments}) {
        for (int max : {1, 3, 100}) {
          TextQueryOptions o;
          o.use_words = false;
          o.class_space = cs;
          o.class_match = match;
          o.max_classes = max;
          RETURN_IF_ERROR(text_row(
              *collection,
              absl::StrCat("classes of `", cs, "`, ", ClassMatchName(match),
                           ", best ", max),
              o, max == 3));
        }
      }
    }
    collection.reset();
    for (const auto& [words_name, words] :
         {std::pair<std::string, WordVectorOptions>{"auto-tags",
                                                    from_auto_tags},
          {"tags", from_tags}}) {
      ASSIGN_OR_RETURN(collection,
                       OpenForQueries(args, spaces, data_dir, words));
      TextQueryOptions o;
      o.query.space = text_space;
      o.use_classes = false;
      RETURN_IF_ERROR(text_row(*collection,
                               absl::StrCat("words from ", words_name, " (`",
                                            text_space, "`)"),
                               o, true));
      for (const std::string& cs : class_spaces) {
        for (ClassMatch match : {ClassMatch::kNames, ClassMatch::kDocuments}) {
          TextQueryOptions merged;
          merged.query.space = text_space;
          merged.class_space = cs;
          merged.class_match = match;
          RETURN_IF_ERROR(text_row(
              *collection,
              absl::StrCat("merged: words from ", words_name, " + classes of `",
                           cs, "` (", ClassMatchName(match), ", best 3)"),
              merged, false));
        }
      }
      if (!args.word_pairs.empty()) {
        absl::StrAppend(&word_tables, "### Word relatedness, words from ",
                        words_name, " (`", text_space, "`)\n\n",
                        "| pairs | covered | coverage | Spearman |\n",
                        "| --- | --- | --- | --- |\n");
        for (absl::string_view file :
             absl::StrSplit(args.word_pairs, ',', absl::SkipEmpty())) {
          ASSIGN_OR_RETURN(std::vector<WordPair> pairs,
                           ReadWordPairsFile(std::string(file)));
          ASSIGN_OR_RETURN(
              WordSimilarityResult r,
              EvaluateCollectionWordPairs(*collection, text_space, pairs));
          absl::StrAppend(&word_tables, absl::StrFormat(
              "| %s | %d / %d | %.3f | %s |\n",
              std::filesystem::path(std::string(file)).filename().string(),
              r.num_covered, r.num_pairs, r.coverage,
              r.spearman.has_value() ? absl::StrFormat("%.3f", *r.spearman)
                                     : std::string("undefined")));
        }
        absl::StrAppend(&word_tables, "\n");
      }
      collection.reset();
    }
    std::cout << text_table << "\n### Per label (MAP@15)\n\n"
              << PerLabelTable(per_label) << "\n"
              << word_tables << std::flush;

    if (args.skip_examples) return absl::OkStatus();
    ASSIGN_OR_RETURN(collection, OpenForQueries(args, spaces, data_dir, none));
    ASSIGN_OR_RETURN(auto confused,
                     MostConfusedLabels(*collection, example_space));
    std::cout << "## Several examples (`" << example_space
              << "`; MAP@15, MR1 over labels)\n\nMost confused label:";
    for (const auto& [label, other] : confused) {
      std::cout << " " << label << " -> " << other << ";";
    }
    std::cout << "\n\n| examples | strategy | MAP@15 | MR1 |\n"
              << "| --- | --- | --- | --- |\n";
    struct Row {
      int positives;
      bool negative;
      ExampleStrategy strategy;
      float weight;
    };
    std::vector<Row> example_rows;
    for (int positives : {1, 2, 4}) {
      example_rows.push_back({positives, false, ExampleStrategy::kAverage, 1});
      if (positives > 1) {
        example_rows.push_back(
            {positives, false, ExampleStrategy::kBestScore, 1});
      }
    }
    for (int positives : {1, 2, 4}) {
      for (float weight : {1.0f, 0.5f, 0.25f}) {
        example_rows.push_back(
            {positives, true, ExampleStrategy::kAverage, weight});
      }
      example_rows.push_back({positives, true, ExampleStrategy::kBestScore, 1});
    }
    for (const Row& row : example_rows) {
      ExampleEvalOptions o;
      o.space = example_space;
      o.positives = row.positives;
      o.negative = row.negative;
      o.strategy = row.strategy;
      o.negative_weight = row.weight;
      ASSIGN_OR_RETURN(QueryEvalResult r,
                       EvaluateExampleQueries(*collection, o, confused));
      const std::string strategy =
          row.strategy == ExampleStrategy::kBestScore ? std::string("best_score")
          : row.negative ? absl::StrFormat("average, w %.2f", row.weight)
                         : std::string("average");
      std::cout << absl::StrFormat("| %d positive%s%s | %s | %.4f | %.2f |\n",
                                   row.positives, row.positives > 1 ? "s" : "",
                                   row.negative ? " + 1 negative" : "",
                                   strategy, r.macro.map_at_15, r.macro.mr1)
                << std::flush;
    }
    return absl::OkStatus();
  }();
  if (temporary) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir, ec);
  }
  return status;
}

// The neighbourhood grid of `names` (NeighbourhoodGrid), then the systems
// the config itself declares: each part with its own "augment" / "expand"
// when it sets one, and each fused space whose parts are all among `names`
// (its weights and "expand"), as the server runs them.
std::vector<NeighbourhoodSystem> ConfiguredSystems(
    const std::vector<SpaceConfig>& configs,
    const std::vector<std::string>& names) {
  std::vector<NeighbourhoodSystem> grid = NeighbourhoodGrid(names);
  for (const SpaceConfig& config : configs) {
    NeighbourhoodSystem system;
    system.weights.assign(names.size(), 0.0f);
    bool covered = true;
    const std::vector<std::string> of =
        config.fusion.enabled() ? config.fusion.of
                                : std::vector<std::string>{config.name};
    for (size_t p = 0; p < of.size(); ++p) {
      auto it = std::find(names.begin(), names.end(), of[p]);
      if (it == names.end()) {
        covered = false;
        break;
      }
      system.weights[it - names.begin()] =
          config.fusion.enabled() ? config.fusion.weights[p] : 1.0f;
    }
    if (!covered) continue;
    system.expand = config.expand;
    if (!config.fusion.enabled()) {
      if (!config.augment.enabled() && !config.expand.enabled()) continue;
      system.augment = config.augment;
    }
    system.name =
        absl::StrCat("space `", config.name, "` as configured (",
                     config.fusion.enabled() ? "fusion, " : "", "augment ",
                     NeighbourhoodText(system.augment), ", expand ",
                     NeighbourhoodText(system.expand), ")");
    grid.push_back(std::move(system));
  }
  return grid;
}

absl::Status Run(const Args& args) {
  if (args.collection_queries) return RunCollectionQueries(args);
  ASSIGN_OR_RETURN(OfflineCollection coll,
                   LoadOfflineCollection(args.manifest, args.audio_dir));
  std::vector<SpaceConfig> configs;
  if (args.space_config.empty()) {
    configs.push_back(DefaultSpaceConfig());
  } else {
    ASSIGN_OR_RETURN(configs, LoadSpaceConfigFile(args.space_config));
  }
  if (!args.space.empty()) {
    std::vector<SpaceConfig> kept;
    const std::vector<std::string> wanted =
        absl::StrSplit(args.space, ',', absl::SkipEmpty());
    for (SpaceConfig& c : configs) {
      if (std::find(wanted.begin(), wanted.end(), c.name) != wanted.end()) {
        kept.push_back(std::move(c));
      }
    }
    if (kept.empty()) {
      return absl::NotFoundError(
          absl::StrCat("no space named \"", args.space, "\""));
    }
    configs = std::move(kept);
  }
  if (!args.across.empty()) {
    AcrossArgs across;
    across.manifest = args.manifest;
    across.audio_dir = args.audio_dir;
    across.spaces = configs;
    across.rerank_weights = args.rerank_weights;
    across.rerank_top_n = args.rerank_top_n;
    across.expand_variants = args.expand_variants;
    across.speech_sweep = args.speech_sweep;
    across.text_queries = args.text_queries;
    across.spoken_cache = args.spoken_cache;
    across.threads = args.threads;
    across.reference = args.reference;
    return RunAcross(across);
  }
  LabelFamilies families;
  std::vector<std::string> excluded;
  if (!args.families.empty()) {
    ASSIGN_OR_RETURN(families, ReadLabelFamiliesFile(args.families));
  }
  if (!args.exclude.empty()) {
    ASSIGN_OR_RETURN(excluded, ReadLabelListFile(args.exclude));
  }
  AudioDecoderOptions dopts;
  ASSIGN_OR_RETURN(std::unique_ptr<AudioDecoder> decoder,
                   AudioDecoder::Create(dopts));
  RetrievalEvalOptions eopts;
  eopts.reference_denominator = args.reference;
  eopts.num_threads = args.threads;

  const bool frame_sweep = args.sweep && args.sweep_kind != "neighbourhood";
  const bool neighbourhood_sweep = args.sweep && args.sweep_kind != "frames";
  // Per protocol (args.splits): the queries, the database and the parts.
  const size_t num_splits = args.splits.size();
  std::vector<std::vector<int64_t>> split_queries(num_splits),
      database_rows(num_splits);
  for (size_t s = 0; s < num_splits; ++s) {
    if (args.splits[s] == 0) continue;
    split_queries[s] = SplitQueries(coll.items, args.splits[s]);
    std::vector<bool> is_query(coll.items.size(), false);
    for (int64_t q : split_queries[s]) is_query[q] = true;
    for (int64_t i = 0; i < static_cast<int64_t>(is_query.size()); ++i) {
      if (!is_query[i]) database_rows[s].push_back(i);
    }
  }
  std::vector<std::vector<FusionPart>> parts(num_splits);
  std::string json = absl::StrCat("{\"manifest\": ", JsonString(args.manifest),
                                  ", \"spaces\": [");
  bool first_json = true;
  for (const SpaceConfig& config : configs) {
    if (config.fusion.enabled()) {
      // No encoder of its own: the neighbourhood sweep scores the fusions
      // of the parts (late fusion of the cosines, as the server's).
      std::cerr << "space " << config.name << ": a fusion of its parts; "
                << "see the neighbourhood sweep (--sweep-kind neighbourhood)\n";
      continue;
    }
    ASSIGN_OR_RETURN(std::unique_ptr<Space> space, Space::Create(config));
    std::cerr << "space " << config.name << ": embedding " << coll.paths.size()
              << " files at " << space->sample_rate() << " Hz\n";
    ASSIGN_OR_RETURN(std::vector<RawEmbedding> raws,
                     EmbedFiles(*space, *decoder, coll.paths, args.threads));
    ASSIGN_OR_RETURN(OfflineSpaceEvaluation ev,
                     FitAndEvaluateSpace(*space, raws, coll.items, eopts));
    if (neighbourhood_sweep && !config.boaw &&
        config.metric == Metric::kCosine) {
      for (size_t s = 0; s < num_splits; ++s) {
        if (args.splits[s] > 0) {
          ASSIGN_OR_RETURN(FusionPart part,
                           FitAndProjectPart(*space, raws, database_rows[s]));
          parts[s].push_back(std::move(part));
        } else {
          parts[s].push_back({config.name, ev.vectors, ev.dim});
        }
      }
    }
    raws.clear();
    if (!args.families.empty()) {
      AddFamilyScores(families, excluded, &ev.report);
    }
    if (args.json) {
      absl::StrAppend(
          &json, first_json ? "" : ", ",
          "{\"space\": ", JsonString(config.name), ", \"index_dim\": ", ev.dim,
          ", \"report\": ", RetrievalReportToJson(ev.report, -1), "}");
      first_json = false;
    } else {
      std::cout << "## space `" << config.name << "` ("
                << (config.boaw ? "boaw" : config.encoder.kind) << ", "
                << RecipeLine(config) << "; index dim " << ev.dim << ")\n\n"
                << RetrievalReportToMarkdown(ev.report) << "\n";
    }
    if (args.neighbours > 0 && !args.json) {
      std::cout << "### nearest neighbours (" << args.neighbours
                << ", first clip of each label; (x) = other label)\n\n"
                << NeighboursText(coll, ev, args.neighbours) << "\n";
    }
    if ((!frame_sweep && !args.ablation) || config.boaw) {
      if ((frame_sweep || args.ablation) && config.boaw) {
        std::cerr << "space " << config.name
                  << ": boaw space, no sweep/ablation\n";
      }
      continue;
    }
    // Sweep / ablation: encode once, keep the frames, many recipes.
    ASSIGN_OR_RETURN(std::unique_ptr<Encoder> encoder,
                     Encoder::Create(config.encoder));
    std::cerr << "space " << config.name << ": encoding frames\n";
    ASSIGN_OR_RETURN(std::vector<EncodedClip> clips,
                     EncodeFiles(*encoder, *decoder, coll.paths, args.threads));
    FrameRecipe own;
    own.name = "base";
    own.pooling = config.pooling;
    own.scaling = config.scaling;
    own.pca_dims = config.pca_dims;
    own.metric = config.metric;
    if (frame_sweep) {
      std::vector<FrameRecipe> recipes = SweepRecipes(config.scaling);
      std::vector<FrameRecipe> with_own = recipes;
      own.name = absl::StrCat(
          "(space: ", PoolingName(config.pooling), "-pca",
          config.pca_dims == 0 ? "none" : absl::StrCat(config.pca_dims), "-",
          MetricName(config.metric), ")");
      with_own.push_back(own);
      ASSIGN_OR_RETURN(std::vector<SystemReport> reports,
                       EvaluateFrameRecipes(clips, coll.items, with_own, eopts,
                                            args.threads));
      const std::string table = SweepTableMarkdown(reports);
      reports.pop_back();
      const std::string csv = SweepCsv(recipes, reports);
      if (args.json) {
        std::cerr << table;
      } else {
        std::cout << "### sweep of `" << config.name << "` (scaling "
                  << ScalingName(config.scaling) << ", label-based)\n\n"
                  << table << "\n";
      }
      if (!args.sweep_out.empty()) {
        RETURN_IF_ERROR(WriteText(
            absl::StrCat(args.sweep_out, "/", config.name, "_sweep.md"),
            table));
        RETURN_IF_ERROR(WriteText(
            absl::StrCat(args.sweep_out, "/", config.name, "_sweep.csv"), csv));
      }
    }
    if (args.ablation) {
      if (config.encoder.kind != "dsp") {
        std::cerr << "space " << config.name << ": not dsp, no ablation\n";
        continue;
      }
      ASSIGN_OR_RETURN(std::vector<FrameRecipe> recipes,
                       DspAblationRecipes(config.encoder, own));
      ASSIGN_OR_RETURN(std::vector<SystemReport> reports,
                       EvaluateFrameRecipes(clips, coll.items, recipes, eopts,
                                            args.threads));
      const std::string table = SweepTableMarkdown(reports);
      if (args.json) {
        std::cerr << table;
      } else {
        std::cout << "### ablation of `" << config.name
                  << "` (base: " << RecipeLine(config) << ")\n\n"
                  << table << "\n";
      }
      if (!args.sweep_out.empty()) {
        RETURN_IF_ERROR(WriteText(
            absl::StrCat(args.sweep_out, "/", config.name, "_ablation.md"),
            table));
      }
    }
  }
  for (size_t s = 0; neighbourhood_sweep && s < num_splits; ++s) {
    if (parts[s].empty()) {
      return absl::FailedPreconditionError(
          "the neighbourhood sweep needs a cosine space");
    }
    std::vector<std::string> names;
    for (const FusionPart& p : parts[s]) names.push_back(p.name);
    NeighbourhoodEvalOptions nopts;
    nopts.queries = split_queries[s];
    nopts.num_threads = args.threads;
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(
        std::vector<SystemReport> reports,
        EvaluateNeighbourhoodGrid(coll.items, parts[s],
                                  ConfiguredSystems(configs, names), nopts));
    const std::string table = SweepTableMarkdown(reports);
    const int split = args.splits[s];
    const std::string protocol =
        split > 0 ? absl::StrCat("split: ", split_queries[s].size(),
                                 " uploaded queries (every ", split,
                                 "-th of each label), database of ",
                                 database_rows[s].size(), " fitted on itself")
                  : std::string("leave-one-out over the whole collection");
    std::cerr << "neighbourhood sweep: " << reports.size() << " systems in "
              << std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - start)
                     .count()
              << " s\n";
    (args.json ? std::cerr : std::cout)
        << "### neighbourhood sweep (" << protocol << ", label-based)\n\n"
        << table << "\n";
    if (!args.sweep_out.empty()) {
      RETURN_IF_ERROR(WriteText(
          absl::StrCat(
              args.sweep_out, "/neighbourhood",
              split > 0 ? absl::StrCat("_split", split) : std::string(), ".md"),
          absl::StrCat("# neighbourhood sweep (", protocol, ")\n\n", table)));
    }
  }
  if (args.json) std::cout << json << "]}\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace soundsearch

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << soundsearch::kUsage;
      return 0;
    }
  }
  // Spaces of any kind, neural ones included.
  if (absl::Status torch = soundsearch::RegisterTorchKinds(); !torch.ok()) {
    std::cerr << "soundsearch-eval: " << torch << "\n";
    return 1;
  }
  if (absl::Status speech = soundsearch::RegisterSpeechKinds(); !speech.ok()) {
    std::cerr << "soundsearch-eval: " << speech << "\n";
    return 1;
  }
  auto args = soundsearch::ParseArgs(argc, argv);
  if (!args.ok()) {
    std::cerr << "soundsearch-eval: " << args.status().message() << "\n\n"
              << soundsearch::kUsage;
    return 2;
  }
  absl::Status s = soundsearch::Run(*args);
  if (!s.ok()) {
    std::cerr << "soundsearch-eval: " << s << "\n";
    return 1;
  }
  return 0;
}
