#pragma once
// The configuration's `notifications`: the SMTP server to send through and
// the rules saying which events go to whom (addresses, or the members of a
// tracker's project with a role). Read and checked with the rest of the
// file; what the mailer does with it is in docs/configuration.md.

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "adapters/smtp/smtp_client.hpp"
#include "domain/checked_json.hpp"
#include "domain/notice.hpp"

namespace tb::config {

// How the connection to the SMTP server is secured: the SMTP client's own
// choices (none, starttls, tls), in that order.
using smtp_security = smtp::security;

struct smtp_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 25;
  smtp_security security = smtp_security::starttls;
  std::string user;         // empty: no login
  std::string password_env; // the variable holding the password (with user)
  std::string from;         // the sender's address
  std::string ca_file;      // absolute; empty: the system's CAs
};

// The members of a tracker project who have a role, by their e-mail.
struct role_recipient {
  std::string connection;
  std::string project;
  std::string role;
  std::string path; // where the configuration names it, for check --online
  friend bool operator==(const role_recipient&, const role_recipient&) = default;
};

struct notification_rule {
  std::set<notice_kind> events;
  std::vector<std::string> tasks; // empty: every task (and every connection)
  std::vector<std::string> addresses;
  std::vector<role_recipient> roles;
};

struct notifications_config {
  smtp_config smtp;
  std::chrono::seconds interval{300}; // between two messages to one recipient
  unsigned max_per_hour = 12;         // messages to one recipient in an hour
  std::string api_url;                // in the messages' links; empty: the server's own
  std::vector<notification_rule> rules;
};

// Problems at their paths under `path`; warnings for what is valid but
// probably not meant (a password over plain SMTP beyond this machine).
// connections: (name, type) of each; tasks: the configured names.
using connection_types = std::vector<std::pair<std::string, std::string>>;
notifications_config read_notifications(checked::report& r, checked::report& warnings,
                                        const nlohmann::json& j, const std::string& path,
                                        const std::string& base_dir,
                                        const connection_types& connections,
                                        const std::vector<std::string>& tasks);

// "ops@example.org": one @, something on each side, a dot after it, no
// spaces, quotes, brackets or separators.
bool is_mail_address(const std::string& s);

} // namespace tb::config
