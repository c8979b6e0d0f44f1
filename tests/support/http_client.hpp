#pragma once
// A small synchronous HTTP/1.1 client for tests: one request per connection
// to 127.0.0.1, with a 30 s bound on the whole exchange.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace tb::test {

struct http_reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers; // names lower-cased
  std::string certificate;                    // https: the server certificate's CN
  std::string write_error; // the request could not be sent whole (the reply came anyway)
  nlohmann::json json() const;                // throws if the body is not JSON
};

// What an https call trusts: the CA in ca_file, for a certificate that
// names host (checked by OpenSSL, as a real client would).
struct tls_peer {
  std::string ca_file;
  std::string host = "localhost";
};

// Throws std::runtime_error naming the port and request when the server
// cannot be reached or gives no complete reply in time.
http_reply http_call(const std::string& method, std::uint16_t port, const std::string& target,
                     const std::string& body = "",
                     std::map<std::string, std::string> headers = {});

// One https connection to 127.0.0.1:port kept open for several requests
// (keep-alive), as a browser or a webhook sender keeps it. Throws when the
// handshake fails (the message has OpenSSL's reason).
class https_connection {
 public:
  https_connection(const tls_peer& tls, std::uint16_t port);
  ~https_connection();
  https_connection(const https_connection&) = delete;
  https_connection& operator=(const https_connection&) = delete;

  http_reply call(const std::string& method, const std::string& target,
                  const std::string& body = "", std::map<std::string, std::string> headers = {});

 private:
  struct state;
  std::unique_ptr<state> state_;
};

// One request over a new https connection.
http_reply https_call(const tls_peer& tls, const std::string& method, std::uint16_t port,
                      const std::string& target, const std::string& body = "",
                      std::map<std::string, std::string> headers = {});

// A port that was free a moment ago (bound to 127.0.0.1:0, then released).
std::uint16_t free_port();

} // namespace tb::test
