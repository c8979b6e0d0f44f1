#pragma once
// PEM files and certificates as OpenSSL reads them, worded for a person:
// shared by the client's TLS (adapters/http/tls) and the server's
// (api/server_tls), so that both name a file's problem and describe a
// certificate the same way.

#include <string>

#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace tb::http {

// OpenSSL's reasons for what just failed, oldest first, and its error
// queue emptied so that they do not show up under a later call.
std::string openssl_reasons();

// Why `file` cannot be opened for reading ("No such file or directory"),
// or "" when it can.
std::string unreadable(const std::string& file);

// "CN=tracker test CA" (RFC 2253).
std::string name_text(const X509_NAME* name);
// "Dec  1 12:00:00 2026 GMT".
std::string time_text(const ASN1_TIME* t);
// "DNS:tracker.example.org, IP:127.0.0.1", or the subject when the
// certificate names no alternative names.
std::string names_of(X509* cert);

// A certificate (with its chain) and its key put into ctx, as a client's
// or a server's own pair. Keys are read without a passphrase: OpenSSL would
// otherwise ask for one on the terminal, which a server under systemd does
// not have.
struct pair_problem {
  const char* key = "";  // which file failed: "cert" or "key"
  std::string file;      // its path
  std::string message;   // why, and what to do
  explicit operator bool() const { return !message.empty(); }
};
pair_problem use_pair(SSL_CTX* ctx, const std::string& cert_file, const std::string& key_file);

} // namespace tb::http
