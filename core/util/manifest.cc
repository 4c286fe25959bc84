#include "soundsearch/manifest.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace soundsearch {
namespace {

// Splits CSV text into records of fields. Each record remembers its line,
// and each field the range [begin, end) of text it was read from (quotes
// included).
struct Record {
  std::vector<std::string> fields;
  std::vector<std::pair<size_t, size_t>> ranges;
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
  size_t field_begin = 0;
  size_t i = 0;
  auto end_field = [&] {
    current.fields.push_back(std::move(field));
    current.ranges.emplace_back(field_begin, i);
    field.clear();
    field_started = false;
    field_begin = i + 1;
  };
  auto end_record = [&] {
    end_field();
    bool blank = current.fields.size() == 1 && current.fields[0].empty();
    if (!blank) records.push_back(std::move(current));
    current = Record();
    current.line = line;
  };
  for (; i < text.size(); ++i) {
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

std::vector<std::string> SplitList(const std::string& value, const char* seps) {
  std::vector<std::string> out;
  for (absl::string_view part :
       absl::StrSplit(value, absl::ByAnyChar(seps), absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

// Offsets of the bytes of `text` that `encoding` cannot decode, increasing.
std::vector<size_t> UndecodableOffsets(absl::string_view text,
                                       TextEncoding encoding) {
  std::vector<size_t> out;
  size_t from = 0;
  while (from < text.size()) {
    std::optional<size_t> bad = FirstUndecodable(text.substr(from), encoding);
    if (!bad.has_value()) break;
    out.push_back(from + *bad);
    from += *bad + 1;
  }
  return out;
}

// The first of `bad` in [range.first, range.second), if any.
std::optional<size_t> BadIn(const std::vector<size_t>& bad,
                            std::pair<size_t, size_t> range) {
  auto it = std::lower_bound(bad.begin(), bad.end(), range.first);
  if (it == bad.end() || *it >= range.second) return std::nullopt;
  return *it;
}

}  // namespace

absl::StatusOr<std::vector<ManifestRow>> ParseManifest(
    absl::string_view text, const ManifestOptions& options) {
  // Offsets in messages count from the start of the file, BOM included.
  const size_t base = absl::ConsumePrefix(&text, "\xEF\xBB\xBF") ? 3 : 0;
  auto records_or = SplitCsv(text);
  if (!records_or.ok()) return records_or.status();
  std::vector<Record>& records = *records_or;
  if (records.empty()) {
    return absl::InvalidArgumentError("manifest is empty: no header row");
  }
  const TextEncoding encoding = options.encoding;
  const std::vector<size_t> bad = UndecodableOffsets(text, encoding);
  auto describe = [&](size_t offset) {
    const uint8_t byte = static_cast<uint8_t>(text[offset]);
    if (encoding == TextEncoding::kUtf8) {
      return absl::StrFormat(
          "is not valid UTF-8 (byte 0x%02X at offset %d of the file); if the "
          "manifest is Latin-1 or cp1252, declare its encoding",
          byte, base + offset);
    }
    return absl::StrFormat(
        "holds byte 0x%02X at offset %d of the file, which %s "
        "does not define",
        byte, base + offset, TextEncodingName(encoding));
  };
  // A field transcoded to UTF-8; only called for fields without bad bytes.
  auto decode = [&](absl::string_view field) {
    return *ToUtf8(field, encoding);
  };

  const Record& header = records[0];
  absl::flat_hash_map<std::string, size_t> column;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    if (std::optional<size_t> at = BadIn(bad, header.ranges[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "manifest line ", header.line, ": the header row ", describe(*at)));
    }
    column[absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(decode(header.fields[i])))] = i;
  }
  if (!column.contains("fname")) {
    return absl::InvalidArgumentError(
        "manifest header has no `fname` column (expected e.g. "
        "`fname,labels,tags`)");
  }
  auto index_of = [&](const char* name) -> std::optional<size_t> {
    auto it = column.find(name);
    if (it == column.end()) return std::nullopt;
    return it->second;
  };
  auto raw = [&](const Record& r, const char* name) -> absl::string_view {
    std::optional<size_t> i = index_of(name);
    if (!i.has_value() || *i >= r.fields.size()) return {};
    return absl::StripAsciiWhitespace(r.fields[*i]);
  };
  std::vector<ManifestRow> rows;
  rows.reserve(records.size() - 1);
  for (size_t i = 1; i < records.size(); ++i) {
    const Record& r = records[i];
    ManifestRow row;
    row.line = r.line;
    const absl::string_view fname = raw(r, "fname");
    if (fname.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest line ", r.line, ": empty fname"));
    }
    for (const char* name :
         {"fname", "labels", "tags", "id", "name", "speaker"}) {
      std::optional<size_t> col = index_of(name);
      if (!col.has_value() || *col >= r.fields.size()) continue;
      if (std::optional<size_t> at = BadIn(bad, r.ranges[*col])) {
        row.error = absl::InvalidArgumentError(absl::StrCat(
            "manifest line ", r.line, ": column `", name, "` ", describe(*at)));
        break;
      }
    }
    if (!row.error.ok()) {
      row.fname = EscapeFileName(fname);
      rows.push_back(std::move(row));
      continue;
    }
    row.fname = decode(fname);
    if (row.fname != fname) row.fname_in_manifest = std::string(fname);
    row.labels = SplitList(decode(raw(r, "labels")), ",");
    row.tags = SplitList(decode(raw(r, "tags")), ", ");
    row.external_id = decode(raw(r, "id"));
    row.name = decode(raw(r, "name"));
    row.speaker = decode(raw(r, "speaker"));
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<std::vector<ManifestRow>> ReadManifest(
    const std::string& path, const ManifestOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot open manifest ", Utf8ForDisplay(path)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseManifest(buffer.str(), options);
}

}  // namespace soundsearch
