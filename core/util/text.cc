#include "soundsearch/text.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace soundsearch {
namespace {

// Length of the well-formed UTF-8 sequence starting at s[i], 0 if none.
size_t SequenceLength(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  const size_t left = s.size() - i;
  auto cont = [&](size_t k) { return (byte(i + k) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    return left >= 2 && cont(1) ? 2 : 0;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    const uint8_t b1 = byte(i + 1);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 > 0x9F) return 0;  // surrogates
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    const uint8_t b1 = byte(i + 1);
    if (b0 == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && b1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;  // continuation byte, C0/C1 (overlong) or F5..FF
}

void AppendCodePoint(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// cp1252's 0x80..0x9F; 0 marks the five undefined bytes.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<size_t> FirstInvalidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = SequenceLength(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

absl::Status CheckUtf8(absl::string_view what, absl::string_view s) {
  std::optional<size_t> bad = FirstInvalidUtf8(s);
  if (!bad.has_value()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s is not valid UTF-8 (byte 0x%02X at offset %d)", what,
                      static_cast<uint8_t>(s[*bad]), *bad));
}

absl::StatusOr<TextEncoding> ParseTextEncoding(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  if (n.empty() || n == "utf-8" || n == "utf8") return TextEncoding::kUtf8;
  if (n == "latin1" || n == "latin-1" || n == "iso-8859-1" ||
      n == "iso8859-1") {
    return TextEncoding::kLatin1;
  }
  if (n == "cp1252" || n == "windows-1252") return TextEncoding::kCp1252;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown text encoding '", Utf8ForDisplay(name),
                   "' (expected utf-8, latin1 or cp1252)"));
}

absl::string_view TextEncodingName(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::kUtf8:
      return "utf-8";
    case TextEncoding::kLatin1:
      return "latin1";
    case TextEncoding::kCp1252:
      return "cp1252";
  }
  return "utf-8";
}

std::optional<size_t> FirstUndecodable(absl::string_view s,
                                       TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::kUtf8:
      return FirstInvalidUtf8(s);
    case TextEncoding::kLatin1:
      return std::nullopt;
    case TextEncoding::kCp1252:
      for (size_t i = 0; i < s.size(); ++i) {
        const uint8_t b = static_cast<uint8_t>(s[i]);
        if (b >= 0x80 && b <= 0x9F && kCp1252High[b - 0x80] == 0) return i;
      }
      return std::nullopt;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> ToUtf8(absl::string_view s, TextEncoding encoding) {
  if (std::optional<size_t> bad = FirstUndecodable(s, encoding)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "byte 0x%02X at offset %d is not valid %s",
        static_cast<uint8_t>(s[*bad]), *bad, TextEncodingName(encoding)));
  }
  if (encoding == TextEncoding::kUtf8) return std::string(s);
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (char c : s) {
    const uint8_t b = static_cast<uint8_t>(c);
    uint32_t cp = b;
    if (encoding == TextEncoding::kCp1252 && b >= 0x80 && b <= 0x9F) {
      cp = kCp1252High[b - 0x80];
    }
    AppendCodePoint(cp, &out);
  }
  return out;
}

std::string EscapeFileName(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    const size_t n = SequenceLength(bytes, i);
    if (n == 0 || bytes[i] == '%') {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<uint8_t>(bytes[i]));
      ++i;
    } else {
      out.append(bytes.data() + i, n);
      i += n;
    }
  }
  return out;
}

absl::StatusOr<std::string> UnescapeFileName(absl::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '%') {
      out.push_back(escaped[i]);
      continue;
    }
    const int hi = i + 2 < escaped.size() ? HexValue(escaped[i + 1]) : -1;
    const int lo = i + 2 < escaped.size() ? HexValue(escaped[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("escaped file name: '%' at offset ", i,
                       " is not followed by two hex digits"));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string Utf8ForDisplay(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = SequenceLength(s, i);
    if (n == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<uint8_t>(s[i]));
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace soundsearch
