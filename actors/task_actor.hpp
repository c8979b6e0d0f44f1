#pragma once
// The task actor: one per sync task. It starts the task's pollers, routes
// each change to the actor of the issue pair it belongs to (spawning it on
// demand), retires issue actors when they are idle, and on start resumes
// the changes that were queued but not synced before the last stop. It
// obeys the operator (pause, resume, stop, start, resync) and keeps the
// task's counts and the progress of its long work.

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>

#include <caf/response_promise.hpp>

#include "actors/task_context.hpp"

namespace tb {

using steady_time = std::chrono::steady_clock::time_point;

// A change time per task side (indexed by side): the newest seen of a pair.
using side_times = std::array<timestamp, 2>;

inline side_times later_of(const side_times& a, const side_times& b) {
  return {std::max(a[0], b[0]), std::max(a[1], b[1])};
}

struct active_issue {
  issue_actor handle;
  std::uint64_t wakes_sent = 0;
  // One per wake its passes have not covered yet, oldest first: when the
  // change behind it reached the task, or nothing for the task's own wakes
  // (retries, a parent that is now there).
  std::deque<std::optional<steady_time>> uncovered;
  // The newest change time routed to it, by the side that changed.
  side_times newest{};
};

// A change as the task received it, kept while it waits for a create.
struct change_notice {
  issue_ref ref;
  timestamp updated = 0;
  steady_time received;
};

// An initial sync, a resync or the queue at start while it goes on.
struct progress_run {
  sync_progress shown;
  std::set<issue_ref> listed;  // every issue listed, once
  std::set<issue_ref> pending; // listed, not through yet
  std::set<side> listing;      // sides whose listing goes on
};

struct task_state {
  // -- types --

  // Failed pairs and their attempts so far: each is tried again after a
  // backoff that doubles, so a passing fault heals and a lasting one costs
  // little.
  // After ctx->max_attempts failures that were not a tracker being down, a
  // pair is parked: no more timed retries; a change of it, or a retry
  // through the API, runs it again.
  // Both counts start over after a pass that recorded something before it
  // failed (pass_end::progressed).
  struct failure_count {
    unsigned attempts = 0; // every failure: the backoff grows with it
    unsigned refused = 0;  // failures while the trackers answered
    bool parked = false;
    // The newest change times its failed passes were woken for, by side: a
    // failed pair listed again at such a time (a poll's overlap, a sweep)
    // has not changed; it waits for its backoff, or stays parked.
    side_times seen{};
  };

  // -- fields --

  std::shared_ptr<const task_context> ctx;
  bool with_pollers = true;
  std::vector<poller_actor> pollers;
  std::map<issue_ref, active_issue> active;
  // Twins a two-way poll saw before their creator recorded the link:
  // routed to the origin's actor until the link is in LMDB.
  std::map<issue_ref, issue_ref> aliases;
  // Creates under way, by pair key, and the side each writes to. While one
  // writes to a side, a change of an unlinked issue there may be that very
  // twin: it waits in `held` until the create has recorded its link.
  std::map<issue_ref, side> creating;
  std::vector<change_notice> held;
  std::map<issue_ref, failure_count> failures;
  std::minstd_rand jitter{std::random_device{}()};
  // Pairs skipped by an operator while a pass of theirs was under way: if
  // that pass fails, it is not retried either.
  std::set<issue_ref> skipped;
  // Pairs skipped by request, with the newest change times (by side) their
  // failed passes were woken for: listed again at such a time (a poll's
  // overlap, a sweep) they have not changed, and stay skipped.
  std::map<issue_ref, side_times> dismissed;
  // Pairs waiting for another pair (by its key) to finish: a child for its
  // parent's twin, an issue for the other's record of a change they share
  // (issue_actor.hpp: meet). Woken when that pair reports done.
  std::map<issue_ref, std::set<issue_ref>> dependents;

  // Live validation before the task syncs (task_context::check): pollers
  // start and changes are routed only once it passed; problems make the
  // task invalid until it is started again. A round's answers, by side,
  // gathered until both are in; replies of an older round are dropped.
  enum class check_state { unchecked, checking, passed, invalid };
  check_state check = check_state::unchecked;
  std::uint64_t check_round = 0;
  unsigned check_attempts = 0; // rounds in a row a tracker did not answer
  std::array<std::optional<catalogue_result>, 2> catalogues;
  bool count_queued = false; // the queue at start counts as received (a restart)
  std::vector<task_problem> problems;
  std::vector<task_problem> warnings;

  // As the operator left it (kept in LMDB), and whether the engine is ending.
  storage::task_run_state run = storage::task_run_state::running;
  bool shutting_down = false;
  bool retiring = false; // ends once no pass is under way (retire_atom)
  // The actor of the task's earlier settings, while its passes end: this
  // one starts only after it is down, so no pair has two passes at once.
  caf::actor_addr predecessor;
  std::optional<caf::typed_response_promise<bool>> shut_down;

  std::uint64_t received[2] = {0, 0};
  std::uint64_t synced = 0;
  std::uint64_t failed = 0;
  latency_histogram latency;
  // Pairs whose latest pass found their origin outside its filter.
  std::set<issue_ref> left_out;

  std::optional<progress_run> progress;
  bool progress_line_due = false; // a progress_atom is on its way

  // -- methods --

  // Changes are routed to issue actors only while this holds.
  bool syncing() const {
    return run == storage::task_run_state::running && !shutting_down
           && check == check_state::passed;
  }
  // "stopping" while passes of a stopped (or ending) task finish;
  // "checking" and "invalid" as its live validation goes.
  std::string state_name() const;
  bool creating_on(side s) const;
  // The pair key an issue belongs to: its origin once mapped, else itself.
  issue_ref key_of(const issue_ref& changed);
  // Drops a pair's error item and queued change (one transaction); whether
  // it had an error item.
  bool forget_failure(const issue_ref& key);

  // Starts (or joins) long work of this kind.
  progress_run& begin_progress(const std::string& kind);
  // After a pass of `key`: its listed issues that are through.
  void progress_after_pass(const issue_ref& key, bool ok);
  // Whether the work ended with this (it is then marked finished).
  bool progress_through();
  std::string progress_line() const;

  static inline const char* name = "task";
};

// The wait before retry number `attempt` (1, 2, ...): 1 s doubling, at most
// 5 min, spread by +-20% (`random` uniform in [0, 1)) so that issues that
// failed together are not all tried again at once.
std::chrono::milliseconds retry_delay(unsigned attempt, double random);

// The wait before a pass that a connection's open breaker held back runs
// again: until the breaker lets calls through (`reopens_in_ms`), at least
// 1 s (half-open, the one call let through may still run), spread by up to
// +20% so the issues it held back do not all come back in the same instant.
// No attempt was made, so it does not grow with the attempts: the issues an
// outage held back sync when it ends, not a long backoff after.
std::chrono::milliseconds held_back_delay(std::int64_t reopens_in_ms, double random);

// start_pollers: false in tests that drive the task by hand. predecessor:
// the task's actor this one replaces (sent retire_atom), or none.
task_actor::behavior_type task(task_actor::stateful_pointer<task_state> self,
                               std::shared_ptr<const task_context> ctx, bool start_pollers,
                               task_actor predecessor);

} // namespace tb
