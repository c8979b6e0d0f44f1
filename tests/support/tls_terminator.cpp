#include "tests/support/tls_terminator.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>

#include "tests/support/http_client.hpp"

namespace tb::test {

namespace {

using namespace std::chrono_literals;

const char* const stunnel = "/usr/bin/stunnel4";

void write_config(const std::string& file, std::uint16_t port, const tls_terminator_options& o) {
  std::ofstream out{file};
  out << "foreground = yes\npid =\nsyslog = no\ndebug = notice\n"
      << "[tracker]\n"
      << "accept = 127.0.0.1:" << port << "\n"
      << "connect = 127.0.0.1:" << o.backend_port << "\n"
      << "cert = " << o.server.cert << "\nkey = " << o.server.key << "\n"
      << "sslVersionMin = TLSv1.2\n";
  if (!o.client_ca_file.empty())
    out << "CAfile = " << o.client_ca_file << "\nverifyChain = yes\nrequireCert = yes\n";
  if (!out)
    throw std::runtime_error("tls_terminator: cannot write " + file);
}

} // namespace

tls_terminator::tls_terminator(const std::string& dir, tls_terminator_options options) {
  // The free port is found before stunnel binds it, so another process may
  // take it in between: then stunnel exits and the next port is tried. A
  // port given is tried as it is (a terminator replacing one just stopped).
  std::string last_log;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = options.port ? options.port : free_port();
    auto base = dir + "/stunnel-" + std::to_string(port_);
    write_config(base + ".conf", port_, options);
    process_ = std::make_unique<server_process>(stunnel, std::vector<std::string>{base + ".conf"},
                                                base + ".log");
    if (process_->wait_listening(port_, 10s))
      return;
    last_log = process_->log();
    process_->kill9();
  }
  throw std::runtime_error("tls_terminator: stunnel4 did not listen; its log:\n" + last_log);
}

tls_terminator::~tls_terminator() {
  if (process_)
    process_->stop(std::chrono::seconds{5});
}

} // namespace tb::test
