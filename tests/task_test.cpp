#define CAF_SUITE task
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <algorithm>

#include "actors/task_actor.hpp"
#include "tests/actor_fixture.hpp"

using namespace tb;

namespace {

struct fixture : actor_fixture {
  task_actor spawn_task(bool two_way) {
    return sys.spawn(task, std::shared_ptr<const task_context>{make_context(two_way)}, false,
                     task_actor{});
  }

  // A one-way task that parks a pair after `max_attempts` refused attempts.
  task_actor spawn_task_parking_after(unsigned max_attempts) {
    auto ctx = make_context(false);
    ctx->max_attempts = max_attempts;
    return sys.spawn(task, std::shared_ptr<const task_context>{ctx}, false, task_actor{});
  }

  // The failed attempts of the task's one error item (0: none).
  unsigned attempts() {
    storage::transaction txn{env, storage::transaction::read_only};
    auto items = store.errors(txn, "t");
    return items.empty() ? 0u : items[0].attempts;
  }

  void report(const task_actor& t, side s, const issue& i) {
    self->send(t, changes_atom_v, s, std::vector<issue_stamp>{{i.id, i.updated}});
  }

  // Runs one message at a time until cond() holds; false if work ran out.
  template <class Cond>
  bool run_until(Cond cond) {
    while (!cond())
      if (!sched.try_run_once())
        return false;
    return true;
  }

  std::optional<storage::twin_link> link_of(side s, const std::string& id) {
    storage::transaction t{env, storage::transaction::read_only};
    return store.find_twin(t, "t", issue_ref{s, id});
  }

  void stop(const task_actor& t) {
    anon_send_exit(t, caf::exit_reason::user_shutdown);
    sched.run();
  }

  // A one-way task whose pass is under way: an issue with five edits,
  // queued and reported, run until its twin is created; the updates remain.
  std::pair<task_actor, std::string> task_mid_pass() {
    auto& i = a->add("P", "alice", {{"subject", "S"}});
    for (auto status : {"Open", "Doing", "Review", "Done", "Closed"})
      a->edit(i.id, "bob", {{"status", status}});
    auto t = spawn_task(false);
    {
      storage::transaction txn{env, storage::transaction::read_write};
      store.enqueue(txn, "t", {issue_ref{side::source, i.id}, a->issues.at(i.id).updated});
      txn.commit();
    }
    report(t, side::source, a->issues.at(i.id));
    CAF_REQUIRE(run_until([&] { return b->issues.size() == 1; }));
    return {t, i.id};
  }

  // The task's actor with new settings, after `predecessor` (engine::replace_task).
  task_actor spawn_successor(const task_actor& predecessor) {
    return sys.spawn(task, std::shared_ptr<const task_context>{make_context(false)}, false,
                     predecessor);
  }

  // A task with its pollers, as the server runs it.
  task_actor spawn_polling_task(std::chrono::milliseconds progress_interval = std::chrono::seconds{5}) {
    auto ctx = make_context(false);
    ctx->progress_interval = progress_interval;
    return sys.spawn(task, std::shared_ptr<const task_context>{ctx}, true, task_actor{});
  }

  // An operator's command and the task's answer ("" when it holds).
  template <class Atom, class... Ts>
  std::string command(const task_actor& t, Atom atom, Ts... xs) {
    self->send(t, atom, xs...);
    sched.run();
    std::string answer = "no answer";
    self->receive([&](std::string& a) { answer = std::move(a); },
                  caf::after(std::chrono::seconds(0)) >> [] {});
    return answer;
  }

  task_status status_of(const task_actor& t) {
    self->send(t, status_atom_v);
    sched.run();
    task_status out;
    self->receive([&](task_status& s) { out = std::move(s); },
                  caf::after(std::chrono::seconds(0)) >> [] {});
    return out;
  }

  // The task's log messages so far.
  std::vector<std::string> log_lines() {
    self->send(log, flush_atom_v, true);
    sched.run();
    self->receive([](bool) {}, caf::after(std::chrono::seconds(0)) >> [] {});
    storage::transaction t{env, storage::transaction::read_only};
    std::vector<std::string> out;
    for (auto& r : store.log(t, 0, 10000))
      if (r.task == "t")
        out.push_back(r.message);
    return out;
  }

  bool logged(const std::string& line) {
    auto all = log_lines();
    return std::find(all.begin(), all.end(), line) != all.end();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(task_tests, fixture)

CAF_TEST(a_twin_polled_before_its_link_is_recorded_is_not_created_back) {
  b->stores_alt_id = false; // nothing on the twin says where it came from
  auto& original = a->add("P", "alice", {{"subject", "S"}});
  auto t = spawn_task(true);
  report(t, side::source, original);
  // Run until b has made the twin, but its creator has not yet recorded the
  // link (the create's answer is still on its way back).
  CAF_REQUIRE(run_until([&] { return b->creates == 1; }));
  auto& twin = b->issues.begin()->second;
  CAF_CHECK(!link_of(side::target, twin.id));
  // The target's poll sees the twin now, and everything after it runs
  // before the creator hears back (newest job first).
  report(t, side::target, twin);
  expect((changes_atom, side, std::vector<issue_stamp>), from(self).to(t));
  while (sched.try_run_once_lifo()) {
    // nop
  }
  CAF_CHECK_EQUAL(a->issues.size(), 1u);
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  auto link = link_of(side::target, twin.id);
  CAF_REQUIRE(link);
  CAF_CHECK_EQUAL(link->twin_id, original.id);
  stop(t);
}

CAF_TEST(changes_of_one_issue_reach_one_actor_and_idle_actors_retire) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  auto t = spawn_task(false);
  report(t, side::source, i);
  report(t, side::source, i);
  sched.run();
  CAF_CHECK_EQUAL(b->creates, 1u);
  task_status st;
  self->send(t, status_atom_v);
  sched.run();
  self->receive([&](task_status& s) { st = s; });
  CAF_CHECK_EQUAL(st.active, 0u);
  CAF_CHECK(st.synced >= 1u);
  CAF_CHECK_EQUAL(st.failed, 0u);
  stop(t);
}

CAF_TEST(changes_queued_before_a_stop_are_synced_when_the_task_starts) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  {
    storage::transaction txn{env, storage::transaction::read_write};
    store.enqueue(txn, "t", {issue_ref{side::source, i.id}, i.updated});
    txn.commit();
  }
  auto t = spawn_task(false);
  sched.run();
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  storage::transaction txn{env, storage::transaction::read_only};
  CAF_CHECK(store.queued(txn, "t").empty());
  stop(t);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(task_parent_tests, fixture)

CAF_TEST(a_child_seen_before_its_parent_waits_and_is_linked_to_the_parents_twin) {
  auto& parent = a->add("P", "alice", {{"subject", "Parent"}});
  auto& child = a->add("P", "alice", {{"subject", "Child"}, {"parent", parent.id}});
  a->edit(child.id, "bob", {{"status", "Open"}});
  auto t = spawn_task(false);
  report(t, side::source, child); // only the child changed, as far as polls know
  sched.run();
  CAF_REQUIRE_EQUAL(b->issues.size(), 2u);
  auto twin_of = [&](const std::string& subject) -> const issue& {
    for (auto& [id, i] : b->issues)
      if (i.fields.at("subject") == subject)
        return i;
    CAF_FAIL("no twin of " << subject);
  };
  auto& parent_twin = twin_of("Parent");
  auto& child_twin = twin_of("Child");
  // The parent was created first, and the child points at the parent's twin.
  CAF_CHECK_LESS(std::stoi(parent_twin.id), std::stoi(child_twin.id));
  CAF_CHECK_EQUAL(child_twin.fields.at("parent"), parent_twin.id);
  CAF_CHECK_EQUAL(child_twin.history.size(), 2u);
  stop(t);
}

CAF_TEST(a_new_parent_set_later_is_translated_too) {
  auto& first = a->add("P", "alice", {{"subject", "First"}});
  auto& second = a->add("P", "alice", {{"subject", "Second"}});
  auto t = spawn_task(false);
  report(t, side::source, first);
  report(t, side::source, second);
  sched.run();
  a->edit(second.id, "bob", {{"parent", first.id}});
  report(t, side::source, a->issues.at(second.id));
  sched.run();
  std::string first_twin, second_twin;
  for (auto& [id, i] : b->issues)
    (i.fields.at("subject") == "First" ? first_twin : second_twin) = id;
  CAF_CHECK_EQUAL(b->issues.at(second_twin).fields.at("parent"), first_twin);
  stop(t);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(task_retry_tests, fixture)

CAF_TEST(a_failed_pair_is_tried_again_after_a_backoff_until_it_syncs) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  b->fail_next_write = sync_error{error_kind::unavailable, "connection b", "503 from b"};
  auto t = spawn_task(false);
  report(t, side::source, i);
  sched.run();
  CAF_CHECK(b->issues.empty());
  // No new change comes; the retry timer alone brings the issue across.
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  storage::transaction txn{env, storage::transaction::read_only};
  CAF_CHECK(store.errors(txn, "t").empty());
  stop(t);
}

CAF_TEST(a_pair_that_keeps_failing_is_parked_after_max_attempts_and_runs_again_when_it_changes) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  b->fail_writes = sync_error{error_kind::invalid, "connection b, field subject",
                              "Redmine refused it (422)"};
  auto t = spawn_task_parking_after(3);
  report(t, side::source, i);
  sched.run();
  for (unsigned expected = 2; expected <= 3; ++expected) { // by the retry timer
    sched.trigger_timeouts();
    sched.run();
    CAF_CHECK_EQUAL(attempts(), expected);
  }
  // Parked: the timers that are left bring no fourth attempt.
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK_EQUAL(attempts(), 3u);
  {
    storage::transaction txn{env, storage::transaction::read_only};
    auto items = store.errors(txn, "t");
    CAF_REQUIRE_EQUAL(items.size(), 1u);
    CAF_CHECK_EQUAL(items[0].attempts, 3u);
    CAF_CHECK(items[0].parked);
  }
  self->send(log, flush_atom_v, true);
  sched.run();
  self->receive([](bool) {});
  {
    storage::transaction txn{env, storage::transaction::read_only};
    std::size_t parked_lines = 0;
    for (auto& rec : store.log(txn, 0, 100))
      parked_lines += rec.message.find("source:" + i.id + ": parked after 3 failed attempts")
                      != std::string::npos;
    CAF_CHECK_EQUAL(parked_lines, 1u);
  }
  // Listed again unchanged (a poll's overlap, a sweep): still parked, no
  // fourth attempt.
  report(t, side::source, i);
  sched.run();
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK_EQUAL(attempts(), 3u);
  // A push or a request (time 0: a webhook, POST .../sync, a retry) runs it.
  self->send(t, changes_atom_v, side::source, std::vector<issue_stamp>{{i.id, 0}});
  sched.run();
  CAF_CHECK_EQUAL(attempts(), 4u);
  // The tracker heals; a change of the issue runs it again, and it syncs.
  b->fail_writes.reset();
  a->edit(i.id, "bob", {{"status", "Open"}});
  report(t, side::source, a->issues.at(i.id));
  sched.run();
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  storage::transaction txn{env, storage::transaction::read_only};
  CAF_CHECK(store.errors(txn, "t").empty());
  stop(t);
}

CAF_TEST(a_failed_pair_listed_again_unchanged_waits_for_its_backoff) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  b->fail_writes = sync_error{error_kind::invalid, "connection b, field subject",
                              "Redmine refused it (422)"};
  auto t = spawn_task_parking_after(3);
  report(t, side::source, i);
  sched.run();
  CAF_CHECK_EQUAL(attempts(), 1u);
  // Polls within their overlap list it again and again: no attempt until
  // the backoff's timer, so parking comes after backoffs, not after polls.
  for (int poll = 0; poll < 5; ++poll) {
    report(t, side::source, i);
    sched.run();
  }
  CAF_CHECK_EQUAL(attempts(), 1u);
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK_EQUAL(attempts(), 2u);
  stop(t);
}

CAF_TEST(retry_timers_set_before_a_pair_was_parked_do_not_run_it) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  b->fail_writes = sync_error{error_kind::bad_answer, "connection b, issue 1",
                              "the answer is not JSON"};
  auto t = spawn_task_parking_after(3);
  // Three changes in a row fail before any retry timer fires: parked, with
  // three timers still set.
  for (timestamp later = 1; later <= 3; ++later) {
    self->send(t, changes_atom_v, side::source,
               std::vector<issue_stamp>{{i.id, i.updated + later}});
    sched.run();
  }
  CAF_CHECK_EQUAL(attempts(), 3u);
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK_EQUAL(attempts(), 3u);
  stop(t);
}

CAF_TEST(a_tracker_that_is_down_parks_nothing_its_pairs_keep_their_timed_retries) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  b->fail_writes = sync_error{error_kind::unavailable, "connection b", "answered 503"};
  auto t = spawn_task_parking_after(2);
  report(t, side::source, i);
  sched.run();
  for (int retry = 0; retry < 4; ++retry) {
    sched.trigger_timeouts();
    sched.run();
  }
  {
    storage::transaction txn{env, storage::transaction::read_only};
    auto items = store.errors(txn, "t");
    CAF_REQUIRE_EQUAL(items.size(), 1u);
    CAF_CHECK_EQUAL(items[0].attempts, 5u);
    CAF_CHECK(!items[0].parked);
  }
  // The outage ends: the next timed retry brings the issue across.
  b->fail_writes.reset();
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  storage::transaction txn{env, storage::transaction::read_only};
  CAF_CHECK(store.errors(txn, "t").empty());
  stop(t);
}

// An outage opens b's breaker; passes it then fails at once reach no
// tracker. They are no attempts and come back when the breaker lets calls
// through again, so the issues sync as the outage ends: counted as tries,
// their backoff would have doubled to 8 s and more while it was open.
CAF_TEST(passes_the_open_breaker_held_back_are_no_attempts_and_come_back_when_it_reopens) {
  std::vector<std::string> ids;
  for (int n = 0; n < 6; ++n)
    ids.push_back(a->add("P", "alice", {{"subject", "S" + std::to_string(n)}}).id);
  b->fail_writes = sync_error{error_kind::unavailable, "connection b", "answered 503"};
  auto t = spawn_task(false);
  // The breaker clock and the task's timers move together.
  auto advance = [&](int ms) {
    now += ms;
    sched.advance_time(std::chrono::milliseconds{ms});
    sched.run();
  };
  for (int n = 0; n < 5; ++n)
    report(t, side::source, a->issues.at(ids[n]));
  sched.run();
  CAF_REQUIRE_EQUAL(health_b->breaker.current(), circuit_breaker::state::open);
  auto reopens = health_b->breaker.open_until();
  // Found while it is open: an error item that says why, with no attempt.
  report(t, side::source, a->issues.at(ids[5]));
  sched.run();
  auto errors = [&] {
    storage::transaction txn{env, storage::transaction::read_only};
    return store.errors(txn, "t");
  };
  auto items = errors();
  CAF_REQUIRE_EQUAL(items.size(), 6u);
  for (auto& item : items) {
    auto expected = item.ref.id == ids[5] ? 0u : 1u;
    auto attempts = item.attempts;
    CAF_CHECK_EQUAL(attempts, expected);
  }
  b->fail_writes.reset(); // the tracker is back; the breaker does not know yet
  // Every second while it stays open, the first retries are held back.
  for (int s = 0; s < 9; ++s)
    advance(1000);
  CAF_CHECK(b->issues.empty());
  items = errors();
  for (auto& item : items)
    CAF_CHECK_LESS_OR_EQUAL(item.attempts, 1u);
  // Reopened: within a fifth of the wait (and the 1 s floor) they are through.
  while (now < reopens + 3000)
    advance(250);
  CAF_CHECK_EQUAL(b->issues.size(), 6u);
  CAF_CHECK(errors().empty());
  CAF_CHECK_EQUAL(health_b->breaker.current(), circuit_breaker::state::closed);
  stop(t);
}

CAF_TEST(held_back_passes_wait_for_the_reopening_at_least_a_second_spread_by_a_fifth) {
  using std::chrono::milliseconds;
  CAF_CHECK_EQUAL(held_back_delay(9000, 0.0), milliseconds{9000});
  CAF_CHECK_EQUAL(held_back_delay(9000, 0.5), milliseconds{9900});
  CAF_CHECK_EQUAL(held_back_delay(0, 0.0), milliseconds{1000});
  CAF_CHECK_EQUAL(held_back_delay(300, 0.999), milliseconds{1199});
}

CAF_TEST(a_skipped_pair_is_not_retried_until_it_changes_again) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  b->fail_next_write = sync_error{error_kind::invalid, "connection b", "refused"};
  auto t = spawn_task(false);
  report(t, side::source, i);
  sched.run();
  {
    storage::transaction txn{env, storage::transaction::read_only};
    CAF_REQUIRE_EQUAL(store.errors(txn, "t").size(), 1u);
  }
  self->send(t, skip_atom_v, issue_ref{side::source, i.id});
  expect((skip_atom, issue_ref), from(self).to(t));
  expect((bool), from(t).to(self).with(true));
  // The backoff's timer fires, and nothing is tried.
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK(b->issues.empty());
  {
    storage::transaction txn{env, storage::transaction::read_only};
    CAF_CHECK(store.errors(txn, "t").empty());
    CAF_CHECK(store.queued(txn, "t").empty());
  }
  // Listed again unchanged (a poll's overlap, a sweep): still skipped.
  report(t, side::source, i);
  sched.run();
  CAF_CHECK(b->issues.empty());
  self->send(t, skip_atom_v, issue_ref{side::source, i.id}); // nothing left to skip
  expect((skip_atom, issue_ref), from(self).to(t));
  expect((bool), from(t).to(self).with(false));
  // Its next change syncs it again.
  a->edit(i.id, "bob", {{"status", "Open"}});
  report(t, side::source, a->issues.at(i.id));
  sched.run();
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  stop(t);
}

CAF_TEST(a_paused_task_keeps_changes_queued_across_a_restart_and_syncs_them_when_resumed) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  auto t = spawn_task(false);
  self->send(t, pause_atom_v);
  expect((pause_atom), from(self).to(t));
  expect((std::string), from(t).to(self).with(std::string{}));
  self->send(t, pause_atom_v); // already paused: still as asked
  expect((pause_atom), from(self).to(t));
  expect((std::string), from(t).to(self).with(std::string{}));
  // As a poller does: queued durably, then reported.
  {
    storage::transaction txn{env, storage::transaction::read_write};
    store.enqueue(txn, "t", {issue_ref{side::source, i.id}, i.updated});
    txn.commit();
  }
  report(t, side::source, i);
  sched.run();
  CAF_CHECK(b->issues.empty());
  // A restart keeps the pause: the new task actor syncs nothing either.
  stop(t);
  t = spawn_task(false);
  sched.run();
  CAF_CHECK(b->issues.empty());
  self->send(t, status_atom_v);
  sched.run();
  self->receive([](const task_status& s) { CAF_CHECK_EQUAL(s.state, "paused"); });
  self->send(t, resume_atom_v);
  expect((resume_atom), from(self).to(t));
  expect((std::string), from(t).to(self).with(std::string{}));
  sched.run();
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  storage::transaction txn{env, storage::transaction::read_only};
  CAF_CHECK(store.queued(txn, "t").empty());
  stop(t);
}

CAF_TEST(a_retry_under_way_when_its_pair_is_skipped_is_not_retried_when_it_fails) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  b->fail_next_write = sync_error{error_kind::invalid, "connection b", "refused"};
  auto t = spawn_task(false);
  report(t, side::source, i);
  sched.run(); // failed once: an error item, a retry scheduled
  b->fail_next_write = sync_error{error_kind::invalid, "connection b", "refused again"};
  sched.trigger_timeouts();
  sched.run_once(); // the task takes the retry and wakes the pair: a pass is under way
  self->send(t, skip_atom_v, issue_ref{side::source, i.id});
  sched.run(); // the skip lands during the pass, which then fails
  self->receive([](bool had) { CAF_CHECK(had); });
  {
    storage::transaction txn{env, storage::transaction::read_only};
    CAF_CHECK(store.errors(txn, "t").empty());
  }
  // No retry follows: had one run, it would have succeeded now.
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK(b->issues.empty());
  stop(t);
}

CAF_TEST(a_stopped_task_neither_polls_nor_syncs_until_it_is_started_even_across_a_restart) {
  a->add("P", "alice", {{"subject", "before"}});
  auto t = spawn_polling_task();
  sched.run();
  CAF_REQUIRE_EQUAL(b->issues.size(), 1u);
  CAF_CHECK_EQUAL(command(t, stop_atom_v), "");
  CAF_CHECK_EQUAL(status_of(t).state, "stopped");
  CAF_CHECK_EQUAL(command(t, stop_atom_v), ""); // already stopped: as asked
  auto& later = a->add("P", "alice", {{"subject", "while stopped"}});
  sched.trigger_timeouts(); // no poller is left to poll
  sched.run();
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  // A pushed change (a webhook) is queued durably, not synced.
  {
    storage::transaction txn{env, storage::transaction::read_write};
    store.enqueue(txn, "t", {issue_ref{side::source, later.id}, 0});
    txn.commit();
  }
  report(t, side::source, later);
  sched.run();
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  // Neither pause nor resume applies to a stopped task, and each says why.
  CAF_CHECK_EQUAL(command(t, pause_atom_v),
                  "the task is stopped; start it (it then syncs), or leave it stopped");
  CAF_CHECK_EQUAL(command(t, resume_atom_v), "the task is stopped, not paused; start it instead");
  CAF_CHECK_EQUAL(command(t, resync_atom_v, timestamp{0}), "the task is stopped; start it first");
  stop(t);
  t = spawn_polling_task(); // a restart keeps it stopped
  sched.run();
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK_EQUAL(status_of(t).state, "stopped");
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  CAF_CHECK(logged("stopped (since before the restart): start it to sync"));
  CAF_CHECK_EQUAL(command(t, start_atom_v), "");
  sched.run();
  CAF_CHECK_EQUAL(status_of(t).state, "running");
  CAF_CHECK_EQUAL(b->issues.size(), 2u);
  CAF_CHECK_EQUAL(command(t, start_atom_v), ""); // already running
  CAF_CHECK_EQUAL(command(t, resume_atom_v), ""); // running: as asked
  CAF_CHECK_EQUAL(command(t, pause_atom_v), "");
  CAF_CHECK_EQUAL(command(t, start_atom_v), "the task is paused, not stopped; resume it instead");
  stop(t);
}

CAF_TEST(a_pass_under_way_when_its_task_stops_ends_after_its_write_and_start_finishes_it) {
  // Run until the create is written, then stop: the pass ends after the
  // write it is in, and the rest of the history is left for later.
  auto t = task_mid_pass().first;
  CAF_CHECK_EQUAL(command(t, stop_atom_v), "");
  CAF_CHECK_LESS(b->updates, 5u);
  {
    storage::transaction txn{env, storage::transaction::read_only};
    CAF_CHECK_EQUAL(store.queued(txn, "t").size(), 1u);
  }
  CAF_CHECK_EQUAL(status_of(t).state, "stopped");
  CAF_CHECK_EQUAL(command(t, start_atom_v), "");
  sched.run();
  CAF_CHECK_EQUAL(b->updates, 5u);
  storage::transaction txn{env, storage::transaction::read_only};
  CAF_CHECK(store.queued(txn, "t").empty());
  stop(t);
}

// A reload replaces a task's actor (engine::replace_task): the old one
// retires, the new one waits for it.
using task_impl = caf::stateful_actor<task_state, task_actor::base>;

CAF_TEST(a_task_replaced_mid_pass_syncs_with_its_new_actor_only_after_the_old_pass_ended) {
  auto [t, id] = task_mid_pass();
  self->monitor(t);
  self->send(t, retire_atom_v);
  auto next = spawn_successor(t);
  report(next, side::source, a->issues.at(id)); // a change reaches the new actor meanwhile
  auto& st = deref<task_impl>(next).state;
  bool old_down = false;
  bool waited = false;
  while (!old_down) {
    CAF_REQUIRE(st.active.empty()); // no pass of its own while the old one writes
    if (st.ctx) { // begun
      auto shown = st.state_name();
      CAF_REQUIRE_EQUAL(shown, "restarting");
      waited = true;
    }
    CAF_REQUIRE(sched.try_run_once());
    self->receive([&](caf::down_msg&) { old_down = true; },
                  caf::after(std::chrono::seconds(0)) >> [] {});
  }
  CAF_CHECK(waited);
  auto updates_by_the_old_pass = b->updates;
  CAF_CHECK_LESS(updates_by_the_old_pass, 5u); // it ended after the write it was in
  sched.run();
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  CAF_CHECK_EQUAL(b->updates, 5u);
  CAF_CHECK_EQUAL(status_of(next).state, "running");
  {
    storage::transaction txn{env, storage::transaction::read_only};
    CAF_CHECK(store.queued(txn, "t").empty());
  }
  stop(next);
}

CAF_TEST(a_task_replaced_twice_before_its_new_actor_began_waits_for_the_first_actor) {
  auto first = task_mid_pass().first;
  self->monitor(first);
  self->send(first, retire_atom_v);
  auto second = spawn_successor(first);
  self->send(second, retire_atom_v);
  auto third = spawn_successor(second);
  auto& st = deref<task_impl>(third).state;
  bool first_down = false;
  while (!first_down) {
    CAF_REQUIRE(st.active.empty());
    if (st.ctx) // begun: the second waits for the first before it ends
      CAF_REQUIRE(st.predecessor);
    CAF_REQUIRE(sched.try_run_once());
    self->receive([&](caf::down_msg&) { first_down = true; },
                  caf::after(std::chrono::seconds(0)) >> [] {});
  }
  sched.run();
  CAF_CHECK(!st.predecessor);
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  CAF_CHECK_EQUAL(b->updates, 5u);
  CAF_CHECK_EQUAL(status_of(third).state, "running");
  stop(third);
}

CAF_TEST(a_removed_task_without_passes_ends_at_once_and_leaves_its_queue_stored) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  auto t = spawn_task(false);
  sched.run();
  CAF_CHECK_EQUAL(command(t, pause_atom_v), "");
  report(t, side::source, a->issues.at(i.id));
  {
    storage::transaction txn{env, storage::transaction::read_write};
    store.enqueue(txn, "t", {issue_ref{side::source, i.id}, a->issues.at(i.id).updated});
    txn.commit();
  }
  self->monitor(t);
  self->send(t, retire_atom_v);
  sched.run();
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; },
                caf::after(std::chrono::seconds(0)) >> [] {});
  CAF_CHECK(down);
  CAF_CHECK(b->issues.empty());
  storage::transaction txn{env, storage::transaction::read_only};
  CAF_CHECK_EQUAL(store.queued(txn, "t").size(), 1u);
}

CAF_TEST(a_task_that_ends_by_an_error_is_logged_and_mailed_once_and_one_retired_or_shut_down_is_not) {
  std::vector<notice> notices;
  auto mailer = sys.spawn(test::notices_to, &notices);
  auto spawn_mailing = [&] {
    auto ctx = make_context(false);
    ctx->mailer = mailer;
    auto t = sys.spawn(task, std::shared_ptr<const task_context>{ctx}, false, task_actor{});
    sched.run();
    return t;
  };
  // As CAF ends an actor whose handler threw (an LMDB error, say).
  auto failing = spawn_mailing();
  self->send_exit(failing, caf::make_error(caf::sec::runtime_error, "MDB_MAP_FULL"));
  sched.run();
  CAF_REQUIRE_EQUAL(notices.size(), 1u);
  CAF_CHECK(notices[0].kind == notice_kind::task_stopped);
  CAF_CHECK_EQUAL(notices[0].task, "t");
  CAF_CHECK(notices[0].message.find("stopped by an error: ") == 0);
  CAF_CHECK(notices[0].message.find("MDB_MAP_FULL") != std::string::npos);
  auto lines = log_lines();
  CAF_CHECK(std::find(lines.begin(), lines.end(), notices[0].message) != lines.end());
  // A reload's retirement and the engine's shutdown are no such news.
  auto retired = spawn_mailing();
  self->send(retired, retire_atom_v);
  sched.run();
  stop(spawn_mailing());
  CAF_CHECK_EQUAL(notices.size(), 1u);
  anon_send_exit(mailer, caf::exit_reason::user_shutdown);
  sched.run();
}

CAF_TEST(an_initial_sync_shows_done_and_total_and_logs_its_progress) {
  for (auto subject : {"one", "two", "three"})
    a->add("P", "alice", {{"subject", subject}});
  auto t = spawn_polling_task(std::chrono::seconds{1});
  CAF_CHECK_EQUAL(command(t, pause_atom_v), ""); // so the listing waits, half way
  sched.run();
  auto s = status_of(t);
  CAF_REQUIRE(s.progress);
  CAF_CHECK_EQUAL(s.progress->kind, "initial sync");
  CAF_CHECK_EQUAL(s.progress->total, 3u);
  CAF_CHECK_EQUAL(s.progress->done, 0u);
  CAF_CHECK_EQUAL(s.progress->finished, 0);
  sched.trigger_timeouts(); // the progress line is due
  sched.run();
  CAF_CHECK(logged("initial sync: 0 of 3 issues through"));
  CAF_CHECK_EQUAL(command(t, resume_atom_v), "");
  sched.run();
  s = status_of(t);
  CAF_REQUIRE(s.progress);
  CAF_CHECK_EQUAL(s.progress->done, 3u);
  CAF_CHECK_EQUAL(s.progress->failed, 0u);
  CAF_CHECK_NOT_EQUAL(s.progress->finished, 0);
  auto lines = log_lines();
  CAF_CHECK(std::any_of(lines.begin(), lines.end(), [](auto& l) {
    return l.rfind("initial sync finished: 3 issues in ", 0) == 0 && l.find("(3 synced)") != l.npos;
  }));
  // Each change was received once and synced once, with its latency.
  CAF_CHECK_EQUAL(s.received[0], 3u);
  CAF_CHECK_EQUAL(s.synced, 3u);
  CAF_CHECK_EQUAL(s.failed, 0u);
  CAF_CHECK_EQUAL(s.latency.count(), 3u);
  stop(t);
}

CAF_TEST(a_failed_issue_counts_as_failed_in_the_progress_and_the_work_still_finishes) {
  a->add("P", "alice", {{"subject", "one"}});
  a->add("P", "alice", {{"subject", "two"}});
  b->fail_next_write = sync_error{error_kind::invalid, "connection b", "refused"};
  auto t = spawn_polling_task();
  sched.run();
  auto s = status_of(t);
  CAF_REQUIRE(s.progress);
  CAF_CHECK_EQUAL(s.progress->total, 2u);
  CAF_CHECK_EQUAL(s.progress->done, 1u);
  CAF_CHECK_EQUAL(s.progress->failed, 1u);
  CAF_CHECK_NOT_EQUAL(s.progress->finished, 0);
  CAF_CHECK_EQUAL(s.synced, 1u);
  CAF_CHECK_EQUAL(s.failed, 1u);
  stop(t);
}

CAF_TEST(a_resync_of_a_task_in_sync_lists_its_issues_again_and_writes_nothing) {
  for (auto subject : {"one", "two", "three"})
    a->add("P", "alice", {{"subject", subject}});
  auto t = spawn_polling_task();
  sched.run();
  CAF_REQUIRE_EQUAL(b->issues.size(), 3u);
  auto updates = b->updates;
  CAF_CHECK_EQUAL(command(t, resync_atom_v, timestamp{0}), "");
  auto s = status_of(t);
  CAF_REQUIRE(s.progress);
  CAF_CHECK_EQUAL(s.progress->kind, "resync");
  sched.run();
  s = status_of(t);
  CAF_REQUIRE(s.progress);
  CAF_CHECK_EQUAL(s.progress->total, 3u);
  CAF_CHECK_EQUAL(s.progress->done, 3u);
  CAF_CHECK_NOT_EQUAL(s.progress->finished, 0);
  CAF_CHECK_EQUAL(b->issues.size(), 3u);
  CAF_CHECK_EQUAL(b->updates, updates);
  CAF_CHECK(logged("resync from 1970-01-01T00:00:00.000Z started"));
  stop(t);
}

CAF_TEST(a_task_without_pollers_cannot_resync_and_says_so) {
  auto t = spawn_task(false);
  CAF_CHECK_EQUAL(command(t, resync_atom_v, timestamp{0}),
                  "the task has no pollers to list its issues");
  stop(t);
}

CAF_TEST(a_pass_that_got_writes_through_before_it_failed_starts_its_backoff_over) {
  // Five entries to replay against a flaky target that fails every second
  // write: each pass gets one entry through, then fails.
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  for (int n = 1; n <= 4; ++n)
    a->edit(i.id, "bob", {{"status", "S" + std::to_string(n)}});
  b->fail_every_second_write = sync_error{error_kind::invalid, "connection b, field status",
                                          "Redmine refused it (422)"};
  auto t = spawn_task_parking_after(3);
  report(t, side::source, a->issues.at(i.id));
  sched.run();
  CAF_CHECK_EQUAL(attempts(), 1u);
  // Every retry comes after the first backoff (1 s, +20% at most) and none
  // is parked: with the backoff doubling, the third would come after at
  // least 3.2 s and park the pair.
  for (int pass = 2; pass <= 5 && attempts() > 0; ++pass) {
    sched.advance_time(std::chrono::milliseconds{1200});
    sched.run();
  }
  CAF_CHECK_EQUAL(attempts(), 0u);
  CAF_REQUIRE_EQUAL(b->issues.size(), 1u);
  auto twin = b->issues.begin()->second;
  auto status = twin.fields["status"];
  CAF_CHECK_EQUAL(status, "S4");
  CAF_CHECK_EQUAL(twin.history.size(), 5u);
  stop(t);
}

CAF_TEST(a_field_the_target_drops_on_every_retry_still_parks_the_pair) {
  auto& i = a->add("P", "alice", {{"subject", "S"}});
  a->edit(i.id, "bob", {{"status", "Resolved"}}, "done");
  b->ignores = {"status"}; // a workflow without that transition
  auto t = spawn_task_parking_after(3);
  report(t, side::source, a->issues.at(i.id));
  sched.run();
  // The first pass made the twin and the comment's entry; the retries that
  // write only the status make nothing, so they count toward parking.
  CAF_CHECK_EQUAL(attempts(), 1u);
  for (unsigned expected = 2; expected <= 3; ++expected) {
    sched.trigger_timeouts();
    sched.run();
    CAF_CHECK_EQUAL(attempts(), expected);
  }
  storage::transaction txn{env, storage::transaction::read_only};
  auto items = store.errors(txn, "t");
  CAF_REQUIRE_EQUAL(items.size(), 1u);
  CAF_CHECK(items[0].parked);
  stop(t);
}

CAF_TEST(retries_back_off_exponentially_up_to_five_minutes_spread_by_a_fifth) {
  using std::chrono::milliseconds;
  CAF_CHECK_EQUAL(retry_delay(1, 0.5), milliseconds{1000});
  CAF_CHECK_EQUAL(retry_delay(2, 0.5), milliseconds{2000});
  CAF_CHECK_EQUAL(retry_delay(5, 0.5), milliseconds{16000});
  CAF_CHECK_EQUAL(retry_delay(9, 0.5), milliseconds{256000});
  CAF_CHECK_EQUAL(retry_delay(10, 0.5), milliseconds{300000});
  CAF_CHECK_EQUAL(retry_delay(1000, 0.5), milliseconds{300000});
  CAF_CHECK_EQUAL(retry_delay(1, 0.0), milliseconds{800});
  CAF_CHECK_EQUAL(retry_delay(10, 0.999999), milliseconds{359999});
}

CAF_TEST_FIXTURE_SCOPE_END()
