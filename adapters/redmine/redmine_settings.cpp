#include "adapters/redmine/redmine_settings.hpp"

#include <nlohmann/json.hpp>

namespace tb::redmine {

using nlohmann::json;
using namespace tb::checked;

connection_settings read_connection_settings(report& r, const json& j, const std::string& path) {
  std::vector<std::string> keys{"type"};
  keys.insert(keys.end(), http::connection_keys().begin(), http::connection_keys().end());
  keys.insert(keys.end(), {"api_key_env", "act_as_author"});
  check_keys(r, j, path, keys);
  connection_settings c;
  c.http = http::read_connection_settings(r, j, path, "redmine", "the Redmine's base URL");
  if (auto* v = find(j, "api_key_env")) {
    if (auto env = env_name_at(r, *v, member(path, "api_key_env"), "key", "REDMINE_API_KEY"))
      c.api_key_env = *env;
  } else {
    r.add(member(path, "api_key_env"), "is required for a redmine connection",
          "name the environment variable holding the API key, e.g. \"REDMINE_API_KEY\"");
  }
  if (auto* v = find(j, "act_as_author"))
    if (auto b = bool_at(r, *v, member(path, "act_as_author")))
      c.act_as_author = *b;
  return c;
}

} // namespace tb::redmine
