#include "rpc/bearer_auth.h"

#include <cstdio>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "soundsearch/content_hash.h"

namespace soundsearch {
namespace {

constexpr size_t kMinTokenLength = 8;
constexpr size_t kMaxTokenLength = 512;
constexpr size_t kMaxTokenFileBytes = size_t{1} << 20;

bool ValidToken(absl::string_view token) {
  if (token.size() < kMinTokenLength || token.size() > kMaxTokenLength) {
    return false;
  }
  for (char c : token) {
    if (c <= ' ' || c > '~') return false;  // printable ASCII, no space
  }
  return true;
}

// Equal digests, in time that depends only on the lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace

int TokenSet::admin_count() const {
  int n = 0;
  for (const Entry& e : entries) n += e.role == Role::kAdmin;
  return n;
}

int TokenSet::read_count() const {
  return static_cast<int>(entries.size()) - admin_count();
}

absl::StatusOr<TokenSet> ParseTokenFile(absl::string_view text) {
  TokenSet set;
  absl::flat_hash_set<std::string> seen;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);  // also a CR
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    Role role = Role::kAdmin;
    absl::string_view token;
    if (fields.size() == 1) {
      token = fields[0];
    } else if (fields.size() == 2) {
      if (fields[0] == "admin") {
        role = Role::kAdmin;
      } else if (fields[0] == "read") {
        role = Role::kRead;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("token file line ", line_number,
                         ": the role must be `admin` or `read`"));
      }
      token = fields[1];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("token file line ", line_number,
                       ": expected `admin TOKEN`, `read TOKEN` or `TOKEN`"));
    }
    if (!ValidToken(token)) {
      return absl::InvalidArgumentError(
          absl::StrCat("token file line ", line_number, ": a token is ",
                       kMinTokenLength, " to ", kMaxTokenLength,
                       " printable ASCII characters without spaces"));
    }
    std::string digest = Sha256Hex(token);
    if (!seen.insert(digest).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "token file line ", line_number, ": the same token appears twice"));
    }
    set.entries.push_back({std::move(digest), role});
  }
  if (set.entries.empty()) {
    return absl::InvalidArgumentError("token file holds no token");
  }
  return set;
}

absl::StatusOr<TokenSet> ReadTokenFile(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
      std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the token file ", path));
  }
  std::string text(kMaxTokenFileBytes + 1, '\0');
  const size_t n = std::fread(text.data(), 1, text.size(), file.get());
  if (std::ferror(file.get())) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the token file ", path));
  }
  if (n > kMaxTokenFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token file ", path, " is larger than ", kMaxTokenFileBytes, " bytes"));
  }
  text.resize(n);
  absl::StatusOr<TokenSet> set = ParseTokenFile(text);
  if (!set.ok()) {
    return absl::Status(set.status().code(),
                        absl::StrCat(path, ": ", set.status().message()));
  }
  return set;
}

BearerAuth::BearerAuth(TokenSet tokens)
    : tokens_(std::make_shared<const TokenSet>(std::move(tokens))) {}

bool BearerAuth::enabled() const {
  absl::MutexLock lock(&mu_);
  return tokens_ != nullptr;
}

absl::Status BearerAuth::Replace(TokenSet tokens) {
  if (tokens.entries.empty()) {
    return absl::InvalidArgumentError(
        "a token set must hold at least one token");
  }
  auto next = std::make_shared<const TokenSet>(std::move(tokens));
  absl::MutexLock lock(&mu_);
  tokens_ = std::move(next);
  return absl::OkStatus();
}

absl::Status BearerAuth::Check(const grpc::CallbackServerContext& context,
                               absl::string_view method, Role needed) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return CheckHeader(std::nullopt, method, needed);
  return CheckHeader(absl::string_view(it->second.data(), it->second.size()),
                     method, needed);
}

absl::Status BearerAuth::CheckHeader(
    std::optional<absl::string_view> authorization, absl::string_view method,
    Role needed) const {
  std::shared_ptr<const TokenSet> tokens;
  {
    absl::MutexLock lock(&mu_);
    tokens = tokens_;
  }
  if (tokens == nullptr) return absl::OkStatus();
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError(
        absl::StrCat(method,
                     " needs an `authorization: Bearer <token>` header: this "
                     "server has tokens configured"));
  }
  absl::string_view value = *authorization;
  // The scheme is case-insensitive (RFC 7235).
  if (value.size() < 7 ||
      !absl::EqualsIgnoreCase(value.substr(0, 7), "Bearer ")) {
    return absl::UnauthenticatedError(absl::StrCat(
        method, ": the authorization header must be `Bearer <token>`"));
  }
  const std::string digest =
      Sha256Hex(absl::StripAsciiWhitespace(value.substr(7)));
  // Every digest is compared, whichever matches: the time taken does not
  // depend on the token or on which entry it is.
  int best = 0;
  for (const TokenSet::Entry& entry : tokens->entries) {
    const int match = ConstantTimeEquals(digest, entry.sha256_hex);
    const int role = static_cast<int>(entry.role);
    best |= -match & role;  // role if match, else 0 (roles are 1 and 2)
  }
  if (best == 0) {
    return absl::UnauthenticatedError(
        absl::StrCat(method, ": the bearer token is not valid"));
  }
  if ((best & static_cast<int>(Role::kAdmin)) == 0 &&
      static_cast<int>(needed) > static_cast<int>(Role::kRead)) {
    return absl::PermissionDeniedError(
        absl::StrCat(method, " needs an admin token; this is a ",
                     RoleName(Role::kRead), " token"));
  }
  return absl::OkStatus();
}

}  // namespace soundsearch
