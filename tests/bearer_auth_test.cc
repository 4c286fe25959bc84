// BearerAuth and the token file (rpc/bearer_auth.h): parsing, roles, the
// codes of a missing, malformed, wrong or under-privileged token, and a
// swap of the token set.
#include "rpc/bearer_auth.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

constexpr char kAdmin[] = "admin-token-0123";
constexpr char kRead[] = "read-token-4567";

BearerAuth Auth() {
  auto set = ParseTokenFile(
      absl::StrCat("# tokens\n\nadmin ", kAdmin, "\nread ", kRead, "\n"));
  EXPECT_TRUE(set.ok()) << set.status();
  return BearerAuth(*std::move(set));
}

std::string Bearer(const std::string& token) { return "Bearer " + token; }

TEST(TokenFileTest, ParsesRolesCommentsAndTheBareTokenForm) {
  auto set =
      ParseTokenFile(absl::StrCat("# a comment\n", kAdmin, "\r\n\n  read  ",
                                  kRead, "  \nadmin second-admin\n"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->admin_count(), 2);
  EXPECT_EQ(set->read_count(), 1);
  for (const auto& entry : set->entries) {
    EXPECT_EQ(entry.sha256_hex.size(), 64u);  // digests, not the tokens
    EXPECT_FALSE(absl::StrContains(entry.sha256_hex, "token"));
  }
}

TEST(TokenFileTest, RefusesBadFilesNamingTheLine) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"", "holds no token"},
           Case{"# only a comment\n\n", "holds no token"},
           Case{"writer some-long-token\n", "line 1: the role must be"},
           Case{"admin a b\n", "line 1: expected"},
           Case{"\nadmin short\n", "line 2: a token is 8 to 512"},
           Case{"admin same-token-1\nread same-token-1\n", "line 2: the same"},
           Case{"admin t\xC3\xA9l\xC3\xA9phone-token\n", "printable ASCII"},
       }) {
    auto set = ParseTokenFile(c.text);
    ASSERT_FALSE(set.ok()) << c.text;
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(set.status().message(), c.message))
        << set.status();
  }
}

TEST(TokenFileTest, ReadTokenFileNamesThePath) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  auto missing = ReadTokenFile(dir->File("none"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "none"));
  ASSERT_TRUE(test::WriteFileBytes(dir->File("bad"), "read x\n").ok());
  auto bad = ReadTokenFile(dir->File("bad"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), dir->File("bad")));
  ASSERT_TRUE(
      test::WriteFileBytes(dir->File("big"), std::string(2 << 20, 'a')).ok());
  EXPECT_EQ(ReadTokenFile(dir->File("big")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BearerAuthTest, WithoutTokensEveryCallIsAdmitted) {
  BearerAuth auth;
  EXPECT_FALSE(auth.enabled());
  EXPECT_TRUE(auth.CheckHeader(std::nullopt, "DeleteSound", Role::kAdmin).ok());
}

TEST(BearerAuthTest, RolesAndCodes) {
  BearerAuth auth = Auth();
  ASSERT_TRUE(auth.enabled());
  const std::string admin = Bearer(kAdmin), read = Bearer(kRead);
  EXPECT_TRUE(auth.CheckHeader(admin, "DeleteSound", Role::kAdmin).ok());
  EXPECT_TRUE(auth.CheckHeader(admin, "Stats", Role::kRead).ok());
  EXPECT_TRUE(auth.CheckHeader(read, "Stats", Role::kRead).ok());
  // The scheme is case-insensitive.
  EXPECT_TRUE(
      auth.CheckHeader(std::string("bearer ") + kRead, "Stats", Role::kRead)
          .ok());

  absl::Status s = auth.CheckHeader(read, "DeleteSound", Role::kAdmin);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(s.message(), "DeleteSound needs an admin"));

  s = auth.CheckHeader(std::nullopt, "Stats", Role::kRead);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(s.message(), "Stats needs an `authorization"));

  for (const std::string& header :
       {std::string(""), std::string("Bearer"), std::string("Basic ") + kAdmin,
        std::string(kAdmin), Bearer("wrong-token-0000"),
        Bearer(std::string(kAdmin) + "x"), Bearer(std::string(kAdmin, 15))}) {
    s = auth.CheckHeader(header, "Stats", Role::kRead);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << header;
    EXPECT_FALSE(absl::StrContains(s.message(), kAdmin)) << s;  // no echo
  }
}

TEST(BearerAuthTest, ReplaceSwapsTheSetAndNeverTurnsTheCheckOff) {
  BearerAuth auth = Auth();
  auto next = ParseTokenFile("admin the-new-admin-token\n");
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(auth.Replace(*std::move(next)).ok());
  EXPECT_EQ(auth.CheckHeader(Bearer(kAdmin), "Stats", Role::kRead).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(
      auth.CheckHeader(Bearer("the-new-admin-token"), "Refit", Role::kAdmin)
          .ok());
  EXPECT_EQ(auth.Replace(TokenSet()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(
      auth.CheckHeader(Bearer("the-new-admin-token"), "Refit", Role::kAdmin)
          .ok());
}

}  // namespace
}  // namespace soundsearch
