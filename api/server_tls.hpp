#pragma once
// The server's own certificate: the pair of PEM files server.tls names,
// read at start and again on reload. Included by http_server.cpp only.
// Connections take the pair in use when they are accepted, and keep it:
// a reload changes what later connections get, never a running one.

#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "api/http_server.hpp"

namespace tb::api {

// One loaded pair: the OpenSSL context built from it, and what the log
// says of it ("CN=tb.example.org (DNS:tb.example.org), valid until ...").
struct server_certificate {
  std::shared_ptr<boost::asio::ssl::context> context;
  std::string summary;
  bool expired = false; // worth a warning, not a refusal: the summary has the date
};

// Reads and checks a pair: both files readable, PEM, the key the
// certificate's. Returns the problem, naming the file and what to do, in
// `problem` when it cannot be used.
struct loaded_certificate {
  server_certificate certificate;
  std::string problem;
};
loaded_certificate load_server_certificate(const tls_files& files);

// The pair in use, replaced whole by a reload that succeeds.
class certificate_store {
 public:
  explicit certificate_store(server_certificate first) : current_(std::move(first)) {}

  server_certificate current() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return current_;
  }
  void replace(server_certificate next) {
    std::lock_guard<std::mutex> guard{mutex_};
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  server_certificate current_;
};

} // namespace tb::api
