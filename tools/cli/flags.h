// Command-line parsing of the `soundsearch` client (docs/cli.md): the global
// flags before the command, each command's own flags, and the small value
// parsers the commands share. Bad usage is reported by throwing UsageError,
// which main() prints and turns into exit code 2.
//
// Thread-safety: plain functions and value types; no shared state.
#ifndef SOUNDSEARCH_TOOLS_CLI_FLAGS_H_
#define SOUNDSEARCH_TOOLS_CLI_FLAGS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace soundsearch::cli {

// Bad usage: an unknown command or flag, a missing or malformed value, an
// unreadable local file named by a flag. The message is printed as is.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The flags that come before the command.
struct Globals {
  std::string server = "127.0.0.1:50051";
  std::string token;   // bearer token; empty = none
  std::string tls_ca;  // PEM file of the CA to trust; empty = plaintext
  double timeout_seconds = 120;  // deadline of each call, > 0
  bool json = false;
};

// Parses the global flags of argv[1..] into *globals (token defaulting to
// $SOUNDSEARCH_TOKEN) and returns the index of the first argument after
// them: the command, or argv.size() when there is none. *help is set when
// --help or -h came among them (parsing stops there). UsageError for an
// unknown global flag, a missing or bad value, an unreadable --token-file.
size_t ParseGlobalFlags(const std::vector<std::string>& argv, Globals* globals,
                        bool* help);

// Which flags a command takes. `--json` and `--help` are taken by every one.
struct FlagSpec {
  std::set<std::string> values;  // --name VALUE (or --name=VALUE)
  std::set<std::string> bare;    // --name, no value
};

// A command's flags and positionals. A flag is written -name, --name,
// --name=value; an argument that starts with '-' and a digit is a
// positional (a negative number), not a flag.
struct Args {
  std::map<std::string, std::string> flags;  // bare flags map to ""; last value
  // Every value of each value flag, in order (a flag may repeat:
  // `--not a.wav --not b.wav`).
  std::map<std::string, std::vector<std::string>> all;
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& def = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? def : it->second;
  }
  // Every value given to `name`, each split as SplitCsvList when `csv`.
  std::vector<std::string> GetAll(const std::string& name,
                                  bool csv = false) const;
};

// True when argv[begin..] holds --help or -h.
bool WantsHelp(const std::vector<std::string>& argv, size_t begin);

// Parses argv[begin..] for `command` under `spec`. UsageError for a flag the
// command does not take (saying so when it is a global flag written after
// the command) and for a value flag without a value.
Args ParseArgs(const std::vector<std::string>& argv, size_t begin,
               const std::string& command, const FlagSpec& spec);

// "a, b,,c" -> {"a", "b", "c"}: comma-separated, parts trimmed, empty ones
// dropped.
std::vector<std::string> SplitCsvList(const std::string& value);

// A sound id (> 0). UsageError otherwise.
uint64_t ParseId(const std::string& text);

// The value of -k, or `def` without one. UsageError unless a positive
// integer.
int ParseK(const Args& args, int def);

// The bytes of a local file; nullopt if it cannot be read.
std::optional<std::string> ReadFile(const std::string& path);

}  // namespace soundsearch::cli

#endif  // SOUNDSEARCH_TOOLS_CLI_FLAGS_H_
