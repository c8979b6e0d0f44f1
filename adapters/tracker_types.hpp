#pragma once
// The tracker types TrackBridge speaks, in one table: each type's name in the
// configuration, the reader of its settings and its defaults. The config
// reader and the server's start consult it; adding a tracker type is a
// folder under adapters/ (its adapter and its settings) and a row here.
//
// The row holds no adapter factory: that would make the configuration
// reader link every adapter. The server finds each type's factory by the
// settings' type instead (app/connections.cpp: std::visit over
// tracker_settings), so a type without one does not compile.

#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "adapters/local/local_settings.hpp"
#include "adapters/redmine/redmine_settings.hpp"
#include "domain/checked_json.hpp"

namespace tb {

// One connection's settings: its type's.
using tracker_settings = std::variant<local::connection_settings, redmine::connection_settings>;

struct tracker_type {
  std::string name; // the configuration's "type"
  // Reads the connection's object at path, its unknown keys reported.
  tracker_settings (*read)(checked::report& r, const nlohmann::json& j, const std::string& path);
  // How often its task sides are swept by default (0: never): for trackers
  // where some changes leave an issue's update time alone.
  std::chrono::milliseconds default_sweep{0};
};

const std::vector<tracker_type>& tracker_types();
// Null when no type has that name.
const tracker_type* find_tracker_type(const std::string& name);
std::vector<std::string> tracker_type_names();

} // namespace tb
