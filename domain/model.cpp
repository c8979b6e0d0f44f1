#include "domain/model.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/time.hpp"

namespace tb {

const std::vector<std::string>& core_fields() {
  static const std::vector<std::string> names{
    core_field::subject,    core_field::description, core_field::status,
    core_field::priority,   core_field::assignee,    core_field::tracker,
    core_field::category,   core_field::version,     core_field::start_date,
    core_field::due_date,   core_field::done_ratio,  core_field::estimated_hours,
    core_field::parent,     core_field::is_private};
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

std::string value_of(const issue& i, const std::string& field) {
  auto v = i.fields.find(field);
  return v == i.fields.end() ? "" : v->second;
}

std::string common_id(const std::string& connection, const issue& i) {
  return i.alt_id.empty() ? connection + "/" + i.id : i.alt_id;
}

const std::vector<std::string>& relation_types() {
  static const std::vector<std::string> types{"relates",    "blocks",   "blocked",
                                              "precedes",   "follows",  "duplicates",
                                              "duplicated", "copied_to", "copied_from"};
  return types;
}

bool is_relation_type(const std::string& type) {
  auto& all = relation_types();
  return std::find(all.begin(), all.end(), type) != all.end();
}

std::string reverse_relation(const std::string& type) {
  static const std::pair<const char*, const char*> pairs[] = {
    {"blocks", "blocked"}, {"precedes", "follows"}, {"duplicates", "duplicated"},
    {"copied_to", "copied_from"}};
  for (auto [a, b] : pairs) {
    if (type == a)
      return b;
    if (type == b)
      return a;
  }
  return type; // relates
}

void to_json(nlohmann::json& j, const attachment& a) {
  j = {{"id", a.id},
       {"filename", a.filename},
       {"content_type", a.content_type},
       {"size", a.size},
       {"description", a.description}};
}

void from_json(const nlohmann::json& j, attachment& a) {
  a.id = j.value("id", "");
  a.filename = j.at("filename").get<std::string>();
  a.content_type = j.value("content_type", "");
  a.size = j.value("size", std::int64_t{0});
  a.description = j.value("description", "");
}

void to_json(nlohmann::json& j, const relation& r) {
  j = {{"type", r.type}, {"issue", r.other}};
  if (r.delay != 0)
    j["delay"] = r.delay;
}

void from_json(const nlohmann::json& j, relation& r) {
  r.type = j.at("type").get<std::string>();
  r.other = j.at("issue").get<std::string>();
  r.delay = j.value("delay", 0);
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
  // Files and relations appear only in entries that have them, so the common
  // entry stays short.
  if (!e.attachments.empty()) {
    auto& files = j["attachments"] = nlohmann::json::array();
    for (auto& a : e.attachments)
      files.push_back({{"action", a.added ? "added" : "removed"}, {"file", a.file}});
  }
  if (!e.relations.empty()) {
    auto& links = j["relations"] = nlohmann::json::array();
    for (auto& r : e.relations)
      links.push_back({{"action", r.added ? "added" : "removed"},
                       {"type", r.link.type},
                       {"issue", r.link.other}});
  }
  if (!e.children.empty()) {
    auto& kids = j["children"] = nlohmann::json::array();
    for (auto& c : e.children)
      kids.push_back({{"action", c.added ? "added" : "removed"}, {"issue", c.child}});
  }
}

void from_json(const nlohmann::json& j, history_entry& e) {
  e.id = j.at("id").get<std::string>();
  e.author = j.value("author", "");
  e.time = parse_rfc3339(j.at("time").get<std::string>()).value_or(0);
  e.changes = j.value("changes", std::vector<field_change>{});
  e.comment = j.value("comment", "");
  e.is_creation = j.value("creation", false);
  for (auto& a : j.value("attachments", nlohmann::json::array()))
    e.attachments.push_back(
      {a.at("file").get<attachment>(), a.value("action", "added") == "added", ""});
  for (auto& r : j.value("relations", nlohmann::json::array()))
    e.relations.push_back({r.get<relation>(), r.value("action", "added") == "added"});
  for (auto& c : j.value("children", nlohmann::json::array()))
    e.children.push_back({c.at("issue").get<std::string>(), c.value("action", "added") == "added"});
}

void to_json(nlohmann::json& j, const issue& i) {
  j = {{"id", i.id},           {"project", i.project},
       {"fields", i.fields},   {"alt_id", i.alt_id},
       {"created", to_rfc3339(i.created)}, {"updated", to_rfc3339(i.updated)},
       {"attachments", i.attachments}, {"relations", i.relations},
       {"history", i.history}};
  if (!i.watchers.empty())
    j["watchers"] = i.watchers;
}

void from_json(const nlohmann::json& j, issue& i) {
  i.id = j.at("id").get<std::string>();
  i.project = j.at("project").get<std::string>();
  i.fields = j.value("fields", field_values{});
  i.alt_id = j.value("alt_id", "");
  i.created = parse_rfc3339(j.at("created").get<std::string>()).value_or(0);
  i.updated = parse_rfc3339(j.at("updated").get<std::string>()).value_or(0);
  i.attachments = j.value("attachments", std::vector<attachment>{});
  i.relations = j.value("relations", std::vector<relation>{});
  i.watchers = j.value("watchers", std::vector<std::string>{});
  i.history = j.value("history", std::vector<history_entry>{});
}

std::string not_kept(const time_entry& written, const time_entry& kept) {
  std::string out;
  auto check = [&](const char* what, const std::string& w, const std::string& k) {
    if (w != k)
      out += std::string{out.empty() ? "" : "; "} + what + " \"" + w + "\" became \"" + k + "\"";
  };
  check("user", written.user, kept.user);
  check("date", written.spent_on, kept.spent_on);
  check("hours", written.hours, kept.hours);
  check("activity", written.activity, kept.activity);
  check("comments", written.comments, kept.comments);
  for (auto& [name, value] : written.fields) {
    auto k = kept.fields.find(name);
    check(("field " + name).c_str(), value, k == kept.fields.end() ? "" : k->second);
  }
  return out;
}

void to_json(nlohmann::json& j, const time_entry& e) {
  j = {{"id", e.id},           {"user", e.user},         {"spent_on", e.spent_on},
       {"hours", e.hours},     {"activity", e.activity}, {"comments", e.comments},
       {"fields", e.fields},   {"updated", e.updated}};
}

void from_json(const nlohmann::json& j, time_entry& e) {
  e.id = j.value("id", "");
  e.user = j.value("user", "");
  e.spent_on = j.value("spent_on", "");
  e.hours = j.value("hours", "");
  e.activity = j.value("activity", "");
  e.comments = j.value("comments", "");
  e.fields = j.value("fields", field_values{});
  e.updated = j.value("updated", timestamp{0});
}

} // namespace tb
