// Test support: loopback HTTP for tests that read /metrics or Prometheus's
// API. Part of `soundsearch_test_support`; include as "support/test_http.h".
#ifndef SOUNDSEARCH_TESTS_SUPPORT_TEST_HTTP_H_
#define SOUNDSEARCH_TESTS_SUPPORT_TEST_HTTP_H_

#include <string>
#include <vector>

namespace soundsearch {
namespace test {

// HTTP/1.0 GET of `target` (e.g. "/metrics") on 127.0.0.1:`port`; returns
// the body, or "" when the connection or the response fails.
std::string HttpGet(int port, const std::string& target);

// In a /metrics body (Prometheus text format), the value of the first
// sample of `metric` whose labels include every one of `labels` (each as
// written, e.g. `space="dsp"`; none: the sample may have labels or not), or
// -1 when there is none.
double MetricValue(const std::string& text, const std::string& metric,
                   const std::vector<std::string>& labels = {});
// MetricValue of the /metrics body served on 127.0.0.1:`port` now.
double ScrapeMetric(int port, const std::string& metric,
                    const std::vector<std::string>& labels = {});

// A loopback TCP port that was free a moment ago (bound, read, released).
int FreeLoopbackPort();

}  // namespace test
}  // namespace soundsearch

#endif  // SOUNDSEARCH_TESTS_SUPPORT_TEST_HTTP_H_
