#pragma once
// Sending one e-mail to an SMTP server with libcurl: plain, STARTTLS or TLS
// from the first byte, with a login when configured. The answer says what
// the mailer does next: accepted (done), deferred (the server is down or
// answered 4xx: try again later) or refused (5xx: logged, not retried).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "domain/model.hpp"

namespace tb::smtp {

enum class security {
  none,     // plain SMTP (a relay on this machine)
  starttls, // plain, then STARTTLS before anything is sent; refused without it
  tls,      // TLS from the first byte (smtps, port 465)
};

struct server_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 25;
  security tls = security::starttls;
  std::string user;     // empty: no login
  std::string password; // never logged
  std::string from;     // the envelope sender and the From header
  std::string ca_file;  // empty: the system's CAs
  std::chrono::milliseconds timeout{30000};
};

struct mail {
  std::vector<std::string> to;
  std::string subject;
  std::string body;       // plain text, UTF-8; lines end in \n or \r\n
  std::string message_id; // "<...@...>": the same for every try of one message
  friend bool operator==(const mail&, const mail&) = default;
};

enum class outcome { accepted, deferred, refused };

struct send_result {
  outcome what = outcome::deferred;
  int code = 0;       // the server's last reply code; 0: none (no connection)
  std::string answer; // the server's reply, or why there was none
  friend bool operator==(const send_result&, const send_result&) = default;
};

// The message as it goes over the wire: headers (Date, From, To, Subject,
// Message-ID, MIME), CRLF line ends, a subject beyond ASCII as an RFC 2047
// encoded word, and no CR or LF in a header a tracker's text went into.
std::string format_message(const server_settings& s, const mail& m, timestamp now);

// Blocks for at most about settings.timeout.
send_result send(const server_settings& s, const mail& m, timestamp now);

const char* to_string(outcome o);

} // namespace tb::smtp
