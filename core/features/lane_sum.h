// LaneSum: sum_{i<n} term(i) in double, in kLaneSumLanes independent
// accumulators (i mod kLaneSumLanes), added together at the end. One chain
// of dependent additions waits out each addition's latency; independent
// lanes do not, and the compiler can vectorise them. The result differs
// from the sequential sum only by rounding (the order of additions).
// Private to core.
#ifndef SOUNDSEARCH_CORE_FEATURES_LANE_SUM_H_
#define SOUNDSEARCH_CORE_FEATURES_LANE_SUM_H_

namespace soundsearch {

inline constexpr int kLaneSumLanes = 4;

// term: callable int -> double (or float), called once for each i < n.
template <typename Term>
double LaneSum(int n, Term term) {
  double lane[kLaneSumLanes] = {};
  int i = 0;
  for (; i + kLaneSumLanes <= n; i += kLaneSumLanes) {
    for (int l = 0; l < kLaneSumLanes; ++l) lane[l] += term(i + l);
  }
  double sum = 0.0;
  for (; i < n; ++i) sum += term(i);
  for (int l = 0; l < kLaneSumLanes; ++l) sum += lane[l];
  return sum;
}

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FEATURES_LANE_SUM_H_
