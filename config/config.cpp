#include "config/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
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


// --- names -------------------------------------------------------------------------

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
                                   const std::string& path, task_side source,
                                   task_side target) {
  for (const auto& [from, to] : mappings) {
    const std::string at = member(path, from);
    if (source.project && !has_field(*source.project, from))
      r.add(at, quote(from) + " is not a field of " + describe(source.scope),
            "fields of " + describe(source.scope) + ": " + join(field_names(*source.project)));
    if (target.project && !has_field(*target.project, to))
      r.add(at, "maps to " + quote(to) + ", which is not a field of " + describe(target.scope),
            "fields of " + describe(target.scope) + ": " + join(field_names(*target.project)));
    // An unmapped source field keeps its name, so it lands on `to` as well.
    if (source.project && to != from && has_field(*source.project, to) && !mappings.count(to))
      r.add(at, "maps to " + quote(to) + ", which " + describe(source.scope)
                    + " also has and syncs under its own name",
            "map " + quote(to) + " to another name as well, or choose another target");
  }
}

task_config read_task(report& r, const std::string& name, const json& j, const std::string& path,
                      const std::vector<connection_config>& connections) {
  task_config t;
  t.name = name;
  check_name(r, name, path, "task name");
  if (!is_object_at(r, j, path))
    return t;
  check_keys(r, j, path,
             {"source", "target", "direction", "field_mappings", "user_mappings",
              "poll_interval_ms", "poll_overlap_ms", "sweep_interval_ms", "on_conflict",
              "on_deleted", "closed_status", "max_attempts", "webhook_secret_env",
              "time_entries"});

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
    t.field_mappings = read_field_mappings(r, *v, mappings_path);
    check_mappings_distinct(r, t.field_mappings, mappings_path);
    check_mappings_against_fields(r, t.field_mappings, mappings_path,
                                  {t.source, source_project}, {t.target, target_project});
  }
  // Authors: a source login -> the target login to write as. Like field
  // mappings, they must invert for the way back.
  if (auto* v = find(j, "user_mappings")) {
    const std::string users_path = member(path, "user_mappings");
    t.user_mappings = read_field_mappings(r, *v, users_path);
    check_mappings_distinct(r, t.user_mappings, users_path);
  }
  return t;
}

std::vector<task_config> read_tasks(report& r, const json& top,
                                    const std::vector<connection_config>& connections) {
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
    tasks.push_back(read_task(r, name, value, member(path, name), connections));
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
  check_keys(r, doc, "$", {"server", "storage", "log", "connections", "tasks"});
  if (auto* v = find(doc, "server"))
    c.server = read_server(r, *v, "$.server", base_dir);
  warn_plain_beyond_loopback(w, c.server);
  if (auto* v = find(doc, "storage"))
    c.storage = read_storage(r, *v, "$.storage", base_dir);
  if (auto* v = find(doc, "log"))
    c.log = read_log(r, *v, "$.log");
  c.connections = read_connections(r, doc);
  c.tasks = read_tasks(r, doc, c.connections);
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
