// `search TEXT`: query by text (the words matched to word vectors and to the
// classes of a class-score space; docs/api.md, "Text queries").
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "tools/cli/commands.h"
#include "tools/cli/query_flags.h"

namespace soundsearch::cli {

int CmdSearch(Client& client, const Args& args) {
  if (args.positional.empty()) throw UsageError("search: give the text");
  v1::QueryByTextRequest request;
  request.set_text(absl::StrJoin(args.positional, " "));
  request.set_k(static_cast<uint32_t>(ParseK(args, 15)));
  request.set_space(args.Get("space"));
  request.set_class_space(args.Get("class-space"));
  *request.mutable_filter() = FilterFromArgs(args);
  request.set_offset(CountFromArgs(args, "offset", 0));
  request.set_page_token(args.Get("page-token"));
  request.set_group_by(GroupByFromArgs(args));
  request.set_max_classes(CountFromArgs(args, "max-classes", 0));
  if (args.Has("sources")) {
    const std::string sources = args.Get("sources");
    if (sources == "all") {
      request.set_sources(v1::TEXT_SOURCES_ALL);
    } else if (sources == "words") {
      request.set_sources(v1::TEXT_SOURCES_WORDS);
    } else if (sources == "classes") {
      request.set_sources(v1::TEXT_SOURCES_CLASSES);
    } else if (sources == "speech") {
      request.set_sources(v1::TEXT_SOURCES_SPEECH);
    } else {
      throw UsageError("--sources needs all, words, classes or speech");
    }
  }
  if (args.Has("class-match")) {
    const std::string match = args.Get("class-match");
    if (match == "names") {
      request.set_class_match(v1::CLASS_MATCH_NAMES);
    } else if (match == "documents") {
      request.set_class_match(v1::CLASS_MATCH_DOCUMENTS);
    } else {
      throw UsageError("--class-match needs names or documents");
    }
  }
  if (args.Has("min-score")) {
    float min_score = 0;
    if (!absl::SimpleAtof(args.Get("min-score"), &min_score)) {
      throw UsageError("--min-score needs a number");
    }
    request.set_min_score(min_score);
  }
  v1::QueryByTextResponse response;
  auto ctx = client.Context();
  grpc::Status status =
      client.query().QueryByText(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  for (const v1::MatchedWord& w : response.words()) {
    std::printf("word  %-20s -> %s (%lld sounds, space %s)\n", w.text().c_str(),
                w.word().c_str(), static_cast<long long>(w.sounds()),
                response.space().c_str());
  }
  for (const v1::MatchedClass& c : response.classes()) {
    std::printf("class %-20s weight %.3f (%s, space %s)\n", c.name().c_str(),
                c.weight(),
                c.ontology_id().empty() ? "-" : c.ontology_id().c_str(),
                response.class_space().c_str());
  }
  for (const std::string& s : response.speech_spaces()) {
    std::printf("spoken words and phones of space %s\n", s.c_str());
  }
  if (response.unmatched_size() > 0) {
    std::printf("unmatched: %s\n",
                absl::StrJoin(response.unmatched(), ", ").c_str());
  }
  std::printf("%llu sounds, %d results\n",
              static_cast<unsigned long long>(response.collection_size()),
              response.results_size());
  PrintResults(response.results(), response.offset());
  if (!response.next_page_token().empty()) {
    std::printf("next page: --page-token %s\n",
                response.next_page_token().c_str());
  }
  return kExitOk;
}

}  // namespace soundsearch::cli
