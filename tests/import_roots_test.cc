// ImportRoots (soundsearch/import_roots.h): server-side paths confined to
// the import roots, with the same answer for a path outside whether or not
// it exists; only regular files read (a FIFO refused without blocking),
// reads capped; a manifest's fname kept inside its audio folder.
#include "soundsearch/import_roots.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "soundsearch/error_reason.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

class ImportRootsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    root_ = dir_->File("root");
    outside_ = dir_->File("outside");
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root_ + "/audio").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    ASSERT_TRUE(test::WriteFileBytes(root_ + "/m.csv", "fname\na.wav\n").ok());
    ASSERT_TRUE(test::WriteFileBytes(root_ + "/audio/a.wav", "RIFF").ok());
    ASSERT_TRUE(test::WriteFileBytes(outside_ + "/secret.csv", "x").ok());
    auto roots = ImportRoots::Create({root_});
    ASSERT_TRUE(roots.ok()) << roots.status();
    roots_ = *std::move(roots);
  }

  std::unique_ptr<test::TempDir> dir_;
  std::string root_, outside_;
  ImportRoots roots_;
};

TEST_F(ImportRootsTest, NoRootTurnsTheFeatureOff) {
  ImportRoots none;
  EXPECT_FALSE(none.enabled());
  auto read = none.ReadFile(root_ + "/m.csv", 1 << 20, "manifest");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(read.status().message(), "--import-root"));
}

TEST_F(ImportRootsTest, RootsMustBeDirectories) {
  EXPECT_EQ(ImportRoots::Create({dir_->File("none")}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ImportRoots::Create({root_ + "/m.csv"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ImportRoots::Create({""}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ImportRootsTest, ReadsRegularFilesUnderTheRoot) {
  auto read = roots_.ReadFile(root_ + "/m.csv", 1 << 20, "manifest");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "fname\na.wav\n");
  // Relative paths are taken against the first root; `.` and `..` that stay
  // inside are fine.
  EXPECT_TRUE(roots_.ReadFile("m.csv", 1 << 20, "manifest").ok());
  EXPECT_TRUE(roots_.ReadFile("audio/../m.csv", 1 << 20, "manifest").ok());
  EXPECT_TRUE(roots_.ReadFile(root_ + "/./audio/a.wav", 1 << 20, "f").ok());
  // A symlink that stays inside the root is followed.
  ASSERT_EQ(symlink((root_ + "/m.csv").c_str(), (root_ + "/link.csv").c_str()),
            0);
  EXPECT_TRUE(roots_.ReadFile(root_ + "/link.csv", 1 << 20, "manifest").ok());
  // Inside the root, a missing file is NotFound.
  EXPECT_EQ(
      roots_.ReadFile(root_ + "/none.csv", 1 << 20, "manifest").status().code(),
      absl::StatusCode::kNotFound);
}

TEST_F(ImportRootsTest, OutsideIsRefusedAlikeWhetherItExistsOrNot) {
  // Each pair: an existing target and a missing one, reached the same way.
  ASSERT_EQ(symlink((outside_ + "/secret.csv").c_str(),
                    (root_ + "/out-file").c_str()),
            0);
  ASSERT_EQ(symlink((outside_ + "/missing.csv").c_str(),
                    (root_ + "/out-missing").c_str()),
            0);
  ASSERT_EQ(symlink(outside_.c_str(), (root_ + "/out-dir").c_str()), 0);
  ASSERT_EQ(symlink("../outside/secret.csv", (root_ + "/rel-out").c_str()), 0);
  ASSERT_EQ(symlink("../outside/missing.csv", (root_ + "/rel-missing").c_str()),
            0);
  struct Pair {
    std::string exists, missing;
  };
  for (const Pair& p : {
           Pair{outside_ + "/secret.csv", outside_ + "/missing.csv"},
           Pair{root_ + "/../outside/secret.csv",
                root_ + "/../outside/missing.csv"},
           Pair{"../outside/secret.csv", "../outside/missing.csv"},
           Pair{root_ + "/out-file", root_ + "/out-missing"},
           Pair{root_ + "/out-dir/secret.csv", root_ + "/out-dir/missing.csv"},
           Pair{root_ + "/rel-out", root_ + "/rel-missing"},
           Pair{"/etc/passwd", "/etc/no-such-file-here"},
           Pair{"/dev/zero", "/dev/no-such-device"},
       }) {
    auto a = roots_.ReadFile(p.exists, 1 << 20, "manifest");
    auto b = roots_.ReadFile(p.missing, 1 << 20, "manifest");
    EXPECT_EQ(a.status().code(), absl::StatusCode::kPermissionDenied)
        << p.exists << ": " << a.status();
    EXPECT_EQ(b.status().code(), absl::StatusCode::kPermissionDenied)
        << p.missing << ": " << b.status();
    // The messages differ only by the path the caller gave.
    EXPECT_EQ(absl::StrReplaceAll(a.status().message(), {{p.exists, "P"}}),
              absl::StrReplaceAll(b.status().message(), {{p.missing, "P"}}));
    EXPECT_TRUE(absl::StrContains(a.status().message(), "outside"));
  }
}

TEST_F(ImportRootsTest, AnotherRootIsInsideAndAPrefixIsNot) {
  ASSERT_EQ(mkdir((root_ + "2").c_str(), 0755), 0);  // "root2" shares a prefix
  ASSERT_TRUE(test::WriteFileBytes(root_ + "2/x.csv", "x").ok());
  EXPECT_EQ(roots_.ReadFile(root_ + "2/x.csv", 100, "f").status().code(),
            absl::StatusCode::kPermissionDenied);
  auto two = ImportRoots::Create({root_, outside_});
  ASSERT_TRUE(two.ok());
  EXPECT_TRUE(two->ReadFile(outside_ + "/secret.csv", 100, "f").ok());
}

TEST_F(ImportRootsTest, OnlyRegularFilesAreRead) {
  ASSERT_EQ(mkfifo((root_ + "/fifo").c_str(), 0644), 0);
  // A FIFO would block an open(2) without O_NONBLOCK: refused, at once.
  auto fifo = roots_.ReadFile(root_ + "/fifo", 1 << 20, "manifest");
  EXPECT_EQ(fifo.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(fifo.status().message(), "not a regular file"));
  auto dir = roots_.ReadFile(root_ + "/audio", 1 << 20, "manifest");
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kPermissionDenied);
  // Devices, under a root that holds them.
  auto dev = ImportRoots::Create({"/dev"});
  ASSERT_TRUE(dev.ok());
  for (const char* device : {"/dev/zero", "/dev/null", "/dev/urandom"}) {
    auto read = dev->ReadFile(device, 1 << 20, "manifest");
    EXPECT_EQ(read.status().code(), absl::StatusCode::kPermissionDenied)
        << device;
  }
}

TEST_F(ImportRootsTest, ReadsStopAtTheCap) {
  ASSERT_TRUE(
      test::WriteFileBytes(root_ + "/big.csv", std::string(5000, 'a')).ok());
  auto big = roots_.ReadFile(root_ + "/big.csv", 4096, "manifest");
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReasonOf(big.status()), kReasonUploadTooLarge);
  EXPECT_TRUE(absl::StrContains(big.status().message(), "4096"));
  auto exact = roots_.ReadFile(root_ + "/big.csv", 5000, "manifest");
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->size(), 5000u);
}

TEST_F(ImportRootsTest, OddPathsAreInvalid) {
  EXPECT_EQ(roots_.ReadFile(std::string("m.csv\0/../x", 11), 100, "manifest")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      roots_.ReadFile(std::string(5000, 'a'), 100, "manifest").status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(roots_.ReadFile("", 100, "manifest").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ImportRootsTest, ManifestRowsStayInTheAudioFolder) {
  auto audio = roots_.ResolveDirectory(root_ + "/audio", "audio folder");
  ASSERT_TRUE(audio.ok()) << audio.status();
  EXPECT_TRUE(roots_.ReadFileUnder(*audio, "a.wav", 100, "audio file").ok());
  // As the kernel resolves it: x does not exist, so neither does x/../a.wav.
  EXPECT_EQ(roots_.ReadFileUnder(*audio, "./x/../a.wav", 100, "audio file")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(roots_.ReadFileUnder(*audio, "./a.wav", 100, "audio file").ok());
  for (const char* fname : {"/etc/passwd", "../m.csv", "a/../../m.csv",
                            "../../outside/secret.csv"}) {
    auto read = roots_.ReadFileUnder(*audio, fname, 100, "audio file");
    EXPECT_EQ(read.status().code(), absl::StatusCode::kPermissionDenied)
        << fname;
    EXPECT_TRUE(absl::StrContains(read.status().message(), fname))
        << read.status();
  }
  auto missing = roots_.ReadFileUnder(*audio, "none.wav", 100, "audio file");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  // The message names the row's fname, not the server's full path.
  EXPECT_FALSE(absl::StrContains(missing.status().message(), root_));
  EXPECT_EQ(
      roots_.ResolveDirectory(root_ + "/m.csv", "audio folder").status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
