// Signals made in code for the feature and encoder tests, plus the reader of
// tests/data/mfcc_fixture.json (written by
// tools/fixtures/make_mfcc_fixture.py).
#ifndef SOUNDSEARCH_TESTS_DSP_TEST_SIGNALS_H_
#define SOUNDSEARCH_TESTS_DSP_TEST_SIGNALS_H_

#include <cmath>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace soundsearch {
namespace testing_signals {

// The fixture's signal (see make_mfcc_fixture.py): sines, a chirp and an LCG
// noise, computed in double and rounded to float.
inline std::vector<float> MakeFixtureSignal(int sample_rate, int n) {
  std::vector<float> x(n);
  uint64_t s = 12345;
  for (int i = 0; i < n; ++i) {
    s = (1103515245ull * s + 12345ull) % (1ull << 31);
    const double u =
        static_cast<double>(s) / static_cast<double>(1ull << 31) - 0.5;
    const double t = i;
    const double v =
        0.5 * std::sin(2 * M_PI * 440.0 * t / sample_rate) +
        0.25 * std::sin(2 * M_PI * 1234.5 * t / sample_rate + 0.3) +
        0.1 * std::sin(2 * M_PI * (200.0 + 900.0 * t / n) * t / sample_rate) +
        0.05 * u;
    x[i] = static_cast<float>(v);
  }
  return x;
}

inline std::vector<float> Sine(double hz, double amplitude, int sample_rate,
                               int n, double phase = 0.0) {
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) {
    x[i] = static_cast<float>(
        amplitude * std::sin(2 * M_PI * hz * i / sample_rate + phase));
  }
  return x;
}

// Harmonic tone: harmonics 1..num_harmonics of f0 with amplitude 1/h.
inline std::vector<float> HarmonicTone(double f0, int num_harmonics,
                                       double amplitude, int sample_rate,
                                       int n) {
  std::vector<float> x(n, 0.0f);
  for (int h = 1; h <= num_harmonics; ++h) {
    if (h * f0 >= sample_rate / 2.0) break;
    for (int i = 0; i < n; ++i) {
      x[i] += static_cast<float>(
          amplitude / h *
          std::sin(2 * M_PI * h * f0 * i / sample_rate + 0.7 * h));
    }
  }
  return x;
}

inline std::vector<float> WhiteNoise(double amplitude, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-amplitude, amplitude);
  std::vector<float> x(n);
  for (float& v : x) v = static_cast<float>(dist(rng));
  return x;
}

inline nlohmann::json ReadFixture() {
  std::ifstream in(std::string(SOUNDSEARCH_TEST_DATA_DIR) +
                   "/mfcc_fixture.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace testing_signals
}  // namespace soundsearch

#endif  // SOUNDSEARCH_TESTS_DSP_TEST_SIGNALS_H_
