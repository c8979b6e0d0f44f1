#define CAF_SUITE e2e_server_tls
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/e2e_fixture.hpp"
#include "tests/support/hook_signature.hpp"
#include "tests/support/test_pki.hpp"

// TrackBridge's own server over https (server.tls): the API, the embedded
// trackers' API, webhooks and /metrics, with a certificate the test makes,
// read again on SIGHUP.

namespace {

const std::string secret = "s3cr3t-for-tls-tests";

std::string slurp(const std::string& file) {
  std::ifstream in{file};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct fixture : e2e_fixture {
  tb::test::test_ca ca{"trackbridge", dir.path()};

  fixture() {
    setenv("TB_TEST_HOOK_SECRET", secret.c_str(), 1);
    https = tb::test::tls_peer{ca.cert_file(), "localhost"};
  }

  // dir/server.crt and dir/server.key, for localhost and 127.0.0.1, CN cn.
  tb::test::pem_pair issue_server(const std::string& cn) {
    return ca.issue({.common_name = cn, .dns_names = {"localhost"},
                     .ip_addresses = {"127.0.0.1"}},
                    "server");
  }

  // Polls once at start-up, then not for an hour: only a webhook syncs.
  void start_over_https() {
    write_config("one-way", 3600 * 1000);
    auto cfg = json::parse(std::ifstream{dir.file("config.json")});
    cfg["server"]["tls"] = {{"cert_file", "server.crt"}, {"key_file", "server.key"}};
    cfg["tasks"]["a-b"]["webhook_secret_env"] = "TB_TEST_HOOK_SECRET";
    std::ofstream{dir.file("config.json")} << cfg.dump(2);
    start();
  }

  tb::test::http_reply signed_hook(const std::string& id) {
    std::string body = R"({"issues":[")" + id + R"("]})";
    return server_call("POST", "/hooks/a-b/source", body,
                       {{"X-TrackBridge-Signature", tb::test::hook_signature(body, secret)}});
  }

  // The certificate a new connection is served.
  std::string served() { return server_call("GET", "/healthz").certificate; }

  // Creates an issue in a, pushes it by a webhook, and waits for its twin.
  bool pushed_issue_syncs(const std::string& subject) {
    auto id = create("a", "alice", {{"subject", subject}});
    auto r = signed_hook(id);
    if (r.status != 202) {
      CAF_ERROR("the webhook for " << id << " answered " << r.status << ": " << r.body);
      return false;
    }
    std::string twin;
    return eventually([&] { return !(twin = twin_of("b", "a/" + id)).empty(); })
           && get("b", twin)["fields"]["subject"] == subject;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(e2e_server_tls_tests, fixture)

CAF_TEST(a_signed_webhook_over_https_syncs_its_issue_and_plain_http_is_told_to_use_https) {
  issue_server("trackbridge-1");
  start_over_https();
  // Logged just after the server began to accept.
  CAF_CHECK(eventually([&] {
    return occurrences(server->log(), "listening on https://127.0.0.1:") == 1;
  }));
  CAF_CHECK_EQUAL(served(), "trackbridge-1");
  // The embedded trackers' API (create, get, list) and the webhook, over https.
  CAF_CHECK(pushed_issue_syncs("Pushed over TLS"));
  auto metrics = api_call("GET", "/metrics");
  CAF_CHECK_EQUAL(metrics.status, 200);
  CAF_CHECK(metrics.body.find("trackbridge_") != std::string::npos);
  // A plain request on the https port gets an answer it can act on.
  auto plain = tb::test::http_call("GET", port, "/healthz");
  CAF_CHECK_EQUAL(plain.status, 400);
  auto hint = "use https://127.0.0.1:" + std::to_string(port) + "/healthz";
  CAF_CHECK(plain.body.find(hint) != std::string::npos);
  // A client that does not trust the certificate cannot talk to the server,
  // and the server goes on serving the others.
  tb::test::test_ca stranger{"stranger", dir.path()};
  std::string refused;
  try {
    tb::test::https_call({stranger.cert_file(), "localhost"}, "GET", port, "/healthz");
  } catch (const std::runtime_error& e) {
    refused = e.what();
  }
  CAF_CHECK(refused.find("certificate verify failed") != std::string::npos);
  CAF_CHECK_EQUAL(server_call("GET", "/healthz").status, 200);
}

CAF_TEST(sighup_serves_a_renewed_certificate_without_a_restart_and_keeps_it_if_the_new_is_bad) {
  issue_server("trackbridge-1");
  start_over_https();
  CAF_REQUIRE_EQUAL(served(), "trackbridge-1");
  CAF_CHECK(pushed_issue_syncs("Before the renewal"));

  // Renewed in place, as certbot or an operator would, then SIGHUP.
  auto renewed = issue_server("trackbridge-2");
  server->signal(SIGHUP);
  CAF_CHECK(eventually([&] { return served() == "trackbridge-2"; }));
  // Logged just after the new pair is in use.
  CAF_CHECK(eventually([&] {
    return occurrences(server->log(), "serving the certificate CN=trackbridge-2") == 1;
  }));
  CAF_CHECK(server->running());
  CAF_CHECK_EQUAL(occurrences(server->log(), "listening on https://"), 1u); // not restarted
  CAF_CHECK(pushed_issue_syncs("After the renewal"));

  // A new certificate with the old key: refused, and the pair in use stays.
  auto kept_key = slurp(renewed.key);
  issue_server("trackbridge-3");
  std::ofstream{renewed.key} << kept_key;
  server->signal(SIGHUP);
  CAF_CHECK(eventually([&] {
    return occurrences(server->log(), "the new certificate is refused") == 1;
  }));
  auto log = server->log();
  CAF_CHECK(log.find("server.tls.key_file: cannot use " + renewed.key
                     + ": it is not the key of the certificate in")
            != std::string::npos);
  CAF_CHECK_EQUAL(served(), "trackbridge-2");
  CAF_CHECK(pushed_issue_syncs("After a refused renewal"));

  // Fixed files, SIGHUP again: taken.
  issue_server("trackbridge-4");
  server->signal(SIGHUP);
  CAF_CHECK(eventually([&] { return served() == "trackbridge-4"; }));
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST(a_pair_that_cannot_be_used_stops_the_start_as_an_invalid_config_naming_the_file) {
  auto pair = issue_server("trackbridge-1");
  std::ofstream{pair.key} << "not a key\n";
  write_config("one-way");
  auto cfg = json::parse(std::ifstream{dir.file("config.json")});
  cfg["server"]["tls"] = {{"cert_file", "server.crt"}, {"key_file", "server.key"}};
  std::ofstream{dir.file("config.json")} << cfg.dump(2);
  tb::test::server_process s{{"run", "--config", dir.file("config.json")}, dir.file("bad.log")};
  CAF_CHECK(!s.wait_ready(port, std::chrono::seconds{30}, &*https)); // it exits by itself
  CAF_CHECK_EQUAL(s.stop(), 2); // as `check` does: the configuration is not valid
  auto log = s.log();
  CAF_CHECK(log.find(dir.file("config.json") + ": $.server.tls.key_file: cannot use " + pair.key)
            != std::string::npos);
  CAF_CHECK(log.find("nothing was started") != std::string::npos);
  // Nothing was opened either: no data directory, no API token.
  CAF_CHECK(!std::ifstream{dir.file("data") + "/api-token"});
}

CAF_TEST_FIXTURE_SCOPE_END()
