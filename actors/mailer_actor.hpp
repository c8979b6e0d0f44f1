#pragma once
// The mailer actor (issue 16): the events the engine reports go, at once and
// durably (LMDB), into the mailbox of each recipient a rule gives them to;
// each mailbox goes out as one message when it is due (domain/notice.hpp:
// the first event after a quiet interval at once, later ones batched, a cap
// per hour). A message stays in the outbox until the SMTP server accepted
// or refused it: deferred (4xx, down, a certificate refused) it is tried
// again with a backoff, also after a restart; refused (5xx) it is logged
// with the server's answer and not tried again. One message is sent at a
// time, oldest first, by the SMTP actor (blocking, detached).

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "actors/fwd.hpp"
#include "domain/notice.hpp"
#include "storage/mail_store.hpp"

namespace tb {

// Which events go to whom: a rule of the configuration's notifications.
struct mail_rule {
  std::set<notice_kind> events;
  std::vector<std::string> tasks; // empty: every task and every connection
  std::vector<std::string> to;    // addresses, and roles' mailboxes (role_mailbox)
};

// The members of a tracker project with a role, as one recipient: its
// mailbox gathers what is sent to the role, and each of its messages goes
// to the members' addresses as the tracker last told them. They are asked
// of the connection when the mailer starts and again every role_refresh;
// until the first answer the role's events wait in its mailbox, as they do
// while nobody with an address has the role.
struct mail_role {
  std::string mailbox; // role_mailbox(connection, project, role)
  std::string connection;
  std::string project;
  std::string role;
  connection_actor conn;
};

// "role:rm1/alpha/Manager": never an address (no @ before the slash).
std::string role_mailbox(const std::string& connection, const std::string& project,
                         const std::string& role);

struct mailer_settings {
  batch_policy policy;
  std::string api_base; // in the messages' API paths
  std::vector<mail_rule> rules;
  std::function<timestamp()> clock; // the time now (ms); set by the caller
  std::chrono::milliseconds send_timeout{std::chrono::seconds{90}};
  std::vector<mail_role> roles;
  std::chrono::milliseconds role_refresh{std::chrono::minutes{10}};
  // Asked again this soon when the tracker could not say.
  std::chrono::milliseconds role_retry{std::chrono::minutes{1}};
};

// The wait before try number `attempt` + 1 of a deferred message: 10 s,
// doubling, at most 15 minutes.
std::chrono::milliseconds mail_retry_delay(unsigned attempt);

// The recipients a rule gives a notice to, each once, in the rules' order.
std::vector<std::string> recipients_of(const std::vector<mail_rule>& rules, const notice& n);

struct mailer_state {
  mailer_settings settings;
  storage::mail_store* store = nullptr;
  smtp_actor smtp;
  logger_actor log;
  std::deque<std::uint64_t> waiting; // outbox ids ready to send, oldest first
  bool sending = false;
  // The time each recipient's timer is set for: one timer per mailbox, not
  // one per notice.
  std::map<std::string, timestamp> timers;
  // Each role's members' addresses, by its mailbox; absent until the
  // tracker first told them.
  std::map<std::string, std::vector<std::string>> members;
  std::map<std::string, std::string> role_news; // the last line logged of each role

  static inline const char* name = "mailer";
};

mailer_actor::behavior_type mailer(mailer_actor::stateful_pointer<mailer_state> self,
                                   mailer_settings settings, storage::mail_store* store,
                                   smtp_actor smtp, logger_actor log);

// Sends through the SMTP server with these settings (smtp::send); spawn it
// detached, it blocks while it talks to the server.
smtp_actor::behavior_type smtp_worker(smtp_actor::pointer self, smtp::server_settings settings);

} // namespace tb
