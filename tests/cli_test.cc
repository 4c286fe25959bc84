// Tests of the `soundsearch` client's command line (tools/cli/, docs/cli.md):
// help, usage errors and exit codes. Runs the built binary
// (SOUNDSEARCH_CLI_PATH) with stdout and stderr captured to files. No server
// is started: usage errors never reach the network, and the unreachable case
// points the client at a loopback port that nothing listens on.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
  }

  // Runs `soundsearch <args>` (args as the shell splits them), without
  // $SOUNDSEARCH_TOKEN.
  CliRun Run(const std::string& args) {
    const std::string out = dir_->File("out.txt");
    const std::string err = dir_->File("err.txt");
    const std::string command =
        absl::StrCat("env -u SOUNDSEARCH_TOKEN ", SOUNDSEARCH_CLI_PATH, " ",
                     args, " >", out, " 2>", err, " </dev/null");
    CliRun run;
    const int status = std::system(command.c_str());
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = test::ReadFileBytes(out).value_or("");
    run.err = test::ReadFileBytes(err).value_or("");
    return run;
  }

  // Expects exit code 2 with `message` on stderr and nothing on stdout.
  void ExpectUsageError(const std::string& args, const std::string& message) {
    SCOPED_TRACE(args);
    CliRun run = Run(args);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_TRUE(absl::StrContains(run.err, message)) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
  }

  // Expects the help text on stdout and exit code 0.
  void ExpectHelp(const std::string& args) {
    SCOPED_TRACE(args);
    CliRun run = Run(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_TRUE(absl::StartsWith(run.out, "usage: soundsearch")) << run.out;
    // Every command is listed.
    for (const char* command :
         {"index", "add", "query", "get", "delete", "stats", "spaces", "refit",
          "evaluate", "word-sim", "nearest-words", "word-eval", "categorise"}) {
      EXPECT_TRUE(absl::StrContains(run.out, absl::StrCat("\n  ", command)))
          << command;
    }
    EXPECT_TRUE(run.err.empty()) << run.err;
  }

  std::unique_ptr<test::TempDir> dir_;
};

TEST_F(CliTest, HelpPrintsUsageAndExitsZero) {
  ExpectHelp("--help");
  ExpectHelp("-h");
  ExpectHelp("help");
  ExpectHelp("help query");
  // After global flags, and after a command (no call is made).
  ExpectHelp("--server 127.0.0.1:1 --json --help");
  ExpectHelp("query --help");
  ExpectHelp("word-eval pairs.txt --text-vectors w2v.txt -h");
  ExpectHelp("stats --help");
}

TEST_F(CliTest, NoCommandPrintsUsageOnStderrAndExitsTwo) {
  CliRun run = Run("");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(run.err, "usage: soundsearch")) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
  run = Run("--json");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(run.err, "usage: soundsearch")) << run.err;
}

TEST_F(CliTest, UnknownCommandIsAUsageError) {
  ExpectUsageError("frobnicate", "unknown command 'frobnicate'");
  ExpectUsageError("--json frobnicate --id 3", "unknown command 'frobnicate'");
  ExpectUsageError("frobnicate", "(see `soundsearch help`)");
}

TEST_F(CliTest, UnknownFlagIsAUsageError) {
  ExpectUsageError("--bogus stats", "unknown global flag --bogus");
  ExpectUsageError("query x.wav --bogus 3", "unknown flag --bogus for 'query'");
  ExpectUsageError("stats --verbose", "unknown flag --verbose for 'stats'");
  // A flag of another command.
  ExpectUsageError("get --id 3 --jobs 2", "unknown flag --jobs for 'get'");
  ExpectUsageError("query --id 3 --last", "unknown flag --last for 'query'");
  // A global flag written after the command.
  ExpectUsageError("stats --server 127.0.0.1:1",
                   "--server is a global flag: give it before the command");
  ExpectUsageError("query x.wav --", "'--' is not a flag");
}

TEST_F(CliTest, MissingOrBadValuesAreUsageErrors) {
  ExpectUsageError("--server", "--server needs a value");
  ExpectUsageError("--timeout 0 stats", "--timeout needs a positive number");
  ExpectUsageError("query --id", "flag --id needs a value");
  ExpectUsageError("get --id abc", "not a sound id: 'abc'");
  ExpectUsageError("get", "give --id N or --external-id X");
  ExpectUsageError("query", "query: give FILE, --id N or --external-id X");
  ExpectUsageError("nearest-words hiss -k 0", "-k needs a positive integer");
  ExpectUsageError(
      absl::StrCat("--token-file ", dir_->File("missing-token"), " stats"),
      "cannot read --token-file");
  ExpectUsageError(
      absl::StrCat("--tls-ca ", dir_->File("missing.pem"), " stats"),
      "cannot read --tls-ca");
}

TEST_F(CliTest, UnreadableLocalFilesExitTwo) {
  ExpectUsageError(absl::StrCat("add ", dir_->File("missing.wav")),
                   "cannot read");
  ExpectUsageError(absl::StrCat("query ", dir_->File("missing.wav")),
                   "cannot read");
  ExpectUsageError(absl::StrCat("word-eval ", dir_->File("missing-pairs.txt")),
                   "missing-pairs.txt");
  ExpectUsageError(absl::StrCat("index ", dir_->File("no-such-dir")),
                   "is not a directory");
}

// A loopback port nothing listens on: bound, then closed.
int ClosedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

TEST_F(CliTest, UnreachableServerExitsThree) {
  const int port = ClosedLoopbackPort();
  ASSERT_GT(port, 0);
  // The flags parse (a bare flag of the command included), then the call
  // fails with UNAVAILABLE.
  CliRun run = Run(absl::StrCat("--server 127.0.0.1:", port,
                                " --timeout 20 query --id 1 --include-query"));
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_TRUE(absl::StrContains(run.err, "soundsearch: UNAVAILABLE:"))
      << run.err;
  run = Run(absl::StrCat("--server 127.0.0.1:", port, " --timeout 20 stats"));
  EXPECT_EQ(run.exit_code, 3) << run.err;
}

}  // namespace
}  // namespace soundsearch
