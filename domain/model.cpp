#include "domain/model.hpp"

#include <nlohmann/json.hpp>

#include "domain/time.hpp"

namespace tb {

const std::vector<std::string>& core_fields() {
  static const std::vector<std::string> names{
    core_field::subject,    core_field::description, core_field::status,
    core_field::priority,   core_field::assignee,    core_field::tracker,
    core_field::category,   core_field::version,     core_field::start_date,
    core_field::due_date,   core_field::done_ratio,  core_field::estimated_hours,
    core_field::parent};
  return names;
}

bool is_core_field(const std::string& name) {
  for (auto& n : core_fields())
    if (n == name)
      return true;
  return false;
}

bool is_reference_field(const std::string& name) {
  return name == core_field::parent;
}

std::string common_id(const std::string& connection, const issue& i) {
  return i.alt_id.empty() ? connection + "/" + i.id : i.alt_id;
}

void to_json(nlohmann::json& j, const field_change& c) {
  j = {{"field", c.field}, {"old", c.old_value}, {"new", c.new_value}};
}

void from_json(const nlohmann::json& j, field_change& c) {
  c.field = j.at("field").get<std::string>();
  c.old_value = j.value("old", "");
  c.new_value = j.value("new", "");
}

void to_json(nlohmann::json& j, const history_entry& e) {
  j = {{"id", e.id},           {"author", e.author},   {"time", to_rfc3339(e.time)},
       {"changes", e.changes}, {"comment", e.comment}, {"creation", e.is_creation}};
}

void from_json(const nlohmann::json& j, history_entry& e) {
  e.id = j.at("id").get<std::string>();
  e.author = j.value("author", "");
  e.time = parse_rfc3339(j.at("time").get<std::string>()).value_or(0);
  e.changes = j.value("changes", std::vector<field_change>{});
  e.comment = j.value("comment", "");
  e.is_creation = j.value("creation", false);
}

void to_json(nlohmann::json& j, const issue& i) {
  j = {{"id", i.id},           {"project", i.project},
       {"fields", i.fields},   {"alt_id", i.alt_id},
       {"created", to_rfc3339(i.created)}, {"updated", to_rfc3339(i.updated)},
       {"history", i.history}};
}

void from_json(const nlohmann::json& j, issue& i) {
  i.id = j.at("id").get<std::string>();
  i.project = j.at("project").get<std::string>();
  i.fields = j.value("fields", field_values{});
  i.alt_id = j.value("alt_id", "");
  i.created = parse_rfc3339(j.at("created").get<std::string>()).value_or(0);
  i.updated = parse_rfc3339(j.at("updated").get<std::string>()).value_or(0);
  i.history = j.value("history", std::vector<history_entry>{});
}

} // namespace tb
