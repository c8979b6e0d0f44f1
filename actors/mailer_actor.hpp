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

// Which events go to whom: a rule of the configuration's notifications,
// its recipients resolved to addresses.
struct mail_rule {
  std::set<notice_kind> events;
  std::vector<std::string> tasks; // empty: every task and every connection
  std::vector<std::string> to;
};

struct mailer_settings {
  batch_policy policy;
  std::string api_base; // in the messages' API paths
  std::vector<mail_rule> rules;
  std::function<timestamp()> clock; // the time now (ms); set by the caller
  std::chrono::milliseconds send_timeout{std::chrono::seconds{90}};
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

  static inline const char* name = "mailer";
};

mailer_actor::behavior_type mailer(mailer_actor::stateful_pointer<mailer_state> self,
                                   mailer_settings settings, storage::mail_store* store,
                                   smtp_actor smtp, logger_actor log);

// Sends through the SMTP server with these settings (smtp::send); spawn it
// detached, it blocks while it talks to the server.
smtp_actor::behavior_type smtp_worker(smtp_actor::pointer self, smtp::server_settings settings);

} // namespace tb
