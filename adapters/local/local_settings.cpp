#include "adapters/local/local_settings.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "domain/model.hpp"

namespace tb::local {
namespace {

using nlohmann::json;
using namespace tb::checked;

std::vector<std::string> read_list_values(report& r, const json& j, const std::string& path) {
  std::vector<std::string> values;
  if (!is_array_at(r, j, path))
    return values;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto value = nonempty_string_at(r, j[i], element(path, i));
    if (!value)
      continue;
    if (!seen.insert(*value).second)
      r.add(element(path, i), "duplicate value " + quote(*value));
    values.push_back(*value);
  }
  return values;
}

std::optional<custom_field_def> read_custom_field(report& r, const json& j,
                                                  const std::string& path) {
  if (!is_object_at(r, j, path))
    return std::nullopt;
  check_keys(r, j, path, {"name", "type", "values"});
  custom_field_def f;
  auto* name = find(j, "name");
  if (!name) {
    r.add(member(path, "name"), "is required");
    return std::nullopt;
  }
  auto name_value = nonempty_string_at(r, *name, member(path, "name"));
  if (!name_value)
    return std::nullopt;
  f.name = *name_value;
  if (is_core_field(f.name))
    r.add(member(path, "name"), quote(f.name) + " is a core field name",
          "the core fields " + join(core_fields()) + " are built in; rename the custom field");

  bool type_known = true;
  if (auto* v = find(j, "type")) {
    auto type = choice_at(r, *v, member(path, "type"), {"string", "list"});
    type_known = type.has_value();
    if (type)
      f.type = *type == 0 ? "string" : "list";
  }
  auto* values = find(j, "values");
  if (f.type == "list") {
    if (values)
      f.values = read_list_values(r, *values, member(path, "values"));
    if (!values || (values->is_array() && values->empty()))
      r.add(member(path, "values"), "a list field needs at least one value",
            "e.g. \"values\": [\"Low\", \"Medium\", \"High\"]");
  } else if (values && type_known) {
    r.add(member(path, "values"), "only list fields have values",
          "set \"type\": \"list\" or remove \"values\"");
  }
  return f;
}

std::vector<custom_field_def> read_custom_fields(report& r, const json& j,
                                                 const std::string& path) {
  std::vector<custom_field_def> fields;
  if (!is_array_at(r, j, path))
    return fields;
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto field = read_custom_field(r, j[i], element(path, i));
    if (!field)
      continue;
    bool duplicate = std::any_of(fields.begin(), fields.end(),
                                 [&](const custom_field_def& f) { return f.name == field->name; });
    if (duplicate)
      r.add(member(element(path, i), "name"), "duplicate custom field " + quote(field->name),
            "each custom field of a project needs its own name");
    fields.push_back(std::move(*field));
  }
  return fields;
}

std::optional<project> read_project(report& r, const json& j, const std::string& path) {
  if (!is_object_at(r, j, path))
    return std::nullopt;
  check_keys(r, j, path, {"key", "custom_fields"});
  auto* key = find(j, "key");
  if (!key) {
    r.add(member(path, "key"), "is required", "a project needs a key, e.g. \"key\": \"DEMO\"");
    return std::nullopt;
  }
  auto key_value = string_at(r, *key, member(path, "key"));
  if (!key_value)
    return std::nullopt;
  project p;
  p.key = *key_value;
  check_name(r, p.key, member(path, "key"), "project key");
  if (auto* v = find(j, "custom_fields"))
    p.custom_fields = read_custom_fields(r, *v, member(path, "custom_fields"));
  return p;
}

std::vector<project> read_projects(report& r, const json& j, const std::string& path) {
  std::vector<project> projects;
  if (!is_array_at(r, j, path))
    return projects;
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto read = read_project(r, j[i], element(path, i));
    if (!read)
      continue;
    auto first = std::find_if(projects.begin(), projects.end(),
                              [&](const project& p) { return p.key == read->key; });
    if (first != projects.end())
      r.add(member(element(path, i), "key"), "duplicate project key " + quote(read->key),
            "each project of a connection needs its own key");
    projects.push_back(std::move(*read));
  }
  return projects;
}

} // namespace

connection_settings read_connection_settings(report& r, const json& j, const std::string& path) {
  connection_settings c;
  check_keys(r, j, path, {"type", "projects"});
  if (auto* v = find(j, "projects"))
    c.projects = read_projects(r, *v, member(path, "projects"));
  return c;
}

} // namespace tb::local
