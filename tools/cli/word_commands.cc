// `word-sim`, `nearest-words`, `word-eval` and `categorise`: word vectors of
// the running server (v1.Evaluation), and word relatedness, text/audio fusion
// and categorisation computed locally on them (research/; docs/evaluation.md).
#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "research/categorisation.h"
#include "research/vector_fusion.h"
#include "research/word_pairs.h"
#include "research/word_similarity.h"
#include "research/word_vectors.h"
#include "tools/cli/commands.h"

namespace soundsearch::cli {
namespace {

// Fetches the vectors of `words` from the server into a table keyed by the
// words as given. Returns the space that answered.
grpc::Status FetchWordVectors(Client& client, const std::string& space,
                              const std::vector<std::string>& words,
                              std::optional<WordVectors>* table,
                              std::string* answered_space) {
  constexpr size_t kBatch = 10000;
  for (size_t begin = 0; begin < words.size() || begin == 0; begin += kBatch) {
    v1::GetWordVectorsRequest request;
    request.set_space(space);
    for (size_t i = begin; i < std::min(words.size(), begin + kBatch); ++i) {
      request.add_words(words[i]);
    }
    v1::GetWordVectorsResponse response;
    auto ctx = client.Context();
    grpc::Status status =
        client.evaluation().GetWordVectors(ctx.get(), request, &response);
    if (!status.ok()) return status;
    *answered_space = response.space();
    for (const v1::WordVector& v : response.vectors()) {
      if (!table->has_value()) table->emplace(v.vector_size());
      std::vector<float> values(v.vector().begin(), v.vector().end());
      absl::Status added = (*table)->Add(v.word(), values);
      if (!added.ok() && !absl::IsAlreadyExists(added)) {
        return grpc::Status(grpc::StatusCode::INTERNAL,
                            std::string(added.message()));
      }
    }
    if (words.empty()) break;
  }
  return grpc::Status::OK;
}

// A JSON string literal of `s` (quotes, backslashes and control bytes
// escaped; other bytes as they are, UTF-8 passing through).
std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

std::string RhoText(const std::optional<double>& rho) {
  return rho.has_value() ? absl::StrFormat("%.4f", *rho) : "undefined";
}

}  // namespace

int CmdWordSim(Client& client, const Args& args) {
  if (args.positional.size() != 2) throw UsageError("word-sim needs two words");
  v1::WordSimilarityRequest request;
  request.set_a(args.positional[0]);
  request.set_b(args.positional[1]);
  request.set_space(args.Get("space"));
  v1::WordSimilarityResponse response;
  auto ctx = client.Context();
  grpc::Status status =
      client.evaluation().WordSimilarity(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("%.4f  (space %s; %lld and %lld sounds)\n", response.cosine(),
                response.space().c_str(),
                static_cast<long long>(response.sounds_a()),
                static_cast<long long>(response.sounds_b()));
  }
  return kExitOk;
}

int CmdNearestWords(Client& client, const Args& args) {
  if (args.positional.size() != 1) {
    throw UsageError("nearest-words needs one word");
  }
  v1::NearestWordsRequest request;
  request.set_word(args.positional[0]);
  request.set_k(ParseK(args, 10));
  request.set_space(args.Get("space"));
  v1::NearestWordsResponse response;
  auto ctx = client.Context();
  grpc::Status status =
      client.evaluation().NearestWords(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  std::printf("%s (%lld sounds, space %s)\n", response.word().c_str(),
              static_cast<long long>(response.sounds()),
              response.space().c_str());
  for (const v1::WordNeighbour& n : response.neighbours()) {
    std::printf("  %.4f  %s (%lld sounds)\n", n.cosine(), n.word().c_str(),
                static_cast<long long>(n.sounds()));
  }
  return kExitOk;
}

int CmdWordEval(Client& client, const Args& args) {
  if (args.positional.size() != 1) {
    throw UsageError("word-eval needs a pairs file (w1 w2 score per line)");
  }
  auto pairs = ReadWordPairsFile(args.positional[0]);
  if (!pairs.ok()) throw UsageError(std::string(pairs.status().message()));
  std::vector<std::string> words;
  {
    std::set<std::string> seen;
    for (const WordPair& p : *pairs) {
      for (const std::string* w : {&p.first, &p.second}) {
        if (seen.insert(*w).second) words.push_back(*w);
      }
    }
  }
  std::optional<WordVectors> audio;
  std::string space;
  grpc::Status status =
      FetchWordVectors(client, args.Get("space"), words, &audio, &space);
  if (!status.ok()) return Fail(status);
  if (!audio.has_value()) audio.emplace(1);  // no word covered
  auto audio_result = EvaluateWordSimilarity(*pairs, LookupIn(*audio));
  if (!audio_result.ok()) {
    throw UsageError(std::string(audio_result.status().message()));
  }
  const bool json = client.globals().json;
  std::string out_json = absl::StrFormat(
      R"({"space":%s,"pairs":%d,"covered":%d,"coverage":%.6f,"spearman":%s)",
      JsonQuote(space), audio_result->num_pairs, audio_result->num_covered,
      audio_result->coverage,
      audio_result->spearman ? absl::StrFormat("%.6f", *audio_result->spearman)
                             : "null");
  if (!json) {
    std::printf(
        "audio (space %s): spearman %s on %lld of %lld pairs "
        "(coverage %.3f)\n",
        space.c_str(), RhoText(audio_result->spearman).c_str(),
        static_cast<long long>(audio_result->num_covered),
        static_cast<long long>(audio_result->num_pairs),
        audio_result->coverage);
  }
  if (args.Has("text-vectors")) {
    auto text = WordVectors::ReadWord2VecTextFile(args.Get("text-vectors"));
    if (!text.ok()) throw UsageError(std::string(text.status().message()));
    const std::string kind_name = args.Get("fusion", "middle");
    FusionKind kind;
    if (kind_name == "middle") {
      kind = FusionKind::kMiddle;
    } else if (kind_name == "late") {
      kind = FusionKind::kLate;
    } else {
      throw UsageError("--fusion is middle or late");
    }
    auto text_result = EvaluateWordSimilarity(*pairs, LookupIn(*text));
    if (!text_result.ok()) {
      throw UsageError(std::string(text_result.status().message()));
    }
    if (!json) {
      std::printf("text: spearman %s on %lld of %lld pairs (coverage %.3f)\n",
                  RhoText(text_result->spearman).c_str(),
                  static_cast<long long>(text_result->num_covered),
                  static_cast<long long>(text_result->num_pairs),
                  text_result->coverage);
    }
    absl::StrAppend(
        &out_json,
        absl::StrFormat(R"(,"text":{"covered":%d,"spearman":%s})",
                        text_result->num_covered,
                        text_result->spearman
                            ? absl::StrFormat("%.6f", *text_result->spearman)
                            : "null"));
    if (args.Has("alpha")) {
      double alpha = 0;
      if (!absl::SimpleAtod(args.Get("alpha"), &alpha) || alpha < 0 ||
          alpha > 1) {
        throw UsageError("--alpha needs a number in [0, 1]");
      }
      auto fused = EvaluateFusion(*pairs, LookupIn(*text), LookupIn(*audio),
                                  kind, alpha);
      if (!fused.ok()) throw UsageError(std::string(fused.status().message()));
      if (!json) {
        std::printf(
            "%s fusion, alpha %.3f: spearman %s on %lld of %lld pairs "
            "(coverage %.3f)\n",
            kind_name.c_str(), alpha, RhoText(fused->spearman).c_str(),
            static_cast<long long>(fused->num_covered),
            static_cast<long long>(fused->num_pairs), fused->coverage);
      }
      absl::StrAppend(
          &out_json,
          absl::StrFormat(
              R"(,"fusion":{"kind":"%s","alpha":%.6f,"covered":%d,"spearman":%s})",
              kind_name, alpha, fused->num_covered,
              fused->spearman ? absl::StrFormat("%.6f", *fused->spearman)
                              : "null"));
    } else {  // --cv (the default with --text-vectors)
      FusionCrossValidationOptions cv;
      cv.kind = kind;
      auto fused =
          CrossValidateFusion(*pairs, LookupIn(*text), LookupIn(*audio), cv);
      if (!fused.ok()) {
        std::fprintf(stderr, "soundsearch: fusion: %s\n",
                     std::string(fused.status().message()).c_str());
        return kExitServerError;
      }
      if (!json) {
        std::printf(
            "%s fusion, 5-fold CV: spearman %.4f (Fisher mean) on %lld "
            "of %lld pairs (coverage %.3f); alphas %s\n",
            kind_name.c_str(), fused->spearman,
            static_cast<long long>(fused->num_covered),
            static_cast<long long>(fused->num_pairs), fused->coverage,
            absl::StrJoin(fused->fold_alpha, ",",
                          [](std::string* out, double a) {
                            absl::StrAppend(out, absl::StrFormat("%.2f", a));
                          })
                .c_str());
      }
      absl::StrAppend(
          &out_json,
          absl::StrFormat(
              R"(,"fusion":{"kind":"%s","cv_folds":%d,"covered":%d,"spearman":%.6f,"fold_alpha":[%s]})",
              kind_name, static_cast<int>(fused->fold_alpha.size()),
              fused->num_covered, fused->spearman,
              absl::StrJoin(fused->fold_alpha, ",")));
    }
  }
  if (json) std::printf("%s}\n", out_json.c_str());
  return kExitOk;
}

int CmdCategorise(Client& client, const Args& args) {
  const std::vector<std::string> words = SplitCsvList(args.Get("words"));
  const std::vector<std::string> categories =
      SplitCsvList(args.Get("categories"));
  if (words.empty() || words.size() != categories.size()) {
    throw UsageError("--words and --categories need one category per word");
  }
  int clusters = 0;
  if (!absl::SimpleAtoi(args.Get("clusters"), &clusters) || clusters < 1) {
    throw UsageError("--clusters needs a positive integer");
  }
  std::optional<WordVectors> audio;
  std::string space;
  grpc::Status status =
      FetchWordVectors(client, args.Get("space"), words, &audio, &space);
  if (!status.ok()) return Fail(status);
  std::vector<float> rows;
  std::vector<std::string> kept_categories;
  std::vector<std::string> kept_words;
  for (size_t i = 0; i < words.size(); ++i) {
    auto v = audio.has_value() ? audio->Find(words[i]) : std::nullopt;
    if (!v.has_value()) continue;
    rows.insert(rows.end(), v->begin(), v->end());
    kept_words.push_back(words[i]);
    kept_categories.push_back(categories[i]);
  }
  if (static_cast<int>(kept_words.size()) < clusters) {
    std::fprintf(stderr,
                 "soundsearch: %zu of %zu words have vectors; fewer than "
                 "--clusters %d\n",
                 kept_words.size(), words.size(), clusters);
    return kExitServerError;
  }
  KMeansOptions kmeans;
  kmeans.num_clusters = clusters;
  auto assigned = KMeansClusters(rows, audio->dim(), kmeans);
  if (!assigned.ok())
    throw UsageError(std::string(assigned.status().message()));
  auto v = ComputeVMeasure(kept_categories, *assigned);
  if (!v.ok()) throw UsageError(std::string(v.status().message()));
  if (client.globals().json) {
    std::string clusters_json;
    for (size_t i = 0; i < kept_words.size(); ++i) {
      absl::StrAppend(
          &clusters_json, i ? "," : "",
          absl::StrFormat(R"({"word":%s,"cluster":%d})",
                          JsonQuote(kept_words[i]), (*assigned)[i]));
    }
    absl::PrintF(
        R"({"space":%s,"words":%d,"covered":%d,"homogeneity":%.6f,"completeness":%.6f,"v_measure":%.6f,"clusters":[%s]})"
        "\n",
        JsonQuote(space), static_cast<int>(words.size()),
        static_cast<int>(kept_words.size()), v->homogeneity, v->completeness,
        v->v_measure, clusters_json);
    return kExitOk;
  }
  std::printf("space %s: %zu of %zu words covered\n", space.c_str(),
              kept_words.size(), words.size());
  for (size_t i = 0; i < kept_words.size(); ++i) {
    std::printf("  cluster %d  %s (%s)\n", (*assigned)[i],
                kept_words[i].c_str(), kept_categories[i].c_str());
  }
  std::printf("V-measure %.4f  (homogeneity %.4f, completeness %.4f)\n",
              v->v_measure, v->homogeneity, v->completeness);
  return kExitOk;
}

}  // namespace soundsearch::cli
