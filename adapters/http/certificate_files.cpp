#include "adapters/http/certificate_files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace tb::http {

namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string{};
}

using bio_ptr = std::unique_ptr<BIO, decltype(&BIO_free)>;

// Gives OpenSSL no passphrase, so that it does not prompt for one.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

} // namespace

std::string openssl_reasons() {
  std::string out;
  while (auto code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    std::string text = reason ? reason : "error " + std::to_string(ERR_GET_REASON(code));
    if (out.find(text) == std::string::npos)
      out += (out.empty() ? "" : "; ") + text;
  }
  return out.empty() ? "no reason given" : out;
}

std::string unreadable(const std::string& file) {
  std::ifstream in{file};
  return in ? "" : std::strerror(errno);
}

std::string name_text(const X509_NAME* name) {
  bio_ptr bio{BIO_new(BIO_s_mem()), BIO_free};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return bio_text(bio.get());
}

std::string time_text(const ASN1_TIME* t) {
  bio_ptr bio{BIO_new(BIO_s_mem()), BIO_free};
  ASN1_TIME_print(bio.get(), t);
  return bio_text(bio.get());
}

std::string names_of(X509* cert) {
  std::string out;
  auto* names = static_cast<GENERAL_NAMES*>(
    X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    auto* n = sk_GENERAL_NAME_value(names, i);
    std::string one;
    if (n->type == GEN_DNS) {
      auto* s = n->d.dNSName;
      one = "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                 static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (n->type == GEN_IPADD) {
      auto* a = n->d.iPAddress;
      if (a->length == 4) {
        one = "IP:" + std::to_string(a->data[0]) + "." + std::to_string(a->data[1]) + "."
              + std::to_string(a->data[2]) + "." + std::to_string(a->data[3]);
      } else { // IPv6, as hex bytes
        char* hex = OPENSSL_buf2hexstr(a->data, a->length);
        one = std::string{"IP:"} + (hex ? hex : "?");
        OPENSSL_free(hex);
      }
    }
    if (!one.empty())
      out += (out.empty() ? "" : ", ") + one;
  }
  GENERAL_NAMES_free(names);
  return out.empty() ? "subject " + name_text(X509_get_subject_name(cert)) : out;
}

pair_problem use_pair(SSL_CTX* ctx, const std::string& cert_file, const std::string& key_file) {
  SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
  if (auto why = unreadable(cert_file); !why.empty())
    return {"cert", cert_file, why};
  if (auto why = unreadable(key_file); !why.empty())
    return {"key", key_file, why};
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
    return {"cert", cert_file,
            openssl_reasons() + "; it must hold the PEM certificate, then its chain"};
  auto not_its_key = "it is not the key of the certificate in " + cert_file;
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    auto reasons = openssl_reasons();
    auto has = [&](const char* part) { return reasons.find(part) != std::string::npos; };
    if (has("key values mismatch"))
      return {"key", key_file, not_its_key};
    if (has("bad password read") || has("problems getting password") || has("bad decrypt"))
      return {"key", key_file,
              "it is protected by a passphrase, and TrackBridge reads keys without one; store "
              "it unencrypted (openssl pkey -in KEY -out NEW_KEY), readable by TrackBridge's "
              "user only"};
    return {"key", key_file, reasons + "; it must hold a PEM private key, unencrypted"};
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return {"key", key_file, not_its_key};
  return {};
}

} // namespace tb::http
