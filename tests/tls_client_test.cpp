#define CAF_SUITE tls_client
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <fstream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "adapters/http/call_tally.hpp"
#include "adapters/http/http_client.hpp"
#include "adapters/http/proxy.hpp"
#include "api/http_server.hpp"
#include "api/router.hpp"
#include "tests/support/forward_proxy.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/tls_terminator.hpp"

// The HTTP client over https to a real TLS terminator (Debian's stunnel4)
// in front of the project's own server, with certificates made here: what
// is trusted, what is refused, and what each refusal tells the person who
// configured the connection. Then the same through a real forwarding proxy
// (Debian's tinyproxy), and which proxy a connection chooses.

using namespace tb;
using json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct fixture {
  test::temp_dir dir;
  test::test_ca ca{"tracker", dir.path()};
  test::test_ca stranger{"stranger", dir.path()};
  api::router routes;
  std::unique_ptr<api::http_server> backend;
  std::shared_ptr<http::call_tally> tally = std::make_shared<http::call_tally>();

  fixture() {
    routes.add("GET", "/redmine/echo", [](const api::http_request& r, const api::route_params&) {
      return api::json_response(200, {{"target", r.target}, {"host", r.headers.at("host")}});
    });
    backend = std::make_unique<api::http_server>(routes, "127.0.0.1", 0);
    backend->start();
  }

  ~fixture() {
    backend->stop();
  }

  test::pem_pair server_cert(test::cert_spec spec = {}) {
    if (spec.common_name.empty())
      spec.common_name = "tracker";
    if (spec.dns_names.empty() && spec.ip_addresses.empty()) {
      spec.dns_names = {"localhost"};
      spec.ip_addresses = {"127.0.0.1"};
    }
    return ca.issue(spec, "server-" + std::to_string(++issued));
  }

  std::unique_ptr<test::tls_terminator> terminator(test::pem_pair cert,
                                                   std::string client_ca = {}) {
    return std::make_unique<test::tls_terminator>(
      dir.path(), test::tls_terminator_options{backend->port(), std::move(cert),
                                               std::move(client_ca)});
  }

  // An https client of the terminator, with these TLS settings.
  result<http::response> get(const test::tls_terminator& t, http::tls_settings tls,
                             const std::string& host = "127.0.0.1",
                             std::optional<http::proxy_route> proxy = std::nullopt) {
    auto ep = http::parse_endpoint("https://" + host + ":" + std::to_string(t.port())
                                     + "/redmine",
                                   "$.connections.rm1.url");
    CAF_REQUIRE(ep.ok());
    auto ctx = http::load_tls(tls, "$.connections.rm1");
    if (!ctx)
      CAF_FAIL("load_tls: " << ctx.error().where << ": " << ctx.error().message);
    http::client c{*ep, "connection rm1",
                   http::client_options{
                     .request_timeout = 5s, .tally = tally, .tls = *ctx, .proxy = proxy}};
    http::request r;
    r.target = "/echo";
    return c.send(r);
  }

  // A plain http client of the backend, through the proxy.
  result<http::response> get_plain(std::optional<http::proxy_route> proxy) {
    auto ep = http::parse_endpoint("http://127.0.0.1:" + std::to_string(backend->port())
                                     + "/redmine",
                                   "$.connections.rm1.url");
    CAF_REQUIRE(ep.ok());
    http::client c{*ep, "connection rm1",
                   http::client_options{.request_timeout = 5s, .tally = tally, .proxy = proxy}};
    http::request r;
    r.target = "/echo";
    return c.send(r);
  }

  // The route a connection configured with `proxy` and these credentials
  // takes (no environment).
  static http::proxy_route route(const test::forward_proxy& p, const std::string& credentials,
                                 const http::endpoint& target) {
    auto r = http::choose_proxy(target, p.url(), credentials, "TB_PROXY_AUTH",
                                "$.connections.rm1", [](const char*) { return nullptr; });
    CAF_REQUIRE(r.ok());
    CAF_REQUIRE(r->has_value());
    return **r;
  }

  static http::endpoint https_target() {
    return http::endpoint{"https", "127.0.0.1", 443, ""};
  }

  // The refusal every case below expects: retried like an outage, marked
  // as the configuration's to fix, naming the connection and the URL.
  static std::string refusal(const result<http::response>& r, const test::tls_terminator& t) {
    if (r.ok()) {
      CAF_ERROR("expected a TLS refusal, got status " << r->status);
      return {};
    }
    auto& e = r.error();
    CAF_MESSAGE(e.where << ": " << e.message);
    CAF_CHECK(e.kind == error_kind::unavailable);
    CAF_CHECK(e.misconfigured);
    CAF_CHECK_EQUAL(e.where, "connection rm1");
    if (!has(e.message, "https://127.0.0.1:" + std::to_string(t.port()) + "/redmine")
        && !has(e.message, "https://localhost:" + std::to_string(t.port()) + "/redmine"))
      CAF_ERROR("the URL is not named: " << e.message);
    return e.message;
  }

  int issued = 0;
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(tls_client_tests, fixture)

CAF_TEST(a_certificate_signed_by_the_ca_in_ca_file_is_trusted_by_ip_and_by_name) {
  auto t = terminator(server_cert());
  auto by_ip = get(*t, {.ca_file = ca.cert_file()});
  if (!by_ip)
    CAF_FAIL(by_ip.error().message << "\nstunnel: " << t->log());
  CAF_CHECK_EQUAL(by_ip->status, 200);
  auto body = json::parse(by_ip->body);
  CAF_CHECK_EQUAL(body.at("target"), "/redmine/echo");
  auto by_name = get(*t, {.ca_file = ca.cert_file()}, "localhost");
  CAF_REQUIRE(by_name.ok());
  CAF_CHECK_EQUAL(by_name->status, 200);
  CAF_CHECK_EQUAL(tally->problem(), "");
}

CAF_TEST(a_private_ca_the_system_store_does_not_hold_is_refused_with_a_hint_to_set_ca_file) {
  auto t = terminator(server_cert());
  auto message = refusal(get(*t, {}), *t);
  CAF_CHECK(has(message, "is not trusted"));
  CAF_CHECK(has(message, "unable to get local issuer certificate")); // OpenSSL's reason
  CAF_CHECK(has(message, "issued by CN=tracker test CA"));
  CAF_CHECK(has(message, "set ca_file to the PEM file of the CA that signed it"));
  // The connection's problem is kept for the task view and /metrics, and the
  // call counted as one without an answer.
  CAF_CHECK(has(tally->problem(), "connection rm1: TLS with https://127.0.0.1:"));
  CAF_CHECK_EQUAL(tally->counts()[0], 1u);
}

CAF_TEST(a_ca_file_without_the_signing_ca_says_so) {
  auto t = terminator(server_cert());
  auto message = refusal(get(*t, {.ca_file = stranger.cert_file()}), *t);
  CAF_CHECK(has(message, "ca_file " + stranger.cert_file() + " does not hold the CA"));
}

CAF_TEST(a_certificate_for_another_host_is_refused_naming_what_it_is_for) {
  auto t = terminator(server_cert({.dns_names = {"tracker.example.org"}}));
  auto by_ip = refusal(get(*t, {.ca_file = ca.cert_file()}), *t);
  CAF_CHECK(has(by_ip, "is not for 127.0.0.1 (it names DNS:tracker.example.org)"));
  CAF_CHECK(has(by_ip, "IP address mismatch"));
  auto only_ip = terminator(server_cert({.ip_addresses = {"127.0.0.1"}}));
  auto by_name = refusal(get(*only_ip, {.ca_file = ca.cert_file()}, "localhost"), *only_ip);
  CAF_CHECK(has(by_name, "is not for localhost (it names IP:127.0.0.1)"));
  CAF_CHECK(has(by_name, "hostname mismatch"));
}

CAF_TEST(an_expired_certificate_is_refused_with_its_end_date) {
  auto t = terminator(server_cert({.valid_from_s = -7 * 86400, .valid_until_s = -86400}));
  auto message = refusal(get(*t, {.ca_file = ca.cert_file()}), *t);
  CAF_CHECK(has(message, "has expired (valid until "));
  CAF_CHECK(has(message, "certificate has expired"));
  CAF_CHECK(has(message, "renew the certificate on the server"));
}

CAF_TEST(a_server_that_wants_a_client_certificate_gets_it_from_the_files) {
  auto t = terminator(server_cert(), ca.cert_file());
  auto without = refusal(get(*t, {.ca_file = ca.cert_file()}), *t);
  CAF_CHECK(has(without, "the server wants a client certificate"));
  CAF_CHECK(has(without, "set client_cert_file and client_key_file"));

  auto mine = ca.issue({.common_name = "trackbridge", .client = true}, "client");
  auto with = get(*t, {.ca_file = ca.cert_file(), .client_cert_file = mine.cert,
                       .client_key_file = mine.key});
  if (!with)
    CAF_FAIL(with.error().message << "\nstunnel: " << t->log());
  CAF_CHECK_EQUAL(with->status, 200);
  CAF_CHECK_EQUAL(tally->problem(), ""); // the answer ended the problem

  auto foreign = stranger.issue({.common_name = "trackbridge", .client = true}, "foreign");
  auto refused = refusal(get(*t, {.ca_file = ca.cert_file(), .client_cert_file = foreign.cert,
                                  .client_key_file = foreign.key}),
                         *t);
  CAF_CHECK(has(refused, "client certificate in " + foreign.cert));
}

CAF_TEST(a_plain_http_port_behind_an_https_url_is_named_as_such) {
  auto ep = http::parse_endpoint("https://127.0.0.1:" + std::to_string(backend->port()),
                                 "$.connections.rm1.url");
  CAF_REQUIRE(ep.ok());
  auto ctx = http::load_tls({.ca_file = ca.cert_file()}, "$.connections.rm1");
  CAF_REQUIRE(ctx.ok());
  http::client c{*ep, "connection rm1", http::client_options{.request_timeout = 5s, .tls = *ctx}};
  http::request r;
  r.target = "/redmine/echo";
  auto out = c.send(r);
  CAF_REQUIRE(!out.ok());
  CAF_CHECK(out.error().misconfigured);
  CAF_CHECK(has(out.error().message, "does not speak TLS on this port"));
}

CAF_TEST(tls_files_that_cannot_be_used_are_refused_naming_the_key_and_the_file) {
  auto missing = http::load_tls({.ca_file = dir.file("none.pem")}, "$.connections.rm1");
  CAF_REQUIRE(!missing.ok());
  CAF_CHECK(missing.error().kind == error_kind::invalid);
  CAF_CHECK_EQUAL(missing.error().where, "$.connections.rm1.ca_file");
  CAF_CHECK(has(missing.error().message, "No such file or directory"));

  std::ofstream{dir.file("junk.pem")} << "not a certificate\n";
  auto junk = http::load_tls({.ca_file = dir.file("junk.pem")}, "$.connections.rm1");
  CAF_REQUIRE(!junk.ok());
  CAF_CHECK(has(junk.error().message, "it must hold PEM certificates of CAs"));

  auto a = ca.issue({.common_name = "a", .client = true}, "a");
  auto b = ca.issue({.common_name = "b", .client = true}, "b");
  auto mixed = http::load_tls({.client_cert_file = a.cert, .client_key_file = b.key},
                              "$.connections.rm1");
  CAF_REQUIRE(!mixed.ok());
  CAF_CHECK_EQUAL(mixed.error().where, "$.connections.rm1.client_key_file");
  CAF_CHECK(has(mixed.error().message, "is not the key of the certificate in " + a.cert));

  // A key under a passphrase is refused at once: OpenSSL is never left to
  // prompt for it on a terminal the server does not have.
  test::protect_key(b.key, "secret");
  auto locked = http::load_tls({.client_cert_file = b.cert, .client_key_file = b.key},
                               "$.connections.rm1");
  CAF_REQUIRE(!locked.ok());
  CAF_CHECK_EQUAL(locked.error().where, "$.connections.rm1.client_key_file");
  CAF_CHECK(has(locked.error().message, "it is protected by a passphrase"));
}

CAF_TEST(an_https_tracker_is_reached_through_a_proxy_with_connect_and_tls_end_to_end) {
  test::forward_proxy proxy{dir.path(), "tb", "s3cret"};
  auto t = terminator(server_cert());
  auto through = get(*t, {.ca_file = ca.cert_file()}, "127.0.0.1",
                     route(proxy, "tb:s3cret", https_target()));
  if (!through)
    CAF_FAIL(through.error().message << "\ntinyproxy: " << proxy.log());
  CAF_CHECK_EQUAL(through->status, 200);
  auto body = json::parse(through->body);
  CAF_CHECK_EQUAL(body.at("target"), "/redmine/echo");
  CAF_CHECK_EQUAL(proxy.requests("CONNECT 127.0.0.1:" + std::to_string(t->port())), 1u);
  // The certificate is still checked inside the tunnel.
  auto untrusted = refusal(get(*t, {}, "127.0.0.1", route(proxy, "tb:s3cret", https_target())),
                           *t);
  CAF_CHECK(has(untrusted, "is not trusted"));
}

CAF_TEST(a_proxy_that_wants_credentials_or_refuses_them_is_a_configuration_problem) {
  test::forward_proxy proxy{dir.path(), "tb", "s3cret"};
  auto t = terminator(server_cert());
  auto without = get(*t, {.ca_file = ca.cert_file()}, "127.0.0.1",
                     route(proxy, "", https_target()));
  CAF_REQUIRE(!without.ok());
  CAF_CHECK(without.error().misconfigured);
  CAF_CHECK(has(without.error().message, "the proxy " + proxy.url()
                                           + " (from $.connections.rm1.proxy): wants credentials "
                                             "(407"));
  CAF_CHECK(has(without.error().message, "proxy_auth_env"));
  auto wrong = get(*t, {.ca_file = ca.cert_file()}, "127.0.0.1",
                   route(proxy, "tb:guess", https_target()));
  CAF_REQUIRE(!wrong.ok());
  CAF_CHECK(wrong.error().misconfigured);
  // tinyproxy answers 401 to credentials it does not know, 407 to none.
  CAF_CHECK(has(wrong.error().message, "refused the credentials from TB_PROXY_AUTH (401"));
  CAF_CHECK(!has(wrong.error().message, "guess")); // never echoed
  CAF_CHECK(has(tally->problem(), "refused the credentials"));
}

CAF_TEST(an_http_tracker_is_reached_through_a_proxy_by_forwarding) {
  test::forward_proxy proxy{dir.path(), "tb", "s3cret"};
  auto target = http::endpoint{"http", "127.0.0.1", backend->port(), ""};
  auto through = get_plain(route(proxy, "tb:s3cret", target));
  if (!through)
    CAF_FAIL(through.error().message << "\ntinyproxy: " << proxy.log());
  CAF_CHECK_EQUAL(through->status, 200);
  auto body = json::parse(through->body);
  CAF_CHECK_EQUAL(body.at("target"), "/redmine/echo"); // origin-form again at the tracker
  CAF_CHECK_EQUAL(body.at("host"), "127.0.0.1:" + std::to_string(backend->port()));
  CAF_CHECK_EQUAL(proxy.requests("GET http://127.0.0.1:" + std::to_string(backend->port())
                                 + "/redmine/echo"),
                  1u);
  auto without = get_plain(route(proxy, "", target));
  CAF_REQUIRE(!without.ok());
  CAF_CHECK(without.error().misconfigured);
  CAF_CHECK(has(without.error().message, "wants credentials (407"));
}

CAF_TEST(a_proxy_that_does_not_answer_is_an_outage_not_a_configuration_problem) {
  http::proxy_route nowhere{.host = "127.0.0.1", .port = 9, .shown = "http://127.0.0.1:9",
                            .from = "HTTPS_PROXY"};
  auto t = terminator(server_cert());
  auto r = get(*t, {.ca_file = ca.cert_file()}, "127.0.0.1", nowhere);
  CAF_REQUIRE(!r.ok());
  CAF_CHECK(r.error().kind == error_kind::unavailable);
  CAF_CHECK(!r.error().misconfigured);
  CAF_CHECK(has(r.error().message, "cannot connect to the proxy http://127.0.0.1:9"));
}

CAF_TEST(a_connection_takes_its_own_proxy_or_the_environments_as_curl_reads_it) {
  std::map<std::string, std::string> vars;
  auto env = [&](const char* name) -> const char* {
    auto v = vars.find(name);
    return v == vars.end() ? nullptr : v->second.c_str();
  };
  auto https = http::endpoint{"https", "redmine.corp.example", 443, ""};
  auto plain = http::endpoint{"http", "redmine.corp.example", 80, ""};
  auto choose = [&](const http::endpoint& target, const std::string& configured = "") {
    auto r = http::choose_proxy(target, configured, "", "", "$.connections.rm1", env);
    CAF_REQUIRE(r.ok());
    return *r;
  };
  CAF_CHECK(!choose(https).has_value()); // nothing set: direct
  vars["HTTPS_PROXY"] = "http://upper:3128";
  vars["http_proxy"] = "http://plain.example:8080";
  auto upper = choose(https);
  CAF_CHECK_EQUAL(upper->shown, "http://upper:3128");
  CAF_CHECK_EQUAL(upper->from, "HTTPS_PROXY");
  vars["https_proxy"] = "http://user:p%40ss@lower"; // lower case first; no port: 1080
  auto lower = choose(https);
  CAF_CHECK_EQUAL(lower->shown, "http://lower:1080");
  CAF_CHECK_EQUAL(lower->from, "https_proxy");
  CAF_CHECK_EQUAL(lower->authorization, "Basic dXNlcjpwQHNz"); // user:p@ss
  auto forwarding = choose(plain);
  CAF_CHECK_EQUAL(forwarding->shown, "http://plain.example:8080");
  vars["NO_PROXY"] = "localhost, .corp.example";
  CAF_CHECK(!choose(https).has_value());
  CAF_CHECK(!choose(plain).has_value());
  // The connection's own proxy wins over all of it.
  auto own = choose(https, "http://proxy.corp.example:3128");
  CAF_CHECK_EQUAL(own->from, "$.connections.rm1.proxy");
  auto refused = [&](const std::string& configured) {
    auto r = http::choose_proxy(https, configured, "", "", "$.connections.rm1", env);
    CAF_REQUIRE(!r.ok());
    CAF_CHECK_EQUAL(r.error().where, "$.connections.rm1.proxy");
    return r.error().message;
  };
  CAF_CHECK(has(refused("http://u:secret@proxy:3128"), "proxy_auth_env"));
  CAF_CHECK(!has(refused("http://u:secret@proxy:3128"), "secret"));
  CAF_CHECK(has(refused("https://proxy:3128"), "must be an http:// URL"));
  CAF_CHECK(has(refused("http://proxy:3128/path"), "no path"));
  auto colonless = http::choose_proxy(https, "http://proxy:3128", "justauser", "TB_PROXY_AUTH",
                                      "$.connections.rm1", env);
  CAF_REQUIRE(!colonless.ok());
  CAF_CHECK_EQUAL(colonless.error().where, "$.connections.rm1.proxy_auth_env");
}

CAF_TEST(no_proxy_names_hosts_and_their_subdomains) {
  CAF_CHECK(http::exempt_from_proxy("*", "anything"));
  CAF_CHECK(http::exempt_from_proxy("corp.example", "corp.example"));
  CAF_CHECK(http::exempt_from_proxy("corp.example", "redmine.corp.example"));
  CAF_CHECK(http::exempt_from_proxy(".corp.example", "Redmine.Corp.Example"));
  CAF_CHECK(!http::exempt_from_proxy("corp.example", "xcorp.example"));
  CAF_CHECK(http::exempt_from_proxy("a, 127.0.0.1 ,b", "127.0.0.1"));
  CAF_CHECK(!http::exempt_from_proxy("127.0.0.1", "127.0.0.10"));
  CAF_CHECK(!http::exempt_from_proxy("", "localhost"));
}

CAF_TEST_FIXTURE_SCOPE_END()
