#pragma once
// A latency histogram with fixed bucket bounds, as Prometheus shows them:
// counts per bucket (not cumulative here), their sum and their number.

#include <array>
#include <cstdint>

namespace tb {

class latency_histogram {
 public:
  // Upper bounds in seconds; one more bucket (+Inf) takes the rest. From a
  // webhook's few milliseconds to a retried Redmine write's minutes.
  static constexpr std::array<double, 14> bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                 1,     2.5,  5,     10,   30,  60,   300};

  void observe(double seconds);
  // Observations at or below bounds[i]; i == bounds.size() counts them all.
  std::uint64_t at_or_below(std::size_t i) const;
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  friend bool operator==(const latency_histogram&, const latency_histogram&) = default;

  // For CAF's inspectors (actors/messages.hpp): every member, in order. A
  // template, so this header needs no CAF.
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, latency_histogram& x) {
    return f(x.buckets_, x.count_, x.sum_);
  }

 private:
  std::array<std::uint64_t, bounds.size() + 1> buckets_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

} // namespace tb
