#include "tools/cli/query_flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace soundsearch::cli {
namespace {

double ParseSeconds(const Args& args, const std::string& name) {
  double v = 0;
  if (!absl::SimpleAtod(args.Get(name), &v) || v < 0) {
    throw UsageError(absl::StrCat("--", name, " needs seconds >= 0"));
  }
  return v;
}

// Unix milliseconds, or an RFC 3339 time.
int64_t ParseTimeMs(const Args& args, const std::string& name) {
  const std::string text = args.Get(name);
  int64_t ms = 0;
  if (absl::SimpleAtoi(text, &ms)) return ms;
  absl::Time t;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::ToUnixMillis(t);
  }
  throw UsageError(absl::StrCat("--", name,
                                " needs Unix milliseconds or an RFC 3339 time "
                                "(2026-11-01T00:00:00Z), got '",
                                text, "'"));
}

}  // namespace

FlagSpec WithFilterFlags(FlagSpec spec) {
  for (const char* name : {"tags-any", "tags-all", "tags-none", "labels-any",
                           "labels-all", "min-duration", "max-duration",
                           "added-after", "added-before", "auto-tag"}) {
    spec.values.insert(name);
  }
  return spec;
}

FlagSpec WithRankedFlags(FlagSpec spec) {
  spec = WithFilterFlags(std::move(spec));
  for (const char* name : {"offset", "page-token", "group-by"}) {
    spec.values.insert(name);
  }
  return spec;
}

v1::Filter FilterFromArgs(const Args& args) {
  v1::Filter f;
  for (const auto& t : args.GetAll("tags-any", true)) f.add_tags_any(t);
  for (const auto& t : args.GetAll("tags-all", true)) f.add_tags_all(t);
  for (const auto& t : args.GetAll("tags-none", true)) f.add_tags_none(t);
  for (const auto& l : args.GetAll("labels-any", true)) f.add_labels_any(l);
  for (const auto& l : args.GetAll("labels-all", true)) f.add_labels_all(l);
  if (args.Has("min-duration")) {
    f.set_min_duration_seconds(ParseSeconds(args, "min-duration"));
  }
  if (args.Has("max-duration")) {
    f.set_max_duration_seconds(ParseSeconds(args, "max-duration"));
  }
  if (args.Has("added-after")) {
    f.set_added_after_unix_ms(ParseTimeMs(args, "added-after"));
  }
  if (args.Has("added-before")) {
    f.set_added_before_unix_ms(ParseTimeMs(args, "added-before"));
  }
  for (const std::string& value : args.GetAll("auto-tag")) {
    const size_t colon = value.rfind(':');
    float p = 0;
    if (colon == std::string::npos || colon == 0 ||
        !absl::SimpleAtof(value.substr(colon + 1), &p) || p < 0 || p > 1) {
      throw UsageError(
          absl::StrCat("--auto-tag needs TAG:PROBABILITY (e.g. dog:0.5), got '",
                       value, "'"));
    }
    v1::AutoTagAtLeast* t = f.add_auto_tags_at_least();
    t->set_tag(value.substr(0, colon));
    t->set_min_probability(p);
  }
  return f;
}

v1::GroupBy GroupByFromArgs(const Args& args) {
  if (!args.Has("group-by")) return v1::GROUP_BY_NONE;
  const std::string by = args.Get("group-by");
  if (by == "label") return v1::GROUP_BY_LABEL;
  if (by == "tag") return v1::GROUP_BY_TAG;
  throw UsageError("--group-by needs label or tag");
}

uint32_t CountFromArgs(const Args& args, const std::string& name,
                       uint32_t def) {
  if (!args.Has(name)) return def;
  uint32_t n = 0;
  if (!absl::SimpleAtoi(args.Get(name), &n)) {
    throw UsageError(absl::StrCat("--", name, " needs an integer >= 0"));
  }
  return n;
}

std::string SourcesText(const v1::ScoredSound& result) {
  std::string out;
  for (const v1::SourceScore& s : result.sources()) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", s.source(), " ");
    if (s.rank() > 0) absl::StrAppend(&out, "#", s.rank(), " ");
    absl::StrAppend(&out, absl::StrFormat("%.4f", s.score()));
  }
  return out;
}

}  // namespace soundsearch::cli
