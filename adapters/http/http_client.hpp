#pragma once
// A blocking HTTP/1.1 client for adapters: one keep-alive connection to one
// tracker, over TLS for https, with timeouts on every step. Not thread-safe:
// a connection actor worker owns one. Only http_client.cpp includes Beast
// and OpenSSL.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "adapters/http/call_tally.hpp"
#include "adapters/http/http_settings.hpp"
#include "domain/result.hpp"

namespace tb::http {

// A tracker's base URL, parsed once: "https://tracker.example.org/redmine".
struct endpoint {
  std::string scheme = "http"; // or "https"
  std::string host;
  std::uint16_t port = 80; // 443 when an https URL names none
  std::string base_path;   // "" or "/redmine", never ending in '/'
  bool https() const { return scheme == "https"; }
};

// The certificates an https connection trusts and shows, loaded once per
// connection and shared by its workers' clients (OpenSSL's context is safe
// to share once set up).
class tls_context;

// Loads the files named by the settings: the CA bundle (none: the system's
// store), the client certificate and its key. An error is of kind invalid
// and names `where` (the connection's config path) and the file.
result<std::shared_ptr<tls_context>> load_tls(const tls_settings& s, const std::string& where);

// Parses and checks a base URL; the error names `where` (e.g. the config
// path) and says what is wrong.
result<endpoint> parse_endpoint(const std::string& url, const std::string& where);

struct request {
  std::string method = "GET";
  std::string target; // path and query below base_path, e.g. "/issues.json?limit=1"
  std::map<std::string, std::string> headers;
  std::string body;
  std::string content_type = "application/json";
};

struct response {
  int status = 0;
  std::map<std::string, std::string> headers; // names lower-cased
  std::string body;
};

// An HTTP proxy between this side and the tracker (adapters/http/proxy
// chooses it): CONNECT for an https tracker, plain forwarding for http.
struct proxy_route {
  std::string host;
  std::uint16_t port = 3128;
  std::string authorization = {}; // a Proxy-Authorization value ("Basic ..."), or ""
  std::string shown = {};         // "http://host:port", never with credentials
  std::string from = {};          // what named it: "$.connections.rm1.proxy", "HTTPS_PROXY"
  // Where the credentials came from ("TB_PROXY_AUTH", "HTTPS_PROXY"), for
  // the message when the proxy refuses them; "" without credentials.
  std::string credentials_from = {};
};

struct client_options {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000}; // whole request + response
  std::size_t max_body = std::size_t{64} << 20;
  std::shared_ptr<call_tally> tally = nullptr; // the connection's; null: not counted
  std::shared_ptr<tls_context> tls = nullptr; // for https; null: the system's store
  std::optional<proxy_route> proxy = std::nullopt; // none: straight to the tracker
};

class client {
 public:
  // where: names the connection in errors ("connection rm1").
  client(endpoint ep, std::string where, client_options opts = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Any HTTP status is a response; only transport failures (refused, reset,
  // timeout, malformed reply) are errors, of kind unavailable, and a body
  // over the limit, of kind bad_answer (the tracker did answer). A TLS
  // failure (a certificate not trusted, expired or for another host, a
  // client certificate the server wants) is unavailable and misconfigured,
  // and says OpenSSL's reason and what to set. A keep-alive connection the
  // server closed meanwhile is reopened once, transparently. Each call
  // counts once in opts.tally: its final status, or 0 for a transport
  // failure.
  result<response> send(const request& r);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tb::http
