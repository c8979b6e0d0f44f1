#include "domain/histogram.hpp"

#include <algorithm>

namespace tb {

void latency_histogram::observe(double seconds) {
  auto i = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
  ++buckets_[static_cast<std::size_t>(i)];
  ++count_;
  sum_ += seconds;
}

std::uint64_t latency_histogram::at_or_below(std::size_t i) const {
  std::uint64_t n = 0;
  for (std::size_t b = 0; b <= std::min(i, bounds.size()); ++b)
    n += buckets_[b];
  return n;
}

} // namespace tb
