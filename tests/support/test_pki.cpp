#include "tests/support/test_pki.hpp"

#include <fcntl.h>

#include <cstdio>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace tb::test {

namespace {

using key_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using cert_ptr = std::unique_ptr<X509, decltype(&X509_free)>;

void check(int ok, const char* what) {
  if (ok != 1)
    throw std::runtime_error(std::string{"test_pki: "} + what + " failed");
}

key_ptr new_key() {
  key_ptr k{EVP_EC_gen("P-256"), EVP_PKEY_free};
  if (!k)
    throw std::runtime_error("test_pki: making an EC key failed");
  return k;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  auto* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext)
    throw std::runtime_error("test_pki: extension " + value + " refused");
  check(X509_add_ext(cert, ext, -1), "adding an extension");
  X509_EXTENSION_free(ext);
}

cert_ptr new_cert(EVP_PKEY* key, const std::string& cn, long from_s, long until_s, long serial) {
  cert_ptr c{X509_new(), X509_free};
  check(X509_set_version(c.get(), 2), "X509_set_version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(c.get()), serial), "serial");
  X509_gmtime_adj(X509_getm_notBefore(c.get()), from_s);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), until_s);
  check(X509_set_pubkey(c.get(), key), "X509_set_pubkey");
  auto* name = X509_get_subject_name(c.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                   0),
        "subject");
  return c;
}

// Private: stunnel (rightly) warns of a key others can read.
void write_file(const std::string& path, const auto& write) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::unique_ptr<FILE, decltype(&std::fclose)> f{fd < 0 ? nullptr : ::fdopen(fd, "w"),
                                                  std::fclose};
  if (!f)
    throw std::runtime_error("test_pki: cannot write " + path);
  check(write(f.get()), ("writing " + path).c_str());
}

} // namespace

struct test_ca::keys {
  key_ptr key{nullptr, EVP_PKEY_free};
  cert_ptr cert{nullptr, X509_free};
  mutable long serial = 1;
};

test_ca::test_ca(const std::string& name, const std::string& dir)
  : keys_(std::make_unique<keys>()), dir_(dir), cert_file_(dir + "/" + name + "-ca.pem") {
  keys_->key = new_key();
  keys_->cert = new_cert(keys_->key.get(), name + " test CA", -86400, 86400 * 30,
                         keys_->serial++);
  auto* ca = keys_->cert.get();
  check(X509_set_issuer_name(ca, X509_get_subject_name(ca)), "issuer");
  add_extension(ca, ca, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca, ca, NID_subject_key_identifier, "hash");
  check(X509_sign(ca, keys_->key.get(), EVP_sha256()) > 0, "signing the CA");
  write_file(cert_file_, [&](FILE* f) { return PEM_write_X509(f, ca); });
}

test_ca::~test_ca() = default;

pem_pair test_ca::issue(const cert_spec& spec, const std::string& file) const {
  auto key = new_key();
  auto cert = new_cert(key.get(), spec.common_name, spec.valid_from_s, spec.valid_until_s,
                       keys_->serial++);
  auto* c = cert.get();
  auto* ca = keys_->cert.get();
  check(X509_set_issuer_name(c, X509_get_subject_name(ca)), "issuer");
  add_extension(c, ca, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(c, ca, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  add_extension(c, ca, NID_ext_key_usage, spec.client ? "clientAuth" : "serverAuth");
  add_extension(c, ca, NID_authority_key_identifier, "keyid");
  std::string names;
  auto add_name = [&](const char* kind, const std::string& value) {
    if (!names.empty())
      names.append(",");
    names.append(kind).append(value);
  };
  for (auto& d : spec.dns_names)
    add_name("DNS:", d);
  for (auto& ip : spec.ip_addresses)
    add_name("IP:", ip);
  if (!names.empty())
    add_extension(c, ca, NID_subject_alt_name, names);
  check(X509_sign(c, keys_->key.get(), EVP_sha256()) > 0, "signing");
  pem_pair out{dir_ + "/" + file + ".crt", dir_ + "/" + file + ".key"};
  write_file(out.cert, [&](FILE* f) { return PEM_write_X509(f, c); });
  write_file(out.key, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return out;
}

void protect_key(const std::string& key_file, const std::string& passphrase) {
  std::unique_ptr<FILE, decltype(&std::fclose)> in{std::fopen(key_file.c_str(), "r"),
                                                   std::fclose};
  if (!in)
    throw std::runtime_error("test_pki: cannot read " + key_file);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{
    PEM_read_PrivateKey(in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free};
  check(key != nullptr, ("reading " + key_file).c_str());
  auto* pass = reinterpret_cast<const unsigned char*>(passphrase.data());
  write_file(key_file, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), EVP_aes_256_cbc(), pass,
                                static_cast<int>(passphrase.size()), nullptr, nullptr);
  });
}

} // namespace tb::test
