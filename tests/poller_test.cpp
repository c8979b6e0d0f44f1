#define CAF_SUITE poller
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "tests/actor_fixture.hpp"
#include "domain/time.hpp"

using namespace tb;
using namespace std::chrono_literals;

namespace {

struct fixture : actor_fixture {
  poller_actor spawn_poller(std::chrono::milliseconds overlap,
                            std::chrono::milliseconds sweep = 0ms, std::uint32_t page = 500,
                            std::optional<listing_narrowing> narrowing = std::nullopt) {
    poller_settings settings{"t", side::source, "P", 1000ms, overlap, page, sweep, narrowing};
    return sys.spawn(poller, settings, conn_a, caf::actor_cast<task_actor>(self), log, &store);
  }

  // The ids the poller reported in its next changes (or listed) message, if
  // any; a listed page's kind and whether it was the last in `listing`.
  std::optional<std::vector<std::string>> next_changes() {
    sched.run();
    std::optional<std::vector<std::string>> out;
    auto take = [&](const std::vector<issue_stamp>& stamps) {
      out.emplace();
      for (auto& s : stamps)
        out->push_back(s.id);
    };
    listing.reset();
    self->receive(
      [&](changes_atom, side, const std::vector<issue_stamp>& stamps) { take(stamps); },
      [&](listed_atom, const listing_page& page) {
        listing = std::make_pair(std::string{to_string(page.kind)}, page.last);
        take(page.stamps);
      },
      caf::after(std::chrono::seconds(0)) >> [] {});
    return out;
  }
  std::optional<std::pair<std::string, bool>> listing;

  timestamp stored_watermark() {
    storage::transaction t{env, storage::transaction::read_only};
    return store.watermark(t, "t", side::source).value_or(-1);
  }

  std::size_t queued() {
    storage::transaction t{env, storage::transaction::read_only};
    return store.queued(t, "t").size();
  }

  void stop(poller_actor p) {
    anon_send_exit(p, caf::exit_reason::user_shutdown);
    sched.run();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(poller_tests, fixture)

CAF_TEST(the_first_poll_reports_every_issue_and_queues_them_with_the_watermark) {
  a->add("P", "alice", {{"subject", "one"}});
  a->add("P", "alice", {{"subject", "two"}});
  a->add("OTHER", "alice", {{"subject", "elsewhere"}});
  auto p = spawn_poller(500ms);
  auto ids = next_changes();
  CAF_REQUIRE(ids);
  CAF_CHECK_EQUAL(*ids, (std::vector<std::string>{"1", "2"}));
  // Queued and watermarked before the task was told.
  CAF_CHECK_EQUAL(queued(), 2u);
  CAF_CHECK_EQUAL(stored_watermark(), a->issues.at("2").updated);
  stop(p);
}

CAF_TEST(a_repoll_over_the_overlap_reports_only_what_changed) {
  a->add("P", "alice", {{"subject", "one"}});
  a->add("P", "alice", {{"subject", "two"}});
  auto p = spawn_poller(10000ms); // the overlap re-reads both issues every time
  CAF_REQUIRE(next_changes());
  sched.trigger_timeouts();
  CAF_CHECK(!next_changes());
  a->edit("1", "bob", {{"status", "Closed"}});
  sched.trigger_timeouts();
  auto ids = next_changes();
  CAF_REQUIRE(ids);
  CAF_CHECK_EQUAL(*ids, (std::vector<std::string>{"1"}));
  CAF_CHECK_EQUAL(stored_watermark(), a->issues.at("1").updated);
  stop(p);
}

CAF_TEST(a_second_edit_within_the_same_tracker_second_is_not_mistaken_for_seen) {
  // A tracker with whole-second times: the second edit keeps the first's
  // `updated`. Until a poll starts an overlap after that time, the issue
  // is reported again, so the second edit is read too.
  test::memory_adapter::set_clock(now_ms());
  auto& i = a->add("P", "alice", {{"subject", "one"}});
  auto p = spawn_poller(60000ms);
  auto first = next_changes();
  CAF_REQUIRE(first);
  sched.trigger_timeouts();
  auto again = next_changes();
  CAF_REQUIRE(again);
  CAF_CHECK_EQUAL(*again, (std::vector<std::string>{i.id}));
  stop(p);
  test::memory_adapter::set_clock(1000);
}

CAF_TEST(a_restarted_poller_resumes_from_the_stored_watermark) {
  a->add("P", "alice", {{"subject", "one"}});
  a->add("P", "alice", {{"subject", "two"}});
  auto p = spawn_poller(0ms);
  CAF_REQUIRE(next_changes());
  stop(p);
  a->add("P", "alice", {{"subject", "three"}});
  auto again = spawn_poller(0ms);
  auto ids = next_changes();
  CAF_REQUIRE(ids);
  // Issue 2 sits exactly at the watermark (">=" re-reads it); issue 1 is
  // behind it and is not reported again.
  CAF_CHECK_EQUAL(*ids, (std::vector<std::string>{"2", "3"}));
  stop(again);
}

CAF_TEST(a_failing_poll_leaves_the_watermark_and_tries_again) {
  a->add("P", "alice", {{"subject", "one"}});
  a->fail_next_poll = sync_error{error_kind::unavailable, "connection a", "connection refused"};
  auto p = spawn_poller(0ms);
  CAF_CHECK(!next_changes());
  CAF_CHECK_EQUAL(stored_watermark(), -1);
  CAF_CHECK_EQUAL(queued(), 0u);
  sched.trigger_timeouts(); // the retry is scheduled, not lost
  auto ids = next_changes();
  CAF_REQUIRE(ids);
  CAF_CHECK_EQUAL(*ids, (std::vector<std::string>{"1"}));
  stop(p);
}

CAF_TEST(a_sweep_every_third_poll_reports_every_issue_even_unchanged_ones) {
  a->add("P", "alice", {{"subject", "one"}});
  a->add("P", "alice", {{"subject", "two"}});
  a->add("P", "alice", {{"subject", "three"}});
  auto p = spawn_poller(0ms, 3000ms, 2); // pages of 2: the sweep takes two
  CAF_REQUIRE(next_changes());           // poll 1 (two full pages)
  CAF_REQUIRE(next_changes());
  auto end = next_changes(); // the initial listing ends with a short page
  CAF_REQUIRE(end && listing);
  CAF_CHECK(end->empty());
  CAF_CHECK_EQUAL(listing->second, true);
  sched.trigger_timeouts();
  CAF_CHECK(!next_changes()); // poll 2: nothing changed
  auto watermark = stored_watermark();
  // A change the update time does not show (a Redmine relation): only a
  // sweep finds it. Poll 3 is a sweep, paged like a poll.
  sched.trigger_timeouts();
  auto first = next_changes();
  CAF_REQUIRE(first);
  CAF_CHECK_EQUAL(*first, (std::vector<std::string>{"1", "2"}));
  auto second = next_changes();
  CAF_REQUIRE(second);
  CAF_CHECK_EQUAL(*second, (std::vector<std::string>{"2", "3"}));
  auto last = next_changes(); // a page starts at its predecessor's last time
  CAF_REQUIRE(last);
  CAF_CHECK_EQUAL(*last, (std::vector<std::string>{"3"}));
  CAF_CHECK_EQUAL(queued(), 3u);
  CAF_CHECK_EQUAL(stored_watermark(), watermark); // a sweep moves no watermark
  // Then polling goes on as before, and the next sweep comes three polls later.
  for (int poll = 0; poll < 2; ++poll) {
    sched.trigger_timeouts();
    CAF_CHECK(!next_changes());
  }
  sched.trigger_timeouts();
  CAF_CHECK(next_changes());
  stop(p);
}

CAF_TEST(a_linked_issue_a_whole_sweep_does_not_list_is_queued_to_be_read_and_a_resync_queues_none) {
  a->add("P", "alice", {{"subject", "one"}});
  auto& two = a->add("P", "alice", {{"subject", "two"}});
  {
    // Issue 2 has a twin, and so had issue 9, deleted since (not in `a`).
    storage::transaction t{env, storage::transaction::read_write};
    store.link(t, "t", issue_ref{side::source, "2"}, "20");
    store.link(t, "t", issue_ref{side::source, "9"}, "90");
    t.commit();
  }
  auto dequeue_all = [&] {
    storage::transaction t{env, storage::transaction::read_write};
    for (auto& q : store.queued(t, "t"))
      store.dequeue_if_covered(t, "t", q.ref, q.updated);
    t.commit();
  };
  auto p = spawn_poller(0ms, 2000ms); // a sweep every second poll
  CAF_REQUIRE(next_changes()); // poll 1: the initial sync (no guess about 9 there)
  CAF_CHECK_EQUAL(queued(), 2u);
  dequeue_all();
  sched.trigger_timeouts();
  auto swept = next_changes(); // poll 2 is a sweep
  CAF_REQUIRE(swept);
  CAF_CHECK_EQUAL(*swept, (std::vector<std::string>{"1", "2", "9"}));
  {
    storage::transaction t{env, storage::transaction::read_only};
    auto q = store.queued(t, "t");
    CAF_REQUIRE_EQUAL(q.size(), 3u);
    CAF_CHECK_EQUAL(q.back().ref.id, "9");
    CAF_CHECK_EQUAL(q.back().updated, 0); // read whatever its time
  }
  dequeue_all();
  // A resync lists only what changed since its time: 9 is not guessed gone.
  self->send(p, resync_atom_v, two.updated);
  auto resynced = next_changes();
  CAF_REQUIRE(resynced);
  CAF_CHECK_EQUAL(*resynced, (std::vector<std::string>{"2"}));
  stop(p);
}

CAF_TEST(the_first_poll_of_a_side_never_polled_is_its_initial_sync_and_later_polls_are_changes) {
  a->add("P", "alice", {{"subject", "one"}});
  auto p = spawn_poller(0ms);
  auto first = next_changes();
  CAF_REQUIRE(first && listing);
  CAF_CHECK_EQUAL(*first, (std::vector<std::string>{"1"}));
  CAF_CHECK_EQUAL(listing->first, "initial sync");
  CAF_CHECK_EQUAL(listing->second, true);
  a->add("P", "alice", {{"subject", "two"}});
  sched.trigger_timeouts();
  auto later = next_changes();
  CAF_REQUIRE(later);
  CAF_CHECK_EQUAL(*later, (std::vector<std::string>{"2"}));
  CAF_CHECK(!listing); // a plain change, no progress
  stop(p);
  // Restarted with a watermark: no initial sync again.
  auto again = spawn_poller(0ms);
  a->add("P", "alice", {{"subject", "three"}});
  auto next = next_changes();
  CAF_REQUIRE(next);
  CAF_CHECK(!listing);
  stop(again);
}

CAF_TEST(a_narrowed_initial_sync_lists_only_what_may_match_and_later_polls_start_after_it) {
  a->narrows = true;
  a->add("P", "alice", {{"subject", "one"}, {"tracker", "Bug"}});
  a->add("P", "alice", {{"subject", "two"}, {"tracker", "Feature"}});
  a->add("P", "alice", {{"subject", "three"}, {"tracker", "Feature"}});
  listing_narrowing bugs;
  bugs.any_of["tracker"] = {"Bug"};
  auto p = spawn_poller(0ms, 0ms, 500, bugs);
  auto first = next_changes();
  CAF_REQUIRE(first && listing);
  CAF_CHECK_EQUAL(*first, (std::vector<std::string>{"1"}));
  CAF_CHECK_EQUAL(listing->first, "initial sync");
  CAF_CHECK_EQUAL(listing->second, true);
  CAF_REQUIRE_EQUAL(a->narrowed_listings.size(), 1u);
  CAF_CHECK(a->narrowed_listings[0] == bugs);
  // The watermark is the project's newest change, read before the listing:
  // the features it left out are not listed again...
  CAF_CHECK_EQUAL(stored_watermark(), a->issues.at("3").updated);
  CAF_CHECK_EQUAL(queued(), 1u);
  // ...but what changes later is, by the plain polls that follow (the
  // newest issue sits at the watermark, which ">=" reads again).
  a->edit("2", "bob", {{"tracker", "Bug"}});
  sched.trigger_timeouts();
  auto later = next_changes();
  CAF_REQUIRE(later);
  CAF_CHECK_EQUAL(*later, (std::vector<std::string>{"3", "2"}));
  CAF_CHECK(!listing);
  CAF_CHECK_EQUAL(a->narrowed_listings.size(), 1u);
  stop(p);
}

CAF_TEST(an_empty_projects_initial_sync_is_remembered_so_a_restart_does_not_repeat_it) {
  auto p = spawn_poller(0ms);
  auto first = next_changes();
  CAF_REQUIRE(first && listing);
  CAF_CHECK(first->empty());
  CAF_CHECK_EQUAL(listing->second, true);
  CAF_CHECK_EQUAL(stored_watermark(), 0);
  stop(p);
  auto again = spawn_poller(0ms);
  CAF_CHECK(!next_changes()); // nothing to report, and no initial sync
  stop(again);
}

CAF_TEST(a_resync_lists_every_issue_changed_since_its_time_and_leaves_the_watermark) {
  a->add("P", "alice", {{"subject", "one"}});
  auto& two = a->add("P", "alice", {{"subject", "two"}});
  a->add("P", "alice", {{"subject", "three"}});
  auto p = spawn_poller(0ms, 0ms, 2); // pages of 2
  while (next_changes() && listing && !listing->second) {
  } // the initial sync
  auto watermark = stored_watermark();
  {
    storage::transaction t{env, storage::transaction::read_write};
    for (auto& q : store.queued(t, "t"))
      store.dequeue_if_covered(t, "t", q.ref, q.updated); // as if synced
    t.commit();
  }
  self->send(p, resync_atom_v, two.updated);
  auto first = next_changes(); // at once, not at the next poll
  CAF_REQUIRE(first && listing);
  CAF_CHECK_EQUAL(listing->first, "resync");
  CAF_CHECK_EQUAL(*first, (std::vector<std::string>{"2", "3"}));
  CAF_CHECK_EQUAL(listing->second, false);
  auto last = next_changes();
  CAF_REQUIRE(last && listing);
  CAF_CHECK_EQUAL(*last, (std::vector<std::string>{"3"}));
  CAF_CHECK_EQUAL(listing->second, true);
  CAF_CHECK_EQUAL(queued(), 2u); // issue 1 changed before: not listed
  CAF_CHECK_EQUAL(stored_watermark(), watermark);
  CAF_CHECK(!next_changes()); // then plain polling: one chain of ticks, not two
  sched.trigger_timeouts();
  CAF_CHECK(!next_changes());
  stop(p);
}

CAF_TEST(a_resync_whose_listing_fails_goes_on_after_an_interval) {
  a->add("P", "alice", {{"subject", "one"}});
  auto p = spawn_poller(0ms);
  CAF_REQUIRE(next_changes());
  a->fail_next_poll = sync_error{error_kind::unavailable, "connection a", "connection refused"};
  self->send(p, resync_atom_v, timestamp{0});
  CAF_CHECK(!next_changes()); // failed; not tried again at once
  sched.trigger_timeouts();
  auto ids = next_changes();
  CAF_REQUIRE(ids && listing);
  CAF_CHECK_EQUAL(listing->first, "resync");
  CAF_CHECK_EQUAL(*ids, (std::vector<std::string>{"1"}));
  stop(p);
}

CAF_TEST_FIXTURE_SCOPE_END()
