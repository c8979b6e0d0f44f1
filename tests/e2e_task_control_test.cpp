#define CAF_SUITE e2e_task_control
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <algorithm>
#include <sstream>

#include "domain/time.hpp"
#include "tests/e2e_fixture.hpp"

namespace {

struct fixture : e2e_fixture {
  json task() { return call("GET", "/api/v1/tasks/a-b"); }

  tb::test::http_reply post(const std::string& target, const std::string& body = "") {
    return api_call("POST", target, body);
  }

  // The task's log messages, oldest first.
  std::vector<std::string> log_messages() {
    std::vector<std::string> out;
    auto entries = call("GET", "/api/v1/log?task=a-b&limit=1000")["entries"];
    for (auto& e : entries)
      out.push_back(e["message"].get<std::string>());
    return out;
  }

  // The log is written in batches (every 200 ms): looked for until it shows.
  bool logged_starting(const std::string& prefix) {
    return eventually([&] {
      auto all = log_messages();
      return std::any_of(all.begin(), all.end(), [&](auto& m) { return m.rfind(prefix, 0) == 0; });
    });
  }

  // The resync or initial sync shown now has finished.
  bool progress_finished() {
    auto p = task()["progress"];
    return p.is_object() && !p["finished"].is_null();
  }

  // A config whose task a-b syncs project `source_project` of a into DEMO of b.
  void write_config_from(const std::string& source_project, int poll_ms) {
    auto project = [](const char* key) { return json{{"key", key}}; };
    json cfg = {
      {"server", {{"listen", "127.0.0.1"}, {"port", port}}},
      {"storage", {{"directory", dir.file("data")}}},
      {"connections",
       {{"a", {{"type", "local"}, {"projects", {project("DEMO"), project("OTHER")}}}},
        {"b", {{"type", "local"}, {"projects", {project("DEMO")}}}}}},
      {"tasks",
       {{"a-b",
         {{"source", {{"connection", "a"}, {"project", source_project}}},
          {"target", {{"connection", "b"}, {"project", "DEMO"}}},
          {"poll_interval_ms", poll_ms}}}}}};
    std::ofstream{dir.file("config.json")} << cfg.dump(2);
  }
};

// Copies: CAF's checks keep references, which must not point into temporaries.
std::string text(const nlohmann::json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

std::uint64_t number(const nlohmann::json& j) {
  return j.is_number() ? j.get<std::uint64_t>() : 999999;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(e2e_task_control_tests, fixture)

CAF_TEST(a_stopped_task_syncs_nothing_keeps_pushed_changes_queued_across_a_restart_until_started) {
  write_config("one-way");
  start();
  auto first = create("a", "alice", {{"subject", "Before the stop"}});
  CAF_REQUIRE(eventually([&] { return !twin_of("b", "a/" + first).empty(); }));
  auto stopped = post("/api/v1/tasks/a-b/stop");
  CAF_REQUIRE_EQUAL(stopped.status, 200);
  auto state = text(stopped.json()["state"]);
  CAF_CHECK(state == "stopped" || state == "stopping");
  CAF_REQUIRE(eventually([&] { return text(task()["state"]) == "stopped"; }));
  // A change pushed while stopped (sync-now, as a webhook would) is queued.
  auto later = create("a", "alice", {{"subject", "While stopped"}});
  CAF_REQUIRE_EQUAL(post("/api/v1/tasks/a-b/issues/source/" + later + "/sync").status, 202);
  CAF_CHECK_EQUAL(number(task()["backlog"]), 1u);
  // Still queued, and still stopped, after a restart: nothing synced it.
  CAF_REQUIRE_EQUAL(stop(), 0);
  start();
  CAF_CHECK_EQUAL(text(task()["state"]), "stopped");
  CAF_CHECK_EQUAL(number(task()["backlog"]), 1u);
  CAF_CHECK(twin_of("b", "a/" + later).empty());
  CAF_CHECK(logged_starting("stopped (since before the restart)"));
  auto started = post("/api/v1/tasks/a-b/start");
  CAF_REQUIRE_EQUAL(started.status, 200);
  // Running once it checked what both projects take, which it may still do.
  state = text(started.json()["state"]);
  CAF_CHECK(state == "checking" || state == "running");
  CAF_CHECK(eventually([&] { return text(task()["state"]) == "running"; }));
  CAF_CHECK(eventually([&] { return !twin_of("b", "a/" + later).empty(); }));
  CAF_CHECK(eventually([&] { return number(task()["backlog"]) == 0; }));
  // Polling goes on too.
  auto polled = create("a", "alice", {{"subject", "After the start"}});
  CAF_CHECK(eventually([&] { return !twin_of("b", "a/" + polled).empty(); }));
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST(task_commands_that_do_not_apply_answer_409_with_the_reason) {
  write_config("one-way");
  start();
  CAF_REQUIRE_EQUAL(post("/api/v1/tasks/a-b/stop").status, 200);
  CAF_REQUIRE(eventually([&] { return text(task()["state"]) == "stopped"; }));
  for (auto [command, why] :
       {std::pair{"pause", "cannot pause: the task is stopped; start it (it then syncs), or leave "
                           "it stopped"},
        std::pair{"resume", "cannot resume: the task is stopped, not paused; start it instead"}}) {
    auto r = post(std::string{"/api/v1/tasks/a-b/"} + command);
    CAF_CHECK_EQUAL(r.status, 409);
    auto body = r.json();
    CAF_CHECK_EQUAL(text(body["error"]["message"]), why);
    CAF_CHECK_EQUAL(text(body["error"]["where"]), "task a-b");
  }
  auto resync = post("/api/v1/tasks/a-b/resync", R"({"since":"2026-01-01T00:00:00Z"})");
  CAF_CHECK_EQUAL(resync.status, 409);
  auto resync_body = resync.json();
  CAF_CHECK_EQUAL(text(resync_body["error"]["message"]),
                  "cannot resync: the task is stopped; start it first");
  CAF_CHECK_EQUAL(post("/api/v1/tasks/a-b/stop").status, 200); // already stopped: as asked
  CAF_REQUIRE_EQUAL(post("/api/v1/tasks/a-b/start").status, 200);
  CAF_REQUIRE_EQUAL(post("/api/v1/tasks/a-b/pause").status, 200);
  auto start_paused = post("/api/v1/tasks/a-b/start");
  CAF_CHECK_EQUAL(start_paused.status, 409);
  auto start_body = start_paused.json();
  CAF_CHECK_EQUAL(text(start_body["error"]["message"]),
                  "cannot start: the task is paused, not stopped; resume it instead");
  CAF_CHECK_EQUAL(post("/api/v1/tasks/a-b/resume").status, 200);
  // The errors every route shares.
  for (auto command : {"start", "stop", "pause", "resume", "resync"}) {
    auto path = std::string{"/api/v1/tasks/"};
    CAF_CHECK_EQUAL(post(path + "nope/" + command, R"({"since":"2026-01-01T00:00:00Z"})").status,
                    404);
    CAF_CHECK_EQUAL(api_call("GET", path + "a-b/" + command).status, 405);
    CAF_CHECK_EQUAL(post(path + "a-b/" + command + "?now=1", "{}").status, 400);
    CAF_CHECK_EQUAL(tb::test::http_call("POST", port, path + "a-b/" + command).status, 401);
  }
  CAF_CHECK_EQUAL(text(task()["state"]), "running");
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST(a_resync_with_a_bad_body_answers_400_naming_the_problem) {
  write_config("one-way");
  start();
  auto expect_400 = [&](const std::string& body, const std::string& where,
                        const std::string& message_start) {
    auto r = post("/api/v1/tasks/a-b/resync", body);
    CAF_CHECK_EQUAL(r.status, 400);
    if (r.status != 400)
      return;
    auto j = r.json();
    auto message = text(j["error"]["message"]);
    CAF_CHECK_EQUAL(text(j["error"]["where"]), where);
    CAF_CHECK_EQUAL(message.substr(0, message_start.size()), message_start);
  };
  expect_400("{\"since\":", "request body", "malformed JSON: ");
  expect_400("[]", "request body", "the body must be a JSON object");
  expect_400("{}", "request body, key since", "since is required");
  expect_400(R"({"since":17})", "request body, key since", "since is required");
  expect_400(R"({"since":"yesterday"})", "request body, key since",
             "'yesterday' is not an RFC 3339 time");
  expect_400(R"({"since":"2999-01-01T00:00:00Z"})", "request body, key since",
             "'2999-01-01T00:00:00Z' is in the future");
  expect_400(R"({"since":"2026-01-01T00:00:00Z","until":"x"})", "request body, key until",
             "unknown key until");
  CAF_CHECK(task()["progress"].is_null() || text(task()["progress"]["kind"]) != "resync");
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST(a_resync_from_a_past_time_syncs_what_polling_missed_and_again_creates_nothing_new) {
  write_config("one-way", 3600 * 1000); // polled once at start, then after an hour
  start();
  CAF_REQUIRE(eventually([&] { return progress_finished(); })); // the (empty) initial sync
  auto before = tb::to_rfc3339(tb::now_ms() - 1000);
  auto id = create("a", "alice", {{"subject", "Missed by the poll"}});
  update("a", id, "bob", {{"status", "In Progress"}}, "on it");
  auto r = post("/api/v1/tasks/a-b/resync", json{{"since", before}}.dump());
  CAF_REQUIRE_EQUAL(r.status, 202);
  auto progress = r.json()["progress"];
  CAF_CHECK_EQUAL(text(progress["kind"]), "resync");
  CAF_REQUIRE(eventually([&] { return !twin_of("b", "a/" + id).empty(); }));
  CAF_REQUIRE(eventually([&] { return progress_finished(); }));
  auto twin = twin_of("b", "a/" + id);
  CAF_CHECK_EQUAL(shape(get("b", twin)), shape(get("a", id)));
  auto first = task()["progress"];
  CAF_CHECK_EQUAL(number(first["total"]), 1u);
  CAF_CHECK_EQUAL(number(first["done"]), 1u);
  // Again, from the epoch: every issue is listed and passed, nothing written.
  auto b_before = list("b");
  auto history_before = shape(get("b", twin));
  CAF_REQUIRE_EQUAL(post("/api/v1/tasks/a-b/resync", R"({"since":"1970-01-01T00:00:00Z"})").status,
                    202);
  CAF_REQUIRE(eventually([&] {
    auto p = task()["progress"];
    return p["started"] != first["started"] && !p["finished"].is_null();
  }));
  auto second = task()["progress"];
  CAF_CHECK_EQUAL(number(second["total"]), 1u);
  CAF_CHECK_EQUAL(number(second["done"]), 1u);
  CAF_CHECK_EQUAL(list("b").size(), b_before.size());
  CAF_CHECK_EQUAL(shape(get("b", twin)), history_before);
  CAF_CHECK(logged_starting("resync from 1970-01-01T00:00:00.000Z started"));
  CAF_CHECK(logged_starting("resync finished: 1 issue in "));
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST(an_initial_sync_shows_done_and_total_and_logs_its_start_and_end) {
  // First run: the task syncs another project, while DEMO fills up.
  write_config_from("OTHER", 200);
  start();
  for (int i = 0; i < 30; ++i)
    create("a", "alice", {{"subject", "Issue " + std::to_string(i)}});
  CAF_REQUIRE_EQUAL(stop(), 0);
  // Second run: a new task, named demo (no watermark yet), meets 30 issues.
  write_config_from("DEMO", 200);
  {
    json cfg;
    std::ifstream{dir.file("config.json")} >> cfg;
    auto t = cfg["tasks"]["a-b"];
    cfg["tasks"].erase("a-b");
    cfg["tasks"]["demo"] = t;
    std::ofstream{dir.file("config.json")} << cfg.dump(2);
  }
  start();
  CAF_REQUIRE(eventually([&] {
    auto p = call("GET", "/api/v1/tasks/demo")["progress"];
    return p.is_object() && !p["finished"].is_null();
  }));
  auto p = call("GET", "/api/v1/tasks/demo")["progress"];
  CAF_CHECK_EQUAL(text(p["kind"]), "initial sync");
  CAF_CHECK_EQUAL(number(p["total"]), 30u);
  CAF_CHECK_EQUAL(number(p["done"]), 30u);
  CAF_CHECK_EQUAL(number(p["failed"]), 0u);
  CAF_CHECK_EQUAL(list("b").size(), 30u);
  std::vector<std::string> messages;
  auto finished = [](auto& m) {
    return m.rfind("initial sync finished: 30 issues in ", 0) == 0
           && m.find("(30 synced)") != std::string::npos;
  };
  CAF_CHECK(eventually([&] {
    messages.clear();
    auto entries = call("GET", "/api/v1/log?task=demo&limit=1000")["entries"];
    for (auto& e : entries)
      messages.push_back(e["message"].get<std::string>());
    return std::any_of(messages.begin(), messages.end(), finished);
  }));
  CAF_CHECK(std::count(messages.begin(), messages.end(), "initial sync started") == 1);
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST(metrics_show_each_tasks_figures_in_prometheus_text_format) {
  write_config("one-way");
  start();
  auto one = create("a", "alice", {{"subject", "One"}});
  auto two = create("a", "alice", {{"subject", "Two"}});
  CAF_REQUIRE(eventually([&] {
    return !twin_of("b", "a/" + one).empty() && !twin_of("b", "a/" + two).empty()
           && number(task()["synced"]) == 2;
  }));
  auto refused = tb::test::http_call("GET", port, "/metrics");
  CAF_CHECK_EQUAL(refused.status, 401);
  auto r = api_call("GET", "/metrics");
  CAF_REQUIRE_EQUAL(r.status, 200);
  auto type = r.headers["content-type"];
  CAF_CHECK_EQUAL(type, "text/plain; version=0.0.4; charset=utf-8");
  std::map<std::string, std::string> samples; // "name{labels}" -> value
  std::istringstream lines{r.body};
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] != '#')
      samples[line.substr(0, line.rfind(' '))] = line.substr(line.rfind(' ') + 1);
  auto at = [&](const std::string& key) {
    return samples.count(key) ? samples.at(key) : std::string{"(missing)"};
  };
  CAF_CHECK_EQUAL(at(R"(trackbridge_changes_received_total{task="a-b",side="source"})"), "2");
  CAF_CHECK_EQUAL(at(R"(trackbridge_changes_received_total{task="a-b",side="target"})"), "0");
  CAF_CHECK_EQUAL(at(R"(trackbridge_changes_synced_total{task="a-b"})"), "2");
  CAF_CHECK_EQUAL(at(R"(trackbridge_changes_failed_total{task="a-b"})"), "0");
  CAF_CHECK_EQUAL(at(R"(trackbridge_backlog{task="a-b"})"), "0");
  CAF_CHECK_EQUAL(at(R"(trackbridge_errors{task="a-b"})"), "0");
  CAF_CHECK_EQUAL(at(R"(trackbridge_task_state{task="a-b",state="running"})"), "1");
  CAF_CHECK_EQUAL(at(R"(trackbridge_sync_latency_seconds_count{task="a-b"})"), "2");
  CAF_CHECK_EQUAL(at(R"(trackbridge_sync_latency_seconds_bucket{task="a-b",le="+Inf"})"), "2");
  CAF_CHECK_EQUAL(at(R"(trackbridge_sync_latency_seconds_bucket{task="a-b",le="300"})"), "2");
  CAF_CHECK(r.body.find("# TYPE trackbridge_sync_latency_seconds histogram\n")
            != std::string::npos);
  CAF_CHECK_EQUAL(api_call("GET", "/metrics?x=1").status, 400);
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
