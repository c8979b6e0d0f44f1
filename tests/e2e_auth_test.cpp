#define CAF_SUITE e2e_auth
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <sys/stat.h>

#include <cstdlib>

#include "tests/e2e_fixture.hpp"

namespace {

struct fixture : e2e_fixture {
  tb::test::http_reply with(const std::string& authorization, const std::string& target) {
    std::map<std::string, std::string> headers;
    if (!authorization.empty())
      headers["Authorization"] = authorization;
    return tb::test::http_call("GET", port, target, "", headers);
  }

  void use_token_variable(const char* name) {
    auto cfg = json::parse(std::ifstream{dir.file("config.json")});
    cfg["server"]["auth_token_env"] = name;
    std::ofstream{dir.file("config.json")} << cfg.dump(2);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(e2e_auth_tests, fixture)

CAF_TEST(every_api_call_needs_the_token_the_server_made_at_its_first_start) {
  write_config("one-way");
  start();
  auto token = this->token();
  CAF_REQUIRE_EQUAL(token.size(), 64u); // 32 random bytes in hex
  struct stat st {};
  CAF_REQUIRE_EQUAL(::stat((dir.file("data") + "/api-token").c_str(), &st), 0);
  CAF_CHECK_EQUAL(st.st_mode & 0777, 0600u);
  for (auto target : {"/api/v1/tasks", "/api/v1/local/a/projects", "/api/v1/no/such/thing"}) {
    auto none = with("", target);
    CAF_CHECK_EQUAL(none.status, 401);
    CAF_CHECK_EQUAL(none.headers["www-authenticate"], "Bearer");
    auto error = none.json(); // bound: CAF's checks keep references
    CAF_CHECK_EQUAL(error["error"]["where"], "header Authorization");
    CAF_CHECK_EQUAL(with("Bearer " + token + "x", target).status, 401);
    CAF_CHECK_EQUAL(with("Bearer " + token.substr(1), target).status, 401);
    CAF_CHECK_EQUAL(with("Basic " + token, target).status, 401);
  }
  CAF_CHECK_EQUAL(with("Bearer " + token, "/api/v1/tasks").status, 200);
  CAF_CHECK_EQUAL(with("", "/healthz").status, 200);
  // Restarted, it keeps the token; the token never shows in its output.
  CAF_CHECK_EQUAL(stop(), 0);
  start();
  CAF_CHECK_EQUAL(this->token(), token);
  CAF_CHECK_EQUAL(with("Bearer " + token, "/api/v1/tasks").status, 200);
  CAF_CHECK(server->log().find(token) == std::string::npos);
  std::ifstream first_log{dir.file("server-1.log")};
  std::string first{std::istreambuf_iterator<char>{first_log}, {}};
  CAF_CHECK(first.find("API token created in " + dir.file("data") + "/api-token")
            != std::string::npos);
  CAF_CHECK(first.find(token) == std::string::npos);
}

CAF_TEST(a_token_from_an_environment_variable_replaces_the_file) {
  setenv("TB_TEST_API_TOKEN", "token-from-the-environment", 1);
  write_config("one-way");
  use_token_variable("TB_TEST_API_TOKEN");
  start();
  CAF_CHECK_EQUAL(with("Bearer token-from-the-environment", "/api/v1/tasks").status, 200);
  auto wrong = with("Bearer nope", "/api/v1/tasks");
  CAF_CHECK_EQUAL(wrong.status, 401);
  CAF_CHECK(wrong.body.find("$TB_TEST_API_TOKEN") != std::string::npos);
  CAF_CHECK(wrong.body.find("token-from-the-environment") == std::string::npos);
  CAF_CHECK(server->log().find("token-from-the-environment") == std::string::npos);
}

CAF_TEST(a_token_variable_that_is_not_set_stops_the_start_naming_it) {
  unsetenv("TB_TEST_API_TOKEN");
  write_config("one-way");
  use_token_variable("TB_TEST_API_TOKEN");
  tb::test::server_process server{{"run", "--config", dir.file("config.json")},
                                  dir.file("unset.log")};
  CAF_CHECK(!server.wait_ready(port, std::chrono::seconds{30})); // it exits by itself
  CAF_CHECK_EQUAL(server.stop(), 1);
  CAF_CHECK(server.log().find("TB_TEST_API_TOKEN (named by server.auth_token_env) is not set")
            != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
