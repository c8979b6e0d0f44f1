#pragma once
// TLS for the HTTP client: the OpenSSL context a connection's clients share,
// the per-connection checks (SNI, the host name or IP address the
// certificate must name), and what a failed handshake or a refused
// certificate means for the person who configured it. Included by
// http_client.cpp only; everyone else sees tls_context as an opaque type.

#include <string>

#include <boost/asio/ssl.hpp>
#include <boost/system/error_code.hpp>

#include "adapters/http/http_client.hpp"

namespace tb::http {

class tls_context {
 public:
  explicit tls_context(tls_settings files);
  boost::asio::ssl::context& native() { return ctx_; }
  const tls_settings& files() const { return files_; }

 private:
  boost::asio::ssl::context ctx_;
  tls_settings files_;
};

// What a refused server certificate says of itself, kept by the
// verification (OpenSSL keeps no peer certificate of a failed handshake).
struct refused_certificate {
  std::string issuer;    // "CN=tracker test CA"
  std::string names;     // "DNS:tracker.example.org, IP:127.0.0.1"
  std::string not_before;
  std::string not_after;
};

// Asks the handshake of `ssl` for `host`: SNI for a DNS name, and the name
// or IP address the certificate must carry, checked by OpenSSL itself.
void expect_host(SSL* ssl, const std::string& host);

// The verification's verdict on one certificate of the chain, as OpenSSL
// gave it (the stream's verify callback returns it unchanged); the first
// certificate refused is described in `refused`.
bool keep_refused(bool ok, X509_STORE_CTX* store, refused_certificate& refused);

// What went wrong in a handshake (or in the first read, where TLS 1.3
// reports a refused client certificate), worded for the configuration:
// the URL, OpenSSL's reason, the certificate's facts that matter, and what
// to set.
std::string describe_tls_failure(SSL* ssl, const boost::system::error_code& ec,
                                 const tls_context& tls, const endpoint& ep,
                                 const refused_certificate& refused);

// Whether an error came from TLS (a refusal) rather than from the socket.
bool is_tls_error(const boost::system::error_code& ec);

} // namespace tb::http
