// Flags shared by the ranked and listing commands of the `soundsearch`
// client (docs/cli.md, "Filters, paging, grouping"): the metadata filter,
// paging and grouping flags and their parsing into v1 request fields. Bad
// values throw UsageError.
//
// Thread-safety: plain functions.
#ifndef SOUNDSEARCH_TOOLS_CLI_QUERY_FLAGS_H_
#define SOUNDSEARCH_TOOLS_CLI_QUERY_FLAGS_H_

#include <cstdint>
#include <string>

#include "soundsearch/v1/common.pb.h"
#include "soundsearch/v1/query.pb.h"
#include "tools/cli/flags.h"

namespace soundsearch::cli {

// `spec` plus the filter flags: --tags-any/--tags-all/--tags-none a,b,
// --labels-any/--labels-all L1,L2, --min-duration S, --max-duration S,
// --added-after T, --added-before T (Unix milliseconds or RFC 3339, e.g.
// 2026-11-01T00:00:00Z), --auto-tag TAG:P (repeatable: carries auto-tag TAG
// with probability >= P).
FlagSpec WithFilterFlags(FlagSpec spec);
// ... plus the paging and grouping flags of ranked commands: --offset N,
// --page-token T, --group-by label|tag.
FlagSpec WithRankedFlags(FlagSpec spec);

v1::Filter FilterFromArgs(const Args& args);
v1::GroupBy GroupByFromArgs(const Args& args);
// A non-negative integer flag, or `def` when absent.
uint32_t CountFromArgs(const Args& args, const std::string& name, uint32_t def);

// "words 1 0.8123, classes 3 0.4410" for a result's per-source scores.
std::string SourcesText(const v1::ScoredSound& result);

}  // namespace soundsearch::cli

#endif  // SOUNDSEARCH_TOOLS_CLI_QUERY_FLAGS_H_
