#define CAF_SUITE tls_server
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>

#include "api/http_server.hpp"
#include "api/router.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

// The project's own server over https (server.tls): what a client is
// served, what a plain request on the port is told, and which pairs a
// reload takes or refuses, with what words. A client independent of the
// server's code (tests/support/http_client) checks the certificate.

using namespace tb;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct fixture {
  test::temp_dir dir;
  test::test_ca ca{"trackbridge", dir.path()};
  api::router routes;
  std::optional<api::http_server> server;

  fixture() {
    routes.add("POST", "/echo", [](const api::http_request& r, auto&) {
      return api::http_response{200, "text/plain", r.body, {}};
    });
    routes.add("GET", "/healthz", [](auto&, auto&) {
      return api::http_response{200, "text/plain", "ok", {}};
    });
  }

  ~fixture() {
    if (server)
      server->stop();
  }

  test::pem_pair issue(const std::string& cn, const std::string& file = "server") {
    return ca.issue({.common_name = cn, .dns_names = {"localhost"},
                     .ip_addresses = {"127.0.0.1"}},
                    file);
  }

  api::tls_files files_of(const test::pem_pair& p) { return {p.cert, p.key}; }

  void start(const test::pem_pair& pair) {
    server.emplace(routes, "127.0.0.1", 0, 1, files_of(pair));
    server->start();
  }

  test::http_reply call(const std::string& method, const std::string& target,
                        const std::string& body = "") {
    return test::https_call({ca.cert_file(), "localhost"}, method, server->port(), target, body);
  }

  std::string served() { return call("GET", "/healthz").certificate; }

};

} // namespace

CAF_TEST_FIXTURE_SCOPE(tls_server_tests, fixture)

CAF_TEST(requests_are_served_over_https_with_the_certificate_of_the_files) {
  auto pair = issue("trackbridge-1");
  start(pair);
  CAF_CHECK(server->https());
  CAF_CHECK(has(server->certificate(), "CN=trackbridge-1 (DNS:localhost, IP:127.0.0.1), valid "
                                       "until "));
  auto r = call("POST", "/echo", std::string(200 * 1024, 'x')); // several TLS records
  CAF_CHECK_EQUAL(r.status, 200);
  CAF_CHECK_EQUAL(r.body.size(), 200u * 1024);
  CAF_CHECK_EQUAL(r.certificate, "trackbridge-1");
  // By IP address too: the certificate names 127.0.0.1.
  auto by_ip = test::https_call({ca.cert_file(), "127.0.0.1"}, "GET", server->port(),
                                "/healthz");
  CAF_CHECK_EQUAL(by_ip.status, 200);
}

CAF_TEST(a_body_over_the_limit_is_refused_over_https_as_over_http_and_read_to_its_end) {
  // Larger than the sockets' buffers: the server must go on reading what
  // follows its refusal, or the client's write fails on a reset.
  std::string body(6 * 1024 * 1024, 'x');
  start(issue("trackbridge-1"));
  auto r = call("POST", "/echo", body);
  CAF_CHECK_EQUAL(r.status, 413);
  CAF_CHECK(has(r.body, "larger than the limit of 1 MiB"));
  CAF_CHECK_EQUAL(r.write_error, "");
  CAF_CHECK_EQUAL(call("GET", "/healthz").status, 200);
  api::http_server plain{routes, "127.0.0.1", 0};
  plain.start();
  auto p = test::http_call("POST", plain.port(), "/echo", body);
  CAF_CHECK_EQUAL(p.status, 413);
  CAF_CHECK_EQUAL(p.write_error, "");
}

CAF_TEST(a_plain_http_request_on_the_https_port_is_told_where_https_is) {
  start(issue("trackbridge-1"));
  auto r = test::http_call("GET", server->port(), "/healthz?x=1");
  CAF_CHECK_EQUAL(r.status, 400);
  auto where = "this server takes https only: use https://127.0.0.1:"
               + std::to_string(server->port()) + "/healthz?x=1";
  CAF_CHECK(has(r.body, where));
  CAF_CHECK_EQUAL(call("GET", "/healthz").status, 200); // and https goes on
}

CAF_TEST(a_client_that_does_not_trust_the_certificate_is_refused_and_others_go_on) {
  start(issue("trackbridge-1"));
  test::test_ca stranger{"stranger", dir.path()};
  std::string refused;
  try {
    test::https_call({stranger.cert_file(), "localhost"}, "GET", server->port(), "/healthz");
  } catch (const std::runtime_error& e) {
    refused = e.what();
  }
  CAF_CHECK(has(refused, "certificate verify failed"));
  CAF_CHECK_EQUAL(call("GET", "/healthz").status, 200);
}

CAF_TEST(a_reload_serves_the_new_pair_to_new_connections) {
  start(issue("trackbridge-1"));
  CAF_REQUIRE_EQUAL(served(), "trackbridge-1");
  issue("trackbridge-2");
  auto problem = server->reload_certificate();
  CAF_CHECK(!problem);
  CAF_CHECK_EQUAL(served(), "trackbridge-2");
  CAF_CHECK(has(server->certificate(), "CN=trackbridge-2"));
}

CAF_TEST(a_connection_open_across_a_reload_keeps_its_certificate_and_goes_on) {
  start(issue("trackbridge-1"));
  test::https_connection open{{ca.cert_file(), "localhost"}, server->port()};
  CAF_REQUIRE_EQUAL(open.call("GET", "/healthz").certificate, "trackbridge-1");
  issue("trackbridge-2");
  CAF_REQUIRE(!server->reload_certificate());
  CAF_CHECK_EQUAL(served(), "trackbridge-2");
  auto again = open.call("POST", "/echo", "still here"); // not closed by the reload
  CAF_CHECK_EQUAL(again.status, 200);
  CAF_CHECK_EQUAL(again.body, "still here");
}

CAF_TEST(a_reload_refuses_a_pair_that_cannot_be_used_naming_the_file_and_keeps_the_old) {
  auto first = issue("trackbridge-1");
  start(first);
  auto expect_refused = [&](const std::string& what, const std::string& part) {
    auto problem = server->reload_certificate();
    if (!problem) {
      CAF_ERROR(what << ": the reload took it");
      return;
    }
    if (!has(*problem, part))
      CAF_ERROR(what << ": " << *problem << " does not say " << part);
    CAF_CHECK_EQUAL(served(), "trackbridge-1");
  };
  // Another certificate with the first one's key.
  auto other = issue("trackbridge-2", "other");
  std::ofstream{first.cert, std::ios::trunc} << std::ifstream{other.cert}.rdbuf();
  expect_refused("a key of another certificate",
                 "server.tls.key_file: cannot use " + first.key
                   + ": it is not the key of the certificate in " + first.cert);
  issue("trackbridge-3");
  test::protect_key(first.key, "secret");
  expect_refused("a key with a passphrase",
                 "server.tls.key_file: cannot use " + first.key
                   + ": it is protected by a passphrase");
  std::ofstream{first.cert, std::ios::trunc} << "not a certificate\n";
  expect_refused("a cert_file without PEM",
                 "server.tls.cert_file: cannot use " + first.cert + ": ");
  std::remove(first.key.c_str());
  expect_refused("a missing key_file", "server.tls.key_file: cannot use " + first.key
                                         + ": No such file or directory");
}

CAF_TEST(a_start_with_a_pair_that_cannot_be_used_throws_naming_the_file) {
  auto pair = issue("trackbridge-1");
  std::remove(pair.cert.c_str());
  server.emplace(routes, "127.0.0.1", 0, 1, files_of(pair));
  std::string problem;
  try {
    server->start();
  } catch (const std::runtime_error& e) {
    problem = e.what();
  }
  CAF_CHECK_EQUAL(problem, "server.tls.cert_file: cannot use " + pair.cert
                             + ": No such file or directory");
}

CAF_TEST(an_expired_certificate_is_served_and_said_to_have_expired) {
  start(ca.issue({.common_name = "old", .dns_names = {"localhost"}, .valid_from_s = -7200,
                  .valid_until_s = -3600},
                 "old"));
  CAF_CHECK(server->certificate_expired());
  std::string refused;
  try {
    call("GET", "/healthz");
  } catch (const std::runtime_error& e) {
    refused = e.what();
  }
  CAF_CHECK(has(refused, "certificate verify failed")); // the client's verdict
  api::http_server fresh{routes, "127.0.0.1", 0, 1, files_of(issue("fresh", "fresh"))};
  fresh.start();
  CAF_CHECK(!fresh.certificate_expired());
}

CAF_TEST(a_plain_server_has_no_certificate_to_reload) {
  server.emplace(routes, "127.0.0.1", 0);
  server->start();
  CAF_CHECK(!server->https());
  CAF_CHECK_EQUAL(server->certificate(), "");
  auto problem = server->reload_certificate();
  CAF_CHECK(problem && has(*problem, "server.tls is not set"));
}

CAF_TEST_FIXTURE_SCOPE_END()
