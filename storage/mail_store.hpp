#pragma once
// What the mailer keeps in LMDB, so that no notification is lost to a
// restart: each recipient's mailbox (notices not sent yet, and when
// messages last went to it), and the outbox, every message from the moment
// it is made until the SMTP server accepted or refused it, kept afterwards
// as the record GET /api/v1/notifications pages through.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/notice.hpp"
#include "storage/lmdb.hpp"

namespace tb::storage {

enum class mail_status { queued, sent, refused };
const char* to_string(mail_status s);

struct outgoing_mail {
  std::uint64_t id = 0; // in the order made
  std::vector<std::string> to;
  std::string subject;
  std::string body;
  std::string message_id;
  std::vector<std::string> events; // what it tells of: "error", "parked"...
  mail_status status = mail_status::queued;
  unsigned attempts = 0;     // tries the server deferred (or that reached no server)
  timestamp created = 0;
  timestamp next_try = 0;    // queued: not before this
  timestamp finished = 0;    // sent or refused: when
  std::string answer;        // the server's last reply, or why there was none
};

class mail_store {
 public:
  explicit mail_store(environment& env);
  environment& env() { return env_; }

  // --- mailboxes, one per recipient address ---
  void add_notice(transaction& t, const std::string& recipient, const notice& n);
  mailbox mailbox_of(transaction& t, const std::string& recipient);
  std::vector<std::string> recipients(transaction& t); // those with pending notices
  // The mailbox's pending notices become this message (made from them):
  // they leave it, the send time is kept for the interval and the hour's
  // cap, and the message is queued. One transaction: a notice is in a
  // mailbox or in a message, never in both or neither.
  std::uint64_t take_into(transaction& t, const std::string& recipient, outgoing_mail m,
                          timestamp now);

  // --- the outbox ---
  std::uint64_t enqueue(transaction& t, outgoing_mail m); // its id
  void update(transaction& t, const outgoing_mail& m);
  std::optional<outgoing_mail> find(transaction& t, std::uint64_t id);
  std::vector<outgoing_mail> queued(transaction& t); // oldest first
  // Newest first, those made before `before` (0: from the newest).
  std::vector<outgoing_mail> newest(transaction& t, std::uint64_t before, std::size_t limit);

 private:
  environment& env_;
  MDB_dbi notices_, sends_, outbox_, meta_;
};

} // namespace tb::storage
