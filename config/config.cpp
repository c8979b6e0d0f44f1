#include "config/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <memory>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "domain/checked_json.hpp"
#include "domain/model.hpp"

namespace tb::config {
namespace {

using nlohmann::json;
using namespace tb::checked;

// Limits that keep hostile input from costing unbounded memory: a real config
// nests about six levels and is a few kilobytes.
constexpr int max_nesting = 64;
constexpr std::uintmax_t max_file_bytes = 16u << 20;

constexpr std::int64_t max_poll_ms = 86'400'000; // one day
constexpr std::int64_t max_sweep_ms = 7 * max_poll_ms; // one week
// 64 TiB: half of x86-64's user address space; the size in bytes fits 64 bits.
constexpr std::int64_t max_map_size_mb = std::int64_t{1} << 26;

// --- sections ----------------------------------------------------------------------------

bool is_listen_address(const std::string& s) {
  if (s == "localhost")
    return true;
  if (s.find('\0') != std::string::npos)
    return false;
  in6_addr buf{};
  return inet_pton(AF_INET, s.c_str(), &buf) == 1 || inet_pton(AF_INET6, s.c_str(), &buf) == 1;
}

std::string resolve_directory(const std::string& dir, const std::string& base_dir) {
  return (std::filesystem::path(base_dir) / dir).lexically_normal().string();
}

std::optional<server_tls_config> read_server_tls(report& r, const json& j,
                                                 const std::string& path,
                                                 const std::string& base_dir) {
  if (!is_object_at(r, j, path))
    return std::nullopt;
  check_keys(r, j, path, {"cert_file", "key_file"});
  server_tls_config t;
  for (auto [key, file] : {std::pair{"cert_file", &t.cert_file}, {"key_file", &t.key_file}}) {
    if (auto* v = find(j, key)) {
      if (auto name = nonempty_string_at(r, *v, member(path, key)))
        *file = resolve_directory(*name, base_dir);
    } else {
      r.add(member(path, key), "is required",
            "https needs the server's certificate (cert_file, PEM, with its chain) and its key "
            "(key_file, PEM, unencrypted)");
    }
  }
  if (t.cert_file.empty() || t.key_file.empty())
    return std::nullopt;
  return t;
}

server_config read_server(report& r, const json& j, const std::string& path,
                          const std::string& base_dir) {
  server_config s;
  if (!is_object_at(r, j, path))
    return s;
  check_keys(r, j, path, {"listen", "port", "auth_token_env", "auth_token_file", "tls"});
  if (auto* v = find(j, "auth_token_env"))
    if (auto env = env_name_at(r, *v, member(path, "auth_token_env"), "token", "TB_API_TOKEN"))
      s.auth_token_env = *env;
  if (auto* v = find(j, "auth_token_file"))
    if (auto file = nonempty_string_at(r, *v, member(path, "auth_token_file")))
      s.auth_token_file = resolve_directory(*file, base_dir);
  if (find(j, "auth_token_env") && find(j, "auth_token_file"))
    r.add(member(path, "auth_token_file"), "is given together with auth_token_env",
          "give one of them: the token comes from an environment variable or from a file");
  if (auto* v = find(j, "listen")) {
    auto listen = string_at(r, *v, member(path, "listen"));
    if (listen && is_listen_address(*listen))
      s.listen = *listen;
    else if (listen)
      r.add(member(path, "listen"), quote(*listen) + " is not an IP address or \"localhost\"",
            "use an IPv4 or IPv6 literal: 127.0.0.1 keeps the server local, "
            "0.0.0.0 listens on all interfaces");
  }
  if (auto* v = find(j, "port"))
    if (auto port = integer_at(r, *v, member(path, "port"), 0, 65535,
                               "0 picks a free port"))
      s.port = static_cast<std::uint16_t>(*port);
  if (auto* v = find(j, "tls"))
    s.tls = read_server_tls(r, *v, member(path, "tls"), base_dir);
  return s;
}

// 127.0.0.0/8, ::1 (however written), ::ffff:127.x.y.z and localhost reach
// only this machine.
bool is_loopback(const std::string& listen) {
  if (listen == "localhost")
    return true;
  in_addr v4{};
  if (inet_pton(AF_INET, listen.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, listen.c_str(), &v6) != 1)
    return false;
  return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
}

// The API token, webhook secrets and the issues' contents cross the
// network in clear when the server listens beyond loopback without TLS.
void warn_plain_beyond_loopback(report& w, const server_config& s) {
  if (s.tls || is_loopback(s.listen))
    return;
  w.add("$.server.listen",
        quote(s.listen) + " listens beyond this machine in plain http: the API token, webhook "
                          "secrets and the issues' contents would cross the network unencrypted",
        "set server.tls (cert_file and key_file), or listen on 127.0.0.1 behind a TLS "
        "terminator");
}

storage_config read_storage(report& r, const json& j, const std::string& path,
                            const std::string& base_dir) {
  storage_config s;
  s.directory = resolve_directory(s.directory, base_dir);
  if (!is_object_at(r, j, path))
    return s;
  check_keys(r, j, path, {"directory", "map_size_mb"});
  if (auto* v = find(j, "directory")) {
    auto dir = nonempty_string_at(r, *v, member(path, "directory"));
    if (dir && dir->find('\0') != std::string::npos)
      r.add(member(path, "directory"), "must not contain a NUL character");
    else if (dir)
      s.directory = resolve_directory(*dir, base_dir);
  }
  if (auto* v = find(j, "map_size_mb"))
    if (auto mb = integer_at(r, *v, member(path, "map_size_mb"), 16, max_map_size_mb,
                             "the LMDB map size in MiB; 4096 suits most installations"))
      s.map_size_mb = static_cast<std::uint64_t>(*mb);
  return s;
}

log_config read_log(report& r, const json& j, const std::string& path) {
  log_config l;
  if (!is_object_at(r, j, path))
    return l;
  check_keys(r, j, path, {"level"});
  if (auto* v = find(j, "level"))
    if (choice_at(r, *v, member(path, "level"), {"trace", "debug", "info", "warn", "error"}))
      l.level = v->get<std::string>();
  return l;
}

// --- connections ---------------------------------------------------------------------------

connection_config read_connection(report& r, const std::string& name, const json& j,
                                  const std::string& path) {
  connection_config c;
  c.name = name;
  check_name(r, name, path, "connection name");
  if (!is_object_at(r, j, path))
    return c;
  if (auto* v = find(j, "type")) {
    auto type = string_at(r, *v, member(path, "type"));
    if (!type)
      return c;
    c.type = *type;
  }
  // The type decides which other keys are allowed; an unknown type has none.
  if (auto* type = find_tracker_type(c.type))
    c.settings = type->read(r, j, path);
  else
    r.add(member(path, "type"), "unsupported connection type " + quote(c.type),
          "supported types: " + join(tracker_type_names()));
  return c;
}

std::vector<connection_config> read_connections(report& r, const json& top) {
  const std::string path = "$.connections";
  std::vector<connection_config> connections;
  auto* j = find(top, "connections");
  if (!j) {
    r.add(path, "is required",
          "declare at least one connection, e.g. \"a\": {\"type\": \"local\", \"projects\": "
          "[{\"key\": \"DEMO\"}]}");
    return connections;
  }
  if (!is_object_at(r, *j, path))
    return connections;
  if (j->empty())
    r.add(path, "must declare at least one connection",
          "e.g. \"a\": {\"type\": \"local\", \"projects\": [{\"key\": \"DEMO\"}]}");
  // nlohmann's objects are sorted maps, so the vector comes out sorted by name.
  for (const auto& [name, value] : j->items())
    connections.push_back(read_connection(r, name, value, member(path, name)));
  return connections;
}

// --- tasks ------------------------------------------------------------------------------------

std::optional<scope_config> read_scope(report& r, const json& task, const std::string& task_path,
                                       const char* side) {
  const std::string path = member(task_path, side);
  auto* j = find(task, side);
  if (!j) {
    r.add(path, "is required",
          std::string{"every task needs a "} + side
              + ": {\"connection\": \"NAME\", \"project\": \"KEY\"}");
    return std::nullopt;
  }
  if (!is_object_at(r, *j, path))
    return std::nullopt;
  check_keys(r, *j, path, {"connection", "project"});
  auto required_string = [&](const char* key) -> std::optional<std::string> {
    if (auto* v = find(*j, key))
      return string_at(r, *v, member(path, key));
    r.add(member(path, key), "is required");
    return std::nullopt;
  };
  auto connection = required_string("connection");
  auto project = required_string("project");
  if (!connection || !project)
    return std::nullopt;
  return scope_config{*connection, *project};
}

std::vector<std::string> field_names(const local::project& p) {
  std::vector<std::string> names = core_fields();
  for (const auto& f : p.custom_fields)
    names.push_back(f.name);
  return names;
}

bool has_field(const local::project& p, const std::string& name) {
  return is_core_field(name)
         || std::any_of(p.custom_fields.begin(), p.custom_fields.end(),
                        [&](const local::custom_field_def& f) { return f.name == name; });
}

// The project a scope names, when its connection declares its projects (a
// local one); reports a scope that points nowhere.
const local::project* check_scope(report& r, const scope_config& s, const std::string& path,
                                 const std::vector<connection_config>& connections) {
  auto c = std::find_if(connections.begin(), connections.end(),
                        [&](const connection_config& c) { return c.name == s.connection; });
  if (c == connections.end()) {
    std::vector<std::string> names;
    for (const auto& known : connections)
      names.push_back(known.name);
    r.add(member(path, "connection"), "unknown connection " + quote(s.connection),
          names.empty() ? "no connections are configured"
                        : "configured connections: " + join(names));
    return nullptr;
  }
  // An unknown type's settings are not read (its problem is reported).
  auto* local = std::get_if<local::connection_settings>(&c->settings);
  if (!local || !find_tracker_type(c->type))
    return nullptr;
  auto p = std::find_if(local->projects.begin(), local->projects.end(),
                        [&](const local::project& p) { return p.key == s.project; });
  if (p != local->projects.end())
    return &*p;
  std::vector<std::string> keys;
  for (const auto& known : local->projects)
    keys.push_back(known.key);
  r.add(member(path, "project"),
        "connection " + quote(c->name) + " has no project " + quote(s.project),
        keys.empty() ? "declare it under $.connections." + c->name + ".projects"
                     : "projects of " + quote(c->name) + ": " + join(keys));
  return nullptr;
}

std::map<std::string, std::string> read_field_mappings(report& r, const json& j,
                                                       const std::string& path) {
  std::map<std::string, std::string> mappings;
  if (!is_object_at(r, j, path))
    return mappings;
  for (const auto& [from, to] : j.items()) {
    if (from.empty())
      r.add(member(path, from), "the source field name must not be empty");
    else if (auto name = nonempty_string_at(r, to, member(path, from)))
      mappings[from] = *name;
  }
  return mappings;
}

// A mapping must be invertible: two-way tasks map target fields back by it, and
// in either direction two fields landing on one would overwrite each other.
void check_mappings_distinct(report& r, const std::map<std::string, std::string>& mappings,
                             const std::string& path) {
  std::map<std::string, std::string> source_of;
  for (const auto& [from, to] : mappings) {
    auto [first, inserted] = source_of.emplace(to, from);
    if (!inserted)
      r.add(member(path, from), "maps to " + quote(to) + ", which " + quote(first->second)
                                    + " also maps to",
            "map each target field from one source field only");
  }
}

struct task_side {
  const scope_config& scope;
  const local::project* project; // null when its fields are unknown
};

std::string describe(const scope_config& s) {
  return s.connection + "/" + s.project;
}

// Fields of a local project are known, so a mapping can be checked against them.
void check_mappings_against_fields(report& r, const std::map<std::string, std::string>& mappings,
                                   const std::optional<tb::value_mapping>& rules,
                                   const std::string& path, task_side source,
                                   task_side target) {
  // The name a source field no exact entry names syncs under.
  auto kept_name = [&](const std::string& field) {
    auto renamed = rules ? rules->map(field) : std::nullopt;
    return renamed && !renamed->empty() ? *renamed : field;
  };
  for (const auto& [from, to] : mappings) {
    const std::string at = member(path, from);
    if (source.project && !has_field(*source.project, from))
      r.add(at, quote(from) + " is not a field of " + describe(source.scope),
            "fields of " + describe(source.scope) + ": " + join(field_names(*source.project)));
    if (target.project && !has_field(*target.project, to))
      r.add(at, "maps to " + quote(to) + ", which is not a field of " + describe(target.scope),
            "fields of " + describe(target.scope) + ": " + join(field_names(*target.project)));
    // An unmapped source field keeps its name (unless a rule renames it),
    // so it lands on `to` as well.
    if (source.project && to != from && has_field(*source.project, to) && !mappings.count(to)
        && kept_name(to) == to)
      r.add(at, "maps to " + quote(to) + ", which " + describe(source.scope)
                    + " also has and syncs under its own name",
            "map " + quote(to) + " to another name as well, or choose another target");
  }
}

// --- filters and value mappings ---------------------------------------------------

const std::set<std::string>& builtin_variables() {
  static const std::set<std::string> names{"now",           "today",
                                           "task",          "source.connection",
                                           "source.project", "target.connection",
                                           "target.project"};
  return names;
}

bool is_variable_name(const std::string& s) {
  auto word = [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; };
  return !s.empty() && s.size() <= 64
         && (std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')
         && std::all_of(s.begin(), s.end(), word);
}

// $.variables: what ${NAME} stands for in the tasks' filters.
std::map<std::string, std::string> read_variables(report& r, const json& j,
                                                  const std::string& path) {
  std::map<std::string, std::string> variables;
  if (!is_object_at(r, j, path))
    return variables;
  for (const auto& [name, value] : j.items()) {
    const std::string at = member(path, name);
    if (!is_variable_name(name))
      r.add(at, quote(name) + " is not a variable name",
            "a letter or _, then letters, digits, _, . or -; at most 64 characters");
    else if (builtin_variables().count(name))
      r.add(at, "${" + name + "} is built in",
            "choose another name; built in: ${now}, ${today}, ${task}, ${source.connection}, "
            "${source.project}, ${target.connection}, ${target.project}");
    else if (value.is_string())
      variables[name] = value.get<std::string>();
    else if (value.is_number())
      variables[name] = value.dump();
    else
      r.add(at, "must be a string or a number, " + got(value),
            "e.g. \"2026-01-31\" for a date, or 30");
  }
  return variables;
}

std::optional<std::string> environment_variable(const std::string& name) {
  if (const char* v = std::getenv(name.c_str()))
    return std::string{v};
  return std::nullopt;
}

// What a filter of one side may name: the side's fields where they are
// known, the task's built-ins and the configuration's variables.
tb::filter_context filter_context_for(const task_config& t, const local::project* project,
                                      const std::map<std::string, std::string>& variables) {
  tb::filter_context ctx;
  if (project) {
    auto names = field_names(*project);
    ctx.fields.emplace(names.begin(), names.end());
  }
  ctx.variables = variables;
  ctx.variables["task"] = t.name;
  ctx.variables["source.connection"] = t.source.connection;
  ctx.variables["source.project"] = t.source.project;
  ctx.variables["target.connection"] = t.target.connection;
  ctx.variables["target.project"] = t.target.project;
  ctx.environment = environment_variable;
  return ctx;
}

std::optional<tb::filter> read_filter(report& r, const json& j, const std::string& path,
                                      const tb::filter_context& ctx) {
  auto text = nonempty_string_at(r, j, path);
  if (!text)
    return std::nullopt;
  auto compiled = tb::filter::compile(*text, ctx);
  if (auto* problems = std::get_if<std::vector<tb::filter_problem>>(&compiled)) {
    for (const auto& p : *problems)
      r.add(path, "at column " + std::to_string(p.column) + ": " + p.message, p.hint);
    return std::nullopt;
  }
  return std::get<tb::filter>(std::move(compiled));
}

std::map<std::string, std::string> read_value_table(report& r, const json& j,
                                                    const std::string& path) {
  std::map<std::string, std::string> table;
  if (!is_object_at(r, j, path))
    return table;
  for (const auto& [from, to] : j.items())
    if (auto value = string_at(r, to, member(path, from)))
      table[from] = *value;
  return table;
}

std::vector<tb::value_rule> read_value_rules(report& r, const json& j, const std::string& path) {
  std::vector<tb::value_rule> rules;
  if (!is_array_at(r, j, path))
    return rules;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string at = element(path, i);
    if (!is_object_at(r, j[i], at))
      continue;
    check_keys(r, j[i], at, {"match", "to"});
    tb::value_rule rule;
    auto* match = find(j[i], "match");
    auto* to = find(j[i], "to");
    if (!match || !to)
      r.add(at, "needs \"match\" and \"to\"",
            "e.g. {\"match\": \"^P([0-9])$\", \"to\": \"Priority \\\\1\"}");
    if (match)
      if (auto m = nonempty_string_at(r, *match, member(at, "match")))
        rule.match = *m;
    if (to)
      if (auto t = string_at(r, *to, member(at, "to")))
        rule.to = *t;
    rules.push_back(std::move(rule));
  }
  return rules;
}

// Short form: {"New": "Open", ...}, an exact table. Long form, known by any
// of its keys: {"values": {...}, "rules": [...], "unmapped": "pass" |
// "error" | "default", "default": "..."} (a value named so is mapped under
// "values").
std::optional<tb::value_mapping> read_value_mapping(report& r, const json& j,
                                                    const std::string& path) {
  if (!is_object_at(r, j, path))
    return std::nullopt;
  const auto before = r.problems.size();
  auto* values = find(j, "values");
  auto* rules = find(j, "rules");
  tb::value_mapping_spec spec;
  if (!values && !rules && !find(j, "unmapped") && !find(j, "default")) {
    spec.values = read_value_table(r, j, path);
  } else {
    check_keys(r, j, path, {"values", "rules", "unmapped", "default"});
    if (values)
      spec.values = read_value_table(r, *values, member(path, "values"));
    if (rules)
      spec.rules = read_value_rules(r, *rules, member(path, "rules"));
    if (auto* v = find(j, "unmapped")) // choices in the enum's order
      if (auto u = choice_at(r, *v, member(path, "unmapped"), {"pass", "error", "default"}))
        spec.unmapped = static_cast<tb::unmapped_value>(*u);
    if (auto* v = find(j, "default")) {
      if (auto d = string_at(r, *v, member(path, "default")))
        spec.fallback = *d;
      if (spec.unmapped != tb::unmapped_value::fallback)
        r.add(member(path, "default"), "is given, but unmapped values are not given it",
              "add \"unmapped\": \"default\" to write it for values nothing maps");
    }
  }
  // Compiled even after a mistake above, so that its regular expressions'
  // problems come in the same round.
  auto compiled = tb::value_mapping::compile(spec);
  if (auto* problems = std::get_if<std::vector<tb::value_mapping_problem>>(&compiled)) {
    for (const auto& p : *problems)
      r.add(path + "." + p.where, p.message, p.hint);
    return std::nullopt;
  }
  if (r.problems.size() != before)
    return std::nullopt;
  return std::get<tb::value_mapping>(std::move(compiled));
}

// By the source's field name, both directions' mappings.
std::map<std::string, tb::value_mapping> read_value_mappings(report& r, const json& j,
                                                             const std::string& path,
                                                             task_side source) {
  std::map<std::string, tb::value_mapping> mappings;
  if (!is_object_at(r, j, path))
    return mappings;
  for (const auto& [field, spec] : j.items()) {
    const std::string at = member(path, field);
    if (field.empty()) {
      r.add(at, "the field name must not be empty");
      continue;
    }
    // "activity": the time entries' own field, beside the issue's.
    if (source.project && field != "activity" && !has_field(*source.project, field))
      r.add(at, quote(field) + " is not a field of " + describe(source.scope),
            "value mappings are keyed by the source's field name (or \"activity\", the time "
            "entries'); fields of "
              + describe(source.scope) + ": " + join(field_names(*source.project)));
    if (auto m = read_value_mapping(r, spec, at))
      mappings.emplace(field, std::move(*m));
  }
  return mappings;
}

// A two-way task maps target values back: by reverse_value_mappings where
// given, else by the turned-around mapping, which must be one-to-one.
void derive_reverse_mappings(report& r, task_config& t, const json& given,
                             const std::string& path) {
  for (const auto& [field, mapping] : t.value_mappings) {
    if (given.is_object() && given.contains(field))
      continue;
    auto back = mapping.reverse();
    if (auto* why = std::get_if<std::string>(&back))
      r.add(member(member(path, "value_mappings"), field),
            "cannot be turned around for the target-to-source direction: " + *why,
            "give " + member("reverse_value_mappings", field)
              + ": what each target value becomes on the source");
    else
      t.reverse_value_mappings.emplace(field, std::get<tb::value_mapping>(std::move(back)));
  }
}

// field_mappings' "rules" and "reverse_rules" (arrays, where a rename's
// value is a string, so a field named "rules" still maps by name), taken out
// of `names` and compiled now so a regular expression RE2 refuses is a
// problem of `check`.
void read_field_rules(report& r, task_config& t, json& names, const std::string& path) {
  if (!names.is_object())
    return;
  // How many rules the key gives; none when it is absent.
  auto take = [&](const char* key,
                  std::optional<tb::value_mapping>& into) -> std::optional<std::size_t> {
    auto i = names.find(key);
    if (i == names.end() || !i->is_array())
      return std::nullopt;
    const auto at = member(path, key);
    auto rules = read_value_rules(r, *i, at);
    names.erase(i);
    for (std::size_t n = 0; n < rules.size(); ++n)
      if (rules[n].to.empty() && !rules[n].match.empty())
        r.add(member(element(at, n), "to"), "must not be empty: it is the field's new name",
              "e.g. \"\\\\1\" for the first group");
    auto compiled = tb::value_mapping::compile({{}, rules});
    if (auto* problems = std::get_if<std::vector<tb::value_mapping_problem>>(&compiled))
      for (const auto& p : *problems) // p.where: "rules[1].match"
        r.add(at + p.where.substr(std::string_view{"rules"}.size()), p.message, p.hint);
    else if (!rules.empty())
      into = std::get<tb::value_mapping>(std::move(compiled));
    return rules.size();
  };
  auto forward = take("rules", t.field_rules);
  auto reverse = take("reverse_rules", t.reverse_field_rules);
  if (t.dir == direction::two_way && forward.value_or(0) > 0 && !reverse)
    r.add(member(path, "rules"),
          "a two-way task maps target fields back, and rules cannot be inverted",
          "give the way back in " + member(path, "reverse_rules")
            + " (rules over the target's field names)");
  if (t.dir != direction::two_way && reverse)
    r.add(member(path, "reverse_rules"), "is for two-way tasks only (this one is one-way)",
          "remove it, or set \"direction\": \"two-way\"");
}

// For local projects the fields are known: every field a rule renames must
// land on a target field, and no two fields on one.
void check_field_rules_against_fields(report& r, const task_config& t, const std::string& path,
                                      task_side source, task_side target) {
  auto check = [&](const std::optional<tb::value_mapping>& m, const std::string& at,
                   task_side from, task_side to, const std::map<std::string, std::string>& exact,
                   bool inverted) {
    if (!m || !from.project)
      return;
    std::map<std::string, std::string> lands; // target name -> the field that lands there
    for (auto& [from_name, to_name] : exact)
      lands[inverted ? from_name : to_name] = inverted ? to_name : from_name;
    for (auto& field : field_names(*from.project)) {
      bool named = inverted ? std::any_of(exact.begin(), exact.end(),
                                          [&](auto& e) { return e.second == field; })
                            : exact.count(field) > 0;
      auto renamed = m->map(field);
      if (named || !renamed || renamed->empty() || *renamed == field)
        continue;
      if (to.project && !has_field(*to.project, *renamed))
        r.add(at, "renames " + quote(field) + " to " + quote(*renamed) + ", which is not a field of "
                    + describe(to.scope),
              "fields of " + describe(to.scope) + ": " + join(field_names(*to.project)));
      auto [first, inserted] = lands.emplace(*renamed, field);
      if (!inserted)
        r.add(at, "renames " + quote(field) + " to " + quote(*renamed) + ", where "
                    + quote(first->second) + " lands too",
              "map each target field from one source field only");
    }
  };
  check(t.field_rules, member(path, "rules"), source, target, t.field_mappings, false);
  check(t.reverse_field_rules, member(path, "reverse_rules"), target, source, t.field_mappings,
        true);
}

// filter, target_filter, on_filter_exit, value_mappings and
// reverse_value_mappings.
void read_task_rules(report& r, task_config& t, const json& j, const std::string& path,
                     task_side source, task_side target,
                     const std::map<std::string, std::string>& variables) {
  const bool two_way = t.dir == direction::two_way;
  auto two_way_only = [&](const char* key) {
    r.add(member(path, key), "is for two-way tasks only",
          "a one-way task never writes to its source; remove it, or make direction "
          "\"two-way\"");
  };
  if (auto* v = find(j, "filter"))
    t.filter = read_filter(r, *v, member(path, "filter"),
                           filter_context_for(t, source.project, variables));
  if (auto* v = find(j, "target_filter")) {
    if (!two_way)
      two_way_only("target_filter");
    t.target_filter = read_filter(r, *v, member(path, "target_filter"),
                                  filter_context_for(t, target.project, variables));
  }
  if (auto* v = find(j, "on_filter_exit")) // choices in the enum's order
    if (auto e = choice_at(r, *v, member(path, "on_filter_exit"),
                           {"stop", "unlink", "close-twin"}))
      t.on_filter_exit = static_cast<filter_exit>(*e);
  if (auto* v = find(j, "value_mappings"))
    t.value_mappings = read_value_mappings(r, *v, member(path, "value_mappings"), source);
  const json none = json::object();
  auto* reverse = find(j, "reverse_value_mappings");
  if (reverse) {
    if (!two_way)
      two_way_only("reverse_value_mappings");
    t.reverse_value_mappings =
      read_value_mappings(r, *reverse, member(path, "reverse_value_mappings"), source);
  }
  if (two_way)
    derive_reverse_mappings(r, t, reverse ? *reverse : none, path);
}

task_config read_task(report& r, const std::string& name, const json& j, const std::string& path,
                      const std::vector<connection_config>& connections,
                      const std::map<std::string, std::string>& variables) {
  task_config t;
  t.name = name;
  check_name(r, name, path, "task name");
  if (!is_object_at(r, j, path))
    return t;
  check_keys(r, j, path,
             {"source", "target", "direction", "field_mappings", "user_mappings",
              "poll_interval_ms", "poll_overlap_ms", "sweep_interval_ms", "on_conflict",
              "on_deleted", "closed_status", "max_attempts", "webhook_secret_env",
              "time_entries", "filter", "target_filter", "on_filter_exit", "value_mappings",
              "reverse_value_mappings"});

  auto source = read_scope(r, j, path, "source");
  auto target = read_scope(r, j, path, "target");
  const local::project* source_project = nullptr;
  const local::project* target_project = nullptr;
  if (source) {
    t.source = *source;
    source_project = check_scope(r, *source, member(path, "source"), connections);
  }
  if (target) {
    t.target = *target;
    target_project = check_scope(r, *target, member(path, "target"), connections);
  }
  if (source && target && source->connection == target->connection
      && source->project == target->project)
    r.add(member(path, "target"), "is the same project as the source (" + describe(*source) + ")",
          "a task syncs two different projects; change the target's connection or project");

  if (auto* v = find(j, "direction"))
    if (auto d = choice_at(r, *v, member(path, "direction"), {"one-way", "two-way"}))
      t.dir = *d == 0 ? direction::one_way : direction::two_way;
  if (auto* v = find(j, "poll_interval_ms"))
    if (auto ms = integer_at(r, *v, member(path, "poll_interval_ms"), 100, max_poll_ms))
      t.poll_interval = std::chrono::milliseconds{*ms};
  if (auto* v = find(j, "poll_overlap_ms"))
    if (auto ms = integer_at(r, *v, member(path, "poll_overlap_ms"), 0, max_poll_ms))
      t.poll_overlap = std::chrono::milliseconds{*ms};
  for (auto* scope : {&t.source, &t.target})
    for (auto& c : connections)
      if (auto* type = find_tracker_type(c.type); type && c.name == scope->connection)
        scope->sweep_interval = type->default_sweep;
  if (auto* v = find(j, "sweep_interval_ms"))
    if (auto ms = integer_at(r, *v, member(path, "sweep_interval_ms"), 0, max_sweep_ms))
      t.source.sweep_interval = t.target.sweep_interval = std::chrono::milliseconds{*ms};
  if (auto* v = find(j, "webhook_secret_env"))
    if (auto env = env_name_at(r, *v, member(path, "webhook_secret_env"), "secret",
                               "TB_HOOK_SECRET"))
      t.webhook_secret_env = *env;
  if (auto* v = find(j, "on_conflict")) // choices in the enum's order
    if (auto p = choice_at(r, *v, member(path, "on_conflict"),
                           {"newest-wins", "source-wins", "target-wins"}))
      t.on_conflict = static_cast<conflict_policy>(*p);
  if (auto* v = find(j, "on_deleted"))
    if (auto p = choice_at(r, *v, member(path, "on_deleted"), {"unlink", "close-twin"}))
      t.on_deleted = static_cast<deleted_policy>(*p);
  if (auto* v = find(j, "max_attempts"))
    if (auto n = integer_at(r, *v, member(path, "max_attempts"), 1, 1000))
      t.max_attempts = static_cast<unsigned>(*n);
  if (auto* v = find(j, "closed_status"))
    if (auto status = nonempty_string_at(r, *v, member(path, "closed_status")))
      t.closed_status = *status;
  if (auto* v = find(j, "time_entries"))
    if (auto b = bool_at(r, *v, member(path, "time_entries")))
      t.time_entries = *b;

  if (auto* v = find(j, "field_mappings")) {
    const std::string mappings_path = member(path, "field_mappings");
    json names = *v;
    read_field_rules(r, t, names, mappings_path);
    t.field_mappings = read_field_mappings(r, names, mappings_path);
    check_mappings_distinct(r, t.field_mappings, mappings_path);
    check_mappings_against_fields(r, t.field_mappings, t.field_rules, mappings_path,
                                  {t.source, source_project}, {t.target, target_project});
    check_field_rules_against_fields(r, t, mappings_path, {t.source, source_project},
                                     {t.target, target_project});
  }
  // Authors: a source login -> the target login to write as. Like field
  // mappings, they must invert for the way back.
  if (auto* v = find(j, "user_mappings")) {
    const std::string users_path = member(path, "user_mappings");
    t.user_mappings = read_field_mappings(r, *v, users_path);
    check_mappings_distinct(r, t.user_mappings, users_path);
  }
  read_task_rules(r, t, j, path, {t.source, source_project}, {t.target, target_project},
                  variables);
  t.settings = j.dump();
  if (t.filter || t.target_filter)
    t.settings += "\nvariables: " + json(variables).dump();
  return t;
}

std::vector<task_config> read_tasks(report& r, const json& top,
                                    const std::vector<connection_config>& connections,
                                    const std::map<std::string, std::string>& variables) {
  const std::string path = "$.tasks";
  std::vector<task_config> tasks;
  auto* j = find(top, "tasks");
  if (!j) {
    r.add(path, "is required",
          "declare at least one task, e.g. \"a-to-b\": {\"source\": {\"connection\": \"a\", "
          "\"project\": \"DEMO\"}, \"target\": {\"connection\": \"b\", \"project\": \"DEMO\"}}");
    return tasks;
  }
  if (!is_object_at(r, *j, path))
    return tasks;
  if (j->empty())
    r.add(path, "must declare at least one task");
  for (const auto& [name, value] : j->items())
    tasks.push_back(read_task(r, name, value, member(path, name), connections, variables));
  return tasks;
}

config read_config(report& r, report& w, const json& doc, const std::string& base_dir) {
  config c;
  c.storage.directory = resolve_directory(c.storage.directory, base_dir);
  if (!doc.is_object()) {
    r.add("$", "the configuration must be a JSON object, " + got(doc),
          "start from config/examples/quickstart.json");
    return c;
  }
  check_keys(r, doc, "$",
             {"server", "storage", "log", "connections", "tasks", "variables", "notifications"});
  if (auto* v = find(doc, "server"))
    c.server = read_server(r, *v, "$.server", base_dir);
  warn_plain_beyond_loopback(w, c.server);
  if (auto* v = find(doc, "storage"))
    c.storage = read_storage(r, *v, "$.storage", base_dir);
  if (auto* v = find(doc, "log"))
    c.log = read_log(r, *v, "$.log");
  c.connections = read_connections(r, doc);
  if (auto* v = find(doc, "variables"))
    c.variables = read_variables(r, *v, "$.variables");
  c.tasks = read_tasks(r, doc, c.connections, c.variables);
  if (auto* v = find(doc, "notifications")) {
    connection_types connections;
    for (auto& conn : c.connections)
      connections.emplace_back(conn.name, conn.type);
    std::vector<std::string> tasks;
    for (auto& t : c.tasks)
      tasks.push_back(t.name);
    c.notifications =
      read_notifications(r, w, *v, "$.notifications", base_dir, connections, tasks);
  }
  for (const char* key : {"server", "storage", "connections", "notifications"}) {
    auto* v = find(doc, key);
    c.restart_only[key] = v ? v->dump() : "";
  }
  return c;
}

// The whole file, or a problem naming it and the OS's reason.
std::optional<std::string> read_whole_file(report& r, const std::string& path) {
  auto fail = [&](int err) {
    r.add("$", "cannot read config file " + quote(path) + ": " + std::strerror(err),
          "check the path and the file's permissions");
    return std::nullopt;
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{std::fopen(path.c_str(), "rb"),
                                                        &std::fclose};
  if (!file)
    return fail(errno);
  std::string text;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) {
    text.append(buf, n);
    if (text.size() > max_file_bytes) {
      r.add("$", "config file " + quote(path) + " is larger than "
                     + std::to_string(max_file_bytes >> 20) + " MiB",
            "is this the right file?");
      return std::nullopt;
    }
  }
  if (std::ferror(file.get()))
    return fail(errno);
  return text;
}

} // namespace

const connection_config* config::find_connection(const std::string& name) const {
  auto it = std::find_if(connections.begin(), connections.end(),
                         [&](const connection_config& c) { return c.name == name; });
  return it == connections.end() ? nullptr : &*it;
}

load_result parse(const std::string& text, const std::string& base_dir) {
  report r;
  auto doc = checked::parse(r, text, max_nesting, "a TrackBridge config nests about six levels");
  if (!doc)
    return {std::nullopt, std::move(r.problems)};
  report warnings;
  config c = read_config(r, warnings, *doc, base_dir);
  if (!r.problems.empty())
    return {std::nullopt, std::move(r.problems), std::move(warnings.problems)};
  return {std::move(c), {}, std::move(warnings.problems)};
}

load_result load_file(const std::string& path) {
  report r;
  auto text = read_whole_file(r, path);
  if (!text)
    return {std::nullopt, std::move(r.problems)};
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  auto base_dir = (ec ? std::filesystem::path(path) : absolute).parent_path().string();
  return parse(*text, base_dir);
}

std::string format(const problem& p) {
  std::string out = p.path + ": " + p.message;
  if (!p.hint.empty())
    out += " (hint: " + p.hint + ")";
  return out;
}

const char* to_string(direction d) {
  switch (d) {
    case direction::one_way:
      return "one-way";
    case direction::two_way:
      return "two-way";
  }
  return "unknown";
}

const char* to_string(deleted_policy p) {
  return p == deleted_policy::close_twin ? "close-twin" : "unlink";
}

const char* to_string(filter_exit e) {
  switch (e) {
    case filter_exit::stop:
      return "stop";
    case filter_exit::unlink:
      return "unlink";
    case filter_exit::close_twin:
      return "close-twin";
  }
  return "unknown";
}

const char* to_string(conflict_policy p) {
  switch (p) {
    case conflict_policy::newest_wins:
      return "newest-wins";
    case conflict_policy::source_wins:
      return "source-wins";
    case conflict_policy::target_wins:
      return "target-wins";
  }
  return "unknown";
}

} // namespace tb::config
