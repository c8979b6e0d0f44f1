#define CAF_SUITE e2e_task_api
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "tests/e2e_fixture.hpp"

namespace {

struct fixture : e2e_fixture {
  // Like the usual config, but b's project lacks a's field Customer: an
  // issue that sets it cannot be written to b.
  void write_config_with_a_missing_field() {
    std::ofstream{dir.file("config.json")} << config_with_a_missing_field().dump(2);
  }

  tb::test::http_reply api(const std::string& target) {
    return api_call("GET", target);
  }

  json task() { return call("GET", "/api/v1/tasks/a-b"); }
};

// Copies: CAF's checks keep references, which must not point into temporaries.
std::string text(const nlohmann::json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(e2e_task_api_tests, fixture)

CAF_TEST(a_task_shows_its_sides_watermarks_backlog_and_counts) {
  write_config("one-way");
  start();
  auto id = create("a", "alice", {{"subject", "Counted"}});
  CAF_REQUIRE(eventually([&] { return !twin_of("b", "a/" + id).empty(); }));
  CAF_REQUIRE(eventually([&] { return task()["synced"].get<int>() >= 1; }));
  auto all = call("GET", "/api/v1/tasks")["tasks"];
  CAF_REQUIRE_EQUAL(all.size(), 1u);
  auto t = all[0];
  CAF_CHECK_EQUAL(text(t["name"]), "a-b");
  CAF_CHECK_EQUAL(text(t["state"]), "running");
  CAF_CHECK_EQUAL(text(t["direction"]), "one-way");
  CAF_CHECK_EQUAL(text(t["source"]["connection"]), "a");
  CAF_CHECK_EQUAL(text(t["target"]["project"]), "DEMO");
  CAF_CHECK_EQUAL(text(t["source"]["watermark"]), text(get("a", id)["updated"]));
  CAF_CHECK(t["target"]["watermark"].is_null()); // a one-way task does not poll its target
  CAF_CHECK_EQUAL(t["failed"].get<int>(), 0);
  CAF_CHECK_EQUAL(t["errors"].get<int>(), 0);
  CAF_CHECK(t["last_error"].is_null());
  CAF_CHECK(eventually([&] { return task()["backlog"].get<int>() == 0; }));
  // received and synced move with every poll inside the overlap (the issue is
  // listed again): the two reads agree once no poll falls between them.
  json one, listed;
  CAF_CHECK(eventually([&] {
    one = task();
    listed = call("GET", "/api/v1/tasks")["tasks"][0];
    return one == listed;
  }));
  CAF_CHECK_EQUAL(one, listed);
}

CAF_TEST(unknown_tasks_and_parameters_answer_with_located_errors) {
  write_config("one-way");
  start();
  auto missing = api("/api/v1/tasks/nope");
  CAF_CHECK_EQUAL(missing.status, 404);
  CAF_CHECK_EQUAL(text(missing.json()["error"]["message"]), "no task named nope; configured tasks: a-b");
  CAF_CHECK_EQUAL(api("/api/v1/errors?task=nope").status, 404);
  CAF_CHECK_EQUAL(api("/api/v1/log?task=nope").status, 404);
  auto odd = api("/api/v1/tasks?verbose=1");
  CAF_CHECK_EQUAL(odd.status, 400);
  CAF_CHECK_EQUAL(text(odd.json()["error"]["where"]), "query parameter verbose");
  auto level = api("/api/v1/log?level=loud");
  CAF_CHECK_EQUAL(level.status, 400);
  CAF_CHECK_EQUAL(text(level.json()["error"]["message"]),
                  "level must be info, warn or error (that level and above); got 'loud'");
  CAF_CHECK_EQUAL(api("/api/v1/log?limit=0").status, 400);
  CAF_CHECK_EQUAL(api("/api/v1/log?after=x").status, 400);
  CAF_CHECK_EQUAL(api("/api/v1/log?since=yesterday").status, 400);
  CAF_CHECK_EQUAL(api_call("POST", "/api/v1/tasks", "{}").status, 405);
}

CAF_TEST(a_failed_issue_is_in_the_error_list_the_task_and_the_log) {
  write_config_with_a_missing_field();
  start();
  auto id = create("a", "alice", {{"subject", "Has a customer"}, {"Customer", "ACME"}});
  CAF_REQUIRE(eventually([&] { return !call("GET", "/api/v1/errors")["errors"].empty(); }));
  auto item = call("GET", "/api/v1/errors?task=a-b")["errors"][0];
  CAF_CHECK_EQUAL(text(item["task"]), "a-b");
  CAF_CHECK_EQUAL(text(item["side"]), "source");
  CAF_CHECK_EQUAL(text(item["issue"]), id);
  CAF_CHECK_EQUAL(text(item["where"]), "connection b, project DEMO, field Customer");
  CAF_CHECK(text(item["message"]).find("unknown field Customer") == 0);
  auto t = task();
  CAF_CHECK_EQUAL(t["errors"].get<int>(), 1);
  CAF_CHECK_EQUAL(t["last_error"], item);
  CAF_CHECK(eventually([&] { return task()["failed"].get<int>() >= 1; }));
  // The log: errors only, this task only, paged one entry at a time.
  json errors; // the log is written in batches: it may lag the error list a little
  CAF_REQUIRE(eventually([&] {
    errors = call("GET", "/api/v1/log?level=error&task=a-b")["entries"];
    return !errors.empty();
  }));
  CAF_CHECK_EQUAL(text(errors[0]["level"]), "error");
  CAF_CHECK(text(errors[0]["message"]).find("field Customer") != std::string::npos);
  auto first = call("GET", "/api/v1/log?limit=1");
  CAF_REQUIRE_EQUAL(first["entries"].size(), 1u);
  CAF_CHECK(text(first["entries"][0]["message"]).find("started: a/DEMO -> b/DEMO") == 0);
  auto seq = first["next"].get<std::uint64_t>();
  CAF_CHECK_EQUAL(first["entries"][0]["seq"].get<std::uint64_t>(), seq);
  auto second = call("GET", "/api/v1/log?limit=1&after=" + std::to_string(seq));
  CAF_REQUIRE_EQUAL(second["entries"].size(), 1u);
  CAF_CHECK(second["entries"][0]["seq"].get<std::uint64_t>() > seq);
  auto later = call("GET", "/api/v1/log?since=2999-01-01T00:00:00Z")["entries"];
  CAF_CHECK(later.empty());
}

CAF_TEST(one_issue_is_synced_on_request_while_the_poll_waits_an_hour) {
  write_config("one-way", 3600 * 1000);
  start();
  auto id = create("a", "alice", {{"subject", "Sync me now"}});
  auto r = api_call("POST", "/api/v1/tasks/a-b/issues/source/" + id + "/sync");
  CAF_REQUIRE_EQUAL(r.status, 202);
  CAF_CHECK_EQUAL(r.body, R"({"queued":[")" + id + R"("]})");
  CAF_CHECK(eventually([&] { return !twin_of("b", "a/" + id).empty(); }));
  auto one_way = api_call("POST", "/api/v1/tasks/a-b/issues/target/1/sync");
  CAF_CHECK_EQUAL(one_way.status, 404);
  CAF_CHECK_EQUAL(text(one_way.json()["error"]["where"]), "side target");
  CAF_CHECK_EQUAL(api_call("POST", "/api/v1/tasks/x/issues/source/1/sync").status,
                  404);
}

CAF_TEST(an_error_item_is_retried_on_request_and_leaves_the_list_once_synced) {
  write_config_with_a_missing_field();
  start();
  auto id = create("a", "alice", {{"subject", "Has a customer"}, {"Customer", "ACME"}});
  CAF_REQUIRE(eventually([&] { return !call("GET", "/api/v1/errors")["errors"].empty(); }));
  auto none = api_call("POST", "/api/v1/errors/a-b/source/999/retry");
  CAF_CHECK_EQUAL(none.status, 404);
  CAF_CHECK_EQUAL(text(none.json()["error"]["message"]), "the error list has no item for this issue");
  // The cause fixed (b's project gets the field), then retried.
  call("POST", base("b") + "/projects",
       {{"key", "DEMO"}, {"custom_fields", {{{"name", "Customer"}, {"type", "string"}}}}});
  auto r = api_call("POST", "/api/v1/errors/a-b/source/" + id + "/retry");
  CAF_CHECK_EQUAL(r.status, 202);
  CAF_CHECK(eventually([&] { return call("GET", "/api/v1/errors")["errors"].empty(); }));
  CAF_CHECK(!twin_of("b", "a/" + id).empty());
}

CAF_TEST(a_skipped_error_item_leaves_the_list) {
  write_config_with_a_missing_field();
  start();
  auto id = create("a", "alice", {{"subject", "Has a customer"}, {"Customer", "ACME"}});
  CAF_REQUIRE(eventually([&] { return !call("GET", "/api/v1/errors")["errors"].empty(); }));
  CAF_CHECK_EQUAL(api_call("POST", "/api/v1/errors/a-b/source/999/skip").status, 404);
  auto r = api_call("POST", "/api/v1/errors/a-b/source/" + id + "/skip");
  CAF_CHECK_EQUAL(r.status, 200);
  CAF_CHECK_EQUAL(r.body, R"({"skipped":")" + id + R"("})");
  CAF_CHECK(call("GET", "/api/v1/errors")["errors"].empty());
  CAF_CHECK_EQUAL(task()["errors"].get<int>(), 0);
  CAF_CHECK(eventually([&] {
    auto log = call("GET", "/api/v1/log?level=warn&task=a-b"); // bound: the loop borrows from it
    for (auto& e : log["entries"])
      if (e["message"].get<std::string>().find("skipped by request") != std::string::npos)
        return true;
    return false;
  }));
}

CAF_TEST(a_paused_task_queues_changes_and_syncs_them_when_resumed) {
  write_config("one-way");
  start();
  auto paused = api_call("POST", "/api/v1/tasks/a-b/pause");
  CAF_REQUIRE_EQUAL(paused.status, 200);
  CAF_CHECK_EQUAL(text(paused.json()["state"]), "paused");
  auto id = create("a", "alice", {{"subject", "Made while paused"}});
  // The poller queues it; nothing syncs it.
  CAF_CHECK(eventually([&] { return task()["backlog"].get<int>() == 1; }));
  CAF_CHECK(twin_of("b", "a/" + id).empty());
  CAF_CHECK_EQUAL(text(task()["state"]), "paused");
  auto resumed = api_call("POST", "/api/v1/tasks/a-b/resume");
  CAF_REQUIRE_EQUAL(resumed.status, 200);
  CAF_CHECK_EQUAL(text(resumed.json()["state"]), "running");
  CAF_CHECK(eventually([&] { return !twin_of("b", "a/" + id).empty(); }));
  CAF_CHECK(eventually([&] { return task()["backlog"].get<int>() == 0; }));
  CAF_CHECK_EQUAL(api_call("POST", "/api/v1/tasks/x/pause").status, 404);
}

CAF_TEST(the_issue_and_error_item_commands_refuse_bad_requests_with_the_documented_status) {
  write_config("one-way", 3600 * 1000);
  start();
  for (auto path : {"/api/v1/tasks/{t}/issues/{s}/1/sync", "/api/v1/errors/{t}/{s}/1/retry",
                    "/api/v1/errors/{t}/{s}/1/skip"}) {
    auto at = [&](const std::string& task, const std::string& side) {
      std::string p = path;
      p.replace(p.find("{t}"), 3, task);
      p.replace(p.find("{s}"), 3, side);
      return p;
    };
    auto unknown_task = api_call("POST", at("nope", "source"));
    CAF_CHECK_EQUAL(unknown_task.status, 404);
    auto task_where = text(unknown_task.json()["error"]["where"]);
    CAF_CHECK_EQUAL(task_where, "task nope");
    auto unknown_side = api_call("POST", at("a-b", "sideways"));
    CAF_CHECK_EQUAL(unknown_side.status, 404);
    auto side_where = text(unknown_side.json()["error"]["where"]);
    CAF_CHECK_EQUAL(side_where, "side sideways");
    CAF_CHECK_EQUAL(api_call("POST", at("a-b", "source") + "?now=1").status, 400);
    CAF_CHECK_EQUAL(api_call("GET", at("a-b", "source")).status, 405);
    CAF_CHECK_EQUAL(tb::test::http_call("POST", port, at("a-b", "source")).status, 401);
  }
  // Nothing of it was acted on: no error item, nothing queued.
  auto t = task();
  CAF_CHECK_EQUAL(t["errors"].get<int>(), 0);
  CAF_CHECK_EQUAL(t["backlog"].get<int>(), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
