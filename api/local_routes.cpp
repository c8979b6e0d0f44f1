#include "api/local_routes.hpp"

#include <algorithm>
#include <memory>

#include "api/route_support.hpp"
#include "domain/checked_json.hpp"

// Statuses: a request the API cannot read (malformed JSON, a body that is not
// an object, unknown keys, wrong types, bad query parameters) is 400; a
// well-formed request whose values the tracker refuses (unknown field, list
// value not allowed, missing subject, an update that changes nothing, a bad
// project key) is 422; then not_found 404, conflict 409, unavailable 503,
// internal 500.

namespace tb::api {

namespace {

using json = nlohmann::json;
using connections = std::shared_ptr<const std::map<std::string, local::tracker*>>;

const std::string base = "/api/v1/local/{connection}";
constexpr std::size_t default_limit = 100;
constexpr std::size_t max_limit = 1000;

local::tracker& tracker_of(const connections& all, const route_params& p) {
  auto& name = p.path.at("connection");
  if (auto i = all->find(name); i != all->end())
    return *i->second;
  std::string known;
  for (auto& [n, t] : *all)
    known += (known.empty() ? "" : ", ") + n;
  throw api_error{404, "connection " + name,
                  "no local connection named " + name + "; configured local connections: "
                    + (known.empty() ? "(none)" : known)};
}

// --- request bodies ----------------------------------------------------------

std::string string_at(const json& body, const std::string& key, std::string fallback) {
  if (!body.contains(key))
    return fallback;
  if (!body[key].is_string())
    throw api_error{400, where_key(key), key + " must be a string"};
  return body[key].get<std::string>();
}

std::vector<std::string> strings_at(const json& j, const std::string& key,
                                    const std::string& where) {
  if (!j.contains(key))
    return {};
  auto& v = j[key];
  if (!v.is_array() || !std::all_of(v.begin(), v.end(), [](auto& x) { return x.is_string(); }))
    throw api_error{400, where, key + " must be an array of strings"};
  return v.get<std::vector<std::string>>();
}

// "" clears a field; null is not accepted, so a typo cannot clear one.
field_values fields_at(const json& body) {
  if (!body.contains("fields"))
    return {};
  auto& f = body["fields"];
  if (!f.is_object())
    throw api_error{400, where_key("fields"), "fields must be an object of field name to string"};
  field_values out;
  for (auto& [name, value] : f.items()) {
    if (!value.is_string())
      throw api_error{400, where_key("fields") + ", field " + name,
                      "the value of field " + name + " must be a string (\"\" clears it)"};
    out[name] = value.get<std::string>();
  }
  return out;
}

local::custom_field_def field_def_from(const json& j, std::size_t index) {
  auto where = where_key("custom_fields") + ", item " + std::to_string(index);
  if (!j.is_object())
    throw api_error{400, where, "a custom field must be an object with name, type, values"};
  for (auto& [key, value] : j.items())
    if (key != "name" && key != "type" && key != "values")
      throw api_error{400, where + ", key " + key,
                      "unknown key " + key + "; "
                        + checked::did_you_mean(key, {"name", "type", "values"})
                        + "allowed keys: name, type, values"};
  local::custom_field_def def;
  if (!j.contains("name") || !j["name"].is_string())
    throw api_error{400, where + ", key name", "name is required and must be a string"};
  def.name = j["name"].get<std::string>();
  if (j.contains("type")) {
    if (!j["type"].is_string())
      throw api_error{400, where + ", key type", "type must be a string: string or list"};
    def.type = j["type"].get<std::string>();
  }
  def.values = strings_at(j, "values", where + ", key values");
  return def;
}

local::project project_from(const json& body) {
  local::project p;
  if (!body.contains("key") || !body["key"].is_string())
    throw api_error{400, where_key("key"), "key is required and must be a string"};
  p.key = body["key"].get<std::string>();
  if (body.contains("custom_fields")) {
    auto& fields = body["custom_fields"];
    if (!fields.is_array())
      throw api_error{400, where_key("custom_fields"), "custom_fields must be an array"};
    for (std::size_t i = 0; i < fields.size(); ++i)
      p.custom_fields.push_back(field_def_from(fields[i], i));
  }
  return p;
}

// --- responses ---------------------------------------------------------------

json to_json(const local::project& p) {
  json fields = json::array();
  for (auto& f : p.custom_fields)
    fields.push_back({{"name", f.name}, {"type", f.type}, {"values", f.values}});
  return {{"key", p.key}, {"custom_fields", fields}};
}

json without_history(const issue& i) {
  json j = i;
  j.erase("history");
  return j;
}

// --- handlers ----------------------------------------------------------------

http_response list_projects(local::tracker& t) {
  json list = json::array();
  for (auto& p : t.projects())
    list.push_back(to_json(p));
  return json_response(200, {{"projects", list}});
}

http_response ensure_project(local::tracker& t, const http_request& req) {
  auto wanted = project_from(parse_body(req, {"key", "custom_fields"}));
  // Only the status tells a new project from an extended one; a race between
  // two creators changes nothing but which of them sees 201.
  bool existed = t.get_project(wanted.key).ok();
  auto p = take(t.ensure_project(wanted));
  return json_response(existed ? 200 : 201, to_json(p));
}

http_response create_issue(local::tracker& t, const std::string& project,
                           const http_request& req) {
  auto body = parse_body(req, {"author", "fields", "comment"});
  local::new_issue n{string_at(body, "author", "anonymous"), fields_at(body),
                     string_at(body, "comment", ""), "", {}};
  auto i = take(t.create_issue(project, n));
  auto res = json_response(201, i);
  res.headers["Location"] = "/api/v1/local/" + t.name() + "/issues/" + i.id;
  return res;
}

http_response update_issue(local::tracker& t, const std::string& id, const http_request& req) {
  auto body = parse_body(req, {"author", "fields", "comment"});
  local::issue_update u{string_at(body, "author", "anonymous"), fields_at(body),
                        string_at(body, "comment", ""), {}, {}};
  return json_response(200, take(t.update_issue(id, u)));
}

std::string query_at(const route_params& p, const std::string& name, std::string fallback) {
  auto i = p.query.find(name);
  return i == p.query.end() ? fallback : i->second;
}

// The body is the file's bytes, as sent: no encoding to undo, and the
// request's Content-Type is the file's.
http_response add_file(local::tracker& t, const std::string& id, const http_request& req,
                       const route_params& p) {
  only_query(p, {"filename", "author", "description"});
  auto filename = query_at(p, "filename", "");
  if (filename.empty())
    throw api_error{400, "query parameter filename",
                    "filename is required: POST .../files?filename=report.pdf"};
  auto type = req.headers.count("content-type") ? req.headers.at("content-type") : "";
  local::issue_update u{query_at(p, "author", "anonymous"), {}, "", {}, {}};
  u.attachments.push_back(
    {{"", filename, type, 0, query_at(p, "description", "")}, true, req.body});
  return json_response(201, take(t.update_issue(id, u)));
}

http_response remove_file(local::tracker& t, const std::string& id, const std::string& file,
                          const route_params& p) {
  only_query(p, {"author"});
  local::issue_update u{query_at(p, "author", "anonymous"), {}, "", {}, {}};
  u.attachments.push_back({{file, "", "", 0, ""}, false, ""});
  return json_response(200, take(t.update_issue(id, u)));
}

http_response file_content(local::tracker& t, const std::string& file) {
  http_response res;
  res.content_type = "application/octet-stream";
  res.body = take(t.file_content(file));
  return res;
}

http_response add_relation(local::tracker& t, const std::string& id, const http_request& req) {
  auto body = parse_body(req, {"author", "type", "issue"});
  local::issue_update u{string_at(body, "author", "anonymous"), {}, "", {}, {}};
  u.relations.push_back({{string_at(body, "type", "relates"), string_at(body, "issue", "")}, true});
  return json_response(201, take(t.update_issue(id, u)));
}

// An issue has at most one relation to another, so the other's id names it.
http_response remove_relation(local::tracker& t, const std::string& id, const std::string& other,
                              const route_params& p) {
  only_query(p, {"author"});
  auto i = take(t.get_issue(id));
  auto r = std::find_if(i.relations.begin(), i.relations.end(),
                        [&](auto& r) { return r.other == other; });
  if (r == i.relations.end())
    throw api_error{404, "connection " + t.name() + ", issue " + id,
                    "issue " + id + " has no relation to issue " + other};
  local::issue_update u{query_at(p, "author", "anonymous"), {}, "", {}, {}};
  u.relations.push_back({*r, false});
  return json_response(200, take(t.update_issue(id, u)));
}

http_response list_issues(local::tracker& t, const std::string& project,
                          const route_params& p) {
  only_query(p, {"updated_since", "limit"});
  auto since = time_in_query(p, "updated_since").value_or(0);
  auto limit = number_in_query(p, "limit", default_limit, 1, max_limit);
  json list = json::array();
  for (auto& i : take(t.changed_issues(project, since, limit)))
    list.push_back(without_history(i));
  return json_response(200, {{"issues", list}});
}

} // namespace

void add_local_routes(router& r, std::map<std::string, local::tracker*> trackers) {
  auto all = std::make_shared<const std::map<std::string, local::tracker*>>(std::move(trackers));
  auto on = [&](const char* method, const std::string& path, auto handler) {
    r.add(method, base + path,
          answering([all, handler](const http_request& req, const route_params& p) {
            return handler(tracker_of(all, p), req, p);
          }));
  };
  on("GET", "/projects", [](local::tracker& t, auto&, auto&) { return list_projects(t); });
  on("POST", "/projects",
     [](local::tracker& t, auto& req, auto&) { return ensure_project(t, req); });
  on("GET", "/projects/{project}", [](local::tracker& t, auto&, auto& p) {
    return json_response(200, to_json(take(t.get_project(p.path.at("project")))));
  });
  on("POST", "/projects/{project}/issues", [](local::tracker& t, auto& req, auto& p) {
    return create_issue(t, p.path.at("project"), req);
  });
  on("GET", "/projects/{project}/issues", [](local::tracker& t, auto&, auto& p) {
    return list_issues(t, p.path.at("project"), p);
  });
  on("GET", "/issues/{id}", [](local::tracker& t, auto&, auto& p) {
    return json_response(200, take(t.get_issue(p.path.at("id"))));
  });
  on("PUT", "/issues/{id}", [](local::tracker& t, auto& req, auto& p) {
    return update_issue(t, p.path.at("id"), req);
  });
  on("POST", "/issues/{id}/files", [](local::tracker& t, auto& req, auto& p) {
    return add_file(t, p.path.at("id"), req, p);
  });
  on("DELETE", "/issues/{id}/files/{file}", [](local::tracker& t, auto&, auto& p) {
    return remove_file(t, p.path.at("id"), p.path.at("file"), p);
  });
  on("GET", "/files/{file}",
     [](local::tracker& t, auto&, auto& p) { return file_content(t, p.path.at("file")); });
  on("POST", "/issues/{id}/relations", [](local::tracker& t, auto& req, auto& p) {
    return add_relation(t, p.path.at("id"), req);
  });
  on("DELETE", "/issues/{id}/relations/{other}", [](local::tracker& t, auto&, auto& p) {
    return remove_relation(t, p.path.at("id"), p.path.at("other"), p);
  });
}

} // namespace tb::api
