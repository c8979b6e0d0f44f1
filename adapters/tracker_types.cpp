#include "adapters/tracker_types.hpp"

#include <nlohmann/json.hpp>

namespace tb {

namespace {

template <class Settings, Settings (*Read)(checked::report&, const nlohmann::json&,
                                           const std::string&)>
tracker_settings read_as(checked::report& r, const nlohmann::json& j, const std::string& path) {
  return Read(r, j, path);
}

} // namespace

const std::vector<tracker_type>& tracker_types() {
  static const std::vector<tracker_type> types{
    {"local", &read_as<local::connection_settings, &local::read_connection_settings>},
    {"redmine", &read_as<redmine::connection_settings, &redmine::read_connection_settings>,
     redmine::default_sweep},
  };
  return types;
}

const tracker_type* find_tracker_type(const std::string& name) {
  for (auto& t : tracker_types())
    if (t.name == name)
      return &t;
  return nullptr;
}

std::vector<std::string> tracker_type_names() {
  std::vector<std::string> names;
  for (auto& t : tracker_types())
    names.push_back(t.name);
  return names;
}

} // namespace tb
