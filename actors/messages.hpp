#pragma once
// Every atom and message type the actors exchange, in one type-ID block, with
// the inspect overloads that serialise them. Announced to an actor system by
// tb::system_config (actors/system_config.hpp), so messages can cross CAF's
// middleman when nodes share the work; locally nothing is serialised.
//
// The domain types stay free of CAF: their inspect overloads live here, found
// by argument-dependent lookup in namespace tb. An inspect lists every member
// of its type; tests/messages_test.cpp round-trips each message type.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <caf/type_id.hpp>

#include "adapters/smtp/smtp_client.hpp"
#include "domain/catalogue.hpp"
#include "domain/filter.hpp"
#include "domain/model.hpp"
#include "domain/notice.hpp"
#include "domain/result.hpp"
#include "domain/sync.hpp"
#include "domain/task_status.hpp"

namespace tb {

using stamps_result = result<std::vector<issue_stamp>>;
using issue_result = result<issue>;
using write_outcome = result<write_result>;
using find_result = result<std::optional<std::string>>;
using content_result = result<std::string>; // a file's bytes
using time_entries_result = result<std::vector<time_entry>>;
using time_entry_result = result<time_entry>;
using catalogue_result = result<tracker_catalogue>;
using newest_result = result<timestamp>; // a project's newest change
using members_result = result<std::vector<project_member>>; // a role's members

enum class log_level : std::uint8_t { debug, info, warn, error };
const char* to_string(log_level l);

// How an issue pair's pass ended, as its issue actor tells the task.
enum class pass_outcome : std::uint8_t {
  synced,
  failed,      // an error item says why
  unavailable, // failed because a tracker could not be reached: not the pair's fault
  left_out,    // its origin does not match its side's filter: nothing synced, nothing wrong
  held_back,   // failed at once by a connection's open breaker: no attempt was made
};

const char* to_string(pass_outcome o);

struct pass_end {
  issue_ref key;
  std::uint64_t wakes_seen = 0; // the wakes the pass covered
  pass_outcome outcome = pass_outcome::synced;
  // It recorded a write (or a step) before it ended: a failure after it is
  // not the same failure again, and the backoff starts over.
  bool progressed = false;
  // When to come back at the earliest: the breaker's reopening for a pass it
  // held back; -1: no time was asked.
  std::int64_t retry_after_ms = -1;
  friend bool operator==(const pass_end&, const pass_end&) = default;
};

// Listings that report progress to the task.
enum class listing_kind : std::uint8_t {
  initial_sync, // the first listing of a side never polled before
  resync,       // a sweep from a time the operator named
};
const char* to_string(listing_kind k); // as the task view shows it

// One page of such a listing.
struct listing_page {
  side from = side::source;
  listing_kind kind = listing_kind::initial_sync;
  std::vector<issue_stamp> stamps;
  bool last = false; // the listing is complete with this page
  friend bool operator==(const listing_page&, const listing_page&) = default;
};

// -- inspect -----------------------------------------------------------------
// Inspectors are CAF's serialisers, deserialisers and its to-string inspector.

// A std::optional as a flag and, when set, its value (CAF 0.17 knows only
// caf::optional).
template <class T>
struct present_value {
  bool& present;
  T& value;
};

template <class T>
struct optional_member {
  std::optional<T>& x;
};

// What an inspector applies for a member: the member, or a std::optional's
// stand-in.
template <class T>
T& member(T& x) {
  return x;
}

template <class T>
optional_member<T> member(std::optional<T>& x) {
  return {x};
}

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, present_value<T>& x) {
  return x.present ? f(member(x.value)) : f();
}

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, optional_member<T>& m) {
  if constexpr (Inspector::reads_state) {
    bool present = m.x.has_value();
    T none{};
    present_value<T> v{present, present ? *m.x : none};
    return f(present, v);
  } else {
    bool present = false;
    T loaded{};
    present_value<T> v{present, loaded};
    auto store = caf::meta::load_callback([&]() -> caf::error {
      if (present)
        m.x = std::move(loaded);
      else
        m.x.reset();
      return caf::none;
    });
    return f(present, v, store);
  }
}

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, result<T>& x) {
  // A result is its value or its error: a flag and one of the two.
  bool ok = x.ok();
  std::optional<T> value;
  std::optional<sync_error> error;
  if constexpr (Inspector::reads_state) {
    if (ok)
      value = x.value();
    else
      error = x.error();
  }
  auto store = caf::meta::load_callback([&]() -> caf::error {
    if (ok && value)
      x = result<T>{std::move(*value)};
    else if (!ok && error)
      x = result<T>{std::move(*error)};
    else
      return caf::sec::invalid_argument; // the flag and what follows disagree
    return caf::none;
  });
  return f(caf::meta::type_name("tb::result"), ok, member(value), member(error), store);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, issue_ref& x) {
  return f(caf::meta::type_name("tb::issue_ref"), x.where, x.id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, issue_stamp& x) {
  return f(caf::meta::type_name("tb::issue_stamp"), x.id, x.updated);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, field_change& x) {
  return f(caf::meta::type_name("tb::field_change"), x.field, x.old_value, x.new_value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attachment& x) {
  return f(caf::meta::type_name("tb::attachment"), x.id, x.filename, x.content_type, x.size,
           x.description);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attachment_change& x) {
  return f(caf::meta::type_name("tb::attachment_change"), x.file, x.added, x.content);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relation& x) {
  return f(caf::meta::type_name("tb::relation"), x.type, x.other, x.delay);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relation_change& x) {
  return f(caf::meta::type_name("tb::relation_change"), x.link, x.added);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_change& x) {
  return f(caf::meta::type_name("tb::child_change"), x.child, x.added);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watcher_change& x) {
  return f(caf::meta::type_name("tb::watcher_change"), x.login, x.added);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_entry& x) {
  return f(caf::meta::type_name("tb::history_entry"), x.id, x.author, x.time, x.changes,
           x.comment, x.is_creation, x.attachments, x.relations, x.children);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, issue& x) {
  return f(caf::meta::type_name("tb::issue"), x.id, x.project, x.fields, x.alt_id, x.created,
           x.updated, x.attachments, x.relations, x.watchers, x.history);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, time_entry& x) {
  return f(caf::meta::type_name("tb::time_entry"), x.id, x.user, x.spent_on, x.hours,
           x.activity, x.comments, x.fields, x.updated);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, time_entry_write& x) {
  return f(caf::meta::type_name("tb::time_entry_write"), x.id, member(x.content));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replica_write& x) {
  return f(caf::meta::type_name("tb::replica_write"), x.author, x.changes, x.comment, x.alt_id,
           x.attachments, x.relations, x.watchers, x.descriptions);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry_ref& x) {
  return f(caf::meta::type_name("tb::entry_ref"), x.issue_id, x.entry_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dropped_change& x) {
  return f(caf::meta::type_name("tb::dropped_change"), x.change, x.author, x.hint);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_result& x) {
  return f(caf::meta::type_name("tb::write_result"), x.issue_id, x.entry_ids, x.updated,
           x.attachment_ids, x.mirrored, x.dropped);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_error& x) {
  return f(caf::meta::type_name("tb::sync_error"), x.kind, x.where, x.message,
           x.retry_after_ms, x.misconfigured, x.held_back);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_progress& x) {
  return f(caf::meta::type_name("tb::sync_progress"), x.kind, x.started, x.finished,
           x.listing, x.total, x.done, x.failed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_status& x) {
  return f(caf::meta::type_name("tb::task_status"), x.name, x.state, x.received, x.synced,
           x.failed, x.active, x.left_out, x.latency, member(x.progress), x.problems,
           x.warnings);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_problem& x) {
  return f(caf::meta::type_name("tb::task_problem"), x.path, x.message, x.hint);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, listing_narrowing& x) {
  return f(caf::meta::type_name("tb::listing_narrowing"), x.any_of, member(x.created_from),
           member(x.updated_from));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, field_catalogue& x) {
  return f(caf::meta::type_name("tb::field_catalogue"), x.what, x.values);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tracker_catalogue& x) {
  return f(caf::meta::type_name("tb::tracker_catalogue"), x.where, member(x.fields),
           x.more_fields, member(x.users), x.unread);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pass_end& x) {
  return f(caf::meta::type_name("tb::pass_end"), x.key, x.wakes_seen, x.outcome,
           x.progressed, x.retry_after_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, listing_page& x) {
  return f(caf::meta::type_name("tb::listing_page"), x.from, x.kind, x.stamps, x.last);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, project_member& x) {
  return f(caf::meta::type_name("tb::project_member"), x.login, x.mail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, notice& x) {
  return f(caf::meta::type_name("tb::notice"), x.kind, x.task, x.connection, x.side, x.issue,
           x.message, x.time);
}

} // namespace tb

namespace tb::smtp {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mail& x) {
  return f(caf::meta::type_name("tb::smtp::mail"), x.to, x.subject, x.body, x.message_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, send_result& x) {
  return f(caf::meta::type_name("tb::smtp::send_result"), x.what, x.code, x.answer);
}

} // namespace tb::smtp

// -- the type-ID block --------------------------------------------------------
// Atoms have at most 10 characters. New message types go at the end of
// their group: a type's ID is its place in the block.

CAF_BEGIN_TYPE_ID_BLOCK(trackbridge, caf::first_custom_type_id)

  CAF_ADD_ATOM(trackbridge, tb, poll_atom, "poll")
  CAF_ADD_ATOM(trackbridge, tb, read_atom, "read")
  CAF_ADD_ATOM(trackbridge, tb, create_atom, "create")
  CAF_ADD_ATOM(trackbridge, tb, update_atom, "update")
  CAF_ADD_ATOM(trackbridge, tb, find_atom, "find")
  CAF_ADD_ATOM(trackbridge, tb, changes_atom, "changes")
  CAF_ADD_ATOM(trackbridge, tb, wake_atom, "wake")
  CAF_ADD_ATOM(trackbridge, tb, done_atom, "done")
  CAF_ADD_ATOM(trackbridge, tb, alias_atom, "alias")
  CAF_ADD_ATOM(trackbridge, tb, stop_atom, "stop")
  CAF_ADD_ATOM(trackbridge, tb, log_atom, "log")
  CAF_ADD_ATOM(trackbridge, tb, flush_atom, "flush")
  CAF_ADD_ATOM(trackbridge, tb, status_atom, "status")
  CAF_ADD_ATOM(trackbridge, tb, creating_atom, "creating")
  CAF_ADD_ATOM(trackbridge, tb, created_atom, "created")
  CAF_ADD_ATOM(trackbridge, tb, retry_atom, "retry")
  CAF_ADD_ATOM(trackbridge, tb, waits_atom, "waits")
  CAF_ADD_ATOM(trackbridge, tb, download_atom, "download")
  CAF_ADD_ATOM(trackbridge, tb, skip_atom, "skip")
  CAF_ADD_ATOM(trackbridge, tb, pause_atom, "pause")
  CAF_ADD_ATOM(trackbridge, tb, resume_atom, "resume")
  CAF_ADD_ATOM(trackbridge, tb, start_atom, "start")
  CAF_ADD_ATOM(trackbridge, tb, shutdown_atom, "shutdown")
  CAF_ADD_ATOM(trackbridge, tb, resync_atom, "resync")
  CAF_ADD_ATOM(trackbridge, tb, listed_atom, "listed")
  CAF_ADD_ATOM(trackbridge, tb, progress_atom, "progress")
  CAF_ADD_ATOM(trackbridge, tb, time_atom, "time") // an issue's time entries
  CAF_ADD_ATOM(trackbridge, tb, catalogue_atom, "catalogue") // what a project takes
  CAF_ADD_ATOM(trackbridge, tb, newest_atom, "newest") // a project's newest change
  CAF_ADD_ATOM(trackbridge, tb, retire_atom, "retire") // a reload ends a task's actor
  CAF_ADD_ATOM(trackbridge, tb, notice_atom, "notice") // an event for the mailer
  CAF_ADD_ATOM(trackbridge, tb, mail_atom, "mail")     // a mailbox may be due
  CAF_ADD_ATOM(trackbridge, tb, send_atom, "send")     // one message to the SMTP server
  CAF_ADD_ATOM(trackbridge, tb, members_atom, "members") // who has a role in a project

  CAF_ADD_TYPE_ID(trackbridge, (tb::side))
  CAF_ADD_TYPE_ID(trackbridge, (tb::issue_ref))
  CAF_ADD_TYPE_ID(trackbridge, (tb::issue_stamp))
  CAF_ADD_TYPE_ID(trackbridge, (std::vector<tb::issue_stamp>))
  CAF_ADD_TYPE_ID(trackbridge, (tb::replica_write))
  CAF_ADD_TYPE_ID(trackbridge, (tb::stamps_result))
  CAF_ADD_TYPE_ID(trackbridge, (tb::issue_result))
  CAF_ADD_TYPE_ID(trackbridge, (tb::write_outcome))
  CAF_ADD_TYPE_ID(trackbridge, (tb::find_result))
  CAF_ADD_TYPE_ID(trackbridge, (tb::content_result))
  CAF_ADD_TYPE_ID(trackbridge, (tb::time_entry_write))
  CAF_ADD_TYPE_ID(trackbridge, (tb::time_entries_result))
  CAF_ADD_TYPE_ID(trackbridge, (tb::time_entry_result))
  CAF_ADD_TYPE_ID(trackbridge, (tb::log_level))
  CAF_ADD_TYPE_ID(trackbridge, (tb::task_status))
  CAF_ADD_TYPE_ID(trackbridge, (tb::pass_end))
  CAF_ADD_TYPE_ID(trackbridge, (tb::listing_page))
  CAF_ADD_TYPE_ID(trackbridge, (tb::catalogue_result))
  CAF_ADD_TYPE_ID(trackbridge, (tb::listing_narrowing))
  CAF_ADD_TYPE_ID(trackbridge, (tb::newest_result))
  CAF_ADD_TYPE_ID(trackbridge, (tb::notice))
  CAF_ADD_TYPE_ID(trackbridge, (tb::smtp::mail))
  CAF_ADD_TYPE_ID(trackbridge, (tb::smtp::send_result))
  CAF_ADD_TYPE_ID(trackbridge, (tb::members_result))

CAF_END_TYPE_ID_BLOCK(trackbridge)
