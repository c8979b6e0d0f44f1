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

// Keys are read without a passphrase: OpenSSL would otherwise ask for one
// on the terminal, which a server under systemd does not have. A key that
// has one then fails to load, and key_problem says so.
void refuse_passphrases(SSL_CTX* ctx);

// What OpenSSL's reasons for a key that did not load mean: "it is
// protected by a passphrase ...", "it is not the key of the certificate in
// cert_file", or the reasons themselves.
std::string key_problem(const std::string& reasons, const std::string& cert_file);

} // namespace tb::http
