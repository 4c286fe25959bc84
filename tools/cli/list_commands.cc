// `list` (one page of the sounds that pass a filter) and `export` (all of
// them, as JSON lines), through ListSounds.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_join.h"
#include "tools/cli/commands.h"
#include "tools/cli/query_flags.h"

namespace soundsearch::cli {
namespace {

v1::ListSoundsRequest ListRequestFromArgs(const Args& args) {
  v1::ListSoundsRequest request;
  *request.mutable_filter() = FilterFromArgs(args);
  request.set_page_size(CountFromArgs(args, "page-size", 0));
  request.set_page_token(args.Get("page-token"));
  return request;
}

}  // namespace

int CmdList(Client& client, const Args& args) {
  v1::ListSoundsRequest request = ListRequestFromArgs(args);
  v1::ListSoundsResponse response;
  auto ctx = client.Context();
  grpc::Status status =
      client.query().ListSounds(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  std::printf("%8s  %-24s %8s  %-20s %s\n", "id", "name", "seconds", "labels",
              "tags");
  for (const v1::Sound& s : response.sounds()) {
    std::printf("%8llu  %-24s %8.2f  %-20s %s\n",
                static_cast<unsigned long long>(s.id()),
                s.name().substr(0, 24).c_str(), s.duration_seconds(),
                absl::StrJoin(s.labels(), ",").c_str(),
                absl::StrJoin(s.tags(), ",").c_str());
  }
  if (!response.next_page_token().empty()) {
    std::printf("next page: --page-token %s\n",
                response.next_page_token().c_str());
  }
  return kExitOk;
}

int CmdExport(Client& client, const Args& args) {
  v1::ListSoundsRequest request = ListRequestFromArgs(args);
  if (request.page_size() == 0) request.set_page_size(1000);
  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  if (args.Has("out")) {
    file.reset(std::fopen(args.Get("out").c_str(), "w"));
    if (file == nullptr) throw UsageError("cannot write " + args.Get("out"));
    out = file.get();
  }
  uint64_t sounds = 0;
  while (true) {
    v1::ListSoundsResponse response;
    auto ctx = client.Context();
    grpc::Status status =
        client.query().ListSounds(ctx.get(), request, &response);
    if (!status.ok()) return Fail(status);
    for (const v1::Sound& s : response.sounds()) {
      std::fprintf(out, "%s\n", ToJson(s).c_str());
      ++sounds;
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  if (std::fflush(out) != 0) {
    std::fprintf(stderr, "soundsearch: export: write failed\n");
    return kExitServerError;
  }
  if (out != stdout) {
    std::fprintf(stderr, "exported %llu sounds to %s\n",
                 static_cast<unsigned long long>(sounds),
                 args.Get("out").c_str());
  }
  return kExitOk;
}

}  // namespace soundsearch::cli
