#define CAF_SUITE e2e_webhook
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <cstdlib>

#include "tests/e2e_fixture.hpp"
#include "tests/support/hook_signature.hpp"

namespace {

const std::string secret = "s3cr3t-for-tests";

std::string signature(const std::string& body, const std::string& key = secret) {
  return tb::test::hook_signature(body, key);
}

struct fixture : e2e_fixture {
  fixture() { setenv("TB_TEST_HOOK_SECRET", secret.c_str(), 1); }

  // Polls once at start-up, then not for an hour: only a webhook syncs.
  void start_with_hooks(const std::string& direction = "one-way") {
    write_config(direction, 3600 * 1000);
    auto cfg = json::parse(std::ifstream{dir.file("config.json")});
    cfg["tasks"]["a-b"]["webhook_secret_env"] = "TB_TEST_HOOK_SECRET";
    std::ofstream{dir.file("config.json")} << cfg.dump(2);
    start();
  }

  tb::test::http_reply hook(const std::string& path, const std::string& body,
                            std::map<std::string, std::string> headers) {
    return tb::test::http_call("POST", port, path, body, std::move(headers));
  }

  tb::test::http_reply signed_hook(const std::string& path, const std::string& body) {
    return hook(path, body, {{"X-TrackBridge-Signature", signature(body)}});
  }

  static std::string where_of(const tb::test::http_reply& r) {
    return r.json()["error"]["where"].get<std::string>();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(e2e_webhook_tests, fixture)

CAF_TEST(a_signed_webhook_syncs_the_named_issue_at_once_while_the_poll_waits_an_hour) {
  start_with_hooks();
  auto id = create("a", "alice", {{"subject", "Pushed"}});
  std::string body = R"({"issues":[")" + id + R"("]})";
  auto r = signed_hook("/hooks/a-b/source", body);
  CAF_REQUIRE_EQUAL(r.status, 202);
  CAF_CHECK_EQUAL(r.body, R"({"queued":[")" + id + R"("]})");
  std::string twin;
  CAF_CHECK(eventually([&] { return !(twin = twin_of("b", "a/" + id)).empty(); }));
  // An edit, pushed with a numeric id this time.
  update("a", id, "bob", {{"status", "Closed"}}, "pushed again");
  CAF_REQUIRE_EQUAL(signed_hook("/hooks/a-b/source", R"({"issues":[)" + id + "]}").status, 202);
  CAF_CHECK(eventually([&] { return get("b", twin)["fields"]["status"] == "Closed"; }));
}

CAF_TEST(refused_webhooks_answer_their_status_and_sync_nothing) {
  start_with_hooks();
  auto id = create("a", "alice", {{"subject", "Never pushed"}});
  std::string body = R"({"issues":[")" + id + R"("]})";
  auto unsigned_hook = hook("/hooks/a-b/source", body, {});
  CAF_CHECK_EQUAL(unsigned_hook.status, 401);
  CAF_CHECK_EQUAL(where_of(unsigned_hook), "header X-TrackBridge-Signature");
  CAF_CHECK(unsigned_hook.body.find(secret) == std::string::npos);
  auto forged = hook("/hooks/a-b/source", body, {{"X-TrackBridge-Signature", signature(body, "guess")}});
  CAF_CHECK_EQUAL(forged.status, 401);
  auto tampered = hook("/hooks/a-b/source", body, {{"X-TrackBridge-Signature", signature(body + " ")}});
  CAF_CHECK_EQUAL(tampered.status, 401);
  std::string broken = R"({"issues":[)";
  auto malformed = signed_hook("/hooks/a-b/source", broken);
  CAF_CHECK_EQUAL(malformed.status, 400);
  CAF_CHECK(malformed.json()["error"]["message"].get<std::string>().find("malformed JSON: ") == 0);
  CAF_CHECK_EQUAL(signed_hook("/hooks/a-b/source", R"({"issue":"1"})").status, 400);
  // Found by the webhook fuzz target: a number too large for a double was a 500.
  auto overflow = signed_hook("/hooks/a-b/source", R"({"issues":[1e999999]})");
  CAF_CHECK_EQUAL(overflow.status, 400);
  CAF_CHECK(overflow.json()["error"]["message"].get<std::string>().find("number overflow")
            != std::string::npos);
  CAF_CHECK_EQUAL(signed_hook("/hooks/nope/source", body).status, 404);
  auto target = signed_hook("/hooks/a-b/target", body);
  CAF_CHECK_EQUAL(target.status, 404);
  CAF_CHECK_EQUAL(where_of(target), "side target");
  std::string huge = R"({"issues":[")" + std::string(2 << 20, '1') + R"("]})";
  CAF_CHECK_EQUAL(signed_hook("/hooks/a-b/source", huge).status, 413);
  // A valid hook after all of those: once its issue is synced, the refused
  // ones would have been too, had any been acted on.
  auto other = create("a", "alice", {{"subject", "Pushed after"}});
  CAF_REQUIRE_EQUAL(signed_hook("/hooks/a-b/source", R"({"issues":[")" + other + R"("]})").status,
                    202);
  CAF_CHECK(eventually([&] { return !twin_of("b", "a/" + other).empty(); }));
  CAF_CHECK(twin_of("b", "a/" + id).empty());
  CAF_CHECK_EQUAL(list("b").size(), 1u);
}

CAF_TEST(a_two_way_task_takes_its_target_sides_webhooks_too) {
  start_with_hooks("two-way");
  auto id = create("b", "erin", {{"subject", "Made on b"}});
  CAF_REQUIRE_EQUAL(signed_hook("/hooks/a-b/target", R"({"issues":[")" + id + R"("]})").status,
                    202);
  CAF_CHECK(eventually([&] { return !twin_of("a", "b/" + id).empty(); }));
}

CAF_TEST(a_webhook_secret_variable_that_is_not_set_stops_the_start_naming_it) {
  unsetenv("TB_TEST_HOOK_SECRET");
  write_config("one-way");
  auto cfg = json::parse(std::ifstream{dir.file("config.json")});
  cfg["tasks"]["a-b"]["webhook_secret_env"] = "TB_TEST_HOOK_SECRET";
  std::ofstream{dir.file("config.json")} << cfg.dump(2);
  tb::test::server_process server{{"run", "--config", dir.file("config.json")},
                                  dir.file("unset.log")};
  CAF_CHECK(!server.wait_ready(port, std::chrono::seconds{30})); // it exits by itself
  CAF_CHECK_EQUAL(server.stop(), 1);
  CAF_CHECK(server.log().find("$.tasks.a-b.webhook_secret_env: the environment variable "
                              "TB_TEST_HOOK_SECRET is not set")
            != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
