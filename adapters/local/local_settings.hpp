#pragma once
// An embedded tracker connection's settings, as the configuration gives them
// ($.connections.NAME with "type": "local"): the projects created at start.

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "domain/checked_json.hpp"

namespace tb::local {

struct custom_field_def {
  std::string name;
  std::string type = "string";     // "string" or "list"
  std::vector<std::string> values; // a list field's allowed values
};

struct project {
  std::string key;
  std::vector<custom_field_def> custom_fields;
};

struct connection_settings {
  std::vector<project> projects;
};

// The keys of a local connection's object at path (its "type" included).
connection_settings read_connection_settings(checked::report& r, const nlohmann::json& j,
                                             const std::string& path);

} // namespace tb::local
