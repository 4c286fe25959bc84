// `evaluate` and `evaluate --last`: retrieval quality over the class labels
// of the running server (v1.Evaluation; docs/evaluation.md).
#include <cstdio>
#include <ctime>
#include <string>

#include "tools/cli/commands.h"

namespace soundsearch::cli {
namespace {

void PrintScores(const char* what, const v1::RetrievalScores& s) {
  std::printf("  %-16s MAP@15 %.4f  MAP@150 %.4f  MR1 %.2f\n", what,
              s.map_at_15(), s.map_at_150(), s.mr1());
}

int CmdLastEvaluation(Client& client, const Args& args) {
  v1::GetEvaluationRequest request;
  request.set_space(args.Get("space"));
  v1::EvaluateResponse response;
  auto ctx = client.Context();
  grpc::Status status =
      client.evaluation().GetEvaluation(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  if (response.spaces_size() == 0) std::printf("no space evaluated yet\n");
  for (const v1::SpaceEvaluation& e : response.spaces()) {
    const std::time_t t = static_cast<std::time_t>(e.unix_ms() / 1000);
    char when[32];
    std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    std::printf("space %s: evaluated %s%s\n", e.space().c_str(), when,
                e.reference_mode() ? ", reference mode" : "");
    PrintScores("label-based", e.label_based());
  }
  return kExitOk;
}

}  // namespace

int CmdEvaluate(Client& client, const Args& args) {
  if (args.Has("last")) return CmdLastEvaluation(client, args);
  v1::EvaluateRequest request;
  request.set_space(args.Get("space"));
  request.set_families_path(args.Get("families"));
  request.set_excluded_labels_path(args.Get("exclude-labels"));
  request.set_reference_mode(args.Has("reference"));
  v1::EvaluateResponse response;
  auto ctx = client.Context();
  grpc::Status status =
      client.evaluation().Evaluate(ctx.get(), request, &response);
  if (!status.ok()) return Fail(status);
  if (client.globals().json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  for (const v1::SpaceEvaluation& e : response.spaces()) {
    std::printf(
        "space %s: %lld labelled sounds, %lld labels scored "
        "(%lld left out), %.2fs%s\n",
        e.space().c_str(), static_cast<long long>(e.sounds()),
        static_cast<long long>(e.labels_scored()),
        static_cast<long long>(e.labels_left_out()), e.seconds(),
        e.reference_mode() ? ", reference mode" : "");
    PrintScores("label-based", e.label_based());
    PrintScores("instance-based", e.instance_based());
    for (const v1::FamilyScores& f : e.families()) {
      PrintScores(("family " + f.family()).c_str(), f.scores());
    }
  }
  return kExitOk;
}

}  // namespace soundsearch::cli
