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
  storage::transaction t{store->env(), storage::transaction::read_write};
  for (auto& s : fresh) {
    store->enqueue(t, settings.task, {issue_ref{settings.where, s.id}, s.updated});
    newest = std::max(newest, s.updated);
  }
  store->set_watermark(t, settings.task, settings.where, newest);
  t.commit();
  watermark = newest;
  for (auto& s : fresh)
    recent[s.id] = {s.updated, poll_started};
  std::erase_if(recent, [&](auto& kv) { return kv.second.updated < since(); });
  return fresh;
}

namespace {

void schedule_next(poller_actor::stateful_pointer<poller_state> self) {
  if (self->state.full_page)
    self->send(self, caf::tick_atom::value);
  else
    self->delayed_send(self, self->state.settings.interval, caf::tick_atom::value);
}

void report_failure(poller_actor::stateful_pointer<poller_state> self, const std::string& what) {
  auto& st = self->state;
  self->send(st.log, log_atom::value, log_level::warn, st.settings.task,
             std::string{"polling the "} + to_string(st.settings.where) + " side failed: " + what
               + "; retrying in " + std::to_string(st.settings.interval.count()) + " ms");
}

void on_answer(poller_actor::stateful_pointer<poller_state> self, stamps_result& r) {
  auto& st = self->state;
  st.polling = false;
  if (!r) {
    st.full_page = false;
    report_failure(self, r.error().where + ": " + r.error().message);
  } else {
    try {
      auto fresh = st.accept(*r);
      st.full_page = r->size() >= st.settings.page_size;
      if (!fresh.empty())
        self->send(st.task, changes_atom::value, st.settings.where, std::move(fresh));
    } catch (const std::exception& e) {
      st.full_page = false;
      report_failure(self, e.what());
    }
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
  {
    storage::transaction t{store->env(), storage::transaction::read_only};
    st.watermark = store->watermark(t, st.settings.task, st.settings.where).value_or(0);
  }
  self->send(self, caf::tick_atom::value);
  return {
    [self](caf::tick_atom) {
      auto& st = self->state;
      if (st.polling)
        return;
      st.polling = true;
      st.poll_started = now_ms();
      self->request(st.conn, 60s, poll_atom::value, st.settings.project, st.since(),
                    st.settings.page_size)
        .then([self](stamps_result& r) { on_answer(self, r); },
              [self](caf::error& e) {
                self->state.polling = false;
                self->state.full_page = false;
                report_failure(self, to_string(e));
                schedule_next(self);
              });
    },
  };
}

} // namespace tb
