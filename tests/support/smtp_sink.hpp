#pragma once
// A real SMTP server for the tests: Debian's python3-aiosmtpd, run by
// tests/support/smtp_sink.py on 127.0.0.1. Each message it accepted is read
// back as the server received it: envelope and the text on the wire.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/server_process.hpp"

namespace tb::test {

struct smtp_sink_options {
  std::string tls_cert = {};   // set (with tls_key): STARTTLS offered
  std::string tls_key = {};
  bool require_tls = false;    // refuses mail before STARTTLS
  std::string auth = {};       // "user:password": a login is required
  std::string refuse_rcpt = {}; // recipients containing this are refused (550)
  int defer = 0;               // the first messages' DATA answered 451
  std::uint16_t port = 0;      // 0: a free port
};

struct received_mail {
  std::string mail_from;
  std::vector<std::string> rcpt_tos;
  std::string data; // headers and body, CRLF line ends
  bool tls = false; // it came over TLS
  std::string login; // the login used, or ""
};

class smtp_sink {
 public:
  // Starts it in dir (its messages in dir/mail); throws with its log if it
  // does not listen within 10 s.
  smtp_sink(const std::string& dir, smtp_sink_options options = {});
  ~smtp_sink();
  smtp_sink(const smtp_sink&) = delete;
  smtp_sink& operator=(const smtp_sink&) = delete;

  std::uint16_t port() const { return port_; }
  // Every message accepted so far, oldest first.
  std::vector<received_mail> messages() const;
  void stop();
  std::string log() const { return process_->log(); }

 private:
  std::unique_ptr<server_process> process_;
  std::string mail_dir_;
  std::uint16_t port_ = 0;
};

} // namespace tb::test
