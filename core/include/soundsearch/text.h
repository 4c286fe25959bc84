// Text that enters the store: UTF-8 validity, the legacy 8-bit encodings
// manifests come in (Latin-1, cp1252) transcoded to UTF-8, and a reversible
// escaping of file names that are not UTF-8 (POSIX file names are bytes).
// Every string the store keeps is valid UTF-8 (docs/storage.md); the store
// refuses anything else, and these helpers let each entry point turn what it
// was given into such a string or refuse it with a clear message.
//
// Thread-safety: free functions on values; safe from any thread.
#ifndef SOUNDSEARCH_TEXT_H_
#define SOUNDSEARCH_TEXT_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

// Offset of the first byte of `s` that does not belong to a well-formed UTF-8
// sequence (RFC 3629: no overlong forms, no surrogates U+D800..U+DFFF,
// nothing above U+10FFFF); nullopt when `s` is valid UTF-8.
std::optional<size_t> FirstInvalidUtf8(absl::string_view s);
inline bool IsValidUtf8(absl::string_view s) {
  return !FirstInvalidUtf8(s).has_value();
}

// OK when `s` is valid UTF-8, else InvalidArgument
// "<what> is not valid UTF-8 (byte 0xE9 at offset 3)".
absl::Status CheckUtf8(absl::string_view what, absl::string_view s);

// The encodings a manifest may declare.
enum class TextEncoding {
  kUtf8,    // the default: bytes must already be valid UTF-8
  kLatin1,  // ISO-8859-1: byte b is U+00bb; every byte is defined
  kCp1252,  // Windows-1252: Latin-1 with 0x80..0x9F remapped (euro sign,
            // curly quotes...); 0x81 0x8D 0x8F 0x90 0x9D are undefined
};

// "utf-8" / "utf8", "latin1" / "latin-1" / "iso-8859-1", "cp1252" /
// "windows-1252", in any case; empty is kUtf8. InvalidArgument naming the
// accepted names otherwise.
absl::StatusOr<TextEncoding> ParseTextEncoding(absl::string_view name);
// "utf-8", "latin1", "cp1252".
absl::string_view TextEncodingName(TextEncoding encoding);

// Offset of the first byte of `s` that `encoding` cannot decode (kUtf8: as
// FirstInvalidUtf8; kCp1252: an undefined byte; kLatin1: none); nullopt
// when every byte decodes.
std::optional<size_t> FirstUndecodable(absl::string_view s,
                                       TextEncoding encoding);

// `s` (in `encoding`) as UTF-8; kUtf8 returns `s` itself. InvalidArgument
// naming the offset and the byte of the first undecodable byte.
absl::StatusOr<std::string> ToUtf8(absl::string_view s, TextEncoding encoding);

// A file name (any bytes) as valid UTF-8, reversibly: every byte that does
// not belong to a well-formed UTF-8 sequence becomes "%XX" (upper-case hex),
// and so does '%' itself ("%25"); everything else is kept.
// UnescapeFileName(EscapeFileName(b)) == b for every b, and a valid UTF-8
// name without '%' is returned unchanged. Used for the `source` (and the
// default name) of sounds added from files.
std::string EscapeFileName(absl::string_view bytes);
// The inverse of EscapeFileName. InvalidArgument for a '%' not followed by
// two hex digits.
absl::StatusOr<std::string> UnescapeFileName(absl::string_view escaped);

// `s` with every byte outside a well-formed UTF-8 sequence written "\xHH"
// (lower-case hex): valid UTF-8 for messages and logs. Not reversible.
std::string Utf8ForDisplay(absl::string_view s);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_TEXT_H_
