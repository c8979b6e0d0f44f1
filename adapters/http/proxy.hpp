#pragma once
// Which HTTP proxy a tracker connection goes through: its own `proxy`
// setting, else the environment's, as curl reads it (https_proxy or
// HTTPS_PROXY for https targets, http_proxy or HTTP_PROXY for http ones,
// unless no_proxy or NO_PROXY names the host). Pure functions: the
// environment is passed in.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "adapters/http/http_client.hpp"

namespace tb::http {

// Reads an environment variable: null when it is not set.
using env_reader = std::function<const char*(const char*)>;

// The proxy for `target`, or none (direct). configured: the connection's
// `proxy` URL ("" if not set); credentials: "user:password" from the
// variable named by proxy_auth_env, whose name is credentials_env. An
// error (kind invalid) names `where` (the connection's config path) or the
// variable, and says what is wrong.
result<std::optional<proxy_route>> choose_proxy(const endpoint& target,
                                                const std::string& configured,
                                                const std::string& credentials,
                                                const std::string& credentials_env,
                                                const std::string& where,
                                                const env_reader& env);

// Whether a no_proxy list ("localhost,.corp.example,10.0.0.5", or "*")
// exempts the host: an entry matches the host itself and, for a name, its
// subdomains (a leading dot is optional). Case does not matter.
bool exempt_from_proxy(const std::string& no_proxy, const std::string& host);

} // namespace tb::http
