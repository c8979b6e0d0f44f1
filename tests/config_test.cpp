#define CAF_SUITE config
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "config/reload.hpp"
#include "config/task_rules.hpp"
#include "tests/support/temp_dir.hpp"

using nlohmann::json;
using namespace tb::config;

namespace {

// A local connection's projects: its settings are the local tracker type's.
const std::vector<tb::local::project>& projects_of(const connection_config& c) {
  return std::get<tb::local::connection_settings>(c.settings).projects;
}

// The smallest config that is valid: two local connections and one task.
json minimal() {
  return json::parse(R"({
    "connections": {
      "a": { "type": "local", "projects": [ { "key": "DEMO" } ] },
      "b": { "type": "local", "projects": [ { "key": "DEMO" } ] }
    },
    "tasks": {
      "a-to-b": { "source": { "connection": "a", "project": "DEMO" },
                  "target": { "connection": "b", "project": "DEMO" } }
    }
  })");
}

// The format's full example, every key set.
json full() {
  return json::parse(R"({
    "server":  { "listen": "127.0.0.1", "port": 9090 },
    "storage": { "directory": "state", "map_size_mb": 512 },
    "log":     { "level": "debug" },
    "connections": {
      "a": { "type": "local",
             "projects": [ { "key": "DEMO",
                             "custom_fields": [ { "name": "Severity", "type": "list", "values": ["Low","Medium","High"] },
                                                { "name": "Customer", "type": "string" } ] } ] },
      "b": { "type": "local",
             "projects": [ { "key": "DEMO",
                             "custom_fields": [ { "name": "Impact", "type": "list", "values": ["Low","Medium","High"] } ] } ] }
    },
    "tasks": {
      "a-to-b": { "source": { "connection": "a", "project": "DEMO" },
                  "target": { "connection": "b", "project": "DEMO" },
                  "direction": "two-way",
                  "field_mappings": { "Severity": "Impact" },
                  "poll_interval_ms": 1000,
                  "poll_overlap_ms": 3000,
                  "sweep_interval_ms": 60000,
                  "webhook_secret_env": "TB_HOOK_SECRET",
                  "on_conflict": "target-wins" }
    }
  })");
}

load_result parse_json(const json& j) {
  return parse(j.dump(), "/etc/trackbridge");
}

std::string listing(const load_result& r) {
  std::string out;
  for (const auto& p : r.problems)
    out += "\n  " + format(p);
  return out.empty() ? " (none)" : out;
}

// True when a problem sits at exactly this path and its message contains the
// fragment; otherwise prints what was reported instead.
bool reports(const load_result& r, const std::string& path, const std::string& fragment = {}) {
  for (const auto& p : r.problems)
    if (p.path == path && p.message.find(fragment) != std::string::npos)
      return !r.cfg;
  CAF_MESSAGE("expected a problem at " << path << " containing \"" << fragment
                                       << "\"; reported:" << listing(r));
  return false;
}

bool reports(const json& j, const std::string& path, const std::string& fragment = {}) {
  return reports(parse_json(j), path, fragment);
}

const problem* problem_at(const load_result& r, const std::string& path) {
  for (const auto& p : r.problems)
    if (p.path == path)
      return &p;
  return nullptr;
}

bool is_valid(const load_result& r) {
  if (r.cfg && r.problems.empty())
    return true;
  CAF_MESSAGE("expected no problems; reported:" << listing(r));
  return false;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary};
  out << text;
}

json& project(json& j, const char* connection, std::size_t i = 0) {
  return j["connections"][connection]["projects"][i];
}

json& task(json& j) {
  return j["tasks"]["a-to-b"];
}

} // namespace

// --- valid configs --------------------------------------------------------------

CAF_TEST(a_full_config_yields_every_value) {
  auto r = parse_json(full());
  CAF_REQUIRE(is_valid(r));
  const auto& c = *r.cfg;
  CAF_CHECK_EQUAL(c.server.listen, "127.0.0.1");
  CAF_CHECK_EQUAL(c.server.port, 9090);
  CAF_CHECK_EQUAL(c.storage.directory, "/etc/trackbridge/state");
  CAF_CHECK_EQUAL(c.storage.map_size_mb, 512u);
  CAF_CHECK_EQUAL(c.log.level, "debug");
  CAF_REQUIRE_EQUAL(c.connections.size(), 2u);
  CAF_CHECK_EQUAL(c.connections[0].name, "a");
  CAF_CHECK_EQUAL(c.connections[0].type, "local");
  CAF_REQUIRE_EQUAL(projects_of(c.connections[0]).size(), 1u);
  const auto& demo = projects_of(c.connections[0])[0];
  CAF_CHECK_EQUAL(demo.key, "DEMO");
  CAF_REQUIRE_EQUAL(demo.custom_fields.size(), 2u);
  CAF_CHECK_EQUAL(demo.custom_fields[0].name, "Severity");
  CAF_CHECK_EQUAL(demo.custom_fields[0].type, "list");
  CAF_CHECK(demo.custom_fields[0].values == (std::vector<std::string>{"Low", "Medium", "High"}));
  CAF_CHECK_EQUAL(demo.custom_fields[1].name, "Customer");
  CAF_CHECK_EQUAL(demo.custom_fields[1].type, "string");
  CAF_CHECK(demo.custom_fields[1].values.empty());
  CAF_CHECK_EQUAL(c.connections[1].name, "b");
  CAF_REQUIRE_EQUAL(c.tasks.size(), 1u);
  const auto& t = c.tasks[0];
  CAF_CHECK_EQUAL(t.name, "a-to-b");
  CAF_CHECK_EQUAL(t.source.connection, "a");
  CAF_CHECK_EQUAL(t.source.project, "DEMO");
  CAF_CHECK_EQUAL(t.target.connection, "b");
  CAF_CHECK_EQUAL(t.target.project, "DEMO");
  CAF_CHECK_EQUAL(to_string(t.dir), std::string{"two-way"});
  CAF_CHECK(t.field_mappings == (std::map<std::string, std::string>{{"Severity", "Impact"}}));
  CAF_CHECK_EQUAL(t.poll_interval.count(), 1000);
  CAF_CHECK_EQUAL(t.poll_overlap.count(), 3000);
  CAF_CHECK_EQUAL(t.source.sweep_interval.count(), 60000);
  CAF_CHECK_EQUAL(t.target.sweep_interval.count(), 60000);
  CAF_CHECK_EQUAL(t.webhook_secret_env, "TB_HOOK_SECRET");
  CAF_CHECK_EQUAL(to_string(t.on_conflict), std::string{"target-wins"});
}

CAF_TEST(omitted_keys_take_their_defaults) {
  auto r = parse_json(minimal());
  CAF_REQUIRE(is_valid(r));
  const auto& c = *r.cfg;
  CAF_CHECK_EQUAL(c.server.listen, "127.0.0.1");
  CAF_CHECK_EQUAL(c.server.port, 8080);
  CAF_CHECK_EQUAL(c.storage.directory, "/etc/trackbridge/data");
  CAF_CHECK_EQUAL(c.storage.map_size_mb, 4096u);
  CAF_CHECK_EQUAL(c.log.level, "info");
  CAF_CHECK(projects_of(c.connections[0])[0].custom_fields.empty());
  const auto& t = c.tasks[0];
  CAF_CHECK(t.dir == direction::one_way);
  CAF_CHECK(t.field_mappings.empty());
  CAF_CHECK_EQUAL(t.poll_interval.count(), 5000);
  CAF_CHECK_EQUAL(t.poll_overlap.count(), 2000);
  CAF_CHECK_EQUAL(t.source.sweep_interval.count(), 0); // the embedded tracker needs none
  CAF_CHECK(t.on_conflict == conflict_policy::newest_wins);
  CAF_CHECK(t.on_deleted == deleted_policy::unlink);
  CAF_CHECK_EQUAL(t.max_attempts, 10u);
  CAF_CHECK_EQUAL(t.closed_status, "Closed");
  CAF_CHECK(t.time_entries);
}

CAF_TEST(time_entries_may_be_left_out_of_a_task) {
  auto j = minimal();
  task(j)["time_entries"] = false;
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK(!r.cfg->tasks[0].time_entries);
  task(j)["time_entries"] = "no";
  CAF_CHECK(reports(parse_json(j), "$.tasks.a-to-b.time_entries", "true or false"));
}

CAF_TEST(on_deleted_close_twin_takes_a_closed_status) {
  auto j = minimal();
  task(j)["on_deleted"] = "close-twin";
  task(j)["closed_status"] = "Rejected";
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK(r.cfg->tasks[0].on_deleted == deleted_policy::close_twin);
  CAF_CHECK_EQUAL(r.cfg->tasks[0].closed_status, "Rejected");
  task(j)["on_deleted"] = "delete";
  task(j)["closed_status"] = "";
  r = parse_json(j);
  CAF_CHECK(reports(r, "$.tasks.a-to-b.on_deleted", R"(must be "unlink" or "close-twin")"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.closed_status", "must not be empty"));
}

CAF_TEST(max_attempts_is_a_count_from_1_to_1000) {
  auto j = minimal();
  task(j)["max_attempts"] = 3;
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK_EQUAL(r.cfg->tasks[0].max_attempts, 3u);
  task(j)["max_attempts"] = 0;
  CAF_CHECK(!is_valid(parse_json(j)));
  task(j)["max_attempts"] = "3";
  CAF_CHECK(!is_valid(parse_json(j)));
}

CAF_TEST(the_api_token_comes_from_a_variable_or_a_file) {
  auto r = parse_json(minimal());
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK(r.cfg->server.auth_token_file.empty()); // run: <data directory>/api-token
  CAF_CHECK(r.cfg->server.auth_token_env.empty());
  auto j = minimal();
  j["server"] = {{"auth_token_env", "TB_API_TOKEN"}};
  r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK_EQUAL(r.cfg->server.auth_token_env, "TB_API_TOKEN");
  CAF_CHECK(r.cfg->server.auth_token_file.empty());
  j["server"] = {{"auth_token_file", "secrets/token"}};
  r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK_EQUAL(r.cfg->server.auth_token_file, "/etc/trackbridge/secrets/token");
  j["server"] = {{"auth_token_file", "t"}, {"auth_token_env", "my token"}};
  r = parse_json(j);
  CAF_CHECK(reports(r, "$.server.auth_token_env", "is not an environment variable name"));
  CAF_CHECK(reports(r, "$.server.auth_token_file", "is given together with auth_token_env"));
}

CAF_TEST(a_redmine_side_is_swept_every_ten_minutes_unless_told_otherwise) {
  auto j = minimal();
  j["connections"]["rm"] = {{"type", "redmine"}, {"url", "http://127.0.0.1:3055"},
                            {"api_key_env", "RM_KEY"}};
  task(j)["target"] = {{"connection", "rm"}, {"project", "demo"}};
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK_EQUAL(r.cfg->tasks[0].source.sweep_interval.count(), 0);
  CAF_CHECK_EQUAL(r.cfg->tasks[0].target.sweep_interval.count(), 600000);
  task(j)["sweep_interval_ms"] = 0;
  r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK_EQUAL(r.cfg->tasks[0].target.sweep_interval.count(), 0);
  task(j)["webhook_secret_env"] = "my secret";
  CAF_CHECK(reports(parse_json(j), "$.tasks.a-to-b.webhook_secret_env",
                    "is not an environment variable name"));
  task(j).erase("webhook_secret_env");
  task(j)["sweep_interval_ms"] = -5;
  CAF_CHECK(reports(parse_json(j), "$.tasks.a-to-b.sweep_interval_ms", "between 0 and"));
}

CAF_TEST(a_connection_type_defaults_to_local_and_a_field_type_to_string) {
  auto j = minimal();
  j["connections"]["a"].erase("type");
  project(j, "a")["custom_fields"] = json::parse(R"([{"name": "Customer"}])");
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK_EQUAL(r.cfg->connections[0].type, "local");
  CAF_CHECK_EQUAL(projects_of(r.cfg->connections[0])[0].custom_fields[0].type, "string");
}

CAF_TEST(connections_and_tasks_come_sorted_by_name) {
  auto j = minimal();
  j["connections"]["0-first"] = j["connections"]["b"];
  j["tasks"]["z-last"] = task(j);
  j["tasks"]["z-last"]["target"]["connection"] = "0-first";
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK_EQUAL(r.cfg->connections[0].name, "0-first");
  CAF_CHECK_EQUAL(r.cfg->connections[2].name, "b");
  CAF_CHECK_EQUAL(r.cfg->tasks[0].name, "a-to-b");
  CAF_CHECK_EQUAL(r.cfg->tasks[1].name, "z-last");
}

CAF_TEST(listen_accepts_ipv4_ipv6_and_localhost_and_port_zero) {
  for (auto listen : {"0.0.0.0", "::1", "::", "fe80::1", "localhost"}) {
    auto j = minimal();
    j["server"] = {{"listen", listen}, {"port", 0}};
    auto r = parse_json(j);
    CAF_CHECK(is_valid(r));
    if (r.cfg)
      CAF_CHECK_EQUAL(r.cfg->server.port, 0);
  }
}

CAF_TEST(server_tls_takes_a_certificate_and_a_key_file_relative_to_the_config) {
  auto j = minimal();
  CAF_CHECK(!parse_json(j).cfg->server.tls);
  j["server"] = {{"tls", {{"cert_file", "tls/server.crt"}, {"key_file", "/keys/server.key"}}}};
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  CAF_REQUIRE(r.cfg->server.tls.has_value());
  auto tls = *r.cfg->server.tls;
  CAF_CHECK_EQUAL(tls.cert_file, "/etc/trackbridge/tls/server.crt");
  CAF_CHECK_EQUAL(tls.key_file, "/keys/server.key");
  j["server"] = {{"tls", {{"cert_file", "server.crt"}, {"ca_file", "x"}}}};
  r = parse_json(j);
  CAF_CHECK(reports(r, "$.server.tls.key_file", "is required"));
  CAF_CHECK(reports(r, "$.server.tls.ca_file", "unknown key"));
  j["server"] = {{"tls", {{"cert_file", ""}, {"key_file", 7}}}};
  r = parse_json(j);
  CAF_CHECK(reports(r, "$.server.tls.cert_file", "must not be empty"));
  CAF_CHECK(reports(r, "$.server.tls.key_file", "must be a string"));
  j["server"] = {{"tls", "server.crt"}};
  CAF_CHECK(reports(parse_json(j), "$.server.tls", "must be an object"));
}

CAF_TEST(listening_beyond_loopback_without_tls_is_a_warning_not_a_problem) {
  for (auto listen : {"0.0.0.0", "::", "192.168.1.10", "fe80::1"}) {
    auto j = minimal();
    j["server"] = {{"listen", listen}};
    auto r = parse_json(j);
    CAF_CHECK(is_valid(r));
    CAF_REQUIRE_EQUAL(r.warnings.size(), 1u);
    auto& w = r.warnings[0];
    CAF_CHECK_EQUAL(w.path, "$.server.listen");
    CAF_CHECK(w.message.find("beyond this machine in plain http") != std::string::npos);
    CAF_CHECK(w.hint.find("set server.tls") != std::string::npos);
    j["server"]["tls"] = {{"cert_file", "c"}, {"key_file", "k"}};
    CAF_CHECK(parse_json(j).warnings.empty());
  }
  for (auto listen : {"127.0.0.1", "127.0.0.2", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1",
                      "localhost"}) {
    auto j = minimal();
    j["server"] = {{"listen", listen}};
    CAF_CHECK(parse_json(j).warnings.empty());
  }
}

CAF_TEST(mappings_may_swap_fields_and_target_core_fields) {
  auto j = full();
  project(j, "b")["custom_fields"].push_back({{"name", "Customer"}});
  task(j)["field_mappings"] = {{"Severity", "priority"}, {"priority", "Impact"},
                               {"Customer", "subject"}, {"subject", "Customer"}};
  CAF_CHECK(is_valid(parse_json(j)));
}

// --- syntax and types -----------------------------------------------------------

CAF_TEST(json_syntax_errors_name_the_position) {
  auto r = parse("{\n  \"server\": { \"port\": 1, }\n}", "");
  CAF_REQUIRE(reports(r, "$", "invalid JSON at byte"));
  CAF_CHECK(r.problems[0].message.find("line 2") != std::string::npos);
  CAF_CHECK(reports(parse("", ""), "$", "invalid JSON"));
  CAF_CHECK(reports(parse("{} trailing", ""), "$", "invalid JSON"));
}

CAF_TEST(a_syntax_error_names_its_line_and_column_and_what_was_expected_never_the_bytes) {
  // The character at fault: the '}' after a trailing comma opens line 3.
  auto comma = parse("{\n  \"log\": {},\n}", "");
  CAF_REQUIRE(reports(comma, "$", "invalid JSON at byte 16 of 16 (line 3, column 1), syntax error"));
  // Cut short: the end of the text is the column after its last character.
  auto cut = parse("{\n  \"log\": ", "");
  CAF_REQUIRE(reports(cut, "$", "(line 2, column 10)"));
  // An invalid literal where a key belongs: what the parser expected stays,
  // the bytes it read go.
  auto literal = parse("{\"log\": {}, tru\xff}", "");
  CAF_REQUIRE(reports(literal, "$", "invalid literal; expected"));
  const auto& said = literal.problems.at(0).message;
  CAF_CHECK_EQUAL(said.find("last read"), std::string::npos);
  CAF_CHECK_EQUAL(said.find('\xff'), std::string::npos);
}

CAF_TEST(the_top_level_must_be_an_object) {
  for (auto text : {"[]", "null", "42", "\"config\""})
    CAF_CHECK(reports(parse(text, ""), "$", "must be a JSON object"));
}

CAF_TEST(unknown_keys_are_errors_with_their_path) {
  auto j = full();
  j["srever"] = json::object();
  j["server"]["prot"] = 1;
  project(j, "a")["custom_fields"][0]["colour"] = "red";
  task(j)["source"]["filter"] = "x";
  task(j)["retries"] = 3;
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.srever", "unknown key \"srever\""));
  CAF_CHECK(reports(r, "$.server.prot", "unknown key \"prot\""));
  CAF_CHECK(reports(r, "$.connections.a.projects[0].custom_fields[0].colour", "unknown key"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.source.filter", "unknown key"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.retries", "unknown key"));
  auto* p = problem_at(r, "$.server.prot");
  CAF_REQUIRE(p != nullptr);
  CAF_CHECK_EQUAL(p->hint, "did you mean \"port\"? allowed keys: listen, port, auth_token_env, "
                           "auth_token_file, tls");
}

CAF_TEST(keys_that_are_not_plain_words_are_bracketed_in_paths) {
  auto j = minimal();
  j["server"]["the port"] = 1;
  j["connections"]["c.d"] = {{"type", "jira"}};
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.server[\"the port\"]", "unknown key"));
  CAF_CHECK(reports(r, "$.connections[\"c.d\"].type", "unsupported connection type \"jira\""));
}

CAF_TEST(values_of_the_wrong_type_are_reported) {
  auto j = minimal();
  j["server"] = {{"listen", 127}, {"port", "8080"}};
  j["storage"] = {{"directory", json::array()}, {"map_size_mb", 64.5}};
  j["log"] = {{"level", nullptr}};
  j["connections"]["b"]["projects"] = json::object();
  task(j)["poll_interval_ms"] = true;
  task(j)["field_mappings"] = json::array();
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.server.listen", "must be a string, got number"));
  CAF_CHECK(reports(r, "$.server.port", "must be an integer between 0 and 65535, got string"));
  CAF_CHECK(reports(r, "$.storage.directory", "must be a string, got array"));
  CAF_CHECK(reports(r, "$.storage.map_size_mb", "must be an integer"));
  CAF_CHECK(reports(r, "$.log.level", "got null"));
  CAF_CHECK(reports(r, "$.connections.b.projects", "must be an array, got object"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.poll_interval_ms", "must be an integer"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.field_mappings", "must be an object, got array"));
}

CAF_TEST(arrays_or_nulls_where_objects_belong_are_reported) {
  auto j = minimal();
  j["server"] = json::array();
  j["storage"] = nullptr;
  j["connections"]["a"] = json::array();
  task(j)["source"] = "a/DEMO";
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.server", "must be an object, got array"));
  CAF_CHECK(reports(r, "$.storage", "must be an object, got null"));
  CAF_CHECK(reports(r, "$.connections.a", "must be an object, got array"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.source", "must be an object, got string"));
  CAF_CHECK(reports(parse(R"({"connections": [], "tasks": []})", ""), "$.tasks", "must be an object"));
}

CAF_TEST(huge_numbers_are_reported_not_wrapped) {
  auto with_port = [](const std::string& port) {
    return parse(R"({"server": {"port": )" + port + R"(}, "connections": {"a": {}}, "tasks": {}})", "");
  };
  CAF_CHECK(reports(with_port("65536"), "$.server.port", "between 0 and 65535"));
  CAF_CHECK(reports(with_port("-1"), "$.server.port", "between 0 and 65535"));
  CAF_CHECK(reports(with_port("18446744073709551615"), "$.server.port", "between 0 and 65535"));
  CAF_CHECK(reports(with_port("18446744073709551616"), "$.server.port", "must be an integer"));
  CAF_CHECK(reports(with_port("-9223372036854775809"), "$.server.port", "must be an integer"));
  CAF_CHECK(reports(with_port("1e400"), "$", "invalid JSON"));
  auto j = minimal();
  j["storage"]["map_size_mb"] = std::numeric_limits<std::uint64_t>::max();
  CAF_CHECK(reports(j, "$.storage.map_size_mb", "between 16 and"));
}

CAF_TEST(input_that_is_not_utf8_is_reported_in_printable_text) {
  auto r = parse("{\"log\": {\"level\": \"\xff\xfe\"}}", "");
  CAF_REQUIRE(reports(r, "$", "invalid JSON"));
  auto text = format(r.problems[0]);
  CAF_CHECK(std::none_of(text.begin(), text.end(), [](char c) { return c < 0x20 || c > 0x7e; }));
}

CAF_TEST(deeply_nested_input_is_refused_without_a_crash) {
  auto text = std::string(100000, '[') + std::string(100000, ']');
  CAF_CHECK(reports(parse(text, ""), "$", "nested deeper than"));
  auto j = minimal();
  j["log"]["level"] = json::parse(std::string(60, '[') + std::string(60, ']'));
  CAF_CHECK(reports(j, "$.log.level", "got array"));
}

CAF_TEST(duplicate_json_keys_are_errors) {
  auto r = parse(R"({"connections": {"a": {}, "a": {"type": "local"}},
                     "tasks": {"t": {"source": {}, "target": {}}},
                     "server": {"port": 1, "port": 2},
                     "log": [{"x": 1, "x": 2}]})",
                 "");
  CAF_CHECK(reports(r, "$.connections.a", "duplicate key \"a\""));
  CAF_CHECK(reports(r, "$.server.port", "duplicate key"));
  CAF_CHECK(reports(r, "$.log[0].x", "duplicate key"));
}

// --- values ---------------------------------------------------------------------

CAF_TEST(listen_must_be_an_ip_literal_or_localhost) {
  for (auto listen : {"", "example.org", "127.0.0.1:80", "256.1.1.1", "127.1", "::1%lo"}) {
    auto j = minimal();
    j["server"]["listen"] = listen;
    auto r = parse_json(j);
    CAF_CHECK(reports(r, "$.server.listen", "is not an IP address"));
    if (auto* p = problem_at(r, "$.server.listen"))
      CAF_CHECK(p->hint.find("127.0.0.1") != std::string::npos);
  }
  auto j = minimal();
  j["server"]["listen"] = std::string("127.0.0.1\0evil", 14);
  CAF_CHECK(reports(j, "$.server.listen", "is not an IP address"));
}

CAF_TEST(numbers_outside_their_ranges_are_reported) {
  auto j = minimal();
  j["storage"]["map_size_mb"] = 15;
  task(j)["poll_interval_ms"] = 99;
  task(j)["poll_overlap_ms"] = -1;
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.storage.map_size_mb", "between 16 and"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.poll_interval_ms", "between 100 and 86400000"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.poll_overlap_ms", "between 0 and 86400000"));
  task(j)["poll_interval_ms"] = 86400001;
  task(j)["poll_overlap_ms"] = 86400001;
  r = parse_json(j);
  CAF_CHECK(reports(r, "$.tasks.a-to-b.poll_interval_ms", "between 100 and 86400000"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.poll_overlap_ms", "between 0 and 86400000"));
  j = minimal();
  j["storage"]["map_size_mb"] = 16;
  task(j)["poll_interval_ms"] = 100;
  task(j)["poll_overlap_ms"] = 0;
  CAF_CHECK(is_valid(parse_json(j)));
}

CAF_TEST(enumerated_values_must_be_one_of_their_choices) {
  auto j = minimal();
  j["log"]["level"] = "verbose";
  task(j)["direction"] = "both";
  task(j)["on_conflict"] = "last-wins";
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.log.level", R"(must be "trace", "debug", "info", "warn" or "error")"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.direction", R"(must be "one-way" or "two-way", got "both")"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.on_conflict",
                    R"(must be "newest-wins", "source-wins" or "target-wins")"));
}

CAF_TEST(storage_directory_must_not_be_empty) {
  auto j = minimal();
  j["storage"]["directory"] = "";
  CAF_CHECK(reports(j, "$.storage.directory", "must not be empty"));
}

CAF_TEST(names_and_project_keys_must_be_url_safe) {
  auto j = minimal();
  j["connections"]["bad name"] = {{"type", "local"}};
  j["connections"]["-dash"] = {{"type", "local"}};
  j["connections"][std::string(65, 'x')] = {{"type", "local"}};
  j["tasks"]["a/b"] = task(j);
  j["connections"]["b"]["projects"].push_back({{"key", "SP ACE"}});
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.connections[\"bad name\"]", "invalid connection name"));
  CAF_CHECK(reports(r, "$.connections.-dash", "invalid connection name"));
  CAF_CHECK(reports(r, "$.connections[\"" + std::string(65, 'x') + "\"]",
                    "invalid connection name"));
  CAF_CHECK(reports(r, "$.tasks[\"a/b\"]", "invalid task name"));
  CAF_CHECK(reports(r, "$.connections.b.projects[1].key", "invalid project key \"SP ACE\""));
  j = minimal();
  j["connections"]["x_1.prod-2"] = j["connections"]["b"];
  CAF_CHECK(is_valid(parse_json(j)));
}

CAF_TEST(unknown_connection_types_are_refused_without_noise_about_their_keys) {
  auto j = minimal();
  j["connections"]["b"]["type"] = "jira";
  j["connections"]["b"]["url"] = "https://example.org"; // no noise for the unknown type's keys
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.connections.b.type", "unsupported connection type \"jira\""));
  CAF_CHECK_EQUAL(r.problems.size(), 1u);
  if (auto* p = problem_at(r, "$.connections.b.type"))
    CAF_CHECK_EQUAL(p->hint, "supported types: local, redmine");
}

CAF_TEST(connections_and_tasks_are_required_and_not_empty) {
  auto r = parse("{}", "");
  CAF_CHECK(reports(r, "$.connections", "is required"));
  CAF_CHECK(reports(r, "$.tasks", "is required"));
  r = parse(R"({"connections": {}, "tasks": {}})", "");
  CAF_CHECK(reports(r, "$.connections", "at least one connection"));
  CAF_CHECK(reports(r, "$.tasks", "at least one task"));
}

CAF_TEST(a_task_needs_a_source_and_a_target_with_connection_and_project) {
  auto j = minimal();
  task(j).erase("source");
  task(j)["target"].erase("project");
  task(j)["target"]["connection"] = 7;
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.tasks.a-to-b.source", "is required"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.target.project", "is required"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.target.connection", "must be a string"));
}

// --- references between sections ----------------------------------------------

CAF_TEST(a_task_naming_an_unknown_connection_lists_the_known_ones) {
  auto j = minimal();
  task(j)["target"]["connection"] = "c";
  auto r = parse_json(j);
  CAF_REQUIRE(reports(r, "$.tasks.a-to-b.target.connection", "unknown connection \"c\""));
  CAF_CHECK_EQUAL(problem_at(r, "$.tasks.a-to-b.target.connection")->hint,
                  "configured connections: a, b");
}

CAF_TEST(a_task_naming_an_undeclared_project_lists_the_declared_ones) {
  auto j = minimal();
  j["connections"]["a"]["projects"].push_back({{"key", "OTHER"}});
  task(j)["source"]["project"] = "NOPE";
  auto r = parse_json(j);
  CAF_REQUIRE(reports(r, "$.tasks.a-to-b.source.project", "has no project \"NOPE\""));
  CAF_CHECK_EQUAL(problem_at(r, "$.tasks.a-to-b.source.project")->hint,
                  "projects of \"a\": DEMO, OTHER");
}

CAF_TEST(source_and_target_must_differ) {
  auto j = minimal();
  task(j)["target"]["connection"] = "a";
  CAF_CHECK(reports(j, "$.tasks.a-to-b.target", "same project as the source (a/DEMO)"));
  j["connections"]["a"]["projects"].push_back({{"key", "OTHER"}});
  task(j)["target"]["project"] = "OTHER";
  CAF_CHECK(is_valid(parse_json(j)));
}

CAF_TEST(project_keys_and_custom_field_names_must_be_unique) {
  auto j = full();
  j["connections"]["b"]["projects"].push_back({{"key", "DEMO"}});
  project(j, "a")["custom_fields"].push_back({{"name", "Severity"}});
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.connections.b.projects[1].key", "duplicate project key \"DEMO\""));
  CAF_CHECK(reports(r, "$.connections.a.projects[0].custom_fields[2].name",
                    "duplicate custom field \"Severity\""));
}

CAF_TEST(custom_fields_may_not_take_core_field_names) {
  auto j = minimal();
  project(j, "a")["custom_fields"] = json::parse(R"([{"name": "status"}, {"name": "Status"}])");
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.connections.a.projects[0].custom_fields[0].name",
                    "\"status\" is a core field name"));
  CAF_CHECK(problem_at(r, "$.connections.a.projects[0].custom_fields[1].name") == nullptr);
}

CAF_TEST(list_values_belong_to_list_fields_only) {
  auto j = minimal();
  project(j, "a")["custom_fields"] = json::parse(R"([
    {"name": "A", "type": "list"},
    {"name": "B", "type": "list", "values": []},
    {"name": "C", "type": "string", "values": ["x"]},
    {"name": "D", "values": ["x"]},
    {"name": "E", "type": "number"},
    {"name": "F", "type": "list", "values": ["x", 1, "", "x"]},
    {"type": "string"}
  ])");
  auto r = parse_json(j);
  const std::string fields = "$.connections.a.projects[0].custom_fields";
  CAF_CHECK(reports(r, fields + "[0].values", "needs at least one value"));
  CAF_CHECK(reports(r, fields + "[1].values", "needs at least one value"));
  CAF_CHECK(reports(r, fields + "[2].values", "only list fields have values"));
  CAF_CHECK(reports(r, fields + "[3].values", "only list fields have values"));
  CAF_CHECK(reports(r, fields + "[4].type", R"(must be "string" or "list")"));
  CAF_CHECK(reports(r, fields + "[5].values[1]", "must be a string"));
  CAF_CHECK(reports(r, fields + "[5].values[2]", "must not be empty"));
  CAF_CHECK(reports(r, fields + "[5].values[3]", "duplicate value \"x\""));
  CAF_CHECK(reports(r, fields + "[6].name", "is required"));
}

CAF_TEST(field_mapping_values_must_be_strings) {
  auto j = full();
  task(j)["field_mappings"] = {{"Severity", 3}, {"Customer", ""}};
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.tasks.a-to-b.field_mappings.Severity", "must be a string, got number"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.field_mappings.Customer", "must not be empty"));
}

CAF_TEST(two_fields_mapped_onto_one_are_reported_in_either_direction) {
  for (auto dir : {"one-way", "two-way"}) {
    auto j = full();
    task(j)["direction"] = dir;
    task(j)["field_mappings"] = {{"Customer", "Impact"}, {"Severity", "Impact"}};
    auto r = parse_json(j);
    CAF_CHECK(reports(r, "$.tasks.a-to-b.field_mappings.Severity",
                      "maps to \"Impact\", which \"Customer\" also maps to"));
  }
}

CAF_TEST(a_mapping_onto_a_field_that_keeps_its_own_name_is_reported) {
  auto j = full();
  project(j, "a")["custom_fields"].push_back({{"name", "Impact"}});
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.tasks.a-to-b.field_mappings.Severity",
                    "which a/DEMO also has and syncs under its own name"));
}

CAF_TEST(mapped_fields_must_exist_in_their_local_projects) {
  auto j = full();
  task(j)["field_mappings"] = {{"Colour", "Impact"}, {"Customer", "Client"}};
  auto r = parse_json(j);
  CAF_REQUIRE(reports(r, "$.tasks.a-to-b.field_mappings.Colour", "\"Colour\" is not a field of a/DEMO"));
  CAF_CHECK_EQUAL(problem_at(r, "$.tasks.a-to-b.field_mappings.Colour")->hint,
                  "fields of a/DEMO: subject, description, status, priority, assignee, tracker, category, version, start_date, due_date, done_ratio, estimated_hours, parent, private, "
                  "Severity, Customer");
  CAF_REQUIRE(reports(r, "$.tasks.a-to-b.field_mappings.Customer",
                      "maps to \"Client\", which is not a field of b/DEMO"));
  CAF_CHECK_EQUAL(problem_at(r, "$.tasks.a-to-b.field_mappings.Customer")->hint,
                  "fields of b/DEMO: subject, description, status, priority, assignee, tracker, category, version, start_date, due_date, done_ratio, estimated_hours, parent, private, Impact");
}

CAF_TEST(every_problem_is_reported_at_once) {
  auto j = full();
  j["server"]["port"] = 70000;
  j["log"]["level"] = "loud";
  j["connections"]["b"]["type"] = "ftp";
  task(j)["direction"] = "sideways";
  task(j)["source"]["connection"] = "nowhere";
  task(j)["colour"] = "blue";
  auto r = parse_json(j);
  CAF_CHECK(!r.cfg);
  CAF_CHECK(reports(r, "$.server.port"));
  CAF_CHECK(reports(r, "$.log.level"));
  CAF_CHECK(reports(r, "$.connections.b.type"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.direction"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.source.connection"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.colour"));
  CAF_CHECK_EQUAL(r.problems.size(), 6u);
}

// --- files ------------------------------------------------------------------------

CAF_TEST(the_shipped_examples_load_without_problems) {
  // Every file there: an example added later is checked without a test edit.
  std::size_t examples = 0;
  for (auto& entry : std::filesystem::directory_iterator{std::string{TB_SOURCE_DIR} + "/config/examples"}) {
    if (entry.path().extension() != ".json")
      continue;
    ++examples;
    auto path = entry.path().string();
    CAF_MESSAGE("loading " << path);
    auto r = load_file(path);
    CAF_CHECK(is_valid(r));
  }
  CAF_CHECK_GREATER_OR_EQUAL(examples, 4u);
  auto quickstart = load_file(std::string{TB_SOURCE_DIR} + "/config/examples/quickstart.json");
  CAF_REQUIRE(quickstart.cfg);
  CAF_CHECK_EQUAL(quickstart.cfg->storage.directory,
                  std::string{TB_SOURCE_DIR} + "/config/examples/data/quickstart");
  CAF_REQUIRE_EQUAL(quickstart.cfg->tasks.size(), 1u);
  CAF_CHECK(quickstart.cfg->tasks[0].dir == direction::two_way);
  CAF_CHECK_EQUAL(quickstart.cfg->tasks[0].poll_interval.count(), 500);
}

CAF_TEST(a_relative_storage_directory_resolves_against_the_config_file) {
  tb::test::temp_dir dir;
  auto j = minimal();
  j["storage"]["directory"] = "state/../db";
  write_file(dir.file("trackbridge.json"), j.dump());
  auto r = load_file(dir.file("trackbridge.json"));
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK_EQUAL(r.cfg->storage.directory, dir.path() + "/db");
  j["storage"]["directory"] = "/var/lib/trackbridge";
  write_file(dir.file("trackbridge.json"), j.dump());
  r = load_file(dir.file("trackbridge.json"));
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK_EQUAL(r.cfg->storage.directory, "/var/lib/trackbridge");
}

CAF_TEST(a_file_that_cannot_be_read_is_a_located_problem) {
  tb::test::temp_dir dir;
  auto missing = dir.file("missing.json");
  auto r = load_file(missing);
  CAF_REQUIRE_EQUAL(r.problems.size(), 1u);
  CAF_CHECK(!r.cfg);
  CAF_CHECK_EQUAL(r.problems[0].path, "$");
  CAF_CHECK(r.problems[0].message.find(missing) != std::string::npos);
  CAF_CHECK(r.problems[0].message.find("No such file or directory") != std::string::npos);
  r = load_file(dir.path());
  CAF_CHECK(reports(r, "$", "Is a directory"));
}

// --- the small helpers ----------------------------------------------------------------

CAF_TEST(a_problem_formats_as_path_message_and_hint) {
  CAF_CHECK_EQUAL(format({"$.tasks.t.direction", "must be \"one-way\" or \"two-way\"", "see docs"}),
                  "$.tasks.t.direction: must be \"one-way\" or \"two-way\" (hint: see docs)");
  CAF_CHECK_EQUAL(format({"$.server", "must be an object", ""}), "$.server: must be an object");
}

CAF_TEST(enums_print_as_their_config_words) {
  CAF_CHECK_EQUAL(to_string(direction::one_way), std::string{"one-way"});
  CAF_CHECK_EQUAL(to_string(direction::two_way), std::string{"two-way"});
  CAF_CHECK_EQUAL(to_string(conflict_policy::newest_wins), std::string{"newest-wins"});
  CAF_CHECK_EQUAL(to_string(conflict_policy::source_wins), std::string{"source-wins"});
  CAF_CHECK_EQUAL(to_string(conflict_policy::target_wins), std::string{"target-wins"});
}

CAF_TEST(find_connection_finds_by_name) {
  auto r = parse_json(minimal());
  CAF_REQUIRE(is_valid(r));
  auto* b = r.cfg->find_connection("b");
  CAF_REQUIRE(b != nullptr);
  CAF_CHECK_EQUAL(b->name, "b");
  CAF_CHECK(r.cfg->find_connection("c") == nullptr);
}

CAF_TEST(a_redmine_connection_reads_its_url_key_variable_and_limits) {
  auto j = minimal();
  j["connections"]["rm"] = {{"type", "redmine"},
                            {"url", "http://127.0.0.1:3055"},
                            {"api_key_env", "RM_KEY"},
                            {"max_in_flight", 8},
                            {"act_as_author", false},
                            {"timeout_ms", 2500},
                            {"max_answer_mib", 200}};
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  auto* rm = r.cfg->find_connection("rm");
  CAF_REQUIRE(rm != nullptr);
  CAF_CHECK_EQUAL(rm->type, "redmine");
  auto* c = std::get_if<tb::redmine::connection_settings>(&rm->settings);
  CAF_REQUIRE(c != nullptr);
  CAF_CHECK_EQUAL(c->http.timeout.count(), 2500);
  CAF_CHECK_EQUAL(c->http.max_answer_mib, 200u);
  CAF_CHECK_EQUAL(c->http.url, "http://127.0.0.1:3055");
  CAF_CHECK_EQUAL(c->api_key_env, "RM_KEY");
  CAF_CHECK_EQUAL(c->http.max_in_flight, 8u);
  CAF_CHECK(!c->act_as_author);
}

CAF_TEST(an_https_redmine_connection_reads_its_ca_and_client_certificate_files) {
  auto j = minimal();
  j["connections"]["rm"] = {{"type", "redmine"},
                            {"url", "https://redmine.example.org"},
                            {"api_key_env", "RM_KEY"},
                            {"ca_file", "/etc/trackbridge/ca.pem"},
                            {"client_cert_file", "/etc/trackbridge/tb.crt"},
                            {"client_key_file", "/etc/trackbridge/tb.key"}};
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  auto* c = std::get_if<tb::redmine::connection_settings>(&r.cfg->find_connection("rm")->settings);
  CAF_REQUIRE(c != nullptr);
  CAF_CHECK_EQUAL(c->http.tls.ca_file, "/etc/trackbridge/ca.pem");
  CAF_CHECK_EQUAL(c->http.tls.client_cert_file, "/etc/trackbridge/tb.crt");
  CAF_CHECK_EQUAL(c->http.tls.client_key_file, "/etc/trackbridge/tb.key");
  // With none of them, the system's store is trusted and no certificate shown.
  j["connections"]["rm"] = {
    {"type", "redmine"}, {"url", "https://redmine.example.org"}, {"api_key_env", "RM_KEY"}};
  auto plain = parse_json(j);
  CAF_REQUIRE(is_valid(plain));
  auto* d = std::get_if<tb::redmine::connection_settings>(
    &plain.cfg->find_connection("rm")->settings);
  CAF_CHECK_EQUAL(d->http.tls.ca_file, "");
}

CAF_TEST(tls_files_are_refused_where_they_cannot_apply) {
  auto j = minimal();
  j["connections"]["rm"] = {{"type", "redmine"},
                            {"url", "https://redmine.example.org"},
                            {"api_key_env", "RM_KEY"},
                            {"client_cert_file", "/etc/trackbridge/tb.crt"},
                            {"ca_file", ""}};
  CAF_CHECK(reports(j, "$.connections.rm.client_key_file", "is required with client_cert_file"));
  CAF_CHECK(reports(j, "$.connections.rm.ca_file", "must not be empty"));
  j["connections"]["rm"] = {{"type", "redmine"},
                            {"url", "http://127.0.0.1:3055"},
                            {"api_key_env", "RM_KEY"},
                            {"ca_file", "/etc/trackbridge/ca.pem"}};
  CAF_CHECK(reports(j, "$.connections.rm.ca_file", "is used only with an https:// URL"));
  j["connections"]["rm"].erase("ca_file");
  j["connections"]["rm"]["ca_fle"] = "/etc/trackbridge/ca.pem";
  CAF_CHECK(reports(j, "$.connections.rm.ca_fle", "unknown key"));
}

CAF_TEST(a_connection_reads_its_proxy_and_the_variable_with_its_credentials) {
  auto j = minimal();
  j["connections"]["rm"] = {{"type", "redmine"},
                            {"url", "https://redmine.example.org"},
                            {"api_key_env", "RM_KEY"},
                            {"proxy", "http://proxy.corp.example:3128"},
                            {"proxy_auth_env", "TB_PROXY_AUTH"}};
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  auto* c = std::get_if<tb::redmine::connection_settings>(&r.cfg->find_connection("rm")->settings);
  CAF_REQUIRE(c != nullptr);
  CAF_CHECK_EQUAL(c->http.proxy, "http://proxy.corp.example:3128");
  CAF_CHECK_EQUAL(c->http.proxy_auth_env, "TB_PROXY_AUTH");
  j["connections"]["rm"]["proxy"] = "https://proxy.corp.example:3128";
  j["connections"]["rm"]["proxy_auth_env"] = "tb:secret";
  CAF_CHECK(reports(j, "$.connections.rm.proxy", "must be an http:// URL"));
  CAF_CHECK(reports(j, "$.connections.rm.proxy_auth_env", "is not an environment variable name"));
  j["connections"]["rm"].erase("proxy");
  j["connections"]["rm"]["proxy_auth_env"] = "TB_PROXY_AUTH";
  CAF_CHECK(reports(j, "$.connections.rm.proxy_auth_env", "is used only with proxy"));
}

CAF_TEST(a_redmine_connection_needs_a_url_and_a_key_variable_never_a_key) {
  auto j = minimal();
  j["connections"]["rm"] = {{"type", "redmine"}, {"projects", json::array()}};
  CAF_CHECK(reports(j, "$.connections.rm.url", "is required"));
  CAF_CHECK(reports(j, "$.connections.rm.api_key_env", "is required"));
  CAF_CHECK(reports(j, "$.connections.rm.projects", "unknown key"));
  j["connections"]["rm"] = {{"type", "redmine"},
                            {"url", "ftp://x"},
                            {"api_key_env", "0f3c9a-not-a-name"},
                            {"max_in_flight", 0},
                            {"act_as_author", "yes"},
                            {"max_answer_mib", 0}};
  CAF_CHECK(reports(j, "$.connections.rm.url", "must be an http:// or https:// URL"));
  CAF_CHECK(reports(j, "$.connections.rm.api_key_env", "is not an environment variable name"));
  CAF_CHECK(reports(j, "$.connections.rm.max_in_flight", "between 1 and 64"));
  CAF_CHECK(reports(j, "$.connections.rm.act_as_author", "must be true or false"));
  CAF_CHECK(reports(j, "$.connections.rm.max_answer_mib", "between 1 and 4096"));
}

CAF_TEST(a_task_may_use_a_redmine_project_it_cannot_check_until_it_runs) {
  auto j = minimal();
  j["connections"]["rm"] = {
    {"type", "redmine"}, {"url", "http://127.0.0.1:3055"}, {"api_key_env", "RM_KEY"}};
  j["tasks"]["a-to-b"]["target"] = {{"connection", "rm"}, {"project", "alpha"}};
  CAF_CHECK(is_valid(parse_json(j)));
}

CAF_TEST(user_mappings_are_read_and_must_invert) {
  auto j = minimal();
  j["tasks"]["a-to-b"]["user_mappings"] = {{"alice", "asmith"}, {"bob", "bjones"}};
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  CAF_CHECK_EQUAL(r.cfg->tasks[0].user_mappings.at("alice"), "asmith");
  j["tasks"]["a-to-b"]["user_mappings"] = {{"alice", "same"}, {"bob", "same"}};
  CAF_CHECK(reports(j, "$.tasks.a-to-b.user_mappings.bob", "also maps to"));
  j["tasks"]["a-to-b"]["user_mappings"] = {{"alice", 7}};
  CAF_CHECK(reports(j, "$.tasks.a-to-b.user_mappings.alice", "must be a string"));
}

// --- filters and value mappings -----------------------------------------------

CAF_TEST(a_filter_is_compiled_with_the_task_builtins_and_the_configs_variables) {
  auto j = full();
  j["variables"] = {{"since", "2026-01-31"}, {"limit", 3}};
  task(j)["filter"] = "Severity in (\"High\") and updated >= ${since} and subject = "
                      "${source.project}";
  task(j)["target_filter"] = "Impact = \"High\"";
  task(j)["on_filter_exit"] = "close-twin";
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  auto& t = r.cfg->tasks[0];
  CAF_REQUIRE(t.filter && t.target_filter);
  CAF_CHECK_EQUAL(r.cfg->variables.at("limit"), "3");
  CAF_CHECK(t.on_filter_exit == filter_exit::close_twin);
  tb::issue i;
  i.fields = {{"Severity", "High"}, {"subject", "DEMO"}};
  i.updated = 1'800'000'000'000; // 2027
  CAF_CHECK(t.filter->matches(i, i.updated));
  i.fields["subject"] = "OTHER";
  CAF_CHECK(!t.filter->matches(i, i.updated));
  CAF_CHECK(std::string{to_string(t.on_filter_exit)} == "close-twin");
}

CAF_TEST(filter_mistakes_are_problems_at_the_filters_path_with_their_column) {
  auto j = full();
  task(j)["filter"] = "Severity = ";
  CAF_CHECK(reports(j, "$.tasks.a-to-b.filter", "at column 12: "));
  // The source's fields are known: a target field is not one of them.
  task(j)["filter"] = "Impact = \"High\"";
  CAF_CHECK(reports(j, "$.tasks.a-to-b.filter", "Impact"));
  task(j)["filter"] = "Severity ~ \"(\"";
  CAF_CHECK(reports(j, "$.tasks.a-to-b.filter", "at column 10: the regular expression"));
  task(j)["filter"] = "updated > ${since}";
  CAF_CHECK(reports(j, "$.tasks.a-to-b.filter", "undefined variable ${since}"));
  task(j)["filter"] = "Severity = ${env:TB_TEST_UNSET_VARIABLE_42}";
  CAF_CHECK(reports(j, "$.tasks.a-to-b.filter", "is not set"));
  task(j)["filter"] = 7;
  CAF_CHECK(reports(j, "$.tasks.a-to-b.filter", "must be a string"));
}

CAF_TEST(a_target_filter_and_reverse_mappings_are_for_two_way_tasks_only) {
  auto j = minimal();
  task(j)["target_filter"] = "status = \"New\"";
  task(j)["reverse_value_mappings"] = {{"status", {{"Open", "New"}}}};
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.tasks.a-to-b.target_filter", "two-way tasks only"));
  CAF_CHECK(reports(r, "$.tasks.a-to-b.reverse_value_mappings", "two-way tasks only"));
  task(j).erase("target_filter");
  task(j).erase("reverse_value_mappings");
  task(j)["on_filter_exit"] = "forget";
  CAF_CHECK(reports(j, "$.tasks.a-to-b.on_filter_exit", "\"stop\""));
}

CAF_TEST(variables_need_plain_names_that_are_not_built_in_and_plain_values) {
  auto j = minimal();
  j["variables"] = {{"now", "x"}, {"source.project", "x"}, {"1st", "x"}, {"list", {1, 2}}};
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.variables.now", "is built in"));
  CAF_CHECK(reports(r, "$.variables[\"source.project\"]", "is built in"));
  CAF_CHECK(reports(r, "$.variables.1st", "is not a variable name"));
  CAF_CHECK(reports(r, "$.variables.list", "must be a string or a number"));
}

CAF_TEST(field_mappings_take_rules_with_captures_beside_exact_names) {
  auto j = full(); // two-way: a has Severity, Customer; b has Impact
  project(j, "a")["custom_fields"].push_back({{"name", "Legacy Region"}});
  project(j, "b")["custom_fields"].push_back({{"name", "Region"}});
  project(j, "b")["custom_fields"].push_back({{"name", "rules"}});
  task(j)["field_mappings"] = json::parse(R"x({
    "Severity": "Impact", "Customer": "rules",
    "rules": [{"match": "^Legacy (.*)$", "to": "\\1"}],
    "reverse_rules": [{"match": "^Region$", "to": "Legacy Region"}]
  })x");
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  auto& t = r.cfg->tasks[0];
  // A rename's value is a string, the rules are arrays: "rules" as a
  // field's new name is still a name.
  CAF_CHECK(t.field_mappings
            == (std::map<std::string, std::string>{{"Customer", "rules"}, {"Severity", "Impact"}}));
  auto rules = rules_of(t);
  CAF_CHECK(rules[0].map("Legacy Region") == "Region");
  CAF_CHECK(rules[0].map("Severity") == "Impact"); // exact names first
  CAF_CHECK(rules[0].map("status") == "status");   // no rule matches: its own name
  CAF_CHECK(rules[1].map("Region") == "Legacy Region");
  CAF_CHECK(rules[1].map("Impact") == "Severity"); // exact names invert
  CAF_CHECK(rules[1].map("rules") == "Customer");
}

CAF_TEST(a_field_a_rule_renames_does_not_land_where_an_exact_mapping_writes) {
  // a has Severity and Impact; Severity becomes Impact by name, and a's own
  // Impact is renamed by a rule: nothing lands on b's Impact twice.
  auto j = full();
  task(j)["direction"] = "one-way";
  project(j, "a")["custom_fields"].push_back({{"name", "Impact"}});
  project(j, "b")["custom_fields"].push_back({{"name", "Old impact"}});
  task(j)["field_mappings"] = json::parse(R"x({
    "Severity": "Impact",
    "rules": [{"match": "^Impact$", "to": "Old impact"}, {"match": "^Customer$", "to": "Impact2"}]
  })x");
  project(j, "b")["custom_fields"].push_back({{"name", "Impact2"}});
  auto r = parse_json(j);
  CAF_CHECK(is_valid(r));
  // Without the rule for Impact, a's Impact keeps its name and lands on
  // b's Impact beside Severity: a problem.
  task(j)["field_mappings"]["rules"].erase(0);
  CAF_CHECK(reports(j, "$.tasks.a-to-b.field_mappings.Severity", "also has and syncs under its own name"));
}

CAF_TEST(field_mapping_rule_mistakes_are_problems_at_their_place) {
  const std::string at = "$.tasks.a-to-b.field_mappings";
  {
    auto j = full(); // two-way
    task(j)["field_mappings"] = json::parse(R"x({
      "rules": [{"match": "(", "to": "x"}, {"match": "^a$", "to": ""}, {"to": "y"}]
    })x");
    auto r = parse_json(j);
    CAF_CHECK(reports(r, at + ".rules[0].match", "is not valid"));
    CAF_CHECK(reports(r, at + ".rules[1].to", "must not be empty"));
    CAF_CHECK(reports(r, at + ".rules[2]", "needs \"match\" and \"to\""));
    CAF_CHECK(reports(r, at + ".rules", "rules cannot be inverted"));
  }
  {
    auto j = full();
    task(j)["direction"] = "one-way";
    task(j)["field_mappings"] = json::parse(R"x({
      "rules": [{"match": "^(Sev)erity$", "to": "\\1"}, {"match": "^Cust(omer)$", "to": "Impact"}],
      "reverse_rules": [{"match": "x", "to": "y"}]
    })x");
    auto r = parse_json(j);
    CAF_CHECK(reports(r, at + ".reverse_rules", "is for two-way tasks only"));
    // Local projects' fields are known: where each renamed field lands.
    CAF_CHECK(reports(r, at + ".rules",
                      "renames \"Severity\" to \"Sev\", which is not a field of b/DEMO"));
    CAF_CHECK(!reports(r, at + ".rules", "renames \"Customer\" to \"Impact\", which is not"));
  }
  {
    auto j = full();
    task(j)["direction"] = "one-way";
    task(j)["field_mappings"] = json::parse(R"x({
      "rules": [{"match": "^(Severity|Customer)$", "to": "Impact"}]
    })x");
    auto r = parse_json(j);
    CAF_CHECK(reports(r, at + ".rules", "renames \"Customer\" to \"Impact\", where \"Severity\" lands too"));
  }
}

CAF_TEST(value_mappings_take_a_table_or_rules_and_map_source_values) {
  auto j = minimal();
  task(j)["value_mappings"] = json::parse(R"x({
    "status": {"New": "Open", "Closed": "Done"},
    "priority": {"values": {"Urgent": "P1"},
                 "rules": [{"match": "^P([0-9])$", "to": "Priority \\1"}],
                 "unmapped": "default", "default": "Normal"}
  })x");
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  auto& m = r.cfg->tasks[0].value_mappings;
  CAF_REQUIRE_EQUAL(m.size(), 2u);
  CAF_CHECK_EQUAL(m.at("status").map("New").value_or("?"), "Open");
  CAF_CHECK_EQUAL(m.at("priority").map("P3").value_or("?"), "Priority 3");
  CAF_CHECK_EQUAL(m.at("priority").map("Urgent").value_or("?"), "P1");
  CAF_CHECK_EQUAL(m.at("priority").map("whatever").value_or("?"), "Normal");
  // One-way: nothing maps back.
  CAF_CHECK(r.cfg->tasks[0].reverse_value_mappings.empty());
}

CAF_TEST(the_time_entries_activity_may_be_mapped_beside_the_issue_fields) {
  auto j = full(); // a/DEMO has no field named activity: it is the time entries'
  task(j)["value_mappings"] = {{"activity", {{"Design", "Planning"}}}};
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  auto mapped = r.cfg->tasks[0].value_mappings.at("activity").map("Design").value_or("?");
  CAF_CHECK_EQUAL(mapped, "Planning");
}

CAF_TEST(value_mapping_mistakes_are_problems_at_their_place) {
  auto j = full(); // DEMO of a has Severity and Customer
  task(j)["value_mappings"] = json::parse(R"x({
    "Severity": {"rules": [{"match": "(", "to": "x"}, {"match": "^a$", "to": "\\2"},
                           {"to": "y"}]},
    "Impact": {"Low": "Minor"},
    "status": {"New": 1},
    "Customer": {"values": {}, "unmapped": "drop", "default": "x"}
  })x");
  auto r = parse_json(j);
  const std::string at = "$.tasks.a-to-b.value_mappings";
  CAF_CHECK(reports(r, at + ".Severity.rules[0].match", "is not valid"));
  CAF_CHECK(reports(r, at + ".Severity.rules[1].to", "\\2"));
  CAF_CHECK(reports(r, at + ".Severity.rules[2]", "needs \"match\" and \"to\""));
  CAF_CHECK(reports(r, at + ".Impact", "is not a field of a/DEMO"));
  CAF_CHECK(reports(r, at + ".status.New", "must be a string"));
  CAF_CHECK(reports(r, at + ".Customer.unmapped", "\"error\""));
  CAF_CHECK(reports(r, at + ".Customer.default", "unmapped values are not given it"));
}

CAF_TEST(a_two_way_task_derives_one_to_one_reverses_and_asks_for_the_others) {
  auto j = full(); // two-way, Severity -> Impact
  task(j)["value_mappings"] = json::parse(R"({
    "Severity": {"Low": "Minor", "High": "Major"},
    "status": {"New": "Open", "Reopened": "Open"}
  })");
  auto r = parse_json(j);
  CAF_CHECK(reports(r, "$.tasks.a-to-b.value_mappings.status",
                    "\"Open\" is what both \"New\" and \"Reopened\" become"));
  auto* p = problem_at(r, "$.tasks.a-to-b.value_mappings.status");
  CAF_REQUIRE(p);
  CAF_CHECK(p->hint.find("reverse_value_mappings.status") != std::string::npos);
  task(j)["reverse_value_mappings"] = {{"status", {{"Open", "New"}}}};
  r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  auto& back = r.cfg->tasks[0].reverse_value_mappings;
  CAF_CHECK_EQUAL(back.at("Severity").map("Major").value_or("?"), "High");
  CAF_CHECK_EQUAL(back.at("status").map("Open").value_or("?"), "New");
}

// --- reloads ---------------------------------------------------------------------

namespace {

tb::config::config valid(const json& j) {
  auto r = parse_json(j);
  CAF_REQUIRE(is_valid(r));
  return *r.cfg;
}

} // namespace

CAF_TEST(a_reload_plan_compares_each_task_by_what_decides_it) {
  auto running_json = minimal();
  task(running_json)["filter"] = "priority = ${level}";
  running_json["variables"] = {{"level", "High"}};
  running_json["tasks"]["other"] = {{"source", {{"connection", "b"}, {"project", "DEMO"}}},
                                    {"target", {{"connection", "a"}, {"project", "DEMO"}}}};
  auto running = valid(running_json);

  // The same text written otherwise (key order, spacing): nothing changed.
  auto same = parse(R"({"tasks": {"other": {"target": {"project": "DEMO", "connection": "a"},
                                             "source": {"connection": "b", "project": "DEMO"}},
                                  "a-to-b": {"filter": "priority = ${level}",
                                             "target": {"connection": "b", "project": "DEMO"},
                                             "source": {"connection": "a", "project": "DEMO"}}},
                        "variables": {"level": "High"},
                        "connections": {"b": {"projects": [{"key": "DEMO"}], "type": "local"},
                                        "a": {"type": "local", "projects": [{"key": "DEMO"}]}}})",
                    "/etc/trackbridge");
  CAF_REQUIRE(is_valid(same));
  auto unchanged = plan_reload(running, *same.cfg);
  CAF_CHECK(unchanged.problems.empty());
  CAF_CHECK_EQUAL(unchanged.unchanged, (std::vector<std::string>{"a-to-b", "other"}));

  // A variable its filter uses changes the filtered task only; a task
  // goes, one comes.
  auto next_json = running_json;
  next_json["variables"]["level"] = "Low";
  next_json["tasks"].erase("other");
  next_json["tasks"]["third"] = {{"source", {{"connection", "a"}, {"project", "DEMO"}}},
                                 {"target", {{"connection", "b"}, {"project", "DEMO"}}},
                                 {"poll_interval_ms", 1000}};
  auto plan = plan_reload(running, valid(next_json));
  CAF_CHECK(plan.problems.empty());
  CAF_CHECK_EQUAL(plan.changed, (std::vector<std::string>{"a-to-b"}));
  CAF_CHECK_EQUAL(plan.added, (std::vector<std::string>{"third"}));
  CAF_CHECK_EQUAL(plan.removed, (std::vector<std::string>{"other"}));
  CAF_CHECK(plan.unchanged.empty());
}

CAF_TEST(a_reload_cannot_change_the_server_the_storage_or_the_connections) {
  auto running = valid(minimal());
  auto next = minimal();
  next["server"] = {{"port", 9091}};
  next["storage"] = {{"directory", "elsewhere"}};
  project(next, "b")["custom_fields"] = json::array({{{"name", "Customer"}}});
  next["log"] = {{"level", "debug"}}; // this one may
  auto plan = plan_reload(running, valid(next));
  std::vector<std::string> paths;
  for (auto& p : plan.problems)
    paths.push_back(p.path);
  CAF_CHECK_EQUAL(paths, (std::vector<std::string>{"$.server", "$.storage", "$.connections"}));
  CAF_REQUIRE(!plan.problems.empty());
  CAF_CHECK_EQUAL(plan.problems[0].message,
                  "changed; a reload changes tasks, variables and log only");
  CAF_CHECK_EQUAL(plan.unchanged, (std::vector<std::string>{"a-to-b"}));
}

// --- notifications -----------------------------------------------------------------

namespace {

json with_notifications(const json& n) {
  auto j = minimal();
  j["connections"]["rm"] = {{"type", "redmine"}, {"url", "http://127.0.0.1:3055"},
                            {"api_key_env", "TB_RM_KEY"}};
  j["notifications"] = n;
  return j;
}

} // namespace

CAF_TEST(notifications_name_an_smtp_server_and_who_gets_which_events) {
  auto r = parse_json(with_notifications(json::parse(R"({
    "smtp": {"host": "mail.example.org", "port": 587, "security": "starttls", "user": "tb",
             "password_env": "TB_SMTP_PASSWORD", "from": "trackbridge@example.org",
             "ca_file": "ca.pem"},
    "interval_s": 60, "max_per_hour": 30, "api_url": "https://sync.example.org:8443/",
    "rules": [
      {"events": ["error", "parked"], "tasks": ["a-to-b"],
       "to": ["ops@example.org", {"connection": "rm", "project": "alpha", "role": "Manager"}]},
      {"events": ["connection-down", "connection-back"], "to": ["oncall@example.org"]}
    ]})")));
  CAF_REQUIRE(is_valid(r));
  CAF_REQUIRE(r.cfg->notifications.has_value());
  auto& n = *r.cfg->notifications;
  CAF_CHECK_EQUAL(n.smtp.host, "mail.example.org");
  CAF_CHECK_EQUAL(n.smtp.port, 587u);
  CAF_CHECK(n.smtp.security == smtp_security::starttls);
  CAF_CHECK_EQUAL(n.smtp.password_env, "TB_SMTP_PASSWORD");
  CAF_CHECK_EQUAL(n.smtp.ca_file, "/etc/trackbridge/ca.pem");
  CAF_CHECK_EQUAL(n.interval.count(), 60);
  CAF_CHECK_EQUAL(n.max_per_hour, 30u);
  CAF_CHECK_EQUAL(n.api_url, "https://sync.example.org:8443");
  CAF_REQUIRE_EQUAL(n.rules.size(), 2u);
  CAF_CHECK(n.rules[0].events == (std::set<tb::notice_kind>{tb::notice_kind::error_item,
                                                             tb::notice_kind::parked}));
  CAF_CHECK(n.rules[0].tasks == (std::vector<std::string>{"a-to-b"}));
  CAF_CHECK(n.rules[0].addresses == (std::vector<std::string>{"ops@example.org"}));
  CAF_CHECK(n.rules[0].roles == (std::vector<role_recipient>{{"rm", "alpha", "Manager",
                                                        "$.notifications.rules[0].to[1]"}}));
  CAF_CHECK(n.rules[1].tasks.empty()); // every task
  // Without notifications: none.
  auto none = parse_json(minimal());
  CAF_REQUIRE(is_valid(none));
  CAF_CHECK(!none.cfg->notifications);
}

CAF_TEST(notification_mistakes_are_problems_at_their_place) {
  auto r = parse_json(with_notifications(json::parse(R"({
    "smtp": {"security": "ssl", "user": "tb", "from": "not an address"},
    "interval_s": 1,
    "rules": [
      {"events": ["errors"], "tasks": ["a-to-c"], "to": []},
      {"events": ["error"], "to": ["ops@example", {"connection": "a", "project": "DEMO", "role": "Manager"},
                                   {"connection": "nope", "project": "p"}, 7]}
    ]})")));
  const std::string at = "$.notifications";
  CAF_CHECK(reports(r, at + ".smtp.security", "must be"));
  CAF_CHECK(reports(r, at + ".smtp.password_env", "is required with user"));
  CAF_CHECK(reports(r, at + ".smtp.from", "\"not an address\" is not an e-mail address"));
  CAF_CHECK(reports(r, at + ".interval_s"));
  CAF_CHECK(reports(r, at + ".rules[0].events[0]", "\"errors\" is not an event"));
  CAF_CHECK(reports(r, at + ".rules[0].tasks[0]", "\"a-to-c\" is not a configured task"));
  CAF_CHECK(reports(r, at + ".rules[0].to", "must name at least one recipient"));
  CAF_CHECK(reports(r, at + ".rules[1].to[0]", "\"ops@example\" is not an e-mail address"));
  CAF_CHECK(reports(r, at + ".rules[1].to[1].connection", "is a local connection, which has no roles"));
  CAF_CHECK(reports(r, at + ".rules[1].to[2].connection", "names no configured connection"));
  CAF_CHECK(reports(r, at + ".rules[1].to[2].role", "is required"));
  CAF_CHECK(reports(r, at + ".rules[1].to[3]", "must be an e-mail address or a role"));
  for (auto& p : r.problems)
    if (p.path == at + ".rules[0].events[0]")
      CAF_CHECK(p.hint.find("did you mean \"error\"?") != std::string::npos);
}

CAF_TEST(a_password_over_plain_smtp_beyond_this_machine_is_a_warning) {
  auto r = parse_json(with_notifications(json::parse(R"({
    "smtp": {"host": "mail.example.org", "security": "none", "user": "tb",
             "password_env": "TB_SMTP_PASSWORD", "from": "tb@example.org"},
    "rules": [{"events": ["error"], "to": ["ops@example.org"]}]})")));
  CAF_REQUIRE(is_valid(r));
  CAF_REQUIRE_EQUAL(r.warnings.size(), 1u);
  CAF_CHECK_EQUAL(r.warnings[0].path, "$.notifications.smtp.security");
  CAF_CHECK(tb::config::is_mail_address("a.b+c@mail.example.org"));
  CAF_CHECK(!tb::config::is_mail_address("a@b@c.org"));
  CAF_CHECK(!tb::config::is_mail_address("Ops <ops@example.org>"));
}
