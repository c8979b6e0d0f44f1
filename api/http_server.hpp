#pragma once
// The REST API's HTTP/1.1 server. It only moves bytes: each request goes to
// the router, which decides the response. Beast stays inside the .cpp (it is
// costly to compile), so including this header costs nothing.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "api/router.hpp"

namespace tb::api {

// server.tls: the server's certificate (with its chain) and its key, PEM.
struct tls_files {
  std::string cert_file;
  std::string key_file;
};

// A server.tls pair that cannot be used; what() names the file.
struct certificate_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class http_server {
 public:
  // routes must outlive the server. threads: how many threads run the
  // connections (at least one). tls: https with this pair, else plain http.
  http_server(const router& routes, std::string address, std::uint16_t port,
              unsigned threads = 1, std::optional<tls_files> tls = std::nullopt);
  ~http_server(); // stops
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Reads the certificate (with tls), binds, listens and starts the
  // threads. Throws certificate_error naming the file when the pair cannot
  // be used, or std::runtime_error naming address:port when it cannot
  // listen (address in use, not an address).
  void start();

  // Whether the pair can be used, as start() would read it (for `check`):
  // the problem, naming the file; or what it is and whether it has expired.
  struct certificate_check {
    std::optional<std::string> problem;
    std::string summary;
    bool expired = false;
  };
  static certificate_check check_certificate(const tls_files& files);

  bool https() const;
  // What the log says of the certificate in use ("CN=... (DNS:...), valid
  // until ..."); "" without tls.
  std::string certificate() const;
  bool certificate_expired() const;

  // Reads tls's files again: connections accepted from now on get the new
  // pair, those open keep theirs. A pair that cannot be used is refused and
  // the one in use stays; the problem, naming the file, is returned.
  std::optional<std::string> reload_certificate();

  // The bound port (the one the system chose when constructed with port 0).
  std::uint16_t port() const;

  // Stops accepting, closes every connection, joins the threads. Idempotent.
  void stop();

 private:
  struct state;
  std::unique_ptr<state> state_;
};

} // namespace tb::api
