#pragma once
// The actor interfaces, declared once (their messages: actors/messages.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"

namespace tb {

// One per tracker connection: owns the adapter and runs its blocking calls.
using connection_actor = caf::typed_actor<
  caf::replies_to<poll_atom, std::string, timestamp, std::uint32_t>::with<stamps_result>,
  // The same, narrowed by a filter (tracker_adapter::changed_since_narrowed).
  caf::replies_to<poll_atom, std::string, timestamp, std::uint32_t, listing_narrowing>::with<
    stamps_result>,
  caf::replies_to<newest_atom, std::string>::with<newest_result>, // project
  caf::replies_to<read_atom, std::string, std::string>::with<issue_result>,
  caf::replies_to<create_atom, std::string, replica_write>::with<write_outcome>,
  caf::replies_to<update_atom, std::string, std::string, replica_write>::with<write_outcome>,
  caf::replies_to<find_atom, std::string, std::string>::with<find_result>,
  caf::replies_to<download_atom, std::string>::with<content_result>, // file id
  // project, issue id: its rows of logged time
  caf::replies_to<time_atom, std::string, std::string>::with<time_entries_result>,
  // project, issue id, one row's write: the row as the tracker has it then
  caf::replies_to<time_atom, std::string, std::string, time_entry_write>::with<
    time_entry_result>,
  // project: what it takes, for live validation
  caf::replies_to<catalogue_atom, std::string>::with<catalogue_result>,
  // project, role: its members, for notifications to the role
  caf::replies_to<members_atom, std::string, std::string>::with<members_result>>;

// The system log: spdlog and the LMDB log, written in batches.
using logger_actor = caf::typed_actor<
  caf::reacts_to<log_atom, log_level, std::string, std::string>, // level, task, message
  caf::reacts_to<flush_atom>,
  caf::replies_to<flush_atom, bool>::with<bool>>; // flush now and confirm

// Sends one message at a time to the SMTP server (blocking: detached).
using smtp_actor =
  caf::typed_actor<caf::replies_to<send_atom, smtp::mail>::with<smtp::send_result>>;

// The mailer: events in, batched messages out (actors/mailer_actor.hpp).
using mailer_actor = caf::typed_actor<
  caf::reacts_to<notice_atom, notice>,           // an event, for the rules' recipients
  caf::reacts_to<mail_atom, std::string>,        // this recipient's mailbox may be due
  caf::reacts_to<retry_atom, std::uint64_t>,     // this outbox message's wait is over
  caf::reacts_to<members_atom, std::string>,     // time to ask who has this role (mailbox)
  // A test message to these recipients (POST /api/v1/notifications/test):
  // its outbox id; 0 when none has an address yet (roles not known).
  caf::replies_to<send_atom, std::vector<std::string>>::with<std::uint64_t>>;

// One per sync task. The operator's commands answer "" when the task is (now)
// in the state asked for, or why it cannot be.
using task_actor = caf::typed_actor<
  caf::reacts_to<changes_atom, side, std::vector<issue_stamp>>,  // from a poller or a push
  caf::reacts_to<listed_atom, listing_page>, // a listing that shows progress
  caf::reacts_to<done_atom, pass_end>,        // an issue pair's pass is over
  caf::reacts_to<alias_atom, issue_ref, issue_ref>,               // key, canonical key
  caf::reacts_to<creating_atom, issue_ref, side>,  // key, side a twin is being created on
  caf::reacts_to<created_atom, issue_ref>,         // key: that create is over (linked or not)
  caf::reacts_to<retry_atom, issue_ref>,           // key: a failed pair's backoff is over
  // key waits for this issue: its twin (a parent), or its record of a shared change
  caf::reacts_to<waits_atom, issue_ref, issue_ref>,
  caf::reacts_to<progress_atom>,                    // time for a progress line
  // Check round n: read what the trackers take again (they did not answer).
  caf::reacts_to<catalogue_atom, std::uint64_t>,
  caf::replies_to<status_atom>::with<task_status>,
  // key: stop retrying a failed pair until it changes again; false if it had
  // no error item
  caf::replies_to<skip_atom, issue_ref>::with<bool>,
  // paused: changes stay queued (pollers go on queueing), passes under way
  // finish; resume syncs what queued meanwhile.
  caf::replies_to<pause_atom>::with<std::string>,
  caf::replies_to<resume_atom>::with<std::string>,
  // stopped: no polling, no syncing (pushed changes are still queued);
  // passes under way stop after the write they are in. Start polls again
  // and syncs what is queued. Paused and stopped last across restarts.
  caf::replies_to<stop_atom>::with<std::string>,
  caf::replies_to<start_atom>::with<std::string>,
  // Lists the synced sides' issues changed since then and syncs them.
  caf::replies_to<resync_atom, timestamp>::with<std::string>,
  // The engine ends: true once no pass is under way.
  caf::replies_to<shutdown_atom>::with<bool>,
  // A reload replaced or removed the task: no new pass starts, and the
  // actor ends by itself once the passes under way have ended.
  caf::reacts_to<retire_atom>>;

// One per task side that is polled.
using poller_actor =
  caf::typed_actor<caf::reacts_to<caf::tick_atom, std::uint64_t>, // its own timer: generation
                   caf::reacts_to<resync_atom, timestamp>>;       // list from then

// One per issue pair while it has work.
using issue_actor = caf::typed_actor<
  caf::reacts_to<wake_atom, issue_ref, timestamp>, // which issue changed, its updated
  caf::reacts_to<stop_atom>>;

} // namespace tb
