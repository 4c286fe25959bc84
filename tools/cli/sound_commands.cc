// `query`, `get` and `delete`: one sound at a time, by example, id or
// external id.
#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "tools/cli/commands.h"

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
  if (args.Has("id")) {
    request.set_id(ParseId(args.Get("id")));
  } else if (args.Has("external-id")) {
    request.set_external_id(args.Get("external-id"));
  } else if (args.positional.size() == 1) {
    auto bytes = ReadFile(args.positional[0]);
    if (!bytes) {
      std::fprintf(stderr, "soundsearch: cannot read %s\n",
                   args.positional[0].c_str());
      return kExitUsage;
    }
    request.set_audio(*bytes);
  } else {
    throw UsageError("query: give FILE, --id N or --external-id X");
  }
  int k = 15;
  if (args.Has("k") && !absl::SimpleAtoi(args.Get("k"), &k)) {
    throw UsageError("-k needs a number");
  }
  if (k < 1) throw UsageError("-k must be >= 1");
  request.set_k(static_cast<uint32_t>(k));
  request.set_space(args.Get("space"));
  request.set_include_query(args.Has("include-query"));
  for (const auto& t : SplitCsvList(args.Get("tags-any"))) {
    request.mutable_filter()->add_tags_any(t);
  }
  for (const auto& l : SplitCsvList(args.Get("labels-any"))) {
    request.mutable_filter()->add_labels_any(l);
  }
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
  std::printf("%4s  %7s  %8s  %-24s %s\n", "rank", "score", "id", "name",
              "labels");
  int rank = 1;
  for (const v1::ScoredSound& r : response.results()) {
    std::printf("%4d  %7.4f  %8llu  %-24s %s\n", rank++, r.score(),
                static_cast<unsigned long long>(r.id()),
                r.sound().name().substr(0, 24).c_str(),
                absl::StrJoin(r.sound().labels(), ",").c_str());
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
