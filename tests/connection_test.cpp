#define CAF_SUITE connection
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "domain/time.hpp"
#include "tests/actor_fixture.hpp"

using namespace tb;

namespace {

struct fixture : actor_fixture {
  // One read through conn_a, as an issue actor makes it.
  issue_result read(const std::string& id) {
    self->send(conn_a, read_atom_v, std::string{"P"}, id);
    sched.run();
    issue_result out;
    self->receive([&](issue_result& r) { out = std::move(r); });
    return out;
  }

  std::vector<std::string> log_lines() {
    self->send(log, flush_atom_v, true);
    sched.run();
    self->receive([](bool) {});
    storage::transaction t{env, storage::transaction::read_only};
    std::vector<std::string> out;
    for (auto& rec : store.log(t, 0, 100))
      out.push_back(rec.message);
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(connection_tests, fixture)

CAF_TEST(calls_fail_at_once_after_five_unavailable_in_a_row_until_a_probe_succeeds) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  a->fail_reads = sync_error{error_kind::unavailable, "connection a", "answered 503"};
  for (int k = 0; k < 5; ++k)
    CAF_CHECK_EQUAL(read(i.id).error().message, "answered 503");
  // Open: the tracker is not asked, and the answer says until when.
  auto fast = read(i.id);
  CAF_CHECK_EQUAL(a->reads, 5u);
  CAF_CHECK_EQUAL(fast.error().where, "connection a");
  CAF_CHECK_EQUAL(fast.error().message, "the tracker failed 5 calls in a row; it is tried again at "
                                          + to_rfc3339(now + 10000));
  // Held back, not tried: the pass that asked learns when to come back.
  CAF_CHECK(fast.error().held_back);
  auto wait = fast.error().retry_after_ms;
  CAF_CHECK_EQUAL(wait, 10000);
  now += 9999;
  CAF_CHECK(!read(i.id));
  CAF_CHECK_EQUAL(a->reads, 5u);
  // Cool-down over and the tracker healed: one probe, and it is closed.
  now += 1;
  a->fail_reads.reset();
  CAF_CHECK(read(i.id).ok());
  CAF_CHECK(read(i.id).ok());
  CAF_CHECK_EQUAL(a->reads, 7u);
  auto lines = log_lines();
  CAF_CHECK_EQUAL(std::count(lines.begin(), lines.end(),
                             "connection a: 5 calls in a row failed (last: answered 503); calls "
                             "to it fail at once until "
                               + to_rfc3339(1000 + 10000)),
                  1);
  CAF_CHECK_EQUAL(std::count(lines.begin(), lines.end(), "connection a answers again"), 1);
}

CAF_TEST(a_configuration_problem_is_logged_once_when_it_starts_and_once_when_it_ends) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  sync_error refused{error_kind::unavailable, "connection a",
                     "TLS with https://a: the server's certificate is not trusted"};
  refused.misconfigured = true;
  a->fail_reads = refused;
  for (int k = 0; k < 5; ++k) {
    auto r = read(i.id);
    CAF_CHECK(r.error().misconfigured);
  }
  // The breaker opened as for an outage; the calls it holds back still say
  // what the problem is, and that it is the configuration's.
  auto held = read(i.id);
  CAF_CHECK_EQUAL(a->reads, 5u);
  CAF_CHECK(held.error().misconfigured);
  CAF_CHECK_EQUAL(held.error().message, refused.message + " (tried again at "
                                          + to_rfc3339(now + 10000) + ")");
  // Tried again at the breaker's pace: the probe fails the same way, and
  // nothing new is logged for it.
  now += 10000;
  CAF_CHECK(!read(i.id));
  CAF_CHECK_EQUAL(a->reads, 6u);
  now += 10000;
  a->fail_reads.reset(); // the operator set ca_file
  CAF_CHECK(read(i.id).ok());
  auto lines = log_lines();
  auto started = "connection a: " + refused.message
                 + " (calls are tried again at the breaker's pace until it is fixed; nothing "
                   "is parked for it)";
  auto ended = "connection a: calls go through again; the problem is over (it was: "
               + refused.message + ")";
  CAF_CHECK_EQUAL(lines.size(), 2u);
  CAF_CHECK_EQUAL(std::count(lines.begin(), lines.end(), started), 1);
  CAF_CHECK_EQUAL(std::count(lines.begin(), lines.end(), ended), 1);
}

CAF_TEST(a_failed_probe_opens_it_again) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  a->fail_reads = sync_error{error_kind::unavailable, "connection a", "refused"};
  for (int k = 0; k < 5; ++k)
    read(i.id);
  now += 10000;
  CAF_CHECK(!read(i.id)); // the probe, failing
  CAF_CHECK_EQUAL(a->reads, 6u);
  CAF_CHECK(!read(i.id)); // open again: not asked
  CAF_CHECK_EQUAL(a->reads, 6u);
}

CAF_TEST(retry_after_keeps_calls_away_for_as_long_as_the_tracker_asked) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  sync_error busy{error_kind::unavailable, "connection a", "answered 429"};
  busy.retry_after_ms = 30000;
  a->fail_reads = busy;
  read(i.id);
  a->fail_reads.reset();
  now += 29999;
  CAF_CHECK(!read(i.id));
  CAF_CHECK_EQUAL(a->reads, 1u);
  now += 1;
  CAF_CHECK(read(i.id).ok());
}

CAF_TEST(answers_that_refuse_something_do_not_count_against_the_tracker) {
  for (int k = 0; k < 8; ++k) { // not found: Redmine answered
    auto r = read("404");
    CAF_REQUIRE(!r);
    CAF_CHECK(r.error().kind == error_kind::not_found);
  }
  CAF_CHECK_EQUAL(a->reads, 8u);
  CAF_CHECK(health_a->breaker.current() == circuit_breaker::state::closed);
}

CAF_TEST(answers_that_cannot_be_read_do_not_open_the_breaker_either) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  a->fail_reads = sync_error{error_kind::bad_answer, "connection a, issue 1",
                             "Redmine's answer to GET /issues/1.json could not be read: not JSON"};
  for (int k = 0; k < 8; ++k) { // a tracker that answers garbage for one issue...
    auto r = read(i.id);
    CAF_REQUIRE(!r);
    CAF_CHECK(r.error().kind == error_kind::bad_answer);
  }
  CAF_CHECK_EQUAL(a->reads, 8u); // ...is still asked: the other issues go on
  CAF_CHECK(health_a->breaker.current() == circuit_breaker::state::closed);
}

CAF_TEST(time_entries_are_read_and_written_through_the_breaker_like_every_call) {
  a->with_time_entries = true;
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  a->log_time(i.id, {"", "alice", "2026-11-30", "1.5", "Design", "review"});
  auto read_rows = [&] {
    self->send(conn_a, time_atom_v, std::string{"P"}, i.id);
    sched.run();
    time_entries_result out;
    self->receive([&](time_entries_result& r) { out = std::move(r); });
    return out;
  };
  auto rows = read_rows();
  CAF_REQUIRE(rows.ok());
  CAF_REQUIRE_EQUAL(rows->size(), 1u);
  CAF_CHECK_EQUAL(rows->front().comments, "review");
  // A write answers the row as the tracker has it.
  self->send(conn_a, time_atom_v, std::string{"P"}, i.id,
             time_entry_write{rows->front().id,
                              time_entry{"", "alice", "2026-11-30", "2", "Design", "review"}});
  sched.run();
  time_entry_result written;
  self->receive([&](time_entry_result& r) { written = std::move(r); });
  CAF_REQUIRE(written.ok());
  CAF_CHECK_EQUAL(written->id, rows->front().id);
  CAF_CHECK_EQUAL(written->hours, "2");
  // Unavailable reads of rows count against the tracker as any call does.
  a->fail_reads = sync_error{error_kind::unavailable, "connection a", "answered 503"};
  for (int k = 0; k < 5; ++k)
    CAF_CHECK_EQUAL(read_rows().error().message, "answered 503");
  auto reads = a->time_entry_reads;
  auto fast = read_rows();
  CAF_CHECK_EQUAL(a->time_entry_reads, reads);
  CAF_CHECK(fast.error().message.find("the tracker failed 5 calls in a row") == 0);
}

CAF_TEST(the_breaker_opening_and_the_tracker_answering_again_are_reported_to_the_mailer_once) {
  std::vector<notice> got;
  health_a->mailer = sys.spawn(tb::test::notices_to, &got);
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  a->fail_reads = sync_error{error_kind::unavailable, "connection a", "answered 503"};
  for (int k = 0; k < 7; ++k)
    read(i.id); // five open it, two are held back
  sched.run();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(got[0].kind == notice_kind::connection_down);
  CAF_CHECK_EQUAL(got[0].connection, "a");
  CAF_CHECK(got[0].task.empty());
  CAF_CHECK(got[0].message.find("5 calls in a row failed (last: answered 503)")
            != std::string::npos);
  now += 10000;
  a->fail_reads.reset();
  read(i.id);
  read(i.id);
  sched.run();
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  CAF_CHECK(got[1].kind == notice_kind::connection_back);
  CAF_CHECK_EQUAL(got[1].message, "connection a answers again");
  anon_send_exit(*health_a->mailer, caf::exit_reason::user_shutdown);
  sched.run();
}

CAF_TEST_FIXTURE_SCOPE_END()
