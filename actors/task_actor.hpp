#pragma once
// The task actor: one per sync task. It starts the task's pollers, routes
// each change to the actor of the issue pair it belongs to (spawning it on
// demand), retires issue actors when they are idle, and on start resumes
// the changes that were queued but not synced before the last stop.

#include <map>
#include <memory>
#include <optional>
#include <set>

#include <caf/response_promise.hpp>

#include "actors/task_context.hpp"

namespace tb {

struct active_issue {
  issue_actor handle;
  std::uint64_t wakes_sent = 0;
};

struct task_state {
  std::shared_ptr<const task_context> ctx;
  std::map<issue_ref, active_issue> active;
  // Twins a two-way poll saw before their creator recorded the link:
  // routed to the origin's actor until the link is in LMDB.
  std::map<issue_ref, issue_ref> aliases;
  // Creates under way, by pair key, and the side each writes to. While one
  // writes to a side, a change of an unlinked issue there may be that very
  // twin: it waits in `held` until the create has recorded its link.
  std::map<issue_ref, side> creating;
  std::vector<std::pair<issue_ref, timestamp>> held;
  // Failed pairs and their attempts so far: each is tried again after a
  // backoff that doubles, so a passing fault heals and a lasting one costs
  // little.
  std::map<issue_ref, unsigned> failures;
  // Pairs skipped by an operator while a pass of theirs was under way: if
  // that pass fails, it is not retried either.
  std::set<issue_ref> skipped;
  // Drops a pair's error item and queued change (one transaction); whether
  // it had an error item.
  bool forget_failure(const issue_ref& key);
  // Pairs waiting for another pair (by its key) to finish: a child for its
  // parent. Woken when that pair reports done.
  std::map<issue_ref, std::set<issue_ref>> dependents;

  bool creating_on(side s) const;
  std::vector<poller_actor> pollers;
  std::uint64_t synced = 0;
  std::uint64_t failed = 0;
  bool stopping = false;
  bool paused = false;
  std::optional<caf::typed_response_promise<bool>> stopped;

  // The pair key an issue belongs to: its origin once mapped, else itself.
  issue_ref key_of(const issue_ref& changed);

  static inline const char* name = "task";
};

// The wait before retry number `attempt` (1, 2, ...): 1 s doubling, at most 5 min.
std::chrono::milliseconds retry_delay(unsigned attempt);

// start_pollers: false in tests that drive the task by hand.
task_actor::behavior_type task(task_actor::stateful_pointer<task_state> self,
                               std::shared_ptr<const task_context> ctx, bool start_pollers);

} // namespace tb
