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
#include "tools/cli/query_flags.h"

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
  previews backfill DIR | --manifest CSV [--audio-dir DIR] [--jobs N] [--encoding E]
        [--replace]                 previews of sounds added without one, from
                                    their files again (by external id or bytes)
  query FILE... | --id N,.. | --external-id X,.. [--not FILE] [--not-id N,..]
        [--not-external-id X,..] [--strategy average|best-score]
        [--negative-weight W] [--expand N[:ALPHA]] [-k 15]
        [--space S] [--min-score F] [--include-query] [FILTERS] [PAGING]
                                    by one or several examples, for and against
  search TEXT... [-k 15] [--space S] [--class-space C]
        [--sources all|words|classes|speech]
        [--class-match names|documents] [--max-classes N] [--min-score F]
        [FILTERS] [PAGING]          by text (word vectors, class names and
                                    the spoken words of speech spaces)
  describe FILE | --id N | --external-id X [--space S] [--class-space C]
        [--words 10] [--classes 10] nearest words, top classes, auto-tags
  list [FILTERS] [--page-size 100] [--page-token T]
                                    one page of the sounds, by id
  export [FILTERS] [--out FILE]     every sound's metadata, one JSON object a line
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

FILTERS: --tags-any a,b  --tags-all a,b  --tags-none a,b  --labels-any L1,L2
  --labels-all L1,L2  --min-duration S  --max-duration S  --added-after T
  --added-before T (T: Unix ms or RFC 3339)  --auto-tag TAG:P (repeatable)
PAGING: --offset N | --page-token T (from the previous page)  --group-by label|tag
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
      {"previews",
       {{"manifest", "audio-dir", "jobs", "encoding"}, {"replace"}},
       CmdPreviews},
      {"query",
       WithRankedFlags(
           {{"id", "external-id", "not", "not-id", "not-external-id",
             "strategy", "negative-weight", "k", "space", "min-score",
             "expand"},
            {"include-query"}}),
       CmdQuery},
      {"search",
       WithRankedFlags({{"k", "space", "class-space", "sources", "class-match",
                         "max-classes", "min-score"},
                        {}}),
       CmdSearch},
      {"describe",
       {{"id", "external-id", "space", "class-space", "words", "classes"}, {}},
       CmdDescribe},
      {"list", WithFilterFlags({{"page-size", "page-token"}, {}}), CmdList},
      {"export", WithFilterFlags({{"page-size", "out"}, {}}), CmdExport},
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
