#define CAF_SUITE faults
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <random>

#include "domain/faults.hpp"

using namespace tb;

CAF_TEST(backoff_doubles_from_its_first_wait_up_to_its_longest) {
  milliseconds first{1000}, most{300000};
  // Without jitter: exactly the doubling.
  CAF_CHECK_EQUAL(backoff_delay(1, first, most, 0, 0.7), milliseconds{1000});
  CAF_CHECK_EQUAL(backoff_delay(2, first, most, 0, 0.7), milliseconds{2000});
  CAF_CHECK_EQUAL(backoff_delay(9, first, most, 0, 0.7), milliseconds{256000});
  CAF_CHECK_EQUAL(backoff_delay(10, first, most, 0, 0.7), milliseconds{300000});
  CAF_CHECK_EQUAL(backoff_delay(4000000000u, first, most, 0, 0.7), milliseconds{300000});
}

CAF_TEST(jitter_spreads_waits_within_its_bounds_and_around_the_doubling) {
  std::mt19937_64 rng{42};
  std::uniform_real_distribution<double> uniform{0.0, 1.0};
  milliseconds first{1000}, most{300000};
  for (unsigned attempt : {1u, 3u, 12u}) {
    auto base = backoff_delay(attempt, first, most, 0, 0);
    milliseconds low = base, high{0};
    double sum = 0;
    for (int k = 0; k < 2000; ++k) {
      auto d = backoff_delay(attempt, first, most, 0.25, uniform(rng));
      low = std::min(low, d);
      high = std::max(high, d);
      sum += static_cast<double>(d.count());
    }
    CAF_CHECK_GREATER_OR_EQUAL(low.count(), base.count() * 3 / 4);
    CAF_CHECK_LESS_OR_EQUAL(high.count(), base.count() * 5 / 4);
    CAF_CHECK_LESS(low.count(), base.count() * 8 / 10);  // really spread,
    CAF_CHECK_GREATER(high.count(), base.count() * 12 / 10); // both ways
    auto mean = sum / 2000;
    CAF_CHECK_LESS(std::abs(mean - static_cast<double>(base.count())),
                   static_cast<double>(base.count()) * 0.03);
  }
}

CAF_TEST(retry_after_is_read_as_seconds_or_as_an_http_date) {
  timestamp now = 1793431680000; // 2026-10-31T07:28:00Z
  CAF_CHECK_EQUAL(parse_retry_after("120", now).value_or(milliseconds{-1}), milliseconds{120000});
  CAF_CHECK_EQUAL(parse_retry_after("0", now).value_or(milliseconds{-1}), milliseconds{0});
  CAF_CHECK_EQUAL(parse_retry_after("Sat, 31 Oct 2026 07:28:30 GMT", now).value_or(milliseconds{-1}),
                  milliseconds{30000});
  // A date already past asks for no wait.
  CAF_CHECK_EQUAL(parse_retry_after("Sat, 31 Oct 2026 07:00:00 GMT", now).value_or(milliseconds{-1}),
                  milliseconds{0});
  for (auto bad : {"", "-5", "1.5", "soon", "Sat, 31 Oct 2026 07:28:30 UTC",
                   "Sat, 31 Foo 2026 07:28:30 GMT", "9999999999999"})
    CAF_CHECK(!parse_retry_after(bad, now));
}

CAF_TEST(a_breaker_opens_after_failures_in_a_row_and_a_probe_closes_it) {
  circuit_breaker b{3, milliseconds{10000}};
  timestamp t = 1000;
  b.failed(t);
  b.failed(t);
  b.succeeded(); // a success in between: the count starts again
  b.failed(t);
  b.failed(t);
  CAF_CHECK(b.current() == circuit_breaker::state::closed);
  CAF_CHECK(b.may_call(t));
  b.failed(t);
  CAF_CHECK(b.current() == circuit_breaker::state::open);
  CAF_CHECK(!b.may_call(t + 9999));
  // After the cool-down one probe goes; others wait for its outcome.
  CAF_CHECK(b.may_call(t + 10000));
  CAF_CHECK(b.current() == circuit_breaker::state::half_open);
  CAF_CHECK(!b.may_call(t + 10001));
  b.succeeded();
  CAF_CHECK(b.current() == circuit_breaker::state::closed);
  CAF_CHECK(b.may_call(t + 10002));
}

CAF_TEST(a_failed_probe_opens_the_breaker_again_for_a_cooldown) {
  circuit_breaker b{1, milliseconds{5000}};
  b.failed(0);
  CAF_CHECK(b.may_call(5000));
  b.failed(5000);
  CAF_CHECK(b.current() == circuit_breaker::state::open);
  CAF_CHECK_EQUAL(b.open_until(), 10000);
  CAF_CHECK(!b.may_call(9000));
}

CAF_TEST(retry_after_opens_the_breaker_until_the_tracker_asked) {
  circuit_breaker b{5, milliseconds{5000}};
  b.failed(1000, milliseconds{30000}); // one 429 is enough to wait
  CAF_CHECK(b.current() == circuit_breaker::state::open);
  CAF_CHECK(!b.may_call(30999));
  CAF_CHECK(b.may_call(31000));
}
