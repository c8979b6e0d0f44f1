#pragma once
// The REST API's HTTP/1.1 server. It only moves bytes: each request goes to
// the router, which decides the response. Beast stays inside the .cpp (it is
// costly to compile), so including this header costs nothing.

#include <cstdint>
#include <memory>
#include <string>

#include "api/router.hpp"

namespace tb::api {

class http_server {
 public:
  // routes must outlive the server. threads: how many threads run the
  // connections (at least one).
  http_server(const router& routes, std::string address, std::uint16_t port,
              unsigned threads = 1);
  ~http_server(); // stops
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds, listens and starts the threads. Throws std::runtime_error naming
  // address:port when it cannot listen (address in use, not an address).
  void start();

  // The bound port (the one the system chose when constructed with port 0).
  std::uint16_t port() const;

  // Stops accepting, closes every connection, joins the threads. Idempotent.
  void stop();

 private:
  struct state;
  std::unique_ptr<state> state_;
};

} // namespace tb::api
