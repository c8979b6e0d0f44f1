#define CAF_SUITE e2e_reload
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <csignal>

#include "tests/e2e_fixture.hpp"

// A configuration read again while the server runs: POST
// /api/v1/config/reload and SIGHUP. Accepted, it restarts the changed tasks,
// starts the new ones and ends the removed ones while the others keep
// running; refused, nothing changes.

namespace {

struct fixture : e2e_fixture {
  // Trackers a and b, each with projects DEMO, OTHER and NEW (a reload
  // cannot change connections); tasks as given.
  json config_with(const json& tasks) {
    auto project = [](const char* key) {
      return json{{"key", key},
                  {"custom_fields",
                   {{{"name", "Severity"}, {"type", "list"}, {"values", {"Low", "High"}}}}}};
    };
    json projects = {project("DEMO"), project("OTHER"), project("NEW")};
    return {{"server", {{"listen", "127.0.0.1"}, {"port", port}}},
            {"storage", {{"directory", dir.file("data")}}},
            {"connections",
             {{"a", {{"type", "local"}, {"projects", projects}}},
              {"b", {{"type", "local"}, {"projects", projects}}}}},
            {"tasks", tasks}};
  }

  static json task_between(const std::string& project, const json& keys = json::object()) {
    json t = {{"source", {{"connection", "a"}, {"project", project}}},
              {"target", {{"connection", "b"}, {"project", project}}},
              {"poll_interval_ms", 200}};
    t.update(keys);
    return t;
  }

  void write(const json& cfg) { std::ofstream{dir.file("config.json")} << cfg.dump(2); }

  void write_text(const std::string& text) { std::ofstream{dir.file("config.json")} << text; }

  std::string create_in(const std::string& project, json fields) {
    json body = {{"author", "alice"}, {"fields", std::move(fields)}};
    return call("POST", base("a") + "/projects/" + project + "/issues", body)["id"]
      .get<std::string>();
  }

  // The twin in b's project of a's issue id, or null.
  json twin_in(const std::string& project, const std::string& id) {
    auto issues = call("GET", base("b") + "/projects/" + project + "/issues?limit=1000")["issues"];
    for (auto& i : issues)
      if (i["alt_id"] == "a/" + id)
        return i;
    return nullptr;
  }

  std::vector<std::string> task_names() {
    std::vector<std::string> out;
    auto tasks = call("GET", "/api/v1/tasks")["tasks"];
    for (auto& t : tasks)
      out.push_back(t["name"].get<std::string>());
    return out;
  }

  std::uint64_t synced_by(const std::string& task) {
    auto t = call("GET", "/api/v1/tasks/" + task);
    return t["synced"].get<std::uint64_t>();
  }

  // The system log's messages (every task), oldest first.
  std::vector<std::string> log_messages() {
    std::vector<std::string> out;
    auto entries = call("GET", "/api/v1/log?limit=1000")["entries"];
    for (auto& e : entries)
      out.push_back(e["task"].get<std::string>() + "|" + e["message"].get<std::string>());
    return out;
  }

  std::size_t logged(const std::string& part) {
    std::size_t n = 0;
    for (auto& m : log_messages())
      n += m.find(part) != std::string::npos;
    return n;
  }

  tb::test::http_reply reload() { return api_call("POST", "/api/v1/config/reload"); }

  static std::vector<std::string> names_in(const json& list) {
    std::vector<std::string> out;
    for (auto& n : list)
      out.push_back(n.get<std::string>());
    return out;
  }

  static std::vector<std::string> paths_of(const json& problems) {
    std::vector<std::string> out;
    for (auto& p : problems)
      out.push_back(p["path"].get<std::string>());
    return out;
  }
};

using names = std::vector<std::string>;

std::string text(const nlohmann::json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(e2e_reload_tests, fixture)

CAF_TEST(a_reload_restarts_changed_tasks_starts_new_ones_and_leaves_the_others_running) {
  write(config_with({{"keep", task_between("OTHER")}, {"a-b", task_between("DEMO")}}));
  start();
  auto kept_issue = create_in("OTHER", {{"subject", "Kept"}});
  auto before = create_in("DEMO", {{"subject", "Before"}, {"Severity", "Low"}});
  CAF_REQUIRE(eventually([&] { return !twin_in("OTHER", kept_issue).is_null(); }));
  CAF_REQUIRE(eventually([&] { return !twin_in("DEMO", before).is_null(); }));
  CAF_REQUIRE(eventually([&] { return synced_by("keep") >= 1; }));
  auto kept_synced = synced_by("keep");
  auto keep_starts = logged("keep|started: ");
  CAF_CHECK_EQUAL(keep_starts, 1u);

  // a-b maps Severity from now on; "fresh" is new; "keep" is as it was.
  write(config_with(
    {{"keep", task_between("OTHER")},
     {"a-b", task_between("DEMO", {{"value_mappings", {{"Severity", {{"Low", "High"}}}}}})},
     {"fresh", task_between("NEW")}}));
  auto r = reload();
  CAF_REQUIRE_EQUAL(r.status, 200);
  auto body = r.json();
  CAF_CHECK_EQUAL(names_in(body["added"]), names{"fresh"});
  CAF_CHECK_EQUAL(names_in(body["changed"]), names{"a-b"});
  CAF_CHECK_EQUAL(names_in(body["removed"]), names{});
  CAF_CHECK_EQUAL(names_in(body["unchanged"]), names{"keep"});
  auto listed = task_names();
  std::sort(listed.begin(), listed.end());
  CAF_CHECK_EQUAL(listed, (names{"a-b", "fresh", "keep"}));

  // The changed task writes with its new mapping, the new one syncs.
  auto after = create_in("DEMO", {{"subject", "After"}, {"Severity", "Low"}});
  CAF_REQUIRE(eventually([&] { return !twin_in("DEMO", after).is_null(); }));
  CAF_CHECK_EQUAL(text(twin_in("DEMO", after)["fields"]["Severity"]), "High");
  auto earlier = twin_in("DEMO", before);
  CAF_CHECK_EQUAL(text(earlier["fields"]["Severity"]), "Low"); // not rewritten
  auto fresh_issue = create_in("NEW", {{"subject", "New project"}});
  CAF_CHECK(eventually([&] { return !twin_in("NEW", fresh_issue).is_null(); }));

  // The unchanged task's actor was not touched: its count goes on from
  // where it was, and it logged no second start.
  auto kept_later = create_in("OTHER", {{"subject", "Kept, later"}});
  CAF_REQUIRE(eventually([&] { return !twin_in("OTHER", kept_later).is_null(); }));
  CAF_CHECK(eventually([&] { return synced_by("keep") >= kept_synced + 1; }));
  CAF_CHECK_EQUAL(logged("keep|started: "), 1u);
  CAF_CHECK_EQUAL(logged("a-b|started: "), 2u);
  CAF_CHECK(eventually([&] {
    return logged("configuration reloaded from " + dir.file("config.json")
                  + "; added: fresh; changed (restarted): a-b; unchanged (kept running): keep")
           == 1;
  }));

  // SIGHUP reads it again: "fresh" removed.
  write(config_with(
    {{"keep", task_between("OTHER")},
     {"a-b", task_between("DEMO", {{"value_mappings", {{"Severity", {{"Low", "High"}}}}}})}}));
  server->signal(SIGHUP);
  CAF_REQUIRE(eventually([&] { return task_names().size() == 2; }));
  CAF_CHECK_EQUAL(api_call("GET", "/api/v1/tasks/fresh").status, 404);
  CAF_CHECK(eventually([&] { return logged("fresh|removed from the configuration") == 1; }));
  auto not_synced = create_in("NEW", {{"subject", "After fresh was removed"}});
  auto still = create_in("OTHER", {{"subject", "Kept, after SIGHUP"}});
  CAF_REQUIRE(eventually([&] { return !twin_in("OTHER", still).is_null(); }));
  CAF_CHECK(twin_in("NEW", not_synced).is_null()); // keep polled since; fresh is gone
  CAF_CHECK_EQUAL(logged("keep|started: "), 1u);
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST(a_reload_with_problems_is_refused_whole_and_the_running_configuration_stays) {
  auto running = config_with({{"a-b", task_between("DEMO")}});
  write(running);
  start();

  // Not JSON: the parser's position.
  write_text("{\"tasks\": ");
  auto broken = reload();
  CAF_CHECK_EQUAL(broken.status, 422);
  auto broken_body = broken.json();
  CAF_CHECK_EQUAL(text(broken_body["error"]["where"]), dir.file("config.json"));
  CAF_CHECK_EQUAL(paths_of(broken_body["problems"]), names{"$"});

  // A task's problem, as `check` reports it.
  write(config_with({{"a-b", task_between("DEMO")},
                     {"fresh", task_between("NEW", {{"filter", "Colour = \"red\""}})}}));
  auto bad_filter = reload();
  CAF_CHECK_EQUAL(bad_filter.status, 422);
  auto bad_filter_body = bad_filter.json();
  CAF_CHECK_EQUAL(paths_of(bad_filter_body["problems"]), names{"$.tasks.fresh.filter"});

  // A valid file, but what it asks cannot be done while running: every
  // such problem at once, a connection changed (that needs a restart) and
  // a webhook secret not in the environment.
  auto next = config_with(
    {{"a-b", task_between("DEMO", {{"webhook_secret_env", "TB_TEST_RELOAD_UNSET"}})},
     {"fresh", task_between("NEW")}});
  next["connections"]["b"]["projects"].push_back({{"key", "MORE"}});
  write(next);
  auto refused = reload();
  CAF_REQUIRE_EQUAL(refused.status, 422);
  auto refused_body = refused.json();
  CAF_CHECK_EQUAL(text(refused_body["error"]["message"]),
                  "2 problem(s); nothing was changed, the running configuration stays");
  CAF_CHECK_EQUAL(paths_of(refused_body["problems"]),
                  (names{"$.connections", "$.tasks.a-b.webhook_secret_env"}));
  CAF_CHECK_EQUAL(task_names(), names{"a-b"});
  CAF_CHECK(eventually([&] {
    return logged("configuration reload refused: 2 problem(s) in " + dir.file("config.json"))
           == 1;
  }));
  CAF_CHECK_EQUAL(logged("reload: " + dir.file("config.json") + ": $.connections: changed"), 1u);

  // The running task syncs as before, its settings untouched.
  auto id = create_in("DEMO", {{"subject", "After the refusals"}});
  CAF_CHECK(eventually([&] { return !twin_in("DEMO", id).is_null(); }));
  CAF_CHECK_EQUAL(logged("a-b|started: "), 1u);

  // Put back as it runs: accepted, nothing to restart.
  write(running);
  auto same = reload();
  CAF_REQUIRE_EQUAL(same.status, 200);
  auto same_body = same.json();
  CAF_CHECK_EQUAL(names_in(same_body["unchanged"]), names{"a-b"});
  CAF_CHECK_EQUAL(names_in(same_body["changed"]), names{});
  CAF_CHECK_EQUAL(logged("a-b|started: "), 1u);
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
