#include "actors/task_actor.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

#include <caf/actor_cast.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/issue_actor.hpp"
#include "actors/poller_actor.hpp"
#include "domain/checked_json.hpp"
#include "domain/faults.hpp"
#include "domain/time.hpp"

namespace tb {

namespace {

using self_ptr = task_actor::stateful_pointer<task_state>;
using steady = std::chrono::steady_clock;

// "1 issue", "3 issues".
std::string count_of(std::uint64_t n, const std::string& noun, const std::string& plural = "") {
  return std::to_string(n) + " " + (n == 1 ? noun : plural.empty() ? noun + "s" : plural);
}

void log(self_ptr self, log_level level, std::string message) {
  self->send(self->state.ctx->log, log_atom_v, level, self->state.ctx->name,
             std::move(message));
}

// received: when the change behind this wake reached the task; nothing for
// the task's own wakes.
void wake(self_ptr self, const issue_ref& key, const issue_ref& changed, timestamp updated,
          std::optional<steady_time> received = std::nullopt) {
  auto& st = self->state;
  auto i = st.active.find(key);
  if (i == st.active.end()) {
    auto handle = self->spawn(issue_worker, st.ctx, caf::actor_cast<task_actor>(self), key);
    self->monitor(handle);
    i = st.active.emplace(key, active_issue{handle, 0, {}}).first;
  }
  ++i->second.wakes_sent;
  i->second.uncovered.push_back(received);
  auto& newest = i->second.newest[static_cast<int>(changed.where)];
  newest = std::max(newest, updated);
  self->send(i->second.handle, wake_atom_v, changed, updated);
}

void route(self_ptr self, const change_notice& c) {
  auto& st = self->state;
  if (!st.syncing())
    return; // still queued in LMDB: resume, start or the next run syncs it
  auto key = st.key_of(c.ref);
  // Time 0 is a push or a request (webhook, sync, retry): it always runs.
  auto w = static_cast<int>(c.ref.where);
  if (c.updated != 0) {
    // Listed again, not changed (a poll's overlap, a sweep): its change stays
    // queued; a failed pair runs again on its backoff timer, a parked one when
    // it changes or is retried through the API.
    if (auto f = st.failures.find(key); f != st.failures.end() && c.updated <= f->second.seen[w])
      return;
    if (auto d = st.dismissed.find(key); d != st.dismissed.end()) {
      if (c.updated <= d->second[w])
        return; // skipped by request, and not changed since
      st.dismissed.erase(d);
    }
  }
  if (key == c.ref && !st.active.count(key) && st.creating_on(c.ref.where)) {
    st.held.push_back(c);
    return;
  }
  wake(self, key, c.ref, c.updated, c.received);
}

void receive(self_ptr self, side s, const std::vector<issue_stamp>& stamps) {
  auto now = steady::now();
  self->state.received[static_cast<int>(s)] += stamps.size();
  for (auto& stamp : stamps)
    route(self, change_notice{issue_ref{s, stamp.id}, stamp.updated, now});
}

// The changes a finished pass covered: counted, and their latency observed.
void count_covered(self_ptr self, const issue_ref& key, std::uint64_t wakes_seen,
                   pass_outcome outcome) {
  auto& st = self->state;
  auto i = st.active.find(key);
  if (i == st.active.end())
    return;
  auto& a = i->second;
  auto now = steady::now();
  bool ok = outcome == pass_outcome::synced;
  while (!a.uncovered.empty() && a.wakes_sent - a.uncovered.size() + 1 <= wakes_seen) {
    if (auto received = a.uncovered.front(); received && outcome != pass_outcome::left_out) {
      ++(ok ? st.synced : st.failed);
      if (ok)
        st.latency.observe(std::chrono::duration<double>(now - *received).count());
    }
    a.uncovered.pop_front();
  }
}

// A create is over: the changes it held are routed again, now that its link
// (if it made one) is in LMDB.
void create_done(self_ptr self, const issue_ref& key) {
  auto& st = self->state;
  if (st.creating.erase(key) == 0)
    return;
  auto held = std::move(st.held);
  st.held.clear();
  for (auto& c : held)
    route(self, c);
}

void retire(self_ptr self, std::map<issue_ref, active_issue>::iterator i) {
  self->demonitor(i->second.handle.address());
  self->send_exit(i->second.handle, caf::exit_reason::user_shutdown);
  self->state.active.erase(i);
}

void begin_run(self_ptr self);

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  if (st.predecessor && dm.source == st.predecessor) {
    st.predecessor = nullptr;
    if (st.retiring && st.active.empty())
      self->quit(); // replaced again before it began: its successor waited for both
    else if (!st.shutting_down)
      begin_run(self);
    return;
  }
  for (auto i = st.active.begin(); i != st.active.end(); ++i) {
    if (i->second.handle.address() != dm.source)
      continue;
    if (dm.reason && dm.reason != caf::exit_reason::user_shutdown) {
      st.failed += std::count_if(i->second.uncovered.begin(), i->second.uncovered.end(),
                                 [](auto& r) { return r.has_value(); });
      log(self, log_level::error,
          "the actor of " + to_string(i->first) + " stopped: " + to_string(dm.reason));
    }
    auto key = i->first;
    st.active.erase(i);
    create_done(self, key); // a create cut short ends here too
    break;
  }
  if (st.active.empty() && st.shut_down) {
    st.shut_down->deliver(true);
    st.shut_down.reset();
  }
  if (st.active.empty() && st.retiring && !st.predecessor)
    self->quit();
}

void progress_begun(self_ptr self, const std::string& kind, const std::string& what);

// Long work whose listing the pollers of these sides are about to send: it
// is under way (listing) from now, and one piece of work over both sides.
void expect_listing(self_ptr self, const std::string& kind, const std::string& what,
                    const std::vector<side>& sides) {
  progress_begun(self, kind, what);
  auto& p = *self->state.progress;
  p.listing.insert(sides.begin(), sides.end());
  p.shown.listing = !p.listing.empty();
}

std::vector<side> polled_sides(const task_context& ctx) {
  if (ctx.two_way)
    return {side::source, side::target};
  return {side::source};
}

void start_pollers(self_ptr self) {
  auto& st = self->state;
  if (!st.with_pollers)
    return;
  auto& ctx = *st.ctx;
  // A side never polled lists everything first: its initial sync.
  std::vector<side> initial;
  {
    storage::transaction t{ctx.store->env(), storage::transaction::read_only};
    for (auto s : polled_sides(ctx))
      if (!ctx.store->watermark(t, ctx.name, s))
        initial.push_back(s);
  }
  if (!initial.empty())
    expect_listing(self, "initial sync", "initial sync started", initial);
  for (auto s : polled_sides(ctx)) {
    poller_settings settings{ctx.name, s, ctx.at(s).project, ctx.poll_interval, ctx.poll_overlap};
    settings.sweep_interval = ctx.at(s).sweep_interval;
    if (auto& f = ctx.at(s).filter; f && ctx.at(s).narrows_listings)
      if (auto n = f->narrowing(now_ms()); !n.empty())
        settings.narrowing = n;
    // Linked: they end with the task.
    st.pollers.push_back(self->spawn<caf::linked>(poller, settings, ctx.at(s).conn,
                                                  caf::actor_cast<task_actor>(self), ctx.log,
                                                  ctx.store));
  }
}

void stop_pollers(self_ptr self) {
  for (auto& p : self->state.pollers) {
    self->unlink_from(p); // its end is not the task's
    self->send_exit(p, caf::exit_reason::user_shutdown);
  }
  self->state.pollers.clear();
}

void schedule_progress_line(self_ptr self) {
  auto& st = self->state;
  if (st.progress_line_due)
    return;
  st.progress_line_due = true;
  self->delayed_send(self, st.ctx->progress_interval, progress_atom_v);
}

void progress_begun(self_ptr self, const std::string& kind, const std::string& what) {
  auto& st = self->state;
  bool fresh = !st.progress || st.progress->shown.finished != 0;
  st.begin_progress(kind);
  if (fresh) {
    log(self, log_level::info, what);
    schedule_progress_line(self);
  }
}

void check_progress(self_ptr self) {
  auto& st = self->state;
  if (st.progress_through())
    log(self, log_level::info, st.progress_line());
}

// Long work cut short by a stop: what is not through stays queued.
void drop_progress(self_ptr self) {
  auto& st = self->state;
  if (!st.progress || st.progress->shown.finished)
    return;
  auto& p = st.progress->shown;
  log(self, log_level::info,
      p.kind + " interrupted: " + std::to_string(p.done) + " of " + count_of(p.total, "issue")
        + " through; the rest stays queued");
  st.progress.reset();
}

// Changes queued before the last stop (or while paused) are synced first:
// long work of their own, or part of the work under way. Counted as
// received only when the task starts (before, another run received them).
void resume_queued(self_ptr self, bool count_received) {
  auto& st = self->state;
  std::vector<storage::queued_change> queued;
  {
    storage::transaction t{st.ctx->store->env(), storage::transaction::read_only};
    queued = st.ctx->store->queued(t, st.ctx->name);
  }
  if (queued.empty())
    return;
  auto what = "resuming " + count_of(queued.size(), "queued change");
  if (st.progress && st.progress->shown.finished == 0)
    log(self, log_level::info, what);
  else
    progress_begun(self, "queued changes", what);
  auto& p = *st.progress;
  for (auto& q : queued)
    if (p.listed.insert(q.ref).second)
      p.pending.insert(q.ref);
  p.shown.total = p.listed.size();
  auto now = steady::now();
  for (auto& q : queued) {
    if (count_received)
      ++st.received[static_cast<int>(q.ref.where)];
    route(self, change_notice{q.ref, q.updated, now});
  }
}

// The operator's run state, kept in LMDB so that it lasts across restarts.
void set_run_state(self_ptr self, storage::task_run_state s) {
  auto& st = self->state;
  storage::write_transaction(st.ctx->store->env(), [&](storage::transaction& t) {
    st.ctx->store->set_run_state(t, st.ctx->name, s);
  });
  st.run = s;
}

// -- live validation -------------------------------------------------------

// What a task does once its check passed, by its run state.
void begin_syncing(self_ptr self) {
  auto& st = self->state;
  switch (st.run) {
    case storage::task_run_state::stopped:
      return;
    case storage::task_run_state::paused:
      start_pollers(self);
      return;
    case storage::task_run_state::running:
      resume_queued(self, st.count_queued);
      start_pollers(self);
      return;
  }
}

task_problem shown(const config::problem& p) {
  return {p.path, p.message, p.hint};
}

std::string line_of(const task_problem& p) {
  return p.path + ": " + p.message + (p.hint.empty() ? "" : " (hint: " + p.hint + ")");
}

void read_catalogues(self_ptr self);

// Both sides' catalogues are in: a tracker that did not answer is asked
// again after a backoff; otherwise the task's rules are checked against
// them, and it syncs or is invalid.
void catalogues_in(self_ptr self) {
  auto& st = self->state;
  for (auto s : {side::source, side::target}) {
    auto& r = *st.catalogues[static_cast<int>(s)];
    if (r || r.error().kind != error_kind::unavailable)
      continue;
    auto delay = retry_delay(++st.check_attempts,
                             std::uniform_real_distribution<double>{0, 1}(st.jitter));
    auto why = "cannot read what " + r.error().where + " takes yet (" + r.error().message
               + "): nothing is synced until it is checked";
    log(self, log_level::warn,
        why + "; checking again in " + std::to_string(delay.count() / 1000.0).substr(0, 4)
          + " s");
    // Shown in the task view meanwhile, where the check's findings go.
    st.problems.clear();
    st.warnings = {{checked::member(checked::member("$.tasks", st.ctx->name),
                                    s == side::source ? "source" : "target"),
                    why, "the check is tried again with a growing wait, up to 5 minutes"}};
    self->delayed_send(self, delay, catalogue_atom_v, st.check_round);
    return;
  }
  st.check_attempts = 0;
  st.problems.clear();
  st.warnings.clear();
  auto task_path = checked::member("$.tasks", st.ctx->name);
  auto& source = *st.catalogues[0];
  auto& target = *st.catalogues[1];
  for (auto [name, r] : {std::pair{"source", &source}, std::pair{"target", &target}})
    if (!*r)
      st.problems.push_back({task_path + "." + name,
                             "cannot read " + r->error().where + ": " + r->error().message,
                             "check the connection's key and the project's identifier"});
  if (source && target) {
    auto report = st.ctx->check(*source, *target);
    for (auto& p : report.problems)
      st.problems.push_back(shown(p));
    for (auto& w : report.warnings)
      st.warnings.push_back(shown(w));
  }
  for (auto& w : st.warnings)
    log(self, log_level::warn, line_of(w));
  if (!st.problems.empty()) {
    st.check = task_state::check_state::invalid;
    for (auto& p : st.problems)
      log(self, log_level::error, line_of(p));
    if (st.ctx->mailer)
      self->send(*st.ctx->mailer, notice_atom_v,
                 notice{notice_kind::task_invalid, st.ctx->name, "", "", "",
                        count_of(st.problems.size(), "problem") + " against the trackers, the "
                          + "first: " + line_of(st.problems.front()),
                        now_ms()});
    log(self, log_level::error,
        "invalid: " + count_of(st.problems.size(), "problem") + " against the trackers, "
          + "so nothing is synced; fix them (GET /api/v1/tasks/" + st.ctx->name
          + " lists them) and start the task again");
    return;
  }
  st.check = task_state::check_state::passed;
  begin_syncing(self);
}

void catalogue_in(self_ptr self, std::uint64_t round, side s, catalogue_result r) {
  auto& st = self->state;
  if (round != st.check_round || st.check != task_state::check_state::checking
      || st.shutting_down)
    return; // an older round's, or the task was stopped (or is ending) meanwhile
  st.catalogues[static_cast<int>(s)] = std::move(r);
  if (st.catalogues[0] && st.catalogues[1])
    catalogues_in(self);
}

void read_catalogues(self_ptr self) {
  auto& st = self->state;
  auto round = ++st.check_round;
  st.catalogues = {};
  for (auto s : {side::source, side::target}) {
    auto& at = st.ctx->at(s);
    auto where = "connection " + at.connection + ", project " + at.project;
    self->request(at.conn, st.ctx->request_timeout, catalogue_atom_v, at.project)
      .then([self, round, s](catalogue_result& r) { catalogue_in(self, round, s, std::move(r)); },
            [self, round, s, where](caf::error& e) {
              catalogue_in(self, round, s,
                           sync_error{error_kind::unavailable, where,
                                      "no answer: " + self->system().render(e)});
            });
  }
}

// Checks the task's rules against its trackers, then syncs as its run
// state says. count_queued: the queue at start counts as received (the
// server started).
void begin_check(self_ptr self, bool count_queued) {
  auto& st = self->state;
  st.count_queued = count_queued;
  if (!st.ctx->check) {
    st.check = task_state::check_state::passed;
    begin_syncing(self);
    return;
  }
  st.check = task_state::check_state::checking;
  st.check_attempts = 0;
  read_catalogues(self);
}

const std::string ok_now; // the answer of a command that holds

std::string pause(self_ptr self) {
  auto& st = self->state;
  if (st.run == storage::task_run_state::stopped)
    return "the task is stopped; start it (it then syncs), or leave it stopped";
  if (st.run == storage::task_run_state::running) {
    set_run_state(self, storage::task_run_state::paused);
    log(self, log_level::info, "paused: changes are queued, not synced, until the task is resumed");
  }
  return ok_now;
}

std::string resume(self_ptr self) {
  auto& st = self->state;
  if (st.run == storage::task_run_state::stopped)
    return "the task is stopped, not paused; start it instead";
  if (st.run == storage::task_run_state::paused) {
    set_run_state(self, storage::task_run_state::running);
    log(self, log_level::info, "resumed");
    resume_queued(self, false);
  }
  return ok_now;
}

std::string stop(self_ptr self) {
  auto& st = self->state;
  if (st.run == storage::task_run_state::stopped)
    return ok_now;
  set_run_state(self, storage::task_run_state::stopped);
  st.check = task_state::check_state::unchecked; // a check under way is dropped
  stop_pollers(self);
  drop_progress(self);
  // What the task was doing stays queued in LMDB; start routes it again.
  st.held.clear();
  st.dependents.clear();
  st.failures.clear();
  for (auto& [key, a] : st.active)
    self->send(a.handle, stop_atom_v);
  log(self, log_level::info,
      "stopped by request: no polling, no syncing until it is started"
        + (st.active.empty() ? std::string{}
                             : "; the passes under way (" + std::to_string(st.active.size())
                                 + ") end after the write they are in"));
  return ok_now;
}

std::string start(self_ptr self) {
  auto& st = self->state;
  if (st.run == storage::task_run_state::paused)
    return "the task is paused, not stopped; resume it instead";
  if (st.run == storage::task_run_state::running) {
    if (st.check == task_state::check_state::invalid) {
      log(self, log_level::info, "started by request: checking the trackers again");
      begin_check(self, false);
    }
    return ok_now;
  }
  if (!st.active.empty())
    return "the task is still stopping: " + count_of(st.active.size(), "pass", "passes")
           + " still in a write; try again in a moment";
  set_run_state(self, storage::task_run_state::running);
  log(self, log_level::info, "started by request");
  begin_check(self, false);
  return ok_now;
}

std::string resync(self_ptr self, timestamp since) {
  auto& st = self->state;
  if (st.run == storage::task_run_state::stopped)
    return "the task is stopped; start it first";
  if (st.check == task_state::check_state::invalid)
    return "the task is invalid: fix its problems (GET /api/v1/tasks/" + st.ctx->name
           + ") and start it again";
  if (st.check == task_state::check_state::checking)
    return "the task is still checking what its trackers take; try again once it runs";
  if (st.pollers.empty())
    return "the task has no pollers to list its issues";
  expect_listing(self, "resync", "resync from " + to_rfc3339(since) + " started",
                 polled_sides(*st.ctx));
  for (auto& p : st.pollers)
    self->send(p, resync_atom_v, since);
  return ok_now;
}

void on_listed(self_ptr self, const listing_page& page) {
  auto& st = self->state;
  auto s = page.from;
  if (st.run != storage::task_run_state::stopped && !st.shutting_down) {
    std::string kind = to_string(page.kind);
    progress_begun(self, kind, kind + " started");
    auto& p = *st.progress;
    if (page.last)
      p.listing.erase(s);
    else
      p.listing.insert(s);
    for (auto& stamp : page.stamps)
      if (issue_ref ref{s, stamp.id}; p.listed.insert(ref).second)
        p.pending.insert(ref);
    p.shown.total = p.listed.size();
    p.shown.listing = !p.listing.empty();
  }
  receive(self, s, page.stamps);
  check_progress(self);
}

// A failed pair: tried again after a backoff, or parked once it failed
// ctx->max_attempts times while the trackers answered. A tracker that is down
// parks nothing: an outage heals by itself, parking is for what is refused.
// A pass that recorded something before it failed got closer: the backoff
// and the count toward parking start over (the history is finite, so this
// cannot go on forever), else a flaky tracker would push a pair that gets a
// few writes through per pass toward five-minute waits.
void retry_later(self_ptr self, const pass_end& end) {
  auto& st = self->state;
  auto& key = end.key;
  auto& count = st.failures[key];
  bool unavailable = end.outcome == pass_outcome::unavailable;
  bool held_back = end.outcome == pass_outcome::held_back;
  if (end.progressed && !count.parked) {
    count.attempts = 0;
    count.refused = 0;
  }
  if (!held_back)
    ++count.attempts;
  if (auto a = st.active.find(key); a != st.active.end())
    count.seen = later_of(count.seen, a->second.newest);
  if (!unavailable && !held_back)
    ++count.refused;
  if (count.parked)
    return; // it ran again because it changed or the API asked: still parked
  if (unavailable || held_back || count.refused < st.ctx->max_attempts) {
    auto random = std::uniform_real_distribution<double>{0.0, 1.0}(st.jitter);
    auto wait = held_back ? held_back_delay(end.retry_after_ms, random)
                          : std::max(retry_delay(count.attempts, random),
                                     std::chrono::milliseconds{end.retry_after_ms});
    self->delayed_send(self, wait, retry_atom_v, key);
    return;
  }
  count.parked = true;
  try {
    storage::write_transaction(st.ctx->store->env(), [&](storage::transaction& t) {
      st.ctx->store->park_error(t, st.ctx->name, key);
    });
  } catch (const std::exception& e) {
    log(self, log_level::error, "cannot mark " + to_string(key) + " parked: " + e.what());
  }
  if (st.ctx->mailer)
    self->send(*st.ctx->mailer, notice_atom_v,
               notice{notice_kind::parked, st.ctx->name, "", to_string(key.where), key.id,
                      "parked after " + std::to_string(count.attempts) + " failed attempts",
                      now_ms()});
  log(self, log_level::warn,
      to_string(key) + ": parked after " + std::to_string(count.attempts)
        + " failed attempts; it stays in the error list and runs again when it changes or "
          "when retried through the API (POST /api/v1/errors/" + st.ctx->name + "/"
        + to_string(key.where) + "/" + key.id + "/retry)");
}

void on_done(self_ptr self, const pass_end& end) {
  auto& st = self->state;
  auto& key = end.key;
  // Left out by the filter, a pair is done as well: nothing of it is wrong.
  bool ok = end.outcome == pass_outcome::synced || end.outcome == pass_outcome::left_out;
  count_covered(self, key, end.wakes_seen, end.outcome);
  if (end.outcome == pass_outcome::left_out)
    st.left_out.insert(key);
  else
    st.left_out.erase(key);
  if (ok) {
    st.failures.erase(key);
    st.dismissed.erase(key);
  } else if (st.skipped.count(key))
    st.forget_failure(key); // skipped while this pass ran: its failure is dropped too
  else
    retry_later(self, end);
  st.skipped.erase(key);
  st.progress_after_pass(key, ok);
  check_progress(self);
  if (auto d = st.dependents.find(key); d != st.dependents.end()) {
    auto waiting = std::move(d->second);
    st.dependents.erase(d);
    if (st.syncing())
      for (auto& child : waiting)
        wake(self, child, child, 0);
  }
  auto i = st.active.find(key);
  // A wake still in the actor's mailbox keeps it alive for one more pass.
  if (i != st.active.end() && i->second.wakes_sent == end.wakes_seen && !st.shutting_down)
    retire(self, i);
}

} // namespace

std::chrono::milliseconds retry_delay(unsigned attempt, double random) {
  return backoff_delay(attempt, std::chrono::milliseconds{1000},
                       std::chrono::milliseconds{5 * 60 * 1000}, 0.2, random);
}

std::chrono::milliseconds held_back_delay(std::int64_t reopens_in_ms, double random) {
  auto wait = std::max<std::int64_t>(reopens_in_ms, 1000);
  return std::chrono::milliseconds{wait + static_cast<std::int64_t>(0.2 * random * wait)};
}

bool task_state::forget_failure(const issue_ref& key) {
  return storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
    bool had = ctx->store->clear_error(t, ctx->name, key);
    // Its queued change too: the next change of the issue syncs it again.
    ctx->store->dequeue_if_covered(t, ctx->name, key, std::numeric_limits<timestamp>::max());
    return had;
  });
}

std::string task_state::state_name() const {
  if (predecessor && !shutting_down)
    return "restarting";
  if ((shutting_down || run == storage::task_run_state::stopped) && !active.empty())
    return "stopping";
  if (run != storage::task_run_state::stopped && check == check_state::invalid)
    return "invalid";
  // A paused task shows "paused" while it checks: it syncs nothing either way.
  if (run == storage::task_run_state::running && check == check_state::checking)
    return "checking";
  return storage::to_string(run);
}

progress_run& task_state::begin_progress(const std::string& kind) {
  if (!progress || progress->shown.finished != 0) {
    progress.emplace();
    progress->shown.started = now_ms();
    progress->shown.kind = kind;
  } else if (progress->shown.kind.find(kind) == std::string::npos) {
    progress->shown.kind += " and " + kind; // joined: "initial sync and resync"
  }
  return *progress;
}

void task_state::progress_after_pass(const issue_ref& key, bool ok) {
  if (!progress || progress->shown.finished != 0)
    return;
  auto& p = *progress;
  storage::transaction t{ctx->store->env(), storage::transaction::read_only};
  std::vector<issue_ref> refs{key};
  if (auto link = ctx->store->find_twin(t, ctx->name, key))
    refs.push_back(issue_ref{other(key.where), link->twin_id});
  for (auto& r : refs) {
    if (!p.pending.count(r))
      continue;
    if (!ok) {
      ++p.shown.failed;
      p.pending.erase(r);
    } else if (!ctx->store->is_queued(t, ctx->name, r)) {
      ++p.shown.done;
      p.pending.erase(r);
    }
  }
}

bool task_state::progress_through() {
  if (!progress || progress->shown.finished != 0 || !progress->listing.empty()
      || !progress->pending.empty())
    return false;
  progress->shown.finished = now_ms();
  progress->shown.listing = false;
  progress->listed.clear(); // its sets are not needed any more
  return true;
}

std::string task_state::progress_line() const {
  auto& p = progress->shown;
  auto through = std::to_string(p.done + p.failed);
  auto failed = p.failed ? ", " + std::to_string(p.failed) + " failed" : std::string{};
  if (p.finished) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(p.finished - p.started) / 1000);
    return p.kind + " finished: " + count_of(p.total, "issue") + " in " + seconds + " s ("
           + std::to_string(p.done) + " synced" + failed + ")";
  }
  return p.kind + ": " + through + " of " + count_of(p.total, "issue") + " through" + failed
         + (p.listing ? "; still listing" : "");
}

bool task_state::creating_on(side s) const {
  for (auto& [key, where] : creating)
    if (where == s)
      return true;
  return false;
}

issue_ref task_state::key_of(const issue_ref& changed) {
  storage::transaction t{ctx->store->env(), storage::transaction::read_only};
  if (auto link = ctx->store->find_twin(t, ctx->name, changed)) {
    aliases.erase(changed);
    return link->origin == changed.where ? changed
                                         : issue_ref{other(changed.where), link->twin_id};
  }
  if (auto a = aliases.find(changed); a != aliases.end())
    return a->second;
  return changed;
}

namespace {

// As the operator left the task: stopped, paused (checked, not syncing) or
// running (checked, then syncing what is queued).
void begin_run(self_ptr self) {
  auto& st = self->state;
  {
    storage::transaction t{st.ctx->store->env(), storage::transaction::read_only};
    st.run = st.ctx->store->run_state(t, st.ctx->name);
  }
  switch (st.run) {
    case storage::task_run_state::stopped:
      log(self, log_level::info, "stopped (since before the restart): start it to sync");
      break;
    case storage::task_run_state::paused:
      log(self, log_level::info,
          "paused (since before the restart): changes are queued until it is resumed");
      begin_check(self, false);
      break;
    case storage::task_run_state::running:
      begin_check(self, true);
      break;
  }
}

// Like shutdown, but nobody waits: the actor ends by itself after its last
// pass (on_down), or now when none is under way.
void retire_task(self_ptr self) {
  auto& st = self->state;
  st.shutting_down = true;
  st.retiring = true;
  stop_pollers(self);
  drop_progress(self);
  if (st.active.empty()) {
    if (!st.predecessor) // else once it is down: a successor waits for both
      self->quit();
    return;
  }
  for (auto& [key, a] : st.active)
    self->send(a.handle, stop_atom_v);
}

// An end other than a retirement or the engine's shutdown (an exception,
// say LMDB's map full) leaves the task without its actor until TrackBridge
// restarts: the log and the mailer hear of it, as the actor can no longer.
void report_stop_by_error(self_ptr self) {
  self->attach_functor([ctx = self->state.ctx, sys = &self->system()](const caf::error& reason) {
    if (!reason || reason == caf::exit_reason::normal
        || reason == caf::exit_reason::user_shutdown)
      return;
    auto message = "stopped by an error: " + sys->render(reason)
                   + "; it syncs nothing until TrackBridge is restarted";
    caf::anon_send(ctx->log, log_atom_v, log_level::error, ctx->name, message);
    if (ctx->mailer)
      caf::anon_send(*ctx->mailer, notice_atom_v,
                     notice{notice_kind::task_stopped, ctx->name, "", "", "", message, now_ms()});
  });
}

} // namespace

task_actor::behavior_type task(task_actor::stateful_pointer<task_state> self,
                               std::shared_ptr<const task_context> ctx, bool with_pollers,
                               task_actor predecessor) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.with_pollers = with_pollers;
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  report_stop_by_error(self);
  if (predecessor) {
    // Its down message comes at once if it has already ended.
    st.predecessor = predecessor.address();
    self->monitor(predecessor);
    log(self, log_level::info, "new settings: they apply once the passes under way have ended");
  } else {
    begin_run(self);
  }
  return {
    [self](changes_atom, side s, const std::vector<issue_stamp>& stamps) {
      receive(self, s, stamps);
    },
    [self](listed_atom, const listing_page& page) { on_listed(self, page); },
    [self](done_atom, const pass_end& end) { on_done(self, end); },
    [self](alias_atom, const issue_ref& key, const issue_ref& origin) {
      auto& st = self->state;
      st.aliases[key] = origin;
      if (auto i = st.active.find(key); i != st.active.end())
        retire(self, i);
      if (st.syncing())
        wake(self, origin, key, 0);
    },
    [self](creating_atom, const issue_ref& key, side where) {
      self->state.creating[key] = where;
    },
    [self](created_atom, const issue_ref& key) { create_done(self, key); },
    [self](waits_atom, const issue_ref& key, const issue_ref& needed) {
      auto& st = self->state;
      if (!st.syncing())
        return; // both stay queued, and are routed again when it syncs
      auto needed_key = st.key_of(needed);
      st.dependents[needed_key].insert(key);
      wake(self, needed_key, needed, 0);
    },
    [self](retry_atom, const issue_ref& key) {
      // Not syncing: its change is still queued, and resume or start routes it.
      // Parked meanwhile (a change ran it before this timer): no timed retry.
      auto& st = self->state;
      if (auto f = st.failures.find(key); st.syncing() && f != st.failures.end()
                                          && !f->second.parked)
        wake(self, key, key, 0);
    },
    [self](catalogue_atom, std::uint64_t round) {
      auto& st = self->state;
      if (round == st.check_round && st.check == task_state::check_state::checking)
        read_catalogues(self);
    },
    [self](progress_atom) {
      auto& st = self->state;
      st.progress_line_due = false;
      if (!st.progress || st.progress->shown.finished != 0)
        return;
      log(self, log_level::info, st.progress_line());
      schedule_progress_line(self);
    },
    [self](skip_atom, const issue_ref& key) {
      auto& st = self->state;
      side_times seen{};
      if (auto f = st.failures.find(key); f != st.failures.end())
        seen = f->second.seen;
      if (auto a = st.active.find(key); a != st.active.end())
        seen = later_of(seen, a->second.newest);
      st.failures.erase(key); // a retry already scheduled finds nothing to do
      bool had = st.forget_failure(key);
      if (had)
        st.dismissed[key] = seen; // the same change listed again stays skipped
      if (had && st.active.count(key))
        st.skipped.insert(key);
      if (had)
        log(self, log_level::warn,
            to_string(key) + ": skipped by request; not retried until it changes again");
      return had;
    },
    [self](status_atom) {
      auto& st = self->state;
      task_status out{st.ctx->name, st.state_name(), {st.received[0], st.received[1]},
                      st.synced,  st.failed, st.active.size(), st.left_out.size(),
                      st.latency, std::nullopt};
      if (st.progress)
        out.progress = st.progress->shown;
      out.problems = st.problems;
      out.warnings = st.warnings;
      return out;
    },
    [self](pause_atom) { return pause(self); },
    [self](resume_atom) { return resume(self); },
    [self](stop_atom) { return stop(self); },
    [self](start_atom) { return start(self); },
    [self](resync_atom, timestamp since) { return resync(self, since); },
    [self](retire_atom) { retire_task(self); },
    [self](shutdown_atom) {
      auto& st = self->state;
      st.shutting_down = true;
      stop_pollers(self);
      drop_progress(self);
      auto rp = self->make_response_promise<bool>();
      if (st.active.empty()) {
        rp.deliver(true);
        return rp;
      }
      st.shut_down = rp;
      for (auto& [key, a] : st.active)
        self->send(a.handle, stop_atom_v);
      return rp;
    },
  };
}

} // namespace tb
