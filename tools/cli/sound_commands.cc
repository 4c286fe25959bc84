// `query` (by one or several examples, for and against), `describe`, `get`
// and `delete`: sounds by example, id or external id.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/cli/commands.h"
#include "tools/cli/query_flags.h"

namespace soundsearch::cli {
namespace {

void PrintSoundLine(const v1::Sound& s) {
  std::printf(
      "id %llu  external_id %s  name %s\n  labels [%s]  tags [%s]  "
      "%.2fs  source %s\n",
      static_cast<unsigned long long>(s.id()),
      s.external_id().empty() ? "-" : s.external_id().c_str(), s.name().c_str(),
      absl::StrJoin(s.labels(), ",").c_str(),
      absl::StrJoin(s.tags(), ",").c_str(), s.duration_seconds(),
      s.source().c_str());
}

}  // namespace

void PrintResults(
    const google::protobuf::RepeatedPtrField<v1::ScoredSound>& results,
    uint32_t offset) {
  std::printf("%4s  %7s  %8s  %-24s %s\n", "rank", "score", "id", "name",
              "labels");
  uint32_t rank = offset + 1;
  for (const v1::ScoredSound& r : results) {
    std::printf("%4u  %7.4f  %8llu  %-24s %s", rank++, r.score(),
                static_cast<unsigned long long>(r.id()),
                r.sound().name().substr(0, 24).c_str(),
                absl::StrJoin(r.sound().labels(), ",").c_str());
    if (r.sources_size() > 0) std::printf("  [%s]", SourcesText(r).c_str());
    std::printf("\n");
  }
}

namespace {

v1::SoundRef RefFromArgs(const Args& args) {
  v1::SoundRef ref;
  if (args.Has("id")) {
    ref.set_id(ParseId(args.Get("id")));
  } else if (args.Has("external-id")) {
    ref.set_external_id(args.Get("external-id"));
  } else {
    throw UsageError("give --id N or --external-id X");
  }
  return ref;
}

}  // namespace

int CmdQuery(Client& client, const Args& args) {
  v1::QueryByExampleRequest request;
  // The examples for: files, ids, external ids; against: --not*.
  std::vector<v1::QueryExample> positive, negative;
  auto add_file = [](const std::string& path,
                     std::vector<v1::QueryExample>* to) {
    auto bytes = ReadFile(path);
    if (!bytes) throw UsageError("cannot read " + path);
    to->emplace_back().set_audio(*bytes);
  };
  for (const std::string& path : args.positional) add_file(path, &positive);
  for (const std::string& id : args.GetAll("id", true)) {
    positive.emplace_back().set_id(ParseId(id));
  }
  for (const std::string& x : args.GetAll("external-id", true)) {
    positive.emplace_back().set_external_id(x);
  }
  for (const std::string& path : args.GetAll("not")) add_file(path, &negative);
  for (const std::string& id : args.GetAll("not-id", true)) {
    negative.emplace_back().set_id(ParseId(id));
  }
  for (const std::string& x : args.GetAll("not-external-id", true)) {
    negative.emplace_back().set_external_id(x);
  }
  if (positive.empty()) {
    throw UsageError(
        "query: give FILE, --id N or --external-id X (each may repeat: "
        "several examples)");
  }
  // The first example in the original oneof (older servers read only it).
  const v1::QueryExample& first = positive[0];
  switch (first.example_case()) {
    case v1::QueryExample::kAudio:
      request.set_audio(first.audio());
      break;
    case v1::QueryExample::kId:
      request.set_id(first.id());
      break;
    default:
      request.set_external_id(first.external_id());
  }
  for (size_t i = 1; i < positive.size(); ++i) {
    *request.add_positive() = positive[i];
  }
  for (const v1::QueryExample& e : negative) *request.add_negative() = e;
  if (args.Has("strategy")) {
    const std::string strategy = args.Get("strategy");
    if (strategy == "average") {
      request.set_strategy(v1::EXAMPLE_STRATEGY_AVERAGE);
    } else if (strategy == "best-score" || strategy == "best_score") {
      request.set_strategy(v1::EXAMPLE_STRATEGY_BEST_SCORE);
    } else {
      throw UsageError("--strategy needs average or best-score");
    }
  }
  if (args.Has("negative-weight")) {
    float w = 0;
    if (!absl::SimpleAtof(args.Get("negative-weight"), &w) || !(w > 0) ||
        w > 1) {
      throw UsageError("--negative-weight needs a number in (0, 1]");
    }
    request.set_negative_weight(w);
  }
  if (args.Has("expand")) {
    // N or N:ALPHA (query expansion, docs/api.md).
    const std::vector<std::string> parts =
        absl::StrSplit(args.Get("expand"), ':');
    int neighbours = 0;
    float alpha = 0;
    if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &neighbours) ||
        neighbours < 0 ||
        (parts.size() == 2 && !absl::SimpleAtof(parts[1], &alpha))) {
      throw UsageError("--expand needs N or N:ALPHA (N >= 0 neighbours)");
    }
    request.mutable_expand()->set_neighbours(static_cast<uint32_t>(neighbours));
    if (parts.size() == 2) request.mutable_expand()->set_alpha(alpha);
  }
  request.set_k(static_cast<uint32_t>(ParseK(args, 15)));
  request.set_space(args.Get("space"));
  request.set_include_query(args.Has("include-query"));
  *request.mutable_filter() = FilterFromArgs(args);
  request.set_offset(CountFromArgs(args, "offset", 0));
  request.set_page_token(args.Get("page-token"));
  request.set_group_by(GroupByFromArgs(args));
  if (args.Has("min-score")) {
    float min_score = 0;
    if (!absl::SimpleAtof(args.Get("min-score"), &min_score)) {
      throw UsageError("--min-score needs a number");
    }
    request.set_min_score(min_score);
  }
  v1::QueryByExampleResponse response;
  auto ctx = client.Context();
  grpc::Status status =
      client.query().QueryByExample(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  std::printf("space %s, %llu sounds, %d results\n", response.space().c_str(),
              static_cast<unsigned long long>(response.collection_size()),
              response.results_size());
  PrintResults(response.results(), response.offset());
  if (!response.next_page_token().empty()) {
    std::printf("next page: --page-token %s\n",
                response.next_page_token().c_str());
  }
  return kExitOk;
}

int CmdDescribe(Client& client, const Args& args) {
  v1::DescribeSoundRequest request;
  if (args.Has("id")) {
    request.set_id(ParseId(args.Get("id")));
  } else if (args.Has("external-id")) {
    request.set_external_id(args.Get("external-id"));
  } else if (args.positional.size() == 1) {
    auto bytes = ReadFile(args.positional[0]);
    if (!bytes) throw UsageError("cannot read " + args.positional[0]);
    request.set_audio(*bytes);
  } else {
    throw UsageError("describe: give FILE, --id N or --external-id X");
  }
  request.set_space(args.Get("space"));
  request.set_class_space(args.Get("class-space"));
  request.set_words(CountFromArgs(args, "words", 0));
  request.set_classes(CountFromArgs(args, "classes", 0));
  v1::DescribeSoundResponse response;
  auto ctx = client.Context();
  grpc::Status status =
      client.query().DescribeSound(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  if (response.has_sound()) PrintSoundLine(response.sound());
  std::printf("words (space %s):\n", response.space().c_str());
  for (const v1::DescribedWord& w : response.words()) {
    std::printf("  %-24s %7.4f  (%lld sounds)\n", w.word().c_str(), w.cosine(),
                static_cast<long long>(w.sounds()));
  }
  if (!response.class_space().empty()) {
    std::printf("classes (space %s):\n", response.class_space().c_str());
    for (const v1::ClassScore& c : response.classes()) {
      std::printf("  %-24s %7.4f\n", c.name().c_str(), c.score());
    }
  }
  if (response.auto_tags_size() > 0) {
    std::printf("auto-tags:");
    for (const v1::AutoTag& t : response.auto_tags()) {
      std::printf(" %s %.3f;", t.tag().c_str(), t.probability());
    }
    std::printf("\n");
  }
  return kExitOk;
}

int CmdGet(Client& client, const Args& args) {
  v1::GetSoundRequest request;
  *request.mutable_sound() = RefFromArgs(args);
  v1::Sound response;
  auto ctx = client.Context();
  grpc::Status status = client.query().GetSound(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    PrintSoundLine(response);
  }
  return kExitOk;
}

int CmdDelete(Client& client, const Args& args) {
  v1::DeleteSoundRequest request;
  *request.mutable_sound() = RefFromArgs(args);
  v1::DeleteSoundResponse response;
  auto ctx = client.Context();
  grpc::Status status =
      client.ingest().DeleteSound(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("deleted id %llu\n",
                static_cast<unsigned long long>(response.id()));
  }
  return kExitOk;
}

}  // namespace soundsearch::cli
