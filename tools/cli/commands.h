// The commands of the `soundsearch` client (docs/cli.md), one file per
// group. Each runs one command to completion on the calling thread, prints
// its output on stdout (errors on stderr) and returns the exit code
// (client.h); bad usage throws UsageError (flags.h).
#ifndef SOUNDSEARCH_TOOLS_CLI_COMMANDS_H_
#define SOUNDSEARCH_TOOLS_CLI_COMMANDS_H_

#include "tools/cli/client.h"
#include "tools/cli/flags.h"

namespace soundsearch::cli {

// upload_commands.cc: add one file; bulk-index a folder or a manifest.
int CmdAdd(Client& client, const Args& args);
int CmdIndex(Client& client, const Args& args);

// sound_commands.cc: query by one or several examples; describe a sound;
// one sound's metadata; delete.
int CmdQuery(Client& client, const Args& args);
int CmdDescribe(Client& client, const Args& args);
int CmdGet(Client& client, const Args& args);
int CmdDelete(Client& client, const Args& args);

// text_commands.cc: query by text.
int CmdSearch(Client& client, const Args& args);

// list_commands.cc: one page of a listing; the whole collection as JSON
// lines.
int CmdList(Client& client, const Args& args);
int CmdExport(Client& client, const Args& args);

// Prints ranked results as a table (rank from offset + 1, score, id, name,
// labels, per-source scores when there are any) on stdout.
void PrintResults(
    const google::protobuf::RepeatedPtrField<v1::ScoredSound>& results,
    uint32_t offset);

// space_commands.cc: collection and space state; refit.
int CmdStats(Client& client, const Args& args);
int CmdSpaces(Client& client, const Args& args);
int CmdRefit(Client& client, const Args& args);

// evaluation_commands.cc: retrieval quality of the running server
// (evaluate, evaluate --last).
int CmdEvaluate(Client& client, const Args& args);

// word_commands.cc: word vectors of the running server and the research
// maths run locally on them (research/).
int CmdWordSim(Client& client, const Args& args);
int CmdNearestWords(Client& client, const Args& args);
int CmdWordEval(Client& client, const Args& args);
int CmdCategorise(Client& client, const Args& args);

}  // namespace soundsearch::cli

#endif  // SOUNDSEARCH_TOOLS_CLI_COMMANDS_H_
