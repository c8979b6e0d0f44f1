#define CAF_SUITE time
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "domain/time.hpp"

using namespace tb;

CAF_TEST(rfc3339_round_trips_with_milliseconds) {
  timestamp t = 1795321020123; // 2026-11-22T...
  auto text = to_rfc3339(t);
  CAF_CHECK_EQUAL(text.size(), 24u);
  CAF_CHECK_EQUAL(parse_rfc3339(text).value_or(0), t);
}

CAF_TEST(rfc3339_parses_offsets_and_whole_seconds) {
  CAF_CHECK_EQUAL(parse_rfc3339("1970-01-01T00:00:01Z").value_or(-1), 1000);
  CAF_CHECK_EQUAL(parse_rfc3339("1970-01-01T01:00:00+01:00").value_or(-1), 0);
  CAF_CHECK_EQUAL(parse_rfc3339("2026-11-22T04:17:00.5Z").value_or(-1),
                  parse_rfc3339("2026-11-22T04:17:00Z").value_or(0) + 500);
}

CAF_TEST(malformed_times_are_rejected) {
  for (auto bad : {"", "2026-11-22", "2026-11-22T04:17:00", "2026-13-01T00:00:00Z",
                   "2026-11-22T04:17:00Zjunk", "yesterday", "2026-11-22T04:17:00.Z"})
    CAF_CHECK(!parse_rfc3339(bad));
}
