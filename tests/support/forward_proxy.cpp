#include "tests/support/forward_proxy.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/http_client.hpp"

namespace tb::test {

namespace {

using namespace std::chrono_literals;

const char* const tinyproxy = "/usr/bin/tinyproxy";

} // namespace

forward_proxy::forward_proxy(const std::string& dir, std::string user, std::string password) {
  // As tls_terminator: the port found free may be taken before tinyproxy
  // binds it; then the next one is tried.
  std::string last_log;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    auto base = dir + "/tinyproxy-" + std::to_string(port_);
    {
      std::ofstream out{base + ".conf"};
      // No ConnectPort line: CONNECT is allowed to any port (the test
      // terminators' ports are random).
      out << "Port " << port_ << "\nListen 127.0.0.1\nTimeout 60\nLogLevel Connect\n"
          << "MaxClients 100\nAllow 127.0.0.1\nDisableViaHeader Yes\n";
      if (!user.empty())
        out << "BasicAuth " << user << " " << password << "\n";
      if (!out)
        throw std::runtime_error("forward_proxy: cannot write " + base + ".conf");
    }
    process_ = std::make_unique<server_process>(
      tinyproxy, std::vector<std::string>{"-d", "-c", base + ".conf"}, base + ".log");
    if (process_->wait_listening(port_, 10s))
      return;
    last_log = process_->log();
    process_->kill9();
  }
  throw std::runtime_error("forward_proxy: tinyproxy did not listen; its log:\n" + last_log);
}

forward_proxy::~forward_proxy() {
  if (process_)
    process_->stop(std::chrono::seconds{5});
}

std::size_t forward_proxy::requests(const std::string& line_start) const {
  std::istringstream in{log()};
  std::size_t n = 0;
  // tinyproxy logs each request as "... Request (file descriptor 4): GET http://... HTTP/1.1".
  for (std::string line; std::getline(in, line);)
    if (auto at = line.find("Request (file descriptor "); at != std::string::npos)
      if (auto head = line.find("): ", at);
          head != std::string::npos && line.compare(head + 3, line_start.size(), line_start) == 0)
        ++n;
  return n;
}

} // namespace tb::test
