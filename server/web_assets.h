// The page's files (server/web/), embedded in the binary at build time by
// cmake/EmbedWebAssets.cmake, so that soundsearchd serves them with no
// install step. Thread-safe (constant data).
#ifndef SOUNDSEARCH_SERVER_WEB_ASSETS_H_
#define SOUNDSEARCH_SERVER_WEB_ASSETS_H_

#include <cstddef>
#include <string_view>

namespace soundsearch {

struct WebAsset {
  const char* path;          // "/index.html", "/static/app.js", ...
  const char* content_type;  // "text/html; charset=utf-8", ...
  const char* data;
  size_t size;
};

// The asset served at `path`; null when there is none.
const WebAsset* FindWebAsset(std::string_view path);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_WEB_ASSETS_H_
