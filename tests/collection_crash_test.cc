// Crash safety with real processes: a child ingests in a loop and reports
// each acknowledged id; we SIGKILL it at a random moment, reopen, and check
// that every acknowledged sound is present and searchable and that store and
// index agree. Several rounds on the same data directory.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "soundsearch/sound_collection.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

// Runs the child until `run_ms` after its first ack, then SIGKILLs it.
// Returns the acknowledged ids.
std::set<uint64_t> RunAndKill(const std::string& child, const std::string& dir,
                              int first_n, int run_ms) {
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(child.c_str(), child.c_str(), dir.c_str(),
          std::to_string(first_n).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::set<uint64_t> acked;
  FILE* in = fdopen(out[0], "r");
  // The kill lands `run_ms` after the first acknowledgement, so that every
  // round ingests for a while whatever the child's start-up costs.
  std::thread killer;
  char line[128];
  while (fgets(line, sizeof(line), in) != nullptr) {
    unsigned long long id = 0;
    if (sscanf(line, "ACK %llu", &id) != 1) continue;
    acked.insert(id);
    if (!killer.joinable()) {
      killer = std::thread([pid, run_ms] {
        std::this_thread::sleep_for(std::chrono::milliseconds(run_ms));
        kill(pid, SIGKILL);
      });
    }
  }
  if (killer.joinable()) {
    killer.join();
  } else {
    kill(pid, SIGKILL);  // never acknowledged anything: still end it
  }
  fclose(in);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child ended on its own (status " << status << ")";
  return acked;
}

TEST(CollectionCrashTest, AcknowledgedSoundsSurviveSigkill) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const std::string data = dir->File("data");
  const std::string child =
      (std::filesystem::path(::testing::internal::GetArgvs()[0]).parent_path() /
       "collection_crash_child")
          .string();
  std::mt19937 rng(20261122);
  std::set<uint64_t> all_acked;
  for (int round = 0; round < 5; ++round) {
    const int run_ms = std::uniform_int_distribution<int>(50, 1500)(rng);
    std::set<uint64_t> acked = RunAndKill(child, data, round * 1000, run_ms);
    all_acked.insert(acked.begin(), acked.end());

    CollectionOptions options;
    options.data_dir = data;
    SpaceConfig space = DefaultSpaceConfig();
    space.pca_dims = 8;
    space.min_fit_items = 10;
    options.spaces = {space};
    options.snapshot_on_close = (round % 2 == 0);  // both restart paths
    auto collection = SoundCollection::Open(options);
    ASSERT_TRUE(collection.ok()) << collection.status();
    // Every acknowledged sound is stored and searchable (finds itself).
    for (uint64_t id : all_acked) {
      ASSERT_TRUE((*collection)->Get(id).ok()) << "round " << round << " id " << id;
      QueryOptions q;
      q.k = 1;
      q.include_query = true;
      auto result = (*collection)->QueryById(id, q);
      ASSERT_TRUE(result.ok()) << result.status();
      ASSERT_EQ(result->hits.size(), 1u);
      EXPECT_NEAR(result->hits[0].score, 1.0, 1e-4);
    }
    // Store and index agree. An add in flight at each kill may have landed
    // without its acknowledgement: at most one per round.
    EXPECT_GE((*collection)->size(), all_acked.size());
    EXPECT_LE((*collection)->size(), all_acked.size() + round + 1);
    EXPECT_EQ((*collection)->Spaces()[0].vectors, (*collection)->size());
    std::printf("round %d: killed after %d ms, %zu acknowledged so far, %llu "
                "stored\n",
                round, run_ms, all_acked.size(),
                static_cast<unsigned long long>((*collection)->size()));
  }
  EXPECT_GT(all_acked.size(), 5u) << "the child acknowledged almost nothing";
}

}  // namespace
}  // namespace soundsearch
