// soundsearch: command-line client of a soundsearchd server. Usage in
// docs/cli.md; `soundsearch help` (or --help, or `<command> --help`) prints
// it.
//
// Exit codes: 0 success; 1 the server answered with an error (or some files
// of an `index` run failed); 2 bad usage; 3 the server could not be reached.
#include <cstdio>
#include <string>
#include <vector>

#include "tools/cli/client.h"
#include "tools/cli/commands.h"
#include "tools/cli/flags.h"

namespace soundsearch::cli {
namespace {

constexpr char kUsage[] = R"(usage: soundsearch [global flags] <command> [args]

global flags:
  --server HOST:PORT   server address (default 127.0.0.1:50051)
  --token-file FILE    bearer token for mutating commands (or $SOUNDSEARCH_TOKEN)
  --tls-ca FILE        speak TLS, trusting this CA certificate (PEM)
  --timeout SECONDS    deadline of each call (default 120)
  --json               machine-readable output (docs/cli.md)

commands:
  index DIR                         add every audio file under DIR
  index --manifest CSV [--audio-dir DIR] [--jobs N] [--encoding E]
                                    add the files a manifest lists (fname,labels,tags,id,name);
                                    E: utf-8 (default), latin1 or cp1252
  add FILE [--external-id X] [--name N] [--tags a,b] [--labels L1,L2]
  query FILE | --id N | --external-id X [-k 15] [--space S]
        [--tags-any a,b] [--labels-any L] [--min-score F] [--include-query]
  get --id N | --external-id X
  delete --id N | --external-id X
  stats
  spaces
  refit [--space S]
  evaluate [--space S] [--families F] [--exclude-labels F] [--reference]
  evaluate --last [--space S]       the latest stored evaluation
                                    retrieval quality over the class labels (paths on the server)
  word-sim A B [--space S]          cosine of two word vectors
  nearest-words WORD [-k 10] [--space S]
  word-eval PAIRS [--space S] [--text-vectors W2V.txt --fusion middle|late [--alpha A | --cv]]
                                    Spearman against rated pairs (w1 w2 score)
  categorise --words w1,w2,.. --categories c1,c2,.. --clusters N [--space S]
  help                              this text (also --help, or <command> --help)
)";

struct Command {
  const char* name;
  FlagSpec flags;
  int (*run)(Client& client, const Args& args);
};

const std::vector<Command>& Commands() {
  static const std::vector<Command>* commands = new std::vector<Command>{
      {"index", {{"manifest", "audio-dir", "jobs", "encoding"}, {}}, CmdIndex},
      {"add", {{"external-id", "name", "tags", "labels"}, {}}, CmdAdd},
      {"query",
       {{"id", "external-id", "k", "space", "tags-any", "labels-any",
         "min-score"},
        {"include-query"}},
       CmdQuery},
      {"get", {{"id", "external-id"}, {}}, CmdGet},
      {"delete", {{"id", "external-id"}, {}}, CmdDelete},
      {"stats", {}, CmdStats},
      {"spaces", {}, CmdSpaces},
      {"refit", {{"space"}, {}}, CmdRefit},
      {"evaluate",
       {{"space", "families", "exclude-labels"}, {"reference", "last"}},
       CmdEvaluate},
      {"word-sim", {{"space"}, {}}, CmdWordSim},
      {"nearest-words", {{"k", "space"}, {}}, CmdNearestWords},
      {"word-eval",
       {{"space", "text-vectors", "fusion", "alpha"}, {"cv"}},
       CmdWordEval},
      {"categorise",
       {{"words", "categories", "clusters", "space"}, {}},
       CmdCategorise},
      {"categorize",
       {{"words", "categories", "clusters", "space"}, {}},
       CmdCategorise},
  };
  return *commands;
}

int PrintHelp() {
  std::fputs(kUsage, stdout);
  return kExitOk;
}

int Main(const std::vector<std::string>& argv) {
  Globals globals;
  bool help = false;
  // Global flags come before the command.
  const size_t i = ParseGlobalFlags(argv, &globals, &help);
  if (help) return PrintHelp();
  if (i >= argv.size()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string& name = argv[i];
  if (name == "help") return PrintHelp();
  const Command* command = nullptr;
  for (const Command& c : Commands()) {
    if (name == c.name) command = &c;
  }
  if (command == nullptr) throw UsageError("unknown command '" + name + "'");
  if (WantsHelp(argv, i + 1)) return PrintHelp();
  Args args = ParseArgs(argv, i + 1, name, command->flags);
  if (args.Has("json")) globals.json = true;
  Client client(globals);
  return command->run(client, args);
}

}  // namespace
}  // namespace soundsearch::cli

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  try {
    return soundsearch::cli::Main(args);
  } catch (const soundsearch::cli::UsageError& e) {
    std::fprintf(stderr, "soundsearch: %s\n(see `soundsearch help`)\n",
                 e.what());
    return soundsearch::cli::kExitUsage;
  }
}
