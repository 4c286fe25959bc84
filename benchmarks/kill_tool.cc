// kill_tool: the kill test of the whole server (issue 11, docs/operations.md
// "Chaos"). It starts the real soundsearchd, runs a mixed load against it
// (several clients adding sounds, one deleting, queries, a refit or an
// evaluation now and then), SIGKILLs the server at a random moment, runs the
// offline check (soundsearchd --check), restarts it and verifies that every
// acknowledged add is present and searchable, every acknowledged delete is
// gone, the collection holds nothing else, and no start failed. After the
// last kill it stops the server cleanly and checks once more.
//
//   kill_tool --soundsearchd PATH [--kills 10] [--seed 1] [--dir D]
//             [--min-ms 200] [--max-ms 2500] [--adders 3] [--keep]
//
// Exit 0 when every round held; 1 with the first violation otherwise.
// ctest runs 12 kills (server_kill_test); scripts/chaos N runs N.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
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
  int kills = 10;
  uint32_t seed = 1;
  std::string dir;
  int min_ms = 200;
  int max_ms = 2500;
  int adders = 3;
  bool keep = false;
};

// What the server acknowledged, and what was in flight when it died.
struct Ledger {
  std::mutex mu;
  std::map<std::string, uint64_t> added;  // external id -> id; acked, live
  std::set<uint64_t> deleted;             // acked deletes
  std::set<std::string> maybe_added;      // add in flight at the kill
  std::set<uint64_t> maybe_deleted;       // delete in flight at the kill
  std::vector<std::string> unexpected;    // errors no kill explains
  int64_t adds = 0, deletes = 0, queries = 0, refits = 0, evaluations = 0;
};

std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 30) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(seconds));
  return ctx;
}

// The codes a call may end with because the server was killed under it.
bool KilledUnder(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::CANCELLED ||
         s.error_code() == grpc::StatusCode::UNKNOWN;  // RST mid-stream
}

void Unexpected(Ledger& ledger, const std::string& what,
                const grpc::Status& s) {
  std::lock_guard<std::mutex> lock(ledger.mu);
  ledger.unexpected.push_back(
      absl::StrCat(what, ": code ", s.error_code(), ": ", s.error_message()));
}

void Adder(const std::shared_ptr<grpc::Channel>& channel,
           std::atomic<uint64_t>& next, std::atomic<bool>& stop,
           Ledger& ledger) {
  auto ingest = v1::Ingest::NewStub(channel);
  while (!stop.load()) {
    const uint64_t n = next.fetch_add(1);
    const std::string ext = absl::StrCat("k", n);
    const std::string wav = bench::ToneWav(n, 0.5);
    v1::SoundFields fields;
    fields.set_external_id(ext);
    fields.set_name(ext);
    fields.add_labels(absl::StrCat("label", n % 5));
    fields.add_tags(absl::StrCat("tag", n % 7));
    {
      std::lock_guard<std::mutex> lock(ledger.mu);
      ledger.maybe_added.insert(ext);
    }
    v1::AddSoundResponse response;
    grpc::Status s;
    if (n % 4 == 0) {  // a stream, sized in its header
      auto ctx = Ctx();
      auto writer = ingest->AddSoundStream(ctx.get(), &response);
      v1::AddSoundStreamRequest header;
      *header.mutable_header()->mutable_fields() = fields;
      header.mutable_header()->set_total_bytes(wav.size());
      bool ok = writer->Write(header);
      for (size_t off = 0; ok && off < wav.size(); off += 4096) {
        v1::AddSoundStreamRequest chunk;
        chunk.set_chunk(wav.substr(off, 4096));
        ok = writer->Write(chunk);
      }
      writer->WritesDone();
      s = writer->Finish();
    } else {
      v1::AddSoundRequest request;
      request.set_audio(wav);
      *request.mutable_fields() = fields;
      s = ingest->AddSound(Ctx().get(), request, &response);
    }
    if (s.ok() && !response.duplicate()) {
      std::lock_guard<std::mutex> lock(ledger.mu);
      ledger.maybe_added.erase(ext);
      ledger.added[ext] = response.id();
      ++ledger.adds;
    } else if (s.ok()) {
      Unexpected(
          ledger,
          absl::StrCat("add ", ext, " answered duplicate of ", response.id()),
          s);
    } else if (KilledUnder(s)) {
      return;  // in flight: resolved after the restart
    } else {
      Unexpected(ledger, absl::StrCat("add ", ext), s);
      std::lock_guard<std::mutex> lock(ledger.mu);
      ledger.maybe_added.erase(ext);
    }
  }
}

void Deleter(const std::shared_ptr<grpc::Channel>& channel,
             std::atomic<bool>& stop, Ledger& ledger, uint32_t seed) {
  auto ingest = v1::Ingest::NewStub(channel);
  std::mt19937 rng(seed);
  while (!stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    std::string ext;
    uint64_t id = 0;
    {
      std::lock_guard<std::mutex> lock(ledger.mu);
      if (ledger.added.size() < 30) continue;
      auto it = ledger.added.begin();
      std::advance(it, rng() % ledger.added.size());
      ext = it->first;
      id = it->second;
      ledger.maybe_deleted.insert(id);
    }
    v1::DeleteSoundRequest request;
    request.mutable_sound()->set_id(id);
    v1::DeleteSoundResponse response;
    grpc::Status s = ingest->DeleteSound(Ctx().get(), request, &response);
    if (s.ok()) {
      std::lock_guard<std::mutex> lock(ledger.mu);
      ledger.maybe_deleted.erase(id);
      ledger.added.erase(ext);
      ledger.deleted.insert(id);
      ++ledger.deletes;
    } else if (KilledUnder(s)) {
      return;
    } else {
      Unexpected(ledger, absl::StrCat("delete ", id), s);
      std::lock_guard<std::mutex> lock(ledger.mu);
      ledger.maybe_deleted.erase(id);
    }
  }
}

void Querier(const std::shared_ptr<grpc::Channel>& channel,
             std::atomic<bool>& stop, Ledger& ledger, uint32_t seed) {
  auto query = v1::Query::NewStub(channel);
  std::mt19937 rng(seed);
  for (int i = 0; !stop.load(); ++i) {
    v1::QueryByExampleRequest request;
    request.set_k(5);
    uint64_t id = 0;
    if (i % 10 == 0) {
      request.set_audio(bench::ToneWav(rng() % 100000, 0.5));
    } else {
      std::lock_guard<std::mutex> lock(ledger.mu);
      if (ledger.added.empty()) {
        request.set_audio(bench::ToneWav(1, 0.5));
      } else {
        auto it = ledger.added.begin();
        std::advance(it, rng() % ledger.added.size());
        id = it->second;
        request.set_id(id);
      }
    }
    v1::QueryByExampleResponse response;
    grpc::Status s = query->QueryByExample(Ctx().get(), request, &response);
    if (s.ok()) {
      std::lock_guard<std::mutex> lock(ledger.mu);
      ++ledger.queries;
    } else if (KilledUnder(s)) {
      return;
    } else if (s.error_code() == grpc::StatusCode::NOT_FOUND && id != 0) {
      std::lock_guard<std::mutex> lock(ledger.mu);
      // Deleted meanwhile by the deleter.
      if (ledger.deleted.count(id) == 0 &&
          ledger.maybe_deleted.count(id) == 0) {
        ledger.unexpected.push_back(absl::StrCat(
            "query of sound ", id, ": NOT_FOUND: ", s.error_message()));
      }
    } else {
      Unexpected(ledger, "query", s);
    }
  }
}

void Admin(const std::shared_ptr<grpc::Channel>& channel,
           std::atomic<bool>& stop, Ledger& ledger) {
  auto ingest = v1::Ingest::NewStub(channel);
  auto evaluation = v1::Evaluation::NewStub(channel);
  for (int i = 0; !stop.load(); ++i) {
    for (int w = 0; w < 7 && !stop.load(); ++w) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (stop.load()) return;
    grpc::Status s;
    if (i % 2 == 0) {
      v1::RefitResponse response;
      s = ingest->Refit(Ctx(60).get(), v1::RefitRequest(), &response);
      if (s.ok()) {
        std::lock_guard<std::mutex> lock(ledger.mu);
        ++ledger.refits;
      }
    } else {
      v1::EvaluateResponse response;
      s = evaluation->Evaluate(Ctx(60).get(), v1::EvaluateRequest(), &response);
      if (s.ok()) {
        std::lock_guard<std::mutex> lock(ledger.mu);
        ++ledger.evaluations;
      }
    }
    if (s.ok() || s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      continue;  // too few sounds yet
    }
    if (KilledUnder(s)) return;
    Unexpected(ledger, i % 2 == 0 ? "refit" : "evaluate", s);
  }
}

// After a restart: settles what was in flight, then checks that the server
// holds exactly what was acknowledged. Returns the violations.
std::vector<std::string> Verify(ServerProcess& server, Ledger& ledger) {
  std::vector<std::string> problems;
  auto query = v1::Query::NewStub(server.channel());
  auto get = [&](const v1::SoundRef& ref, v1::Sound* sound) {
    v1::GetSoundRequest request;
    *request.mutable_sound() = ref;
    return query->GetSound(Ctx().get(), request, sound);
  };
  std::lock_guard<std::mutex> lock(ledger.mu);
  for (const std::string& ext : ledger.maybe_added) {
    v1::SoundRef ref;
    ref.set_external_id(ext);
    v1::Sound sound;
    grpc::Status s = get(ref, &sound);
    if (s.ok()) {
      ledger.added[ext] = sound.id();  // it made it: it must stay
    } else if (s.error_code() != grpc::StatusCode::NOT_FOUND) {
      problems.push_back(absl::StrCat("get ", ext, ": ", s.error_message()));
    }
  }
  ledger.maybe_added.clear();
  for (uint64_t id : ledger.maybe_deleted) {
    v1::SoundRef ref;
    ref.set_id(id);
    v1::Sound sound;
    if (get(ref, &sound).error_code() == grpc::StatusCode::NOT_FOUND) {
      ledger.deleted.insert(id);
      for (auto it = ledger.added.begin(); it != ledger.added.end(); ++it) {
        if (it->second == id) {
          ledger.added.erase(it);
          break;
        }
      }
    }
  }
  ledger.maybe_deleted.clear();
  for (const auto& [ext, id] : ledger.added) {
    v1::SoundRef ref;
    ref.set_external_id(ext);
    v1::Sound sound;
    grpc::Status s = get(ref, &sound);
    if (!s.ok() || sound.id() != id) {
      problems.push_back(absl::StrCat("acknowledged add ", ext, " (id ", id,
                                      ") is missing: ", s.error_message()));
      continue;
    }
    v1::QueryByExampleRequest request;
    request.set_id(id);
    request.set_k(3);
    request.set_include_query(true);
    v1::QueryByExampleResponse response;
    s = query->QueryByExample(Ctx().get(), request, &response);
    bool found = false;
    for (const auto& r : response.results()) found |= r.sound().id() == id;
    if (!s.ok() || !found) {
      problems.push_back(
          absl::StrCat("acknowledged add ", ext, " (id ", id,
                       ") is not searchable: ", s.error_message()));
    }
  }
  for (uint64_t id : ledger.deleted) {
    v1::SoundRef ref;
    ref.set_id(id);
    v1::Sound sound;
    if (get(ref, &sound).error_code() != grpc::StatusCode::NOT_FOUND) {
      problems.push_back(
          absl::StrCat("acknowledged delete of sound ", id, " came back"));
    }
  }
  v1::StatsResponse stats;
  grpc::Status s = query->Stats(Ctx().get(), {}, &stats);
  if (!s.ok() || stats.sounds() != ledger.added.size()) {
    problems.push_back(absl::StrCat("the server holds ", stats.sounds(),
                                    " sounds, the ledger ", ledger.added.size(),
                                    " ", s.error_message()));
  }
  return problems;
}

int Main(const Flags& flags) {
  namespace fs = std::filesystem;
  std::string dir = flags.dir;
  if (dir.empty()) {
    char pattern[] = "/tmp/soundsearch_kill_XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    dir = pattern;
  }
  fs::create_directories(dir);
  const std::string data = dir + "/data";
  const std::string log = dir + "/soundsearchd.log";
  const std::vector<std::string> server_flags = {
      absl::StrCat("--data-dir=", data), "--snapshot-every-changes=40",
      "--snapshot-every-seconds=1", "--ingest-workers=2", "--query-threads=3"};
  const std::string check_command =
      absl::StrCat(flags.soundsearchd, " --check --data-dir ", data);
  std::printf("kill_tool: %d kills, seed %u, data in %s\n", flags.kills,
              flags.seed, dir.c_str());
  std::mt19937 rng(flags.seed);
  Ledger ledger;
  std::atomic<uint64_t> next{1};
  std::vector<double> starts, checks;
  auto fail = [&](const std::string& why) {
    std::printf("kill_tool: FAILED: %s\n(log: %s)\n", why.c_str(), log.c_str());
    return 1;
  };

  for (int round = 0; round <= flags.kills; ++round) {
    auto server = ServerProcess::Start(flags.soundsearchd, server_flags, log);
    if (!server.ok()) {
      return fail(absl::StrCat("start ", round + 1,
                               " failed: ", server.status().message()));
    }
    starts.push_back((*server)->start_seconds());
    std::vector<std::string> problems = Verify(**server, ledger);
    {
      std::lock_guard<std::mutex> lock(ledger.mu);
      for (const std::string& u : ledger.unexpected) problems.push_back(u);
      ledger.unexpected.clear();
    }
    if (!problems.empty()) {
      return fail(absl::StrCat("after start ", round + 1, ": ", problems[0],
                               " (", problems.size(), " problem(s))"));
    }
    size_t live;
    {
      std::lock_guard<std::mutex> lock(ledger.mu);
      live = ledger.added.size();
    }
    if (round == flags.kills) {
      // The end: a clean stop, and a last check.
      const int code = (*server)->Stop();
      std::string out;
      const auto t0 = Clock::now();
      const int check = bench::RunCommand(check_command, &out);
      checks.push_back(
          std::chrono::duration<double>(Clock::now() - t0).count());
      if (code != 0) return fail(absl::StrCat("clean stop exited ", code));
      if (check != 0) return fail("check after the clean stop:\n" + out);
      std::printf("final: clean stop, check consistent; %zu sounds verified\n",
                  live);
      break;
    }

    std::atomic<bool> stop{false};
    std::vector<std::thread> load;
    for (int a = 0; a < flags.adders; ++a) {
      load.emplace_back(Adder, (*server)->channel(), std::ref(next),
                        std::ref(stop), std::ref(ledger));
    }
    load.emplace_back(Deleter, (*server)->channel(), std::ref(stop),
                      std::ref(ledger), rng());
    load.emplace_back(Querier, (*server)->channel(), std::ref(stop),
                      std::ref(ledger), rng());
    load.emplace_back(Admin, (*server)->channel(), std::ref(stop),
                      std::ref(ledger));
    const int wait_ms =
        flags.min_ms +
        static_cast<int>(rng() % (flags.max_ms - flags.min_ms + 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    (*server)->Kill();
    stop.store(true);
    for (auto& t : load) t.join();
    std::string out;
    const auto t0 = Clock::now();
    const int check = bench::RunCommand(check_command, &out);
    checks.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    if (check != 0) {
      return fail(absl::StrCat("check after kill ", round + 1, ":\n", out));
    }
    std::lock_guard<std::mutex> lock(ledger.mu);
    std::printf(
        "kill %d: start %d SERVING in %.2f s with all %zu acknowledged "
        "sounds; SIGKILL after %d ms of load with %zu adds and %zu deletes "
        "in flight; offline check consistent\n",
        round + 1, round + 1, starts.back(), live, wait_ms,
        ledger.maybe_added.size(), ledger.maybe_deleted.size());
    std::fflush(stdout);
  }
  auto summary = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    char out[96];
    std::snprintf(out, sizeof(out), "min %.2f s, median %.2f s, max %.2f s",
                  v.front(), v[v.size() / 2], v.back());
    return std::string(out);
  };
  std::printf(
      "kill_tool: PASSED: %d kills, %d starts, none failed; acknowledged: "
      "%lld adds, %lld deletes; %lld queries, %lld refits, %lld evaluations "
      "answered; lost: 0\nstart to SERVING: %s\noffline check: %s\n",
      flags.kills, flags.kills + 1, static_cast<long long>(ledger.adds),
      static_cast<long long>(ledger.deletes),
      static_cast<long long>(ledger.queries),
      static_cast<long long>(ledger.refits),
      static_cast<long long>(ledger.evaluations), summary(starts).c_str(),
      summary(checks).c_str());
  if (!flags.keep && flags.dir.empty()) fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace soundsearch

int main(int argc, char** argv) {
  soundsearch::Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "kill_tool: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    bool ok = true;
    if (arg == "--soundsearchd") {
      flags.soundsearchd = value();
    } else if (arg == "--kills") {
      ok = absl::SimpleAtoi(value(), &flags.kills) && flags.kills >= 1;
    } else if (arg == "--seed") {
      ok = absl::SimpleAtoi(value(), &flags.seed);
    } else if (arg == "--dir") {
      flags.dir = value();
    } else if (arg == "--min-ms") {
      ok = absl::SimpleAtoi(value(), &flags.min_ms) && flags.min_ms >= 0;
    } else if (arg == "--max-ms") {
      ok = absl::SimpleAtoi(value(), &flags.max_ms);
    } else if (arg == "--adders") {
      ok = absl::SimpleAtoi(value(), &flags.adders) && flags.adders >= 1;
    } else if (arg == "--keep") {
      flags.keep = true;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "kill_tool: bad argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (flags.soundsearchd.empty() || flags.max_ms < flags.min_ms) {
    std::fprintf(stderr,
                 "usage: kill_tool --soundsearchd PATH [--kills N] [--seed S] "
                 "[--dir D] [--min-ms A] [--max-ms B] [--adders N] [--keep]\n");
    return 2;
  }
  return soundsearch::Main(flags);
}
