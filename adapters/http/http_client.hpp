#pragma once
// A blocking HTTP/1.1 client for adapters: one keep-alive connection to one
// tracker, with timeouts on every step. Not thread-safe: a connection actor
// worker owns one. Only http_client.cpp includes Beast.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "adapters/http/call_tally.hpp"
#include "domain/result.hpp"

namespace tb::http {

// A tracker's base URL, parsed once: "http://127.0.0.1:3055/redmine".
struct endpoint {
  std::string scheme; // "http" (https: later, with OpenSSL)
  std::string host;
  std::uint16_t port = 80;
  std::string base_path; // "" or "/redmine", never ending in '/'
};

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

struct client_options {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000}; // whole request + response
  std::size_t max_body = std::size_t{64} << 20;
  std::shared_ptr<call_tally> tally = nullptr; // the connection's; null: not counted
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
  // over the limit, of kind bad_answer (the tracker did answer). A keep-alive
  // connection the server closed meanwhile is reopened once, transparently. Each call counts once in opts.tally: its
  // final status, or 0 for a transport failure.
  result<response> send(const request& r);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tb::http
