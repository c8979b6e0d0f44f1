#include "actors/connection_actor.hpp"

#include <algorithm>
#include <utility>

#include <caf/typed_event_based_actor.hpp>

#include "domain/time.hpp"

namespace tb {

namespace {

using self_ptr = connection_actor::stateful_pointer<connection_state>;

// An adapter call that throws (a tracker's answer of a shape it did not
// expect, or a bug) fails that one call with a located error, which puts the
// issue in the error list; the connection goes on serving the others. Let
// through, the exception would end this actor and every later call with it.
template <class F>
auto guarded(const tracker_adapter& a, const std::string& doing, F call) -> decltype(call()) {
  try {
    return call();
  } catch (const std::exception& e) {
    return sync_error{error_kind::bad_answer, "connection " + a.connection() + ", " + doing,
                      std::string{"the tracker's answer could not be handled: "} + e.what()};
  }
}

// A call the open breaker does not let through: an outage's count, or the
// configuration problem that opened it (so it stays marked as one).
sync_error held_back(const connection_health& h, timestamp now) {
  auto until = to_rfc3339(h.breaker.open_until());
  sync_error e{error_kind::unavailable, "connection " + h.connection,
               "the tracker failed " + std::to_string(h.breaker.failures_in_a_row())
                 + " calls in a row; it is tried again at " + until};
  if (!h.problem.empty()) {
    e.message = h.problem + " (tried again at " + until + ")";
    e.misconfigured = true;
  }
  e.held_back = true;
  // Half-open, the reopening is past while the one call let through runs.
  e.retry_after_ms = std::max<std::int64_t>(0, h.breaker.open_until() - now);
  return e;
}

struct news {
  log_level level = log_level::info;
  std::string line; // "": nothing to log
  // What it means for people: the connection fails, or answers again.
  std::optional<notice_kind> event = std::nullopt;
};

// A call's outcome, under the health's lock: the breaker counts it, and
// what changed for the connection is the news to log.
news count_outcome(connection_health& h, const sync_error* failure, timestamp now) {
  auto before = h.breaker.current();
  auto name = "connection " + h.connection;
  if (!failure || failure->kind != error_kind::unavailable) {
    h.breaker.succeeded();
    if (!h.problem.empty())
      return {log_level::info,
              name + ": calls go through again; the problem is over (it was: "
                + std::exchange(h.problem, {}) + ")",
              notice_kind::connection_back};
    if (before != circuit_breaker::state::closed)
      return {log_level::info, name + " answers again", notice_kind::connection_back};
    return {};
  }
  std::optional<milliseconds> wait;
  if (failure->retry_after_ms >= 0)
    wait = milliseconds{failure->retry_after_ms};
  h.breaker.failed(now, wait);
  if (failure->misconfigured) {
    if (h.problem == failure->message)
      return {};
    h.problem = failure->message;
    return {log_level::error,
            name + ": " + failure->message
              + " (calls are tried again at the breaker's pace until it is fixed; nothing is "
                "parked for it)",
            notice_kind::connection_down};
  }
  if (before != circuit_breaker::state::open
      && h.breaker.current() == circuit_breaker::state::open)
    return {log_level::warn,
            name + ": " + std::to_string(h.breaker.failures_in_a_row())
              + " calls in a row failed (last: " + failure->message
              + "); calls to it fail at once until " + to_rfc3339(h.breaker.open_until()),
            notice_kind::connection_down};
  return {};
}

// Runs one adapter call through the connection's breaker. Only calls that
// found the tracker unavailable count against it: an answer that refuses
// something is still an answer. Opening and closing are logged once each,
// and so are a configuration problem's start and end.
template <class F>
auto through_breaker(self_ptr self, const std::string& doing, F call) -> decltype(call()) {
  auto& st = self->state;
  auto& h = *st.health;
  auto now = [&] { return h.clock ? h.clock() : now_ms(); };
  {
    std::lock_guard<std::mutex> lock{h.mutex};
    if (auto at = now(); !h.breaker.may_call(at))
      return held_back(h, at);
  }
  auto r = guarded(*st.adapter, doing, call);
  news n;
  std::optional<mailer_actor> mailer;
  timestamp at = 0;
  {
    std::lock_guard<std::mutex> lock{h.mutex};
    at = now();
    n = count_outcome(h, r ? nullptr : &r.error(), at);
    mailer = h.mailer;
  }
  if (!n.line.empty())
    self->send(st.log, log_atom_v, n.level, std::string{}, n.line);
  if (n.event && mailer)
    self->send(*mailer, notice_atom_v, notice{*n.event, "", h.connection, "", "", n.line, at});
  return r;
}

} // namespace

connection_actor::behavior_type
connection(connection_actor::stateful_pointer<connection_state> self,
           std::shared_ptr<tracker_adapter> adapter, std::shared_ptr<connection_health> health,
           logger_actor log) {
  self->state.adapter = std::move(adapter);
  self->state.health = std::move(health);
  self->state.log = std::move(log);
  auto& a = *self->state.adapter;
  return {
    [self, &a](poll_atom, const std::string& project, timestamp since, std::uint32_t limit) {
      return through_breaker(self, "listing project " + project,
                             [&] { return a.changed_since(project, since, limit); });
    },
    [self, &a](poll_atom, const std::string& project, timestamp since, std::uint32_t limit,
               const listing_narrowing& only) {
      return through_breaker(self, "listing project " + project, [&] {
        return a.changed_since_narrowed(project, since, limit, only);
      });
    },
    [self, &a](newest_atom, const std::string& project) {
      return through_breaker(self, "reading the newest change of project " + project,
                             [&] { return a.newest_change(project); });
    },
    [self, &a](read_atom, const std::string& project, const std::string& id) {
      return through_breaker(self, "reading issue " + id,
                             [&] { return a.read_issue(project, id); });
    },
    [self, &a](create_atom, const std::string& project, const replica_write& w) {
      return through_breaker(self, "creating an issue in project " + project,
                             [&] { return a.create_issue(project, w); });
    },
    [self, &a](update_atom, const std::string& project, const std::string& id,
               const replica_write& w) {
      return through_breaker(self, "updating issue " + id,
                             [&] { return a.update_issue(project, id, w); });
    },
    [self, &a](find_atom, const std::string& project, const std::string& alt_id) {
      return through_breaker(self, "looking for ALT_ID " + alt_id,
                             [&] { return a.find_by_alt_id(project, alt_id); });
    },
    [self, &a](download_atom, const std::string& file_id) {
      return through_breaker(self, "downloading file " + file_id,
                             [&] { return a.read_attachment(file_id); });
    },
    [self, &a](time_atom, const std::string& project, const std::string& id) {
      return through_breaker(self, "reading the time entries of issue " + id,
                             [&] { return a.read_time_entries(project, id); });
    },
    [self, &a](time_atom, const std::string& project, const std::string& id,
               const time_entry_write& w) {
      return through_breaker(self, "writing a time entry of issue " + id,
                             [&] { return a.write_time_entry(project, id, w); });
    },
    [self, &a](catalogue_atom, const std::string& project) {
      return through_breaker(self, "reading what project " + project + " takes",
                             [&] { return a.read_catalogue(project); });
    },
    [self, &a](members_atom, const std::string& project, const std::string& role) {
      return through_breaker(self, "reading who has the role " + role + " in project " + project,
                             [&] { return a.members_with_role(project, role); });
    },
  };
}

} // namespace tb
