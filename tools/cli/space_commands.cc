// `stats`, `spaces` and `refit`: the collection and its spaces.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "tools/cli/commands.h"

namespace soundsearch::cli {
namespace {

void PrintSpaces(
    const google::protobuf::RepeatedPtrField<v1::SpaceInfo>& spaces) {
  for (const v1::SpaceInfo& s : spaces) {
    std::printf(
        "  %-12s encoder %-11s pooling %-8s metric %-13s index %-5s "
        "dims %u->%u  %s  vectors %llu\n",
        s.name().c_str(), s.encoder().c_str(), s.pooling().c_str(),
        s.metric().c_str(), s.index_type().c_str(), s.raw_dim(), s.index_dim(),
        s.fitted() ? absl::StrCat("fitted v", s.fitted_version()).c_str()
                   : "not fitted",
        static_cast<unsigned long long>(s.vectors()));
  }
}

}  // namespace

int CmdStats(Client& client, const Args& /*args*/) {
  v1::StatsResponse response;
  auto ctx = client.Context();
  grpc::Status status = client.query().Stats(ctx.get(), {}, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  std::printf(
      "soundsearchd %s, up %.0fs: %llu sounds, %.1f minutes of audio, "
      "ingest queue %llu\n",
      response.version().c_str(), response.uptime_seconds(),
      static_cast<unsigned long long>(response.sounds()),
      response.total_duration_seconds() / 60,
      static_cast<unsigned long long>(response.ingest_queue_depth()));
  PrintSpaces(response.spaces());
  return kExitOk;
}

int CmdSpaces(Client& client, const Args& /*args*/) {
  v1::ListSpacesResponse response;
  auto ctx = client.Context();
  grpc::Status status = client.query().ListSpaces(ctx.get(), {}, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  std::printf("default space: %s\n", response.default_space().c_str());
  PrintSpaces(response.spaces());
  return kExitOk;
}

int CmdRefit(Client& client, const Args& args) {
  v1::RefitRequest request;
  request.set_space(args.Get("space"));
  v1::RefitResponse response;
  auto ctx = client.Context();
  grpc::Status status = client.ingest().Refit(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("refitted %s on %llu sounds in %.2fs (version %llu)\n",
                response.space().c_str(),
                static_cast<unsigned long long>(response.items()),
                response.seconds(),
                static_cast<unsigned long long>(response.fitted_version()));
  }
  return kExitOk;
}

}  // namespace soundsearch::cli
