#include "api/server_tls.hpp"

#include <memory>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "adapters/http/certificate_files.hpp"

namespace tb::api {

namespace {

namespace ssl = boost::asio::ssl;
using namespace tb::http;

std::string describe(X509* cert) {
  return name_text(X509_get_subject_name(cert)) + " (" + names_of(cert) + "), valid until "
         + time_text(X509_get0_notAfter(cert));
}

} // namespace

loaded_certificate load_server_certificate(const tls_files& files) {
  ERR_clear_error();
  auto problem = [](const char* key, const std::string& file, const std::string& what) {
    return loaded_certificate{{}, "server.tls." + std::string{key} + ": cannot use " + file
                                    + ": " + what};
  };
  if (auto why = unreadable(files.cert_file); !why.empty())
    return problem("cert_file", files.cert_file, why);
  if (auto why = unreadable(files.key_file); !why.empty())
    return problem("key_file", files.key_file, why);
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  refuse_passphrases(ctx);
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1)
    return problem("cert_file", files.cert_file,
                   openssl_reasons() + "; it must hold the PEM certificate, then the chain");
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return problem("key_file", files.key_file, key_problem(openssl_reasons(), files.cert_file));
  if (SSL_CTX_check_private_key(ctx) != 1)
    return problem("key_file", files.key_file,
                   key_problem("key values mismatch", files.cert_file));
  X509* cert = SSL_CTX_get0_certificate(ctx);
  server_certificate loaded{context, describe(cert), ""};
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
    loaded.expired = time_text(X509_get0_notAfter(cert));
  return {loaded, ""};
}

} // namespace tb::api
