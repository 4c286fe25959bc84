#include "soundsearch/waveform_image.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"

namespace soundsearch {
namespace {

void AppendToString(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), length);
}

void NoFlush(png_structp) {}

}  // namespace

absl::StatusOr<std::string> RenderWaveformPng(
    absl::Span<const float> samples, const WaveformImageOptions& options) {
  const int w = options.width;
  const int h = options.height;
  if (w < 16 || w > 4096 || h < 8 || h > 1024) {
    return absl::InvalidArgumentError(absl::StrCat(
        "waveform size must be in [16, 4096] x [8, 1024], got ", w, "x", h));
  }
  if (samples.empty())
    return absl::InvalidArgumentError("waveform: no samples");
  // Background #eceff1, band #1565c0, centre line #90a4ae.
  std::vector<png_byte> pixels(static_cast<size_t>(w) * h * 3);
  for (size_t i = 0; i < pixels.size(); i += 3) {
    pixels[i] = 0xec, pixels[i + 1] = 0xef, pixels[i + 2] = 0xf1;
  }
  auto put = [&](int x, int y, png_byte r, png_byte g, png_byte b) {
    png_byte* p = &pixels[(static_cast<size_t>(y) * w + x) * 3];
    p[0] = r, p[1] = g, p[2] = b;
  };
  float peak = 0;
  for (float s : samples) peak = std::max(peak, std::fabs(s));
  const float scale = peak > 0 ? 1.0f / peak : 1.0f;
  const int mid = h / 2;
  for (int x = 0; x < w; ++x) {
    put(x, mid, 0x90, 0xa4, 0xae);
    const size_t begin = samples.size() * x / w;
    const size_t end = std::max(begin + 1, samples.size() * (x + 1) / w);
    float lo = 0, hi = 0;
    for (size_t i = begin; i < end && i < samples.size(); ++i) {
      lo = std::min(lo, samples[i] * scale);
      hi = std::max(hi, samples[i] * scale);
    }
    const int top = std::clamp(
        static_cast<int>(std::lround(mid - hi * (mid - 1))), 0, h - 1);
    const int bottom = std::clamp(
        static_cast<int>(std::lround(mid - lo * (mid - 1))), 0, h - 1);
    for (int y = top; y <= bottom; ++y) put(x, y, 0x15, 0x65, 0xc0);
  }

  std::string out;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return absl::InternalError("libpng: cannot start");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return absl::InternalError("libpng: cannot start");
  }
  std::vector<png_bytep> rows(h);
  for (int y = 0; y < h; ++y) rows[y] = &pixels[static_cast<size_t>(y) * w * 3];
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return absl::InternalError("libpng: writing the waveform failed");
  }
  png_set_write_fn(png, &out, &AppendToString, &NoFlush);
  png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace soundsearch
