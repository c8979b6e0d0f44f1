#include "adapters/http/tls.hpp"

#include <memory>

#include <boost/asio/ip/address.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "adapters/http/certificate_files.hpp"

namespace tb::http {

namespace {

namespace ssl = boost::asio::ssl;

sync_error invalid(const std::string& where, const std::string& message) {
  return {error_kind::invalid, where, message};
}

std::string url_of(const endpoint& ep) {
  auto host = ep.host.find(':') == std::string::npos ? ep.host : "[" + ep.host + "]";
  return ep.scheme + "://" + host + ":" + std::to_string(ep.port) + ep.base_path;
}

// A certificate the verification refused: OpenSSL's reason, the facts of
// the certificate that explain it, and what to change.
std::string refusal(long code, const refused_certificate& cert, const tls_context& tls,
                    const endpoint& ep) {
  std::string reason = X509_verify_cert_error_string(code);
  bool known = !cert.issuer.empty();
  auto& ca_file = tls.files().ca_file;
  switch (code) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED: {
      auto issuer = known ? " (issued by " + cert.issuer + ")" : "";
      return "the server's certificate" + issuer + " is not trusted: " + reason + "; "
             + (ca_file.empty() ? "set ca_file to the PEM file of the CA that signed it"
                                : "ca_file " + ca_file
                                    + " does not hold the CA that signed it; add that CA's "
                                      "certificate to the file");
    }
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "the server's certificate has expired"
             + (known ? " (valid until " + cert.not_after + ")" : "")
             + ": " + reason
             + "; renew the certificate on the server (or set this machine's clock right)";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the server's certificate is not valid yet"
             + (known ? " (valid from " + cert.not_before + ")" : "")
             + ": " + reason + "; check this machine's clock and the certificate's dates";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the server's certificate is not for " + ep.host
             + (known ? " (it names " + cert.names + ")" : "") + ": " + reason
             + "; use a host name the certificate names in url, or have a certificate made "
               "that names "
             + ep.host;
    default:
      return "the server's certificate was refused: " + reason
             + "; check its chain, and set ca_file if a private CA signed it";
  }
}

// A handshake the peer broke off, or TLS the client refused to speak.
std::string failed_handshake(const std::string& reason, const tls_context& tls) {
  bool has_cert = !tls.files().client_cert_file.empty();
  auto has = [&](const char* part) { return reason.find(part) != std::string::npos; };
  if (has("certificate required") || (!has_cert && has("handshake failure")))
    return "the server wants a client certificate (" + reason + "); "
           + (has_cert ? "it did not take the one in client_cert_file "
                           + tls.files().client_cert_file
                           + ": use one signed by a CA the server trusts"
                       : "set client_cert_file and client_key_file");
  if (has_cert && (has("unknown ca") || has("bad certificate") || has("certificate unknown")
                   || has("handshake failure")))
    return "the server refused the client certificate in " + tls.files().client_cert_file
           + " (" + reason + "); use one signed by a CA the server trusts";
  if (has("wrong version number") || has("packet length too long") || has("http request"))
    return "the server does not speak TLS on this port (" + reason
           + "); check the url's scheme and port";
  if (has("unsupported protocol") || has("protocol version"))
    return "the server offers no TLS version TrackBridge accepts (1.2 or newer) (" + reason
           + "); upgrade the server's TLS settings";
  return "the TLS handshake failed: " + reason;
}

} // namespace

tls_context::tls_context(tls_settings files)
  : ctx_(ssl::context::tls_client), files_(std::move(files)) {
}

result<std::shared_ptr<tls_context>> load_tls(const tls_settings& s, const std::string& where) {
  ERR_clear_error();
  auto t = std::make_shared<tls_context>(s);
  SSL_CTX* ctx = t->native().native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  auto file_problem = [&](const char* key, const std::string& file, const std::string& what) {
    return invalid(where + "." + key, "cannot use " + file + ": " + what);
  };
  if (s.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1)
      return invalid(where, "cannot load the system's trusted certificates ("
                              + openssl_reasons()
                              + "); install ca-certificates, or set ca_file");
  } else {
    if (auto why = unreadable(s.ca_file); !why.empty())
      return file_problem("ca_file", s.ca_file, why);
    if (SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr) != 1)
      return file_problem("ca_file", s.ca_file,
                          openssl_reasons() + "; it must hold PEM certificates of CAs");
  }
  if (!s.client_cert_file.empty())
    if (auto p = use_pair(ctx, s.client_cert_file, s.client_key_file))
      return file_problem(p.key == std::string{"cert"} ? "client_cert_file" : "client_key_file",
                          p.file, p.message);
  return t;
}

bool keep_refused(bool ok, X509_STORE_CTX* store, refused_certificate& refused) {
  X509* cert = X509_STORE_CTX_get0_cert(store); // the server's own, not a CA's
  if (!ok && cert && refused.issuer.empty()) {
    refused.issuer = name_text(X509_get_issuer_name(cert));
    refused.names = names_of(cert);
    refused.not_before = time_text(X509_get0_notBefore(cert));
    refused.not_after = time_text(X509_get0_notAfter(cert));
  }
  return ok;
}

void expect_host(SSL* ssl, const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec) {
    SSL_set_tlsext_host_name(ssl, host.c_str()); // SNI is for names only (RFC 6066)
    SSL_set1_host(ssl, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  }
}

bool is_tls_error(const boost::system::error_code& ec) {
  return ec.category() == boost::asio::error::get_ssl_category()
         && ec != ssl::error::stream_truncated;
}

std::string describe_tls_failure(SSL* ssl, const boost::system::error_code& ec,
                                 const tls_context& tls, const endpoint& ep,
                                 const refused_certificate& refused) {
  auto head = "TLS with " + url_of(ep) + ": ";
  auto code = SSL_get_verify_result(ssl);
  if (code != X509_V_OK)
    return head + refusal(code, refused, tls, ep);
  ERR_clear_error();
  return head + failed_handshake(ec.message(), tls);
}

} // namespace tb::http
