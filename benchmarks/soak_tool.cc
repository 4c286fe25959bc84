// soak_tool: a long mixed load against the real soundsearchd (issue 11,
// docs/operations.md "Soak"). C clients (16 by default) run a closed loop of
// mixed calls for T seconds: adds (unary and streamed), deletes of their own
// older sounds (so the collection stays bounded), queries by id and by
// audio, GetSound, Stats, ListSpaces and word similarity. It prints, per
// call, the count, the errors by code and p50/p99 latency, and the server's
// resident memory over time.
//
//   soak_tool --soundsearchd PATH [--seconds 60] [--clients 16] [--dir D]
//             [--keep]
//
// Exit 1 on any error (every call of this load is expected to succeed) or
// when memory grows without bound: the largest RSS of the last fifth of the
// run may exceed the largest of the window from 30% to 50% of it by at most
// max(32 MiB, 20%). With its own sounds capped, the collection stops
// growing early, so growth after that points at a leak.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "benchmarks/server_process.h"
#include "grpcpp/grpcpp.h"
#include "soundsearch/v1/evaluation.grpc.pb.h"
#include "soundsearch/v1/ingest.grpc.pb.h"
#include "soundsearch/v1/query.grpc.pb.h"

namespace soundsearch {
namespace {

using bench::ServerProcess;
using Clock = std::chrono::steady_clock;

struct Flags {
  std::string soundsearchd;
  double seconds = 60;
  int clients = 16;
  std::string dir;
  bool keep = false;
};

// Calls of one method: latencies (s) and status codes.
struct Calls {
  std::vector<double> seconds;
  std::map<std::string, int64_t> errors;  // code name -> count
  std::string first_error;
};
using Tally = std::map<std::string, Calls>;

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "OTHER";
  }
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(60));
  return ctx;
}

void Client(int index, const std::shared_ptr<grpc::Channel>& channel,
            Clock::time_point end, std::atomic<uint64_t>& next_sound,
            Tally* tally) {
  auto ingest = v1::Ingest::NewStub(channel);
  auto query = v1::Query::NewStub(channel);
  auto evaluation = v1::Evaluation::NewStub(channel);
  std::mt19937 rng(1000 + index);
  std::deque<uint64_t> mine;  // this client's sounds, oldest first
  auto timed = [&](const char* method, auto call) {
    const auto start = Clock::now();
    grpc::Status s = call();
    Calls& c = (*tally)[method];
    c.seconds.push_back(
        std::chrono::duration<double>(Clock::now() - start).count());
    if (!s.ok()) {
      ++c.errors[CodeName(s.error_code())];
      if (c.first_error.empty()) c.first_error = s.error_message();
    }
    return s;
  };
  auto add = [&](bool stream) {
    const uint64_t n = next_sound.fetch_add(1);
    const std::string wav = bench::ToneWav(n, 0.5);
    v1::SoundFields fields;
    fields.set_external_id(absl::StrCat("soak-", n));
    fields.add_tags(absl::StrCat("tag", n % 7));
    fields.add_labels(absl::StrCat("label", n % 5));
    v1::AddSoundResponse response;
    grpc::Status s;
    if (stream) {
      s = timed("AddSoundStream", [&] {
        auto ctx = Ctx();
        auto writer = ingest->AddSoundStream(ctx.get(), &response);
        v1::AddSoundStreamRequest header;
        *header.mutable_header()->mutable_fields() = fields;
        header.mutable_header()->set_total_bytes(wav.size());
        bool ok = writer->Write(header);
        for (size_t off = 0; ok && off < wav.size(); off += 8192) {
          v1::AddSoundStreamRequest chunk;
          chunk.set_chunk(wav.substr(off, 8192));
          ok = writer->Write(chunk);
        }
        writer->WritesDone();
        return writer->Finish();
      });
    } else {
      s = timed("AddSound", [&] {
        v1::AddSoundRequest request;
        request.set_audio(wav);
        *request.mutable_fields() = fields;
        return ingest->AddSound(Ctx().get(), request, &response);
      });
    }
    if (s.ok()) mine.push_back(response.id());
  };
  while (Clock::now() < end) {
    const int dice = static_cast<int>(rng() % 100);
    if (dice < 20) {
      add(false);
    } else if (dice < 25) {
      add(true);
    } else if (dice < 35) {
      if (mine.size() > 20 || (!mine.empty() && dice < 27)) {
        v1::DeleteSoundRequest request;
        request.mutable_sound()->set_id(mine.front());
        v1::DeleteSoundResponse response;
        if (timed("DeleteSound", [&] {
              return ingest->DeleteSound(Ctx().get(), request, &response);
            }).ok()) {
          mine.pop_front();
        }
      }
    } else if (dice < 65) {
      if (mine.empty()) continue;
      v1::QueryByExampleRequest request;
      request.set_id(mine[rng() % mine.size()]);
      request.set_k(15);
      v1::QueryByExampleResponse response;
      timed("QueryByExample(id)", [&] {
        return query->QueryByExample(Ctx().get(), request, &response);
      });
    } else if (dice < 75) {
      v1::QueryByExampleRequest request;
      request.set_audio(bench::ToneWav(rng() % 50000 + 1000000, 0.5));
      request.set_k(15);
      v1::QueryByExampleResponse response;
      timed("QueryByExample(audio)", [&] {
        return query->QueryByExample(Ctx().get(), request, &response);
      });
    } else if (dice < 85) {
      if (mine.empty()) continue;
      v1::GetSoundRequest request;
      request.mutable_sound()->set_id(mine[rng() % mine.size()]);
      v1::Sound sound;
      timed("GetSound",
            [&] { return query->GetSound(Ctx().get(), request, &sound); });
    } else if (dice < 92) {
      v1::StatsResponse stats;
      timed("Stats", [&] { return query->Stats(Ctx().get(), {}, &stats); });
    } else if (dice < 95) {
      v1::ListSpacesResponse spaces;
      timed("ListSpaces",
            [&] { return query->ListSpaces(Ctx().get(), {}, &spaces); });
    } else {
      v1::WordSimilarityRequest request;
      request.set_a(absl::StrCat("tag", rng() % 7));
      request.set_b(absl::StrCat("tag", rng() % 7));
      v1::WordSimilarityResponse response;
      timed("WordSimilarity", [&] {
        return evaluation->WordSimilarity(Ctx().get(), request, &response);
      });
    }
  }
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

int Main(const Flags& flags) {
  namespace fs = std::filesystem;
  std::string dir = flags.dir;
  if (dir.empty()) {
    char pattern[] = "/tmp/soundsearch_soak_XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    dir = pattern;
  }
  fs::create_directories(dir);
  const std::string log = dir + "/soundsearchd.log";
  auto server = ServerProcess::Start(
      flags.soundsearchd, {absl::StrCat("--data-dir=", dir, "/data")}, log);
  if (!server.ok()) {
    std::printf("soak_tool: FAILED: %s\n",
                std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf(
      "soak_tool: %d clients for %.0f s against soundsearchd (pid %d, "
      "data in %s)\n",
      flags.clients, flags.seconds, (*server)->pid(), dir.c_str());
  std::fflush(stdout);
  // A few sounds for every tag, so that word similarity always answers.
  {
    auto ingest = v1::Ingest::NewStub((*server)->channel());
    for (int n = 0; n < 28; ++n) {
      v1::AddSoundRequest request;
      request.set_audio(bench::ToneWav(2000000 + n, 0.5));
      request.mutable_fields()->add_tags(absl::StrCat("tag", n % 7));
      v1::AddSoundResponse response;
      grpc::Status s = ingest->AddSound(Ctx().get(), request, &response);
      if (!s.ok()) {
        std::printf("soak_tool: FAILED: seeding: %s\n",
                    s.error_message().c_str());
        return 1;
      }
    }
  }

  const auto start = Clock::now();
  const auto end = start + std::chrono::milliseconds(
                               static_cast<int64_t>(flags.seconds * 1000));
  std::atomic<uint64_t> next_sound{1};
  std::vector<Tally> tallies(flags.clients);
  std::vector<std::thread> clients;
  for (int c = 0; c < flags.clients; ++c) {
    clients.emplace_back(Client, c, (*server)->channel(), end,
                         std::ref(next_sound), &tallies[c]);
  }
  std::vector<std::pair<double, int64_t>> rss;  // (seconds, bytes)
  while (Clock::now() < end) {
    rss.emplace_back(
        std::chrono::duration<double>(Clock::now() - start).count(),
        (*server)->RssBytes());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  for (auto& t : clients) t.join();
  rss.emplace_back(std::chrono::duration<double>(Clock::now() - start).count(),
                   (*server)->RssBytes());
  const double wall =
      std::chrono::duration<double>(Clock::now() - start).count();
  const int stop_code = (*server)->Stop();

  Tally all;
  for (Tally& t : tallies) {
    for (auto& [method, calls] : t) {
      Calls& into = all[method];
      into.seconds.insert(into.seconds.end(), calls.seconds.begin(),
                          calls.seconds.end());
      for (const auto& [code, n] : calls.errors) into.errors[code] += n;
      if (into.first_error.empty()) into.first_error = calls.first_error;
    }
  }
  int64_t total = 0, errors = 0;
  std::printf("\n%-22s %8s %8s %9s %9s  errors by code\n", "call", "count",
              "per s", "p50 ms", "p99 ms");
  for (auto& [method, calls] : all) {
    std::string codes;
    for (const auto& [code, n] : calls.errors) {
      absl::StrAppend(&codes, codes.empty() ? "" : ", ", code, " ", n);
      errors += n;
    }
    total += static_cast<int64_t>(calls.seconds.size());
    std::printf("%-22s %8zu %8.1f %9.2f %9.2f  %s\n", method.c_str(),
                calls.seconds.size(), calls.seconds.size() / wall,
                1000 * Percentile(calls.seconds, 0.5),
                1000 * Percentile(calls.seconds, 0.99),
                codes.empty() ? "none" : codes.c_str());
    if (!calls.first_error.empty()) {
      std::printf("  first error: %s\n", calls.first_error.c_str());
    }
  }
  std::printf("%-22s %8lld %8.1f\n", "all", static_cast<long long>(total),
              total / wall);

  // Memory over time, and whether it levelled off.
  auto window_max = [&](double from, double to) {
    int64_t m = 0;
    for (const auto& [t, bytes] : rss) {
      if (t >= from * wall && t <= to * wall) m = std::max(m, bytes);
    }
    return m;
  };
  std::printf("\nserver RSS (MiB) over time:");
  const size_t step = std::max<size_t>(1, rss.size() / 12);
  for (size_t i = 0; i < rss.size(); i += step) {
    std::printf(" %.0fs:%.0f", rss[i].first, rss[i].second / 1048576.0);
  }
  std::printf(" %.0fs:%.0f\n", rss.back().first, rss.back().second / 1048576.0);
  const int64_t warm = window_max(0.3, 0.5);
  const int64_t late = window_max(0.8, 1.0);
  const int64_t allowed =
      std::max<int64_t>(int64_t{32} << 20, static_cast<int64_t>(0.2 * warm));
  std::printf(
      "RSS max 30-50%%: %.0f MiB, max 80-100%%: %.0f MiB (growth "
      "allowed: %.0f MiB)\n",
      warm / 1048576.0, late / 1048576.0, allowed / 1048576.0);
  bool ok = true;
  if (errors > 0) {
    std::printf("soak_tool: FAILED: %lld unexpected error(s)\n",
                static_cast<long long>(errors));
    ok = false;
  }
  if (late - warm > allowed) {
    std::printf("soak_tool: FAILED: RSS keeps growing\n");
    ok = false;
  }
  if (stop_code != 0) {
    std::printf("soak_tool: FAILED: the server exited %d at SIGTERM\n",
                stop_code);
    ok = false;
  }
  if (ok) std::printf("soak_tool: PASSED\n");
  if (!flags.keep && flags.dir.empty()) fs::remove_all(dir);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace soundsearch

int main(int argc, char** argv) {
  soundsearch::Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "soak_tool: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    bool ok = true;
    if (arg == "--soundsearchd") {
      flags.soundsearchd = value();
    } else if (arg == "--seconds") {
      ok = absl::SimpleAtod(value(), &flags.seconds) && flags.seconds > 0;
    } else if (arg == "--clients") {
      ok = absl::SimpleAtoi(value(), &flags.clients) && flags.clients >= 1;
    } else if (arg == "--dir") {
      flags.dir = value();
    } else if (arg == "--keep") {
      flags.keep = true;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "soak_tool: bad argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (flags.soundsearchd.empty()) {
    std::fprintf(stderr,
                 "usage: soak_tool --soundsearchd PATH [--seconds S] "
                 "[--clients N] [--dir D] [--keep]\n");
    return 2;
  }
  return soundsearch::Main(flags);
}
