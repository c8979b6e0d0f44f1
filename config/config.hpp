#pragma once
// The server's configuration: one JSON file, validated as a whole so that a
// user sees every problem at once, each with its JSON path and a hint.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "adapters/tracker_types.hpp"
#include "config/notifications.hpp"
#include "domain/checked_json.hpp"
#include "domain/filter.hpp"
#include "domain/value_mapping.hpp"

namespace tb::config {

// https for the server: its certificate (with the chain) and key, PEM
// files, relative to the config file; read again on SIGHUP.
struct server_tls_config {
  std::string cert_file;
  std::string key_file;
};

struct server_config {
  std::string listen = "127.0.0.1";
  std::uint16_t port = 8080;
  std::optional<server_tls_config> tls; // none: plain http
  // The API token: from this environment variable, or else from this file
  // (relative to the config file; created with a random token when missing;
  // empty: <storage directory>/api-token, after `run --data-dir`).
  std::string auth_token_env;
  std::string auth_token_file;
};

struct storage_config {
  std::string directory = "data";   // relative paths are relative to the config file
  std::uint64_t map_size_mb = 4096; // LMDB map size
};

struct connection_config {
  std::string name;
  std::string type = "local"; // a tracker type's name (adapters/tracker_types.hpp)
  tracker_settings settings;  // that type's
};

struct scope_config {
  std::string connection;
  std::string project;
  // How often the whole project is re-read for changes a poll by update
  // time cannot see (0: never). Set from the task's sweep_interval_ms, or
  // the tracker type's default.
  std::chrono::milliseconds sweep_interval{0};
};

enum class direction { one_way, two_way };
enum class conflict_policy { newest_wins, source_wins, target_wins };
// What happens to a pair when one of its issues is deleted (or leaves the
// task's project): forget the pair, or also close the surviving issue.
enum class deleted_policy { unlink, close_twin };
// What happens to a linked pair whose issue stops matching its side's
// filter: sync nothing more until it matches again (the link stays),
// forget the pair, or close the twin and forget the pair.
enum class filter_exit { stop, unlink, close_twin };

struct task_config {
  std::string name;
  scope_config source;
  scope_config target;
  direction dir = direction::one_way;
  // source field name -> target field name; fields not named keep their name
  std::map<std::string, std::string> field_mappings;
  // field_mappings' "rules": RE2 renames of the source fields no exact entry
  // names (first match wins, a name none matches keeps it); and its
  // "reverse_rules", the same for a two-way task's way back (rules cannot
  // be inverted). Compiled when read; none: no rules.
  std::optional<tb::value_mapping> field_rules;
  std::optional<tb::value_mapping> reverse_field_rules;
  // source login -> target login; logins not named are written as they are
  std::map<std::string, std::string> user_mappings;
  std::chrono::milliseconds poll_interval{5000};
  std::chrono::milliseconds poll_overlap{2000}; // re-read this much before the watermark
  conflict_policy on_conflict = conflict_policy::newest_wins;
  deleted_policy on_deleted = deleted_policy::unlink;
  // Failed passes of one issue before it is parked: no more automatic retries.
  unsigned max_attempts = 10;
  std::string closed_status = "Closed"; // the status close-twin sets
  // Whether issues' time entries are synced (where both trackers have them).
  bool time_entries = true;
  // The environment variable holding the secret that signs this task's
  // webhooks; empty: the task takes no webhooks.
  std::string webhook_secret_env;
  // Which issues are synced (docs/filters.md): `filter` for the source's
  // issues (source field names), `target_filter` for the target's (two-way
  // tasks only; target field names). None: every issue of the project.
  std::optional<tb::filter> filter;
  std::optional<tb::filter> target_filter;
  filter_exit on_filter_exit = filter_exit::stop;
  // By source field name: what a source value becomes on the target, and
  // (two-way tasks) what a target value becomes on the source, given or
  // derived from the first when it is one-to-one.
  std::map<std::string, tb::value_mapping> value_mappings;
  std::map<std::string, tb::value_mapping> reverse_value_mappings;
  // What decides this task, as read: its JSON and, when it has a filter,
  // the variables a filter may use. A reload (config/reload.hpp) restarts
  // the task when this differs and leaves it running when it does not.
  std::string settings;
};

struct log_config {
  std::string level = "info"; // trace, debug, info, warn, error
};

struct config {
  server_config server;
  storage_config storage;
  std::vector<connection_config> connections;
  std::vector<task_config> tasks;
  log_config log;
  // ${NAME} in filters: the configuration's own variables.
  std::map<std::string, std::string> variables;
  // E-mail about errors and other events; none: no mail.
  std::optional<notifications_config> notifications;
  // The JSON text of the sections a reload cannot change (server, storage,
  // connections, notifications; "" when absent), by key: the running actors, sockets and
  // files are made from them.
  std::map<std::string, std::string> restart_only;

  const connection_config* find_connection(const std::string& name) const;
};

// One validation problem (domain/checked_json.hpp).
using problem = checked::problem;

struct load_result {
  std::optional<config> cfg; // set only when problems is empty
  std::vector<problem> problems;
  // What is valid but probably not meant: the server listening beyond this
  // machine in plain http. `check` prints them, `run` logs them.
  std::vector<problem> warnings = {};
};

// Parses and validates. base_dir resolves a relative storage.directory.
load_result parse(const std::string& text, const std::string& base_dir);
load_result load_file(const std::string& path);

// "$.tasks.demo.direction: must be \"one-way\" or \"two-way\" (hint: ...)"
std::string format(const problem& p);

const char* to_string(direction d);
const char* to_string(conflict_policy p);
const char* to_string(deleted_policy p);
const char* to_string(filter_exit e);

} // namespace tb::config
