#define CAF_SUITE notice
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "domain/notice.hpp"

// Batching notifications per recipient: when a mailbox is due, and the one
// message that groups what it holds.

using namespace tb;

namespace {

constexpr timestamp t0 = 1796342400000; // 2026-12-04T00:00:00Z
constexpr timestamp minute = 60'000;

notice error_at(timestamp t, const std::string& issue, const std::string& message) {
  return {notice_kind::error_item, "a-b", "", "source", issue, message, t};
}

using due = std::optional<timestamp>;

bool has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos)
    return true;
  CAF_MESSAGE("no '" << part << "' in:\n" << text);
  return false;
}

} // namespace

CAF_TEST(the_first_event_after_a_quiet_interval_is_due_at_once_later_ones_an_interval_after) {
  batch_policy p; // 5 minutes, 12 an hour
  mailbox m;
  CAF_CHECK_EQUAL(due_at(m, p), due{});
  m.pending.push_back(error_at(t0, "1", "x"));
  CAF_CHECK_EQUAL(due_at(m, p), due{t0});
  // A message went out a minute before: the next waits for the interval.
  m.sent = {t0 - minute};
  CAF_CHECK_EQUAL(due_at(m, p), due{t0 + 4 * minute});
  // Quiet for longer than the interval: at once again.
  m.sent = {t0 - 6 * minute};
  CAF_CHECK_EQUAL(due_at(m, p), due{t0});
}

CAF_TEST(no_more_than_max_per_hour_messages_go_to_one_recipient_in_an_hour) {
  batch_policy p{std::chrono::minutes{1}, 3};
  mailbox m;
  m.pending.push_back(error_at(t0, "1", "x"));
  m.sent = {t0 - 50 * minute, t0 - 20 * minute, t0 - 10 * minute};
  // Three in the hour: the next when the oldest of them is an hour old.
  CAF_CHECK_EQUAL(due_at(m, p), due{t0 + 10 * minute});
  forget_old_sends(m, t0 + 10 * minute);
  CAF_CHECK_EQUAL(m.sent, (std::vector<timestamp>{t0 - 20 * minute, t0 - 10 * minute}));
  CAF_CHECK_EQUAL(due_at(m, p), due{t0});
}

CAF_TEST(a_storm_of_errors_is_one_message_grouped_with_counts_and_the_first_items) {
  std::vector<notice> storm;
  for (int i = 0; i < 998; ++i)
    storm.push_back(error_at(t0 + i, std::to_string(i + 1),
                             "connection rm2, field status: Redmine refused it (422)"));
  storm.push_back(error_at(t0 + 998, "999", "connection rm2: answered 503"));
  storm.push_back(error_at(t0 + 999, "1000", "connection rm2: answered 503"));
  storm.push_back({notice_kind::parked, "a-b", "", "source", "7", "parked after 10 attempts",
                   t0 + 1000});
  storm.push_back({notice_kind::connection_down, "", "rm2", "", "", "the breaker opened",
                   t0 + 1001});
  auto m = compose(storm, {}, "http://127.0.0.1:8080");
  CAF_CHECK_EQUAL(m.subject, "TrackBridge: 1002 events: task a-b: 1000 new error items, task "
                             "a-b: 1 item parked, connection rm2: 1 connection failing");
  auto& b = m.body;
  CAF_CHECK(has(b, "TrackBridge has 1002 events since 2026-12-04T00:00:00.000Z:\n"));
  CAF_CHECK(has(b, "\ntask a-b: 998 new error items: connection rm2, field status: Redmine "
                   "refused it (422)\n  source issue 1 (2026-12-04T00:00:00.000Z)\n"));
  CAF_CHECK(has(b, "  source issue 5 (2026-12-04T00:00:00.004Z)\n  ... and 993 more\n"));
  CAF_CHECK(b.find("source issue 6 ") == std::string::npos);
  CAF_CHECK(has(b, "What to do: fix the cause, then retry an item (POST "
                   "http://127.0.0.1:8080/api/v1/errors/a-b/source/1/retry) or give it up"));
  CAF_CHECK(has(b, "\ntask a-b: 2 new error items: connection rm2: answered 503\n"));
  CAF_CHECK(has(b, "\ntask a-b: 1 item parked: parked after 10 attempts\n  source issue 7"));
  CAF_CHECK(has(b, "/api/v1/errors/a-b/source/7/retry"));
  CAF_CHECK(has(b, "\nconnection rm2: 1 connection failing: the breaker opened\n"));
}

CAF_TEST(one_event_is_named_in_the_subject) {
  auto m = compose({{notice_kind::task_invalid, "a-b", "", "", "", "2 problems against the "
                     "trackers", t0}},
                   {}, "https://sync.example.org");
  CAF_CHECK_EQUAL(m.subject, "TrackBridge: task a-b: task invalid");
  CAF_CHECK(has(m.body, "TrackBridge has an event since"));
  CAF_CHECK(has(m.body, "GET https://sync.example.org/api/v1/tasks/a-b lists its problems"));
  auto e = compose({error_at(t0, "4", "x")}, {}, "");
  CAF_CHECK_EQUAL(e.subject, "TrackBridge: task a-b: new error item, source issue 4");
}

CAF_TEST(every_kind_has_a_configuration_name) {
  for (auto& name : notice_kind_names()) {
    auto k = notice_kind_named(name);
    CAF_REQUIRE(k.has_value());
    CAF_CHECK_EQUAL(std::string{to_string(*k)}, name);
  }
  CAF_CHECK_EQUAL(notice_kind_names().size(), 8u);
  CAF_CHECK(!notice_kind_named("errors"));
}
