#pragma once
// A real forwarding HTTP proxy, Debian's tinyproxy, on 127.0.0.1: CONNECT
// tunnels for https and plain forwarding for http, as a corporate proxy
// does, with Basic credentials required when given. Its log tells which
// requests went through it.

#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/server_process.hpp"

namespace tb::test {

class forward_proxy {
 public:
  // Writes its configuration into dir and starts it; user and password
  // set: it answers 407 to requests without them. Throws with its log if
  // it does not listen within 10 s.
  forward_proxy(const std::string& dir, std::string user = {}, std::string password = {});
  ~forward_proxy();
  forward_proxy(const forward_proxy&) = delete;
  forward_proxy& operator=(const forward_proxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return process_->log(); }
  // Requests it took whose request line starts with this, e.g.
  // "CONNECT 127.0.0.1:4443" or "GET http://127.0.0.1:3055/".
  std::size_t requests(const std::string& line_start) const;

 private:
  std::unique_ptr<server_process> process_;
  std::uint16_t port_ = 0;
};

} // namespace tb::test
