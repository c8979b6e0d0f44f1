#define CAF_SUITE e2e_cli
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <filesystem>
#include <fstream>

#include "tests/e2e_fixture.hpp"
#include "tests/support/test_pki.hpp"

namespace {

using tb::test::run_cli;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(e2e_cli_tests, e2e_fixture)

CAF_TEST(check_accepts_a_valid_config_with_exit_0) {
  write_config("two-way");
  auto r = run_cli("check --config " + dir.file("config.json"));
  CAF_CHECK_EQUAL(r.exit_code, 0);
  CAF_CHECK(contains(r.output, "valid"));
}

CAF_TEST(check_prints_every_problem_with_its_path_and_exits_2) {
  std::ofstream{dir.file("bad.json")} << R"({
    "server": {"port": 99999, "colour": "blue"},
    "connections": {"a": {"type": "local", "projects": [{"key": "DEMO"}]}},
    "tasks": {"t": {"source": {"connection": "a", "project": "DEMO"},
                    "target": {"connection": "zz", "project": "DEMO"},
                    "direction": "sideways"}}
  })";
  auto r = run_cli("check --config " + dir.file("bad.json"));
  CAF_CHECK_EQUAL(r.exit_code, 2);
  CAF_CHECK(contains(r.output, "$.server.port"));
  CAF_CHECK(contains(r.output, "$.server.colour"));
  CAF_CHECK(contains(r.output, "$.tasks.t.target.connection"));
  CAF_CHECK(contains(r.output, "$.tasks.t.direction"));
  CAF_CHECK(contains(r.output, "hint"));
}

CAF_TEST(check_warns_of_plain_http_beyond_loopback_and_reads_the_servers_tls_files) {
  write_config("one-way");
  auto cfg = json::parse(std::ifstream{dir.file("config.json")});
  cfg["server"]["listen"] = "0.0.0.0";
  std::ofstream{dir.file("config.json")} << cfg.dump(2);
  auto r = run_cli("check --config " + dir.file("config.json"));
  CAF_CHECK_EQUAL(r.exit_code, 0); // valid, with a warning
  CAF_CHECK(contains(r.output, "warning: $.server.listen: \"0.0.0.0\" listens beyond this "
                               "machine in plain http"));
  CAF_CHECK(contains(r.output, "set server.tls"));
  // With a usable pair: no warning.
  tb::test::test_ca ca{"trackbridge", dir.path()};
  auto pair = ca.issue({.common_name = "trackbridge", .dns_names = {"localhost"}}, "server");
  cfg["server"]["tls"] = {{"cert_file", "server.crt"}, {"key_file", "server.key"}};
  std::ofstream{dir.file("config.json")} << cfg.dump(2);
  r = run_cli("check --config " + dir.file("config.json"));
  CAF_CHECK_EQUAL(r.exit_code, 0);
  CAF_CHECK(!contains(r.output, "warning"));
  // An expired one is valid (run serves it), with a warning.
  ca.issue({.common_name = "old", .dns_names = {"localhost"}, .valid_from_s = -7200,
            .valid_until_s = -3600},
           "server");
  r = run_cli("check --config " + dir.file("config.json"));
  CAF_CHECK_EQUAL(r.exit_code, 0);
  CAF_CHECK(contains(r.output, "warning: $.server.tls.cert_file: the certificate CN=old "
                               "(DNS:localhost), valid until "));
  CAF_CHECK(contains(r.output, "has expired: clients will refuse it"));
  // Files `run` could not use make the config invalid, named like the
  // others and all at once: the server's key, an https connection's CA.
  std::ofstream{pair.key} << "not a key\n";
  cfg["connections"]["rm"] = {{"type", "redmine"}, {"url", "https://127.0.0.1:1"},
                              {"api_key_env", "TB_TEST_UNSET_KEY"},
                              {"ca_file", dir.file("no-such-ca.pem")}};
  std::ofstream{dir.file("config.json")} << cfg.dump(2);
  r = run_cli("check --config " + dir.file("config.json"));
  CAF_CHECK_EQUAL(r.exit_code, 2);
  CAF_CHECK(contains(r.output, "$.server.tls.key_file: cannot use " + pair.key + ": "));
  CAF_CHECK(contains(r.output, "$.connections.rm.ca_file: cannot use " + dir.file("no-such-ca.pem")
                                 + ": No such file or directory"));
  CAF_CHECK(contains(r.output, "2 problem(s); nothing was started"));
}

CAF_TEST(run_refuses_an_invalid_config_with_exit_2_and_starts_nothing) {
  std::ofstream{dir.file("broken.json")} << "{ not json";
  auto r = run_cli("run --config " + dir.file("broken.json"));
  CAF_CHECK_EQUAL(r.exit_code, 2);
  CAF_CHECK(contains(r.output, "$"));
}

CAF_TEST(run_on_a_port_in_use_fails_with_a_clear_message) {
  write_config("one-way");
  start();
  // A second server on the same port (and its own data directory).
  auto r = run_cli("run --config " + dir.file("config.json") + " --data-dir " + dir.file("other"));
  CAF_CHECK_EQUAL(r.exit_code, 1);
  CAF_CHECK(contains(r.output, std::to_string(port)));
}

CAF_TEST(a_second_server_on_the_same_data_directory_is_refused_and_the_first_goes_on) {
  write_config("one-way");
  start();
  // Its own port, the same data: it must not start syncing the same tasks.
  auto cfg = nlohmann::json::parse(std::ifstream{dir.file("config.json")});
  cfg["server"]["port"] = tb::test::free_port();
  std::ofstream{dir.file("second.json")} << cfg.dump(2);
  auto r = run_cli("run --config " + dir.file("second.json"));
  CAF_CHECK_EQUAL(r.exit_code, 1);
  CAF_CHECK(contains(r.output, "the storage directory " + dir.file("data")
                                 + " is in use by another running TrackBridge"));
  auto id = create("a", "alice", {{"subject", "Still synced"}});
  CAF_CHECK(eventually([&] { return !twin_of("b", "a/" + id).empty(); }));
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST(a_data_directory_that_is_not_trackbridges_stops_the_start_with_its_name) {
  write_config("one-way");
  std::filesystem::create_directories(dir.file("data"));
  std::ofstream{dir.file("data") + "/data.mdb"} << std::string(8192, 'x');
  auto r = run_cli("run --config " + dir.file("config.json"));
  CAF_CHECK_EQUAL(r.exit_code, 1);
  CAF_CHECK(contains(r.output, "cannot open the storage directory " + dir.file("data")));
}

CAF_TEST(sigterm_stops_the_server_cleanly_with_exit_0) {
  write_config("one-way");
  start();
  CAF_CHECK_EQUAL(stop(), 0);
  CAF_CHECK(contains(server->log(), "stopped"));
}

CAF_TEST(version_and_help_answer) {
  auto v = run_cli("version");
  CAF_CHECK_EQUAL(v.exit_code, 0);
  CAF_CHECK(contains(v.output, "trackbridge "));
  auto h = run_cli("--help");
  CAF_CHECK_EQUAL(h.exit_code, 0);
  CAF_CHECK(contains(h.output, "run"));
  CAF_CHECK(contains(h.output, "check"));
}

CAF_TEST(check_online_explains_an_issue_by_its_filter_and_the_writes_its_twin_would_get) {
  write_config("two-way", 200,
               {{"filter", "status != \"Done\""},
                {"user_mappings", {{"alice", "alice2"}}},
                {"value_mappings",
                 {{"status", {{"New", "Open"}, {"Doing", "Working"}, {"Done", "Closed"}}},
                  {"Severity", {{"values", {{"High", "Low"}}}, {"unmapped", "error"}}}}}});
  start();
  auto kept = create("a", "alice", {{"subject", "Explained"}, {"status", "New"},
                                    {"Severity", "High"}});
  update("a", kept, "bob", {{"status", "Doing"}}, "on it");
  auto left = create("a", "carol", {{"subject", "Left out"}, {"status", "Done"},
                                    {"Severity", "Low"}});
  auto explain = [&](const std::string& what) {
    return run_cli("check --online --config " + dir.file("config.json") + " --explain " + what);
  };
  CAF_CHECK(eventually([&] { return !twin_of("b", "a/" + kept).empty(); }));
  // The embedded trackers' store is the running server's alone.
  auto r = explain("a-b/source/" + kept);
  CAF_CHECK_EQUAL(r.exit_code, 1);
  CAF_CHECK(contains(r.output, "--explain: cannot read connection a, project DEMO: the storage "
                               "directory " + dir.file("data") + " is in use by another running "
                               "TrackBridge"));
  CAF_REQUIRE_EQUAL(stop(), 0);
  r = explain("a-b/source/" + kept);
  CAF_CHECK_EQUAL(r.exit_code, 0);
  CAF_CHECK(contains(r.output, "task a-b, source issue " + kept
                                 + " (connection a, project DEMO): \"Explained\"\n"));
  CAF_CHECK(contains(r.output, "filter: matches (status != \"Done\""));
  CAF_CHECK(contains(r.output, "its twin on connection b, project DEMO would get 2 write(s):\n"));
  CAF_CHECK(contains(r.output, " by alice (written as alice2): creates the twin\n"));
  CAF_CHECK(contains(r.output, "      status: \"\" -> \"Open\"\n"));
  CAF_CHECK(contains(r.output, "      Severity: \"\" -> \"Low\"\n"));
  CAF_CHECK(contains(r.output, "  2. entry "));
  CAF_CHECK(contains(r.output, "      status: \"Open\" -> \"Working\"\n"));
  CAF_CHECK(contains(r.output, "      comment: \"on it\"\n"));
  CAF_CHECK(contains(r.output, "checked against the trackers"));
  if (r.exit_code != 0 || !contains(r.output, "Working"))
    CAF_MESSAGE("check said:\n" << r.output);

  r = explain("a-b/source/" + left);
  CAF_CHECK_EQUAL(r.exit_code, 0);
  CAF_CHECK(contains(r.output, "filter: does not match (status != \"Done\" is false"));
  CAF_CHECK(contains(r.output, "so it is not synced, and nothing is written; were it to match:"));
  CAF_CHECK(contains(r.output, "      refused: Severity: \"Low\" has no value mapping"));
  CAF_CHECK(!contains(r.output, "Closed")); // nothing of the refused entry is shown written

  // What does not fit: said, with exit 1 (cannot be read) or 2 (the request).
  r = explain("a-b/source/999999");
  CAF_CHECK_EQUAL(r.exit_code, 1);
  CAF_CHECK(contains(r.output, "--explain: connection a, issue 999999: "));
  r = explain("nope/source/1");
  CAF_CHECK_EQUAL(r.exit_code, 2);
  CAF_CHECK(contains(r.output, "--explain: no task named \"nope\"; configured tasks: a-b"));
  r = explain("a-b/left/1");
  CAF_CHECK_EQUAL(r.exit_code, 2);
  CAF_CHECK(contains(r.output, "the side must be source or target, not \"left\""));
  r = explain("a-b");
  CAF_CHECK_EQUAL(r.exit_code, 2);
  CAF_CHECK(contains(r.output, "--explain takes TASK/SIDE/ID"));
  // Nothing was written by any of it: the left-out issue still has no twin.
  start();
  CAF_CHECK(twin_of("b", "a/" + left).empty());
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
