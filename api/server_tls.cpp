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
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (auto p = use_pair(ctx, files.cert_file, files.key_file))
    return {{}, "server.tls." + std::string{p.key} + "_file: cannot use " + p.file + ": "
                  + p.message};
  X509* cert = SSL_CTX_get0_certificate(ctx);
  bool expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
  return {{context, describe(cert), expired}, ""};
}

} // namespace tb::api
