#include "actors/task_actor.hpp"

#include <limits>

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/issue_actor.hpp"
#include "actors/poller_actor.hpp"

namespace tb {

namespace {

using self_ptr = task_actor::stateful_pointer<task_state>;

void wake(self_ptr self, const issue_ref& key, const issue_ref& changed, timestamp updated) {
  auto& st = self->state;
  auto i = st.active.find(key);
  if (i == st.active.end()) {
    auto handle = self->spawn(issue_worker, st.ctx, caf::actor_cast<task_actor>(self), key);
    self->monitor(handle);
    i = st.active.emplace(key, active_issue{handle, 0}).first;
  }
  ++i->second.wakes_sent;
  self->send(i->second.handle, wake_atom::value, changed, updated);
}

void route(self_ptr self, const issue_ref& changed, timestamp updated) {
  auto& st = self->state;
  if (st.stopping || st.paused)
    return; // still queued in LMDB: the next start, or resume, syncs it
  auto key = st.key_of(changed);
  if (key == changed && !st.active.count(key) && st.creating_on(changed.where)) {
    st.held.emplace_back(changed, updated);
    return;
  }
  wake(self, key, changed, updated);
}

// A create is over: the changes it held are routed again, now that its link
// (if it made one) is in LMDB.
void create_done(self_ptr self, const issue_ref& key) {
  auto& st = self->state;
  if (st.creating.erase(key) == 0)
    return;
  auto held = std::move(st.held);
  st.held.clear();
  for (auto& [ref, updated] : held)
    route(self, ref, updated);
}

void retire(self_ptr self, std::map<issue_ref, active_issue>::iterator i) {
  self->demonitor(i->second.handle.address());
  self->send_exit(i->second.handle, caf::exit_reason::user_shutdown);
  self->state.active.erase(i);
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  for (auto i = st.active.begin(); i != st.active.end(); ++i) {
    if (i->second.handle.address() != dm.source)
      continue;
    if (dm.reason && dm.reason != caf::exit_reason::user_shutdown) {
      ++st.failed;
      self->send(st.ctx->log, log_atom::value, log_level::error, st.ctx->name,
                 "the actor of " + to_string(i->first) + " stopped: " + to_string(dm.reason));
    }
    auto key = i->first;
    st.active.erase(i);
    create_done(self, key); // a create cut short ends here too
    break;
  }
  if (st.stopping && st.active.empty() && st.stopped) {
    st.stopped->deliver(true);
    st.stopped.reset();
  }
}

void start_pollers(self_ptr self) {
  auto& st = self->state;
  auto& ctx = *st.ctx;
  for (auto s : {side::source, side::target}) {
    if (s == side::target && !ctx.two_way)
      continue;
    poller_settings settings{ctx.name, s, ctx.at(s).project, ctx.poll_interval, ctx.poll_overlap};
    settings.sweep_interval = ctx.at(s).sweep_interval;
    st.pollers.push_back(self->spawn(poller, settings, ctx.at(s).conn,
                                     caf::actor_cast<task_actor>(self), ctx.log, ctx.store));
  }
}

// Changes queued before the last stop are synced first.
void resume_queued(self_ptr self) {
  auto& st = self->state;
  std::vector<storage::queued_change> queued;
  {
    storage::transaction t{st.ctx->store->env(), storage::transaction::read_only};
    queued = st.ctx->store->queued(t, st.ctx->name);
  }
  if (!queued.empty())
    self->send(st.ctx->log, log_atom::value, log_level::info, st.ctx->name,
               "resuming " + std::to_string(queued.size()) + " queued changes");
  for (auto& q : queued)
    route(self, q.ref, q.updated);
}

} // namespace

std::chrono::milliseconds retry_delay(unsigned attempt) {
  constexpr std::chrono::milliseconds first{1000};
  constexpr std::chrono::milliseconds most{5 * 60 * 1000};
  auto doublings = std::min(attempt > 0 ? attempt - 1 : 0u, 20u);
  return std::min<std::chrono::milliseconds>(first * (1LL << doublings), most);
}

bool task_state::forget_failure(const issue_ref& key) {
  storage::transaction t{ctx->store->env(), storage::transaction::read_write};
  bool had = ctx->store->clear_error(t, ctx->name, key);
  // Its queued change too: the next change of the issue syncs it again.
  ctx->store->dequeue_if_covered(t, ctx->name, key, std::numeric_limits<timestamp>::max());
  t.commit();
  return had;
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

task_actor::behavior_type task(task_actor::stateful_pointer<task_state> self,
                               std::shared_ptr<const task_context> ctx, bool with_pollers) {
  self->state.ctx = std::move(ctx);
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  {
    auto& st = self->state;
    storage::transaction t{st.ctx->store->env(), storage::transaction::read_only};
    st.paused = st.ctx->store->paused(t, st.ctx->name);
  }
  if (self->state.paused)
    self->send(self->state.ctx->log, log_atom::value, log_level::info, self->state.ctx->name,
               "paused (since before the restart): changes are queued until it is resumed");
  else
    resume_queued(self);
  if (with_pollers)
    start_pollers(self);
  return {
    [self](changes_atom, side s, const std::vector<issue_stamp>& stamps) {
      for (auto& stamp : stamps)
        route(self, issue_ref{s, stamp.id}, stamp.updated);
    },
    [self](done_atom, const issue_ref& key, std::uint64_t wakes_seen, bool ok) {
      auto& st = self->state;
      ++(ok ? st.synced : st.failed);
      if (ok)
        st.failures.erase(key);
      else if (st.skipped.count(key))
        st.forget_failure(key); // skipped while this pass ran: its failure is dropped too
      else
        self->delayed_send(self, retry_delay(++st.failures[key]), retry_atom::value, key);
      st.skipped.erase(key);
      if (auto d = st.dependents.find(key); d != st.dependents.end()) {
        auto waiting = std::move(d->second);
        st.dependents.erase(d);
        for (auto& child : waiting)
          wake(self, child, child, 0);
      }
      auto i = st.active.find(key);
      // A wake still in the actor's mailbox keeps it alive for one more pass.
      if (i != st.active.end() && i->second.wakes_sent == wakes_seen && !st.stopping)
        retire(self, i);
    },
    [self](alias_atom, const issue_ref& key, const issue_ref& origin) {
      auto& st = self->state;
      st.aliases[key] = origin;
      if (auto i = st.active.find(key); i != st.active.end())
        retire(self, i);
      if (!st.stopping)
        wake(self, origin, key, 0);
    },
    [self](creating_atom, const issue_ref& key, side where) {
      self->state.creating[key] = where;
    },
    [self](created_atom, const issue_ref& key) { create_done(self, key); },
    [self](waits_atom, const issue_ref& key, const issue_ref& needed) {
      auto& st = self->state;
      if (st.stopping)
        return;
      auto needed_key = st.key_of(needed);
      st.dependents[needed_key].insert(key);
      wake(self, needed_key, needed, 0);
    },
    [self](retry_atom, const issue_ref& key) {
      // Paused: its change is still queued, and resume routes it.
      if (!self->state.stopping && !self->state.paused && self->state.failures.count(key))
        wake(self, key, key, 0);
    },
    [self](skip_atom, const issue_ref& key) {
      auto& st = self->state;
      st.failures.erase(key); // a retry already scheduled finds nothing to do
      bool had = st.forget_failure(key);
      if (had && st.active.count(key))
        st.skipped.insert(key);
      if (had)
        self->send(st.ctx->log, log_atom::value, log_level::warn, st.ctx->name,
                   to_string(key) + ": skipped by request; not retried until it changes again");
      return had;
    },
    [self](status_atom) {
      auto& st = self->state;
      return task_status{st.ctx->name,
                         st.stopping ? "stopping" : st.paused ? "paused" : "running", st.synced,
                         st.failed, st.active.size()};
    },
    [self](pause_atom) {
      auto& st = self->state;
      if (st.paused || st.stopping)
        return false;
      storage::transaction t{st.ctx->store->env(), storage::transaction::read_write};
      st.ctx->store->set_paused(t, st.ctx->name, true);
      t.commit();
      st.paused = true;
      self->send(st.ctx->log, log_atom::value, log_level::info, st.ctx->name,
                 "paused: changes are queued, not synced, until the task is resumed");
      return true;
    },
    [self](resume_atom) {
      auto& st = self->state;
      if (!st.paused || st.stopping)
        return false;
      storage::transaction t{st.ctx->store->env(), storage::transaction::read_write};
      st.ctx->store->set_paused(t, st.ctx->name, false);
      t.commit();
      st.paused = false;
      self->send(st.ctx->log, log_atom::value, log_level::info, st.ctx->name, "resumed");
      resume_queued(self);
      return true;
    },
    [self](stop_atom) {
      auto& st = self->state;
      st.stopping = true;
      for (auto& p : st.pollers)
        self->send_exit(p, caf::exit_reason::user_shutdown);
      st.pollers.clear();
      auto rp = self->make_response_promise<bool>();
      if (st.active.empty()) {
        rp.deliver(true);
        return rp;
      }
      st.stopped = rp;
      for (auto& [key, a] : st.active)
        self->send(a.handle, stop_atom::value);
      return rp;
    },
  };
}

} // namespace tb
