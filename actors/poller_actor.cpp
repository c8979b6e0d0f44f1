#include "actors/poller_actor.hpp"

#include <algorithm>

#include <caf/typed_event_based_actor.hpp>

#include "domain/time.hpp"

namespace tb {

timestamp poller_state::since() const {
  if (full_page)
    return watermark;
  return std::max<timestamp>(0, watermark - settings.overlap.count());
}

bool poller_state::settled(const sighting& seen) const {
  return seen.poll_started >= seen.updated + settings.overlap.count();
}

std::vector<issue_stamp> poller_state::accept(const std::vector<issue_stamp>& stamps) {
  std::vector<issue_stamp> fresh;
  for (auto& s : stamps) {
    auto seen = recent.find(s.id);
    if (seen == recent.end() || seen->second.updated < s.updated || !settled(seen->second))
      fresh.push_back(s);
  }
  if (fresh.empty())
    return fresh;
  auto newest = watermark;
  storage::write_transaction(store->env(), [&](storage::transaction& t) {
    for (auto& s : fresh) {
      store->enqueue(t, settings.task, {issue_ref{settings.where, s.id}, s.updated});
      newest = std::max(newest, s.updated);
    }
    store->set_watermark(t, settings.task, settings.where, newest);
  });
  watermark = newest;
  for (auto& s : fresh)
    recent[s.id] = {s.updated, poll_started};
  std::erase_if(recent, [&](auto& kv) { return kv.second.updated < since(); });
  return fresh;
}

std::uint64_t poller_state::polls_per_sweep() const {
  if (settings.sweep_interval.count() <= 0)
    return 0;
  auto every = settings.sweep_interval.count() / std::max<std::int64_t>(1, settings.interval.count());
  return static_cast<std::uint64_t>(std::max<std::int64_t>(1, every));
}

std::vector<issue_stamp> poller_state::accept_sweep(const std::vector<issue_stamp>& stamps) {
  bool last = stamps.size() < settings.page_size;
  bool periodic = !sweep->resync; // from the start: it lists every issue there is
  auto out = stamps;
  storage::write_transaction(store->env(), [&](storage::transaction& t) {
    if (periodic) {
      for (auto& s : stamps)
        swept.insert(s.id);
      if (last) {
        unlisted.clear();
        for (auto& id : store->linked(t, settings.task, settings.where))
          if (!swept.count(id)) {
            out.push_back({id, 0});
            unlisted.push_back(id);
          }
        swept.clear();
      }
    }
    for (auto& s : out)
      store->enqueue(t, settings.task, {issue_ref{settings.where, s.id}, s.updated});
  });
  if (last) {
    sweep.reset(); // the whole project is queued
    polls_until_sweep = polls_per_sweep();
  } else {
    // The next page starts at the last one's time (issues of that instant
    // are listed again, harmlessly), or after it if the page was all one
    // instant, so a sweep always ends.
    auto newest = stamps.back().updated;
    sweep->from = newest > sweep->from ? newest : sweep->from + 1000;
  }
  return out;
}

void poller_state::start_resync() {
  // A sweep already at or before the resync's time lists all it needs.
  sweep = sweep_run{sweeping() ? std::min(sweep->from, *resync_from) : *resync_from, true};
  resync_from.reset();
  swept.clear(); // a resync lists from its time: what it misses is not gone
}

namespace {

using self_ptr = poller_actor::stateful_pointer<poller_state>;

// At once while pages or a resync wait (not after a failure: that waits an
// interval, so a tracker that is down is not hammered).
void schedule_next(self_ptr self, bool failed = false) {
  auto& st = self->state;
  auto gen = ++st.tick_generation;
  if (!failed && (st.full_page || st.sweeping() || st.resync_from))
    self->send(self, caf::tick_atom_v, gen);
  else
    self->delayed_send(self, st.settings.interval, caf::tick_atom_v, gen);
}

// A resync's sweep that failed goes on from its page at the next tick.
void sweep_failed(self_ptr self) {
  auto& st = self->state;
  if (st.sweep && st.sweep->resync)
    st.resync_from = st.resync_from ? std::min(*st.resync_from, st.sweep->from) : st.sweep->from;
  else
    st.polls_until_sweep = st.polls_per_sweep(); // tried again at the next sweep
  st.sweep.reset();
  st.swept.clear();
}

// A line of the system log, under the task's name.
void log(self_ptr self, log_level level, std::string message) {
  self->send(self->state.log, log_atom_v, level, self->state.settings.task, std::move(message));
}

void report_failure(self_ptr self, const std::string& what) {
  auto& st = self->state;
  log(self, log_level::warn,
      std::string{"polling the "} + to_string(st.settings.where) + " side failed: " + what
        + "; retrying in " + std::to_string(st.settings.interval.count()) + " ms");
}

// A configuration problem is not logged per poll: the connection logs
// when it starts and when it ends.
void report_failure(self_ptr self, const sync_error& e) {
  if (!e.misconfigured)
    report_failure(self, e.where + ": " + e.message);
}

void on_sweep_answer(self_ptr self, stamps_result& r) {
  auto& st = self->state;
  st.polling = false;
  if (!r) {
    sweep_failed(self);
    report_failure(self, r.error());
    schedule_next(self, true);
    return;
  }
  try {
    bool resync = st.sweep && st.sweep->resync; // known before the last page ends the sweep
    auto all = st.accept_sweep(*r);
    if (resync) {
      bool last = !st.sweeping();
      self->send(st.task, listed_atom_v,
                 listing_page{st.settings.where, listing_kind::resync, std::move(all), last});
    } else if (!all.empty()) {
      self->send(st.task, changes_atom_v, st.settings.where, std::move(all));
    }
    if (!st.unlisted.empty()) {
      std::string ids;
      for (std::size_t i = 0; i < st.unlisted.size() && i < 20; ++i)
        ids += (ids.empty() ? "" : ", ") + st.unlisted[i];
      if (st.unlisted.size() > 20)
        ids += ", ...";
      log(self, log_level::info,
          std::string{"the sweep of the "} + to_string(st.settings.where)
            + " side did not list "
            + std::to_string(st.unlisted.size()) + " linked issue(s) (" + ids
            + "): deleted or moved? Each is read once to find out");
      st.unlisted.clear();
    }
  } catch (const std::exception& e) {
    sweep_failed(self);
    report_failure(self, e.what());
    schedule_next(self, true);
    return;
  }
  schedule_next(self);
}

void on_answer(self_ptr self, stamps_result& r) {
  auto& st = self->state;
  st.polling = false;
  if (!r) {
    st.full_page = false;
    report_failure(self, r.error());
    schedule_next(self, true);
    return;
  }
  try {
    auto fresh = st.accept(*r);
    st.full_page = r->size() >= st.settings.page_size;
    if (st.initial) {
      bool last = !st.full_page;
      if (last && st.newest_before && *st.newest_before > st.watermark)
        st.watermark = *st.newest_before;
      if (last && (fresh.empty() || st.newest_before)) {
        // An empty project is polled too: its watermark says so after a restart.
        storage::write_transaction(st.store->env(), [&](storage::transaction& t) {
          st.store->set_watermark(t, st.settings.task, st.settings.where, st.watermark);
        });
      }
      self->send(st.task, listed_atom_v,
                 listing_page{st.settings.where, listing_kind::initial_sync, std::move(fresh),
                              last});
      st.initial = !last;
    } else if (!fresh.empty()) {
      self->send(st.task, changes_atom_v, st.settings.where, std::move(fresh));
    }
  } catch (const std::exception& e) {
    st.full_page = false;
    report_failure(self, e.what());
    schedule_next(self, true);
    return;
  }
  schedule_next(self);
}

} // namespace

poller_actor::behavior_type poller(poller_actor::stateful_pointer<poller_state> self,
                                   poller_settings settings, connection_actor conn,
                                   task_actor task, logger_actor log,
                                   storage::sync_state* store) {
  using namespace std::chrono_literals;
  auto& st = self->state;
  st.settings = std::move(settings);
  st.conn = std::move(conn);
  st.task = std::move(task);
  st.log = std::move(log);
  st.store = store;
  st.polls_until_sweep = st.polls_per_sweep();
  {
    storage::transaction t{store->env(), storage::transaction::read_only};
    auto stored = store->watermark(t, st.settings.task, st.settings.where);
    st.initial = !stored;
    st.watermark = stored.value_or(0);
  }
  self->send(self, caf::tick_atom_v, st.tick_generation);
  return {
    [self](caf::tick_atom, std::uint64_t generation) {
      auto& st = self->state;
      if (st.polling || generation != st.tick_generation)
        return;
      st.polling = true;
      // A sweep or a resync starts between polls, never in the middle of a
      // run of full pages.
      if (!st.full_page && st.resync_from)
        st.start_resync();
      else if (!st.sweeping() && !st.full_page && st.polls_until_sweep > 0
               && --st.polls_until_sweep == 0)
        st.sweep = poller_state::sweep_run{};
      auto failed = [self](caf::error& e) {
        auto& st = self->state;
        st.polling = false;
        st.full_page = false;
        if (st.sweeping())
          sweep_failed(self);
        report_failure(self, to_string(e));
        schedule_next(self, true);
      };
      if (st.sweeping()) {
        self->request(st.conn, 60s, poll_atom_v, st.settings.project, st.sweep->from,
                      st.settings.page_size)
          .then([self](stamps_result& r) { on_sweep_answer(self, r); }, failed);
        return;
      }
      auto& narrowing = st.settings.narrowing;
      if (st.initial && narrowing && !st.newest_before) {
        self->request(st.conn, 60s, newest_atom_v, st.settings.project)
          .then(
            [self](newest_result& r) {
              auto& st = self->state;
              st.polling = false;
              if (!r) {
                report_failure(self, r.error());
                schedule_next(self, true);
                return;
              }
              st.newest_before = *r;
              self->send(self, caf::tick_atom_v, ++st.tick_generation); // the first page now
            },
            failed);
        return;
      }
      st.poll_started = now_ms();
      if (st.initial && narrowing) {
        self->request(st.conn, 60s, poll_atom_v, st.settings.project, st.since(),
                      st.settings.page_size, *narrowing)
          .then([self](stamps_result& r) { on_answer(self, r); }, failed);
        return;
      }
      self->request(st.conn, 60s, poll_atom_v, st.settings.project, st.since(),
                    st.settings.page_size)
        .then([self](stamps_result& r) { on_answer(self, r); }, failed);
    },
    [self](resync_atom, timestamp since) {
      auto& st = self->state;
      st.resync_from = st.resync_from ? std::min(*st.resync_from, since) : since;
      if (!st.polling)
        schedule_next(self); // at once, voiding the tick that waits
    },
  };
}

} // namespace tb
