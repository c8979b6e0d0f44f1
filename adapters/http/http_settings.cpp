#include "adapters/http/http_settings.hpp"

#include <nlohmann/json.hpp>

namespace tb::http {

using nlohmann::json;
using namespace tb::checked;

const std::vector<std::string>& connection_keys() {
  static const std::vector<std::string> keys{"url",           "max_in_flight",
                                             "timeout_ms",    "max_answer_mib",
                                             "ca_file",       "client_cert_file",
                                             "client_key_file", "proxy",
                                             "proxy_auth_env"};
  return keys;
}

namespace {

std::string file_at(report& r, const json& j, const std::string& path, const char* key) {
  if (auto* v = find(j, key))
    if (auto file = nonempty_string_at(r, *v, member(path, key)))
      return *file;
  return {};
}

tls_settings read_tls_settings(report& r, const json& j, const std::string& path, bool https) {
  tls_settings t;
  t.ca_file = file_at(r, j, path, "ca_file");
  t.client_cert_file = file_at(r, j, path, "client_cert_file");
  t.client_key_file = file_at(r, j, path, "client_key_file");
  if (t.client_cert_file.empty() != t.client_key_file.empty()) {
    auto given = t.client_cert_file.empty() ? "client_key_file" : "client_cert_file";
    auto missing = t.client_cert_file.empty() ? "client_cert_file" : "client_key_file";
    r.add(member(path, missing), std::string{"is required with "} + given,
          "a client certificate needs both its certificate and its key file");
  }
  bool any = !t.ca_file.empty() || !t.client_cert_file.empty() || !t.client_key_file.empty();
  if (any && !https)
    for (auto* key : {"ca_file", "client_cert_file", "client_key_file"})
      if (find(j, key))
        r.add(member(path, key), "is used only with an https:// URL",
              "make the url https://, or remove this key");
  return t;
}

} // namespace

connection_settings read_connection_settings(report& r, const json& j, const std::string& path,
                                             const std::string& type,
                                             const std::string& url_hint) {
  connection_settings c;
  if (auto* v = find(j, "url")) {
    if (auto url = nonempty_string_at(r, *v, member(path, "url"))) {
      c.url = *url;
      if (c.url.rfind("http://", 0) != 0 && c.url.rfind("https://", 0) != 0)
        r.add(member(path, "url"),
              "must be an http:// or https:// URL, not " + quote(printable(c.url)),
              "e.g. \"https://redmine.example.org\" or \"http://127.0.0.1:3055\"");
    }
  } else {
    r.add(member(path, "url"), "is required for a " + type + " connection",
          url_hint + ", e.g. \"http://127.0.0.1:3055\"");
  }
  if (auto* v = find(j, "max_in_flight"))
    if (auto n = integer_at(r, *v, member(path, "max_in_flight"), 1, 64))
      c.max_in_flight = static_cast<unsigned>(*n);
  if (auto* v = find(j, "timeout_ms"))
    if (auto ms = integer_at(r, *v, member(path, "timeout_ms"), 100, 600000))
      c.timeout = std::chrono::milliseconds{*ms};
  if (auto* v = find(j, "max_answer_mib"))
    if (auto mib = integer_at(r, *v, member(path, "max_answer_mib"), 1, 4096))
      c.max_answer_mib = static_cast<std::size_t>(*mib);
  c.tls = read_tls_settings(r, j, path, c.url.rfind("https://", 0) == 0);
  if (auto* v = find(j, "proxy"))
    if (auto proxy = nonempty_string_at(r, *v, member(path, "proxy"))) {
      c.proxy = *proxy;
      if (c.proxy.rfind("http://", 0) != 0)
        r.add(member(path, "proxy"), "must be an http:// URL, not " + quote(printable(c.proxy)),
              "e.g. \"http://proxy.corp.example:3128\"; an https tracker is reached through "
              "it with CONNECT, TLS end to end");
    }
  if (auto* v = find(j, "proxy_auth_env")) {
    if (auto env = env_name_at(r, *v, member(path, "proxy_auth_env"), "proxy's user:password",
                               "TB_PROXY_AUTH"))
      c.proxy_auth_env = *env;
    if (c.proxy.empty() && !find(j, "proxy"))
      r.add(member(path, "proxy_auth_env"), "is used only with proxy",
            "set proxy too; a proxy from https_proxy or http_proxy takes its credentials from "
            "its URL there");
  }
  return c;
}

} // namespace tb::http
