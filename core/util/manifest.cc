#include "soundsearch/manifest.h"

#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace soundsearch {
namespace {

// Splits CSV text into records of fields. Each record remembers its line.
struct Record {
  std::vector<std::string> fields;
  int line = 0;
};

absl::StatusOr<std::vector<Record>> SplitCsv(absl::string_view text) {
  std::vector<Record> records;
  Record current;
  std::string field;
  bool in_quotes = false;
  bool field_started = false;
  int line = 1;
  current.line = 1;
  auto end_field = [&] {
    current.fields.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_record = [&] {
    end_field();
    bool blank = current.fields.size() == 1 && current.fields[0].empty();
    if (!blank) records.push_back(std::move(current));
    current = Record();
    current.line = line;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    switch (c) {
      case '"':
        if (!field_started) {
          in_quotes = true;
          field_started = true;
        } else {
          field.push_back(c);
        }
        break;
      case ',':
        end_field();
        break;
      case '\r':
        break;  // CRLF: the '\n' ends the record
      case '\n':
        ++line;
        end_record();
        break;
      default:
        field.push_back(c);
        field_started = true;
    }
  }
  if (in_quotes) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest line ", current.line, ": unterminated quote"));
  }
  end_record();
  return records;
}

std::vector<std::string> SplitList(absl::string_view value, const char* seps) {
  std::vector<std::string> out;
  for (absl::string_view part :
       absl::StrSplit(value, absl::ByAnyChar(seps), absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<ManifestRow>> ParseManifest(absl::string_view text) {
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");  // UTF-8 byte order mark
  auto records_or = SplitCsv(text);
  if (!records_or.ok()) return records_or.status();
  std::vector<Record>& records = *records_or;
  if (records.empty()) {
    return absl::InvalidArgumentError("manifest is empty: no header row");
  }
  absl::flat_hash_map<std::string, size_t> column;
  for (size_t i = 0; i < records[0].fields.size(); ++i) {
    column[absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(records[0].fields[i]))] = i;
  }
  if (!column.contains("fname")) {
    return absl::InvalidArgumentError(
        "manifest header has no `fname` column (expected e.g. "
        "`fname,labels,tags`)");
  }
  auto get = [&](const Record& r, const char* name) -> absl::string_view {
    auto it = column.find(name);
    if (it == column.end() || it->second >= r.fields.size()) return {};
    return absl::StripAsciiWhitespace(r.fields[it->second]);
  };
  std::vector<ManifestRow> rows;
  rows.reserve(records.size() - 1);
  for (size_t i = 1; i < records.size(); ++i) {
    const Record& r = records[i];
    ManifestRow row;
    row.line = r.line;
    row.fname = std::string(get(r, "fname"));
    if (row.fname.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest line ", r.line, ": empty fname"));
    }
    row.labels = SplitList(get(r, "labels"), ",");
    row.tags = SplitList(get(r, "tags"), ", ");
    row.external_id = std::string(get(r, "id"));
    row.name = std::string(get(r, "name"));
    row.speaker = std::string(get(r, "speaker"));
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<std::vector<ManifestRow>> ReadManifest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open manifest ", path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseManifest(buffer.str());
}

}  // namespace soundsearch
