#pragma once
// A real TLS terminator, Debian's stunnel4, on 127.0.0.1 in front of a plain
// HTTP server on 127.0.0.1 (a test Redmine, the project's own server): the
// https a tracker behind a reverse proxy speaks, with the certificate a
// test made, and a client certificate required when asked.

#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/server_process.hpp"
#include "tests/support/test_pki.hpp"

namespace tb::test {

struct tls_terminator_options {
  std::uint16_t backend_port = 0;   // the plain server on 127.0.0.1
  pem_pair server = {};             // the certificate it shows, and its key
  std::string client_ca_file = {};  // set: a client certificate this CA signed is required
  std::uint16_t port = 0;         // where it listens; 0: a free port
};

class tls_terminator {
 public:
  // Writes its configuration into dir and starts it; throws with stunnel's
  // log if it does not listen within 10 s.
  tls_terminator(const std::string& dir, tls_terminator_options options);
  ~tls_terminator();
  tls_terminator(const tls_terminator&) = delete;
  tls_terminator& operator=(const tls_terminator&) = delete;

  std::uint16_t port() const { return port_; }
  std::string log() const { return process_->log(); }

 private:
  std::unique_ptr<server_process> process_;
  std::uint16_t port_ = 0;
};

} // namespace tb::test
