#pragma once
// Certificates made by the tests themselves with OpenSSL: a CA, and server
// and client certificates it signs, with the names and validity a case
// needs (an expired one, one for another host). Keys are EC P-256: quick
// to make, so every test gets its own.

#include <memory>
#include <string>
#include <vector>

namespace tb::test {

struct cert_spec {
  std::string common_name = {};
  std::vector<std::string> dns_names = {};    // subjectAltName DNS entries
  std::vector<std::string> ip_addresses = {}; // subjectAltName IP entries
  long valid_from_s = -3600;   // from now
  long valid_until_s = 86400;  // from now; negative: expired
  bool client = false;         // clientAuth instead of serverAuth
};

// PEM files written for one certificate.
struct pem_pair {
  std::string cert;
  std::string key;
};

class test_ca {
 public:
  // A new self-signed CA, "name test CA"; its certificate is written to
  // dir/name-ca.pem.
  test_ca(const std::string& name, const std::string& dir);
  ~test_ca();
  test_ca(const test_ca&) = delete;
  test_ca& operator=(const test_ca&) = delete;

  const std::string& cert_file() const { return cert_file_; }
  // Writes dir/file.crt and dir/file.key.
  pem_pair issue(const cert_spec& spec, const std::string& file) const;

 private:
  struct keys;
  std::unique_ptr<keys> keys_;
  std::string dir_;
  std::string cert_file_;
};

// Writes the key in key_file again, encrypted under passphrase (as a key
// made by `openssl genpkey -aes256` is).
void protect_key(const std::string& key_file, const std::string& passphrase);

} // namespace tb::test
