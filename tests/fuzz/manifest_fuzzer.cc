// libFuzzer target: ParseManifest (soundsearch/manifest.h) on arbitrary
// text. Any crash, sanitizer report or broken contract is a bug: an OK
// result has rows with a non-empty fname each, on increasing lines.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "fuzz_support.h"
#include "soundsearch/manifest.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  soundsearch::fuzz::WriteSeedsIfAsked({
      "fname,labels,tags,id,name\n"
      "a.wav,\"Dog,Bark\",\"dog loud\",1,A dog\n"
      "b/c.flac,Cat,cat,2,\n",
      "\xEF\xBB\xBF"
      "fname\r\nx.wav\r\n\r\n\"y \"\"quoted\"\".wav\"\r\n",
      "labels,fname\n\"multi\nline\",z.ogg\n",
      "fname,extra\n\"unterminated,\n",
      "id,name\n1,no fname column\n",
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using soundsearch::fuzz::Check;
  const auto rows = soundsearch::ParseManifest(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!rows.ok()) {
    Check(!rows.status().message().empty(), "manifest_fuzzer",
          "an error has a message");
    return 0;
  }
  int last_line = 1;
  for (const soundsearch::ManifestRow& row : *rows) {
    Check(!row.fname.empty(), "manifest_fuzzer", "every row has an fname");
    Check(row.line > last_line, "manifest_fuzzer", "rows on increasing lines");
    last_line = row.line;
    for (const std::string& tag : row.tags) {
      Check(!tag.empty(), "manifest_fuzzer", "no empty tag");
    }
  }
  return 0;
}
