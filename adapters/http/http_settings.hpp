#pragma once
// What every tracker connection over HTTP has, read from its configuration
// in one place: where it is, how many requests at once, how long one may
// take, how large an answer may be, for https which certificates to trust
// and which to show, and which proxy to go through. A tracker type's reader
// (adapters/<type>/<type>_settings) adds its own keys to these.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "domain/checked_json.hpp"

namespace tb::http {

// TLS for an https:// URL: whom to trust, and who this side is. Files are
// PEM; there is no setting that turns verification off.
struct tls_settings {
  std::string ca_file = {};     // trusted instead of the system's store; "": the system's
  std::string client_cert_file = {}; // a client certificate for mutual TLS, with its key
  std::string client_key_file = {};
};

struct connection_settings {
  std::string url;            // base URL, e.g. "http://127.0.0.1:3055"
  unsigned max_in_flight = 4; // requests at once to this tracker
  std::chrono::milliseconds timeout{30000}; // one request and its answer, at most
  std::size_t max_answer_mib = 64; // the largest answer read (a file's bytes, say)
  tls_settings tls;
  // An HTTP proxy ("http://host:port"); "": the environment's (https_proxy,
  // http_proxy, no_proxy), or none. Its user:password, if it wants them,
  // is in the environment variable named by proxy_auth_env.
  std::string proxy = {};
  std::string proxy_auth_env = {};
};

// The keys read_connection_settings reads.
const std::vector<std::string>& connection_keys();

// Reads those keys of the connection's object at path; type names the
// tracker type and url_hint says what its URL is ("the Redmine's base URL"),
// both for the messages. Other keys are left to the caller.
connection_settings read_connection_settings(checked::report& r, const nlohmann::json& j,
                                             const std::string& path, const std::string& type,
                                             const std::string& url_hint);

} // namespace tb::http
