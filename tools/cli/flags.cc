#include "tools/cli/flags.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace soundsearch::cli {
namespace {

bool IsHelp(const std::string& arg) { return arg == "--help" || arg == "-h"; }

bool IsGlobalFlag(const std::string& name) {
  return name == "server" || name == "token-file" || name == "tls-ca" ||
         name == "timeout";
}

}  // namespace

size_t ParseGlobalFlags(const std::vector<std::string>& argv, Globals* globals,
                        bool* help) {
  *help = false;
  if (const char* token = std::getenv("SOUNDSEARCH_TOKEN")) {
    globals->token = token;
  }
  size_t i = 1;
  for (; i < argv.size() && (argv[i].rfind("--", 0) == 0 || argv[i] == "-h");
       ++i) {
    if (IsHelp(argv[i])) {
      *help = true;
      return i;
    }
    const std::string flag = argv[i].substr(2);
    if (flag == "json") {
      globals->json = true;
      continue;
    }
    if (!IsGlobalFlag(flag)) throw UsageError("unknown global flag --" + flag);
    if (i + 1 >= argv.size()) throw UsageError("--" + flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "server") {
      globals->server = value;
    } else if (flag == "token-file") {
      auto token = ReadFile(value);
      if (!token) throw UsageError("cannot read --token-file " + value);
      globals->token = std::string(absl::StripAsciiWhitespace(*token));
    } else if (flag == "tls-ca") {
      globals->tls_ca = value;
    } else if (flag == "timeout") {
      if (!absl::SimpleAtod(value, &globals->timeout_seconds) ||
          globals->timeout_seconds <= 0) {
        throw UsageError("--timeout needs a positive number of seconds");
      }
    }
  }
  return i;
}

bool WantsHelp(const std::vector<std::string>& argv, size_t begin) {
  for (size_t i = begin; i < argv.size(); ++i) {
    if (IsHelp(argv[i])) return true;
  }
  return false;
}

Args ParseArgs(const std::vector<std::string>& argv, size_t begin,
               const std::string& command, const FlagSpec& spec) {
  Args args;
  for (size_t i = begin; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 1 && a[0] == '-' && !std::isdigit(a[1])) {
      const size_t start = a.find_first_not_of('-');
      if (start == std::string::npos) {
        throw UsageError(absl::StrCat("'", a, "' is not a flag"));
      }
      std::string name = a.substr(start);
      std::string value;
      const size_t eq = name.find('=');
      const bool has_value = eq != std::string::npos;
      if (has_value) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      const bool bare =
          name == "json" || name == "help" || spec.bare.count(name) > 0;
      if (!bare && spec.values.count(name) == 0) {
        if (IsGlobalFlag(name)) {
          throw UsageError(absl::StrCat("--", name,
                                        " is a global flag: give it before "
                                        "the command"));
        }
        throw UsageError(
            absl::StrCat("unknown flag --", name, " for '", command, "'"));
      }
      if (!bare && !has_value) {
        if (i + 1 >= argv.size()) {
          throw UsageError(absl::StrCat("flag --", name, " needs a value"));
        }
        value = argv[++i];
      }
      args.flags[name] = value;
      if (!bare) args.all[name].push_back(value);
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

std::vector<std::string> Args::GetAll(const std::string& name, bool csv) const {
  std::vector<std::string> out;
  auto it = all.find(name);
  if (it == all.end()) return out;
  for (const std::string& value : it->second) {
    if (!csv) {
      out.push_back(value);
      continue;
    }
    for (std::string& part : SplitCsvList(value))
      out.push_back(std::move(part));
  }
  return out;
}

std::vector<std::string> SplitCsvList(const std::string& value) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipEmpty())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

uint64_t ParseId(const std::string& text) {
  uint64_t id = 0;
  if (!absl::SimpleAtoi(text, &id) || id == 0) {
    throw UsageError(absl::StrCat("not a sound id: '", text, "'"));
  }
  return id;
}

int ParseK(const Args& args, int def) {
  if (!args.Has("k")) return def;
  int k = 0;
  if (!absl::SimpleAtoi(args.Get("k"), &k) || k < 1) {
    throw UsageError("-k needs a positive integer");
  }
  return k;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace soundsearch::cli
