#pragma once
// A webhook's X-TrackBridge-Signature as a sender computes it, with
// OpenSSL's HMAC, not with the server's own code.

#include <cstdio>
#include <string>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tb::test {

inline std::string hook_signature(const std::string& body, const std::string& key) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &length);
  char hex[3];
  std::string out = "sha256=";
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", mac[i]);
    out += hex;
  }
  return out;
}

} // namespace tb::test
