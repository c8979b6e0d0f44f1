#pragma once
// Notifications (issue 16): what happened, gathered per recipient and sent
// in batches, so that a storm of 1,000 errors is one message that groups
// them, never 1,000. The first event after a quiet interval goes out at
// once; later ones wait for the interval since the last message; no more
// than max_per_hour messages go to one recipient in an hour. Pure: the
// mailer actor keeps the mailboxes in LMDB and calls these.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "domain/model.hpp"

namespace tb {

enum class notice_kind {
  error_item,      // a new error item
  parked,          // an item parked: no more automatic retries
  connection_down, // a connection's breaker opened, or its certificate is refused
  connection_back, // ... and it answers again
  task_invalid,    // a task's rules do not fit its trackers
  task_stopped,    // a task stopped by an error
  deleted,         // a deleted issue handled (unlinked, or its twin closed)
  synced,          // issues synced: the optional success digest
};

// "error", "parked", "connection-down", "connection-back", "task-invalid",
// "task-stopped", "deleted", "synced": the names the configuration uses.
const char* to_string(notice_kind k);
std::optional<notice_kind> notice_kind_named(const std::string& name);
const std::vector<std::string>& notice_kind_names();

struct notice {
  notice_kind kind = notice_kind::error_item;
  std::string task = {};       // "" for a connection's event
  std::string connection = {}; // a connection's event: which
  std::string side = {};       // "source", "target" or ""
  std::string issue = {};      // an issue id, or ""
  std::string message = {};    // where and what: "connection rm2, field status: ..."
  timestamp time = 0;
  friend bool operator==(const notice&, const notice&) = default;
};

struct batch_policy {
  std::chrono::milliseconds interval{std::chrono::minutes{5}};
  unsigned max_per_hour = 12;
  std::size_t items_per_group = 5; // the first items each group lists
};

// One recipient's notices not sent yet, and when messages went to it (the
// last hour's, oldest first): what the mailer keeps for each recipient.
struct mailbox {
  std::vector<notice> pending;
  std::vector<timestamp> sent;
  friend bool operator==(const mailbox&, const mailbox&) = default;
};

// When the pending notices go out: at the first one's time if nothing went
// out in the interval before it, else an interval after the last message;
// never before the hour's cap allows. None while nothing is pending.
std::optional<timestamp> due_at(const mailbox& m, const batch_policy& p);

// Drops sends older than an hour before now: they no longer count.
void forget_old_sends(mailbox& m, timestamp now);

struct composed_mail {
  std::string subject;
  std::string body;
};

// One message for the notices: grouped by task, kind and message with
// counts and the first items, each group saying what to do and the API
// paths to do it with (api_base: "http://127.0.0.1:8080").
composed_mail compose(const std::vector<notice>& notices, const batch_policy& p,
                      const std::string& api_base);

} // namespace tb
