#pragma once
// A Redmine connection's settings, as the configuration gives them
// ($.connections.NAME with "type": "redmine"): the shared HTTP settings,
// which environment variable holds the API key (the key itself never
// appears in a config file), and whether writes are made as their authors.

#include <chrono>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "adapters/http/http_settings.hpp"
#include "domain/checked_json.hpp"

namespace tb::redmine {

struct connection_settings {
  http::connection_settings http;
  std::string api_key_env;   // the environment variable holding the API key
  bool act_as_author = true; // write as the source entry's author (Switch-User)
};

// Redmine leaves an issue's updated_on alone when a relation is added or
// removed or a file is deleted, so its sides are swept by default.
inline constexpr std::chrono::milliseconds default_sweep{600000};

connection_settings read_connection_settings(checked::report& r, const nlohmann::json& j,
                                             const std::string& path);

} // namespace tb::redmine
