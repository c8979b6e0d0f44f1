#define CAF_SUITE http_client
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <atomic>
#include <memory>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "adapters/http/call_tally.hpp"
#include "adapters/http/http_client.hpp"
#include "adapters/http/retry.hpp"
#include "api/http_server.hpp"
#include "api/router.hpp"
#include "tests/support/http_client.hpp"

using namespace tb;
using json = nlohmann::json;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const auto loopback = asio::ip::make_address_v4("127.0.0.1");

// A raw HTTP server that counts connections and requests and misbehaves on
// purpose, which the project's server never does.
class scripted_server {
 public:
  enum class mode {
    keep_alive,      // answers every request, keeps the connection open
    close_after_one, // answers one request with keep-alive, then closes
    close_at_once,   // closes each connection as soon as it is accepted
    lose_second,     // reads a connection's second request, then closes unanswered
  };

  explicit scripted_server(mode m) : mode_(m), acceptor_(ioc_, {loopback, 0}) {
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread{[this] { ioc_.run(); }};
  }

  ~scripted_server() {
    ioc_.stop();
    thread_.join();
  }

  std::uint16_t port() const {
    return acceptor_.local_endpoint().port();
  }

  int connections() const {
    return connections_;
  }

  int requests() const {
    return requests_;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec)
        co_return;
      ++connections_; // before any reply: the client cannot see a reply first
      if (mode_ != mode::close_at_once)
        asio::co_spawn(ioc_, serve(std::move(socket)), asio::detached);
    } // a socket not handed on closes here
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    int on_this_connection = 0;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      auto [ec, n] = co_await bhttp::async_read(socket, buffer, req,
                                                asio::as_tuple(asio::use_awaitable));
      if (ec)
        co_return;
      int number = ++requests_;
      if (mode_ == mode::lose_second && ++on_this_connection == 2)
        co_return; // as if it did the work and the answer got lost
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
      res.keep_alive(true);
      res.set(bhttp::field::connection, "keep-alive");
      res.body() = "request " + std::to_string(number);
      res.prepare_payload();
      auto [wec, wn] = co_await bhttp::async_write(socket, res,
                                                   asio::as_tuple(asio::use_awaitable));
      if (wec || mode_ == mode::close_after_one)
        co_return; // the socket closes with the coroutine
    }
  }

  mode mode_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<int> connections_ = 0;
  std::atomic<int> requests_ = 0;
  std::thread thread_;
};

// The project's own server on 127.0.0.1, with test routes below /redmine,
// and a client whose base URL ends in /redmine.
struct fixture {
  api::router routes;
  std::unique_ptr<api::http_server> server;

  fixture() {
    auto echo = [](const api::http_request& r, const api::route_params& p) {
      json headers = json::object();
      for (auto name : {"host", "user-agent", "content-type", "connection", "x-api-key"})
        if (r.headers.count(name))
          headers[name] = r.headers.at(name);
      return api::json_response(200, {{"method", r.method},
                                      {"target", r.target},
                                      {"limit", p.query.count("limit") ? p.query.at("limit") : ""},
                                      {"headers", headers},
                                      {"body", r.body}});
    };
    routes.add("GET", "/redmine/echo", echo);
    routes.add("POST", "/redmine/echo", echo);
    routes.add("PUT", "/redmine/refuse", [](auto&, auto&) {
      return api::error_response(422, "issue 7", "status is not allowed");
    });
    routes.add("GET", "/redmine/big", [](auto&, auto&) {
      return api::http_response{200, "text/plain", std::string(2000, 'x'), {}};
    });
    server = std::make_unique<api::http_server>(routes, "127.0.0.1", 0);
    server->start();
  }

  ~fixture() {
    server->stop();
  }

  static http::endpoint at(std::uint16_t port, std::string base_path = "") {
    return http::endpoint{"http", "127.0.0.1", port, std::move(base_path)};
  }

  http::client make_client(http::client_options opts = {}) {
    opts.request_timeout = 5s; // a hang fails fast instead of after 30 s
    return http::client{at(server->port(), "/redmine"), "connection rm1", opts};
  }

  static http::request get(const std::string& target) {
    http::request r;
    r.target = target;
    return r;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(http_client_tests, fixture)

CAF_TEST(a_get_reaches_the_server_below_the_base_path_with_host_and_user_agent) {
  auto c = make_client();
  auto r = c.send(get("/echo?limit=1"));
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->status, 200);
  CAF_CHECK_EQUAL(r->headers["content-type"], "application/json");
  auto body = json::parse(r->body);
  CAF_CHECK_EQUAL(body.at("method"), "GET");
  CAF_CHECK_EQUAL(body.at("target"), "/redmine/echo?limit=1");
  CAF_CHECK_EQUAL(body.at("limit"), "1");
  CAF_CHECK_EQUAL(body.at("headers").at("host"), "127.0.0.1:" + std::to_string(server->port()));
  CAF_CHECK_EQUAL(body.at("headers").at("user-agent"), "TrackBridge");
  CAF_CHECK_EQUAL(body.at("headers").at("connection"), "keep-alive");
  CAF_CHECK(!body.at("headers").contains("content-type")); // no body, no type
}

CAF_TEST(a_post_sends_its_body_content_type_and_headers) {
  auto c = make_client();
  http::request req;
  req.method = "POST";
  req.target = "/echo";
  req.headers["X-Api-Key"] = "k3y";
  req.body = R"({"issue":{"subject":"Crash"}})";
  auto r = c.send(req);
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->status, 200);
  auto body = json::parse(r->body);
  CAF_CHECK_EQUAL(body.at("method"), "POST");
  CAF_CHECK_EQUAL(body.at("body"), req.body);
  CAF_CHECK_EQUAL(body.at("headers").at("content-type"), "application/json");
  CAF_CHECK_EQUAL(body.at("headers").at("x-api-key"), "k3y");
}

CAF_TEST(statuses_other_than_2xx_are_responses_not_errors) {
  auto c = make_client();
  http::request put;
  put.method = "PUT";
  put.target = "/refuse";
  put.body = "{}";
  auto refused = c.send(put);
  CAF_REQUIRE(refused.ok());
  CAF_CHECK_EQUAL(refused->status, 422);
  CAF_CHECK(has(refused->body, "status is not allowed"));
  auto missing = c.send(get("/nothing/here"));
  CAF_REQUIRE(missing.ok());
  CAF_CHECK_EQUAL(missing->status, 404);
}

CAF_TEST(a_head_request_reads_no_body_and_leaves_the_connection_usable) {
  auto c = make_client();
  auto head = get("/big");
  head.method = "HEAD";
  auto r = c.send(head);
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->status, 200);
  CAF_CHECK_EQUAL(r->headers["content-length"], "2000");
  CAF_CHECK_EQUAL(r->body, "");
  auto then = c.send(get("/big"));
  CAF_REQUIRE(then.ok());
  CAF_CHECK_EQUAL(then->body.size(), 2000u);
}

CAF_TEST(a_host_name_is_resolved) {
  auto ep = http::parse_endpoint("http://localhost:" + std::to_string(server->port()) + "/redmine/",
                                 "test");
  CAF_REQUIRE(ep.ok());
  http::client c{*ep, "connection rm1"};
  auto r = c.send(get("/echo"));
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->status, 200);
}

CAF_TEST(a_body_over_the_limit_is_a_bad_answer_not_an_outage) {
  http::client_options opts;
  opts.max_body = 1000;
  auto c = make_client(opts);
  auto r = c.send(get("/big"));
  CAF_REQUIRE(!r.ok());
  CAF_CHECK(r.error().kind == error_kind::bad_answer);
  CAF_CHECK_EQUAL(r.error().where, "connection rm1");
  CAF_CHECK(has(r.error().message, "GET /redmine/big on 127.0.0.1:"));
  CAF_CHECK(has(r.error().message, "the reply's body is over the 1000-byte limit"));
}

CAF_TEST(several_requests_share_one_connection) {
  scripted_server s{scripted_server::mode::keep_alive};
  http::client c{at(s.port()), "connection rm1"};
  for (int i = 1; i <= 3; ++i) {
    auto r = c.send(get("/issues.json"));
    CAF_REQUIRE(r.ok());
    CAF_CHECK_EQUAL(r->body, "request " + std::to_string(i));
  }
  CAF_CHECK_EQUAL(s.requests(), 3);
  CAF_CHECK_EQUAL(s.connections(), 1);
}

CAF_TEST(a_connection_the_server_closed_while_idle_is_reopened_transparently) {
  scripted_server s{scripted_server::mode::close_after_one};
  http::client c{at(s.port()), "connection rm1"};
  auto first = c.send(get("/issues.json"));
  CAF_REQUIRE(first.ok());
  CAF_CHECK_EQUAL(first->body, "request 1");
  auto second = c.send(get("/issues.json"));
  CAF_REQUIRE(second.ok());
  CAF_CHECK_EQUAL(second->body, "request 2");
  CAF_CHECK_EQUAL(s.connections(), 2);
}

CAF_TEST(a_write_whose_answer_was_lost_on_a_reused_connection_is_not_sent_twice) {
  scripted_server s{scripted_server::mode::lose_second};
  http::client c{at(s.port()), "connection rm1"};
  CAF_REQUIRE(c.send(get("/issues.json")).ok());
  http::request put;
  put.method = "PUT";
  put.target = "/issues/1.json";
  put.body = R"({"issue":{"notes":"once"}})";
  auto r = c.send(put);
  CAF_REQUIRE(!r.ok());
  CAF_CHECK(has(r.error().message, "closed the connection without a reply"));
  CAF_CHECK_EQUAL(s.requests(), 2); // the server got it once: the engine decides the rest
  // A read lost the same way is sent again on a new connection.
  scripted_server reads{scripted_server::mode::lose_second};
  http::client d{at(reads.port()), "connection rm1"};
  CAF_REQUIRE(d.send(get("/issues.json")).ok());
  auto again = d.send(get("/issues.json"));
  CAF_REQUIRE(again.ok());
  CAF_CHECK_EQUAL(reads.requests(), 3);
}

CAF_TEST(a_server_that_closes_a_new_connection_unanswered_is_an_error_without_retry) {
  scripted_server s{scripted_server::mode::close_at_once};
  http::client c{at(s.port()), "connection rm1"};
  auto r = c.send(get("/issues.json?key=secret"));
  CAF_REQUIRE(!r.ok());
  CAF_CHECK(r.error().kind == error_kind::unavailable);
  CAF_CHECK(has(r.error().message, "GET /issues.json on 127.0.0.1:" + std::to_string(s.port())));
  CAF_CHECK(has(r.error().message, "closed the connection without a reply"));
  CAF_CHECK(!has(r.error().message, "secret")); // the query may hold a key
  CAF_CHECK_EQUAL(s.connections(), 1);
}

CAF_TEST(a_refused_connection_is_an_unavailable_error_naming_the_address) {
  auto port = test::free_port();
  http::client c{at(port), "connection rm1"};
  auto r = c.send(get("/issues.json"));
  CAF_REQUIRE(!r.ok());
  CAF_CHECK(r.error().retryable());
  CAF_CHECK_EQUAL(r.error().where, "connection rm1");
  CAF_CHECK(has(r.error().message, "cannot connect to 127.0.0.1:" + std::to_string(port) + ": "));
}

CAF_TEST(a_server_that_never_answers_times_out_after_the_request_timeout) {
  // Listening without accepting: the system completes the connection, and
  // nobody ever reads the request.
  asio::io_context ioc;
  tcp::acceptor silent{ioc, {loopback, 0}};
  http::client_options opts;
  opts.request_timeout = 300ms;
  http::client c{at(silent.local_endpoint().port()), "connection rm1", opts};
  auto r = c.send(get("/issues.json"));
  CAF_REQUIRE(!r.ok());
  CAF_CHECK(r.error().retryable());
  CAF_CHECK(has(r.error().message, "GET /issues.json on 127.0.0.1:"));
  CAF_CHECK(has(r.error().message, "no answer within 300 ms"));
}

CAF_TEST(a_client_counts_each_call_by_its_status_and_a_refused_connection_as_no_answer) {
  auto tally = std::make_shared<http::call_tally>();
  http::client_options opts;
  opts.tally = tally;
  auto c = make_client(opts);
  for (auto target : {"/echo", "/echo", "/nothing/here"})
    CAF_CHECK(c.send(get(target)).ok());
  http::client refused{at(test::free_port()), "connection rm1", opts};
  CAF_CHECK(!refused.send(get("/issues.json")).ok());
  auto counts = tally->counts();
  auto expected = std::map<int, std::uint64_t>{{0, 1}, {200, 2}, {404, 1}};
  CAF_CHECK_EQUAL(counts, expected);
}

CAF_TEST(a_call_resent_on_a_reopened_connection_counts_once) {
  scripted_server s{scripted_server::mode::close_after_one};
  auto tally = std::make_shared<http::call_tally>();
  http::client_options opts;
  opts.tally = tally;
  http::client c{at(s.port()), "connection rm1", opts};
  CAF_CHECK(c.send(get("/issues.json")).ok());
  CAF_CHECK(c.send(get("/issues.json")).ok());
  auto connections = s.connections();
  CAF_CHECK_EQUAL(connections, 2); // the second call did reopen
  auto counts = tally->counts();
  auto expected = std::map<int, std::uint64_t>{{200, 2}};
  CAF_CHECK_EQUAL(counts, expected);
}

CAF_TEST(a_tally_shared_by_two_threads_loses_no_count) {
  http::call_tally tally;
  auto work = [&] {
    for (int i = 0; i < 10000; ++i)
      tally.count(200);
  };
  std::thread a{work};
  std::thread b{work};
  a.join();
  b.join();
  auto counts = tally.counts();
  auto expected = std::map<int, std::uint64_t>{{200, 20000}};
  CAF_CHECK_EQUAL(counts, expected);
}

CAF_TEST(parse_endpoint_reads_host_port_and_base_path) {
  auto plain = http::parse_endpoint("http://127.0.0.1:3055", "$.connections.rm1.url");
  CAF_REQUIRE(plain.ok());
  CAF_CHECK_EQUAL(plain->scheme, "http");
  CAF_CHECK_EQUAL(plain->host, "127.0.0.1");
  CAF_CHECK_EQUAL(plain->port, 3055);
  CAF_CHECK_EQUAL(plain->base_path, "");
  auto below = http::parse_endpoint("http://localhost:3055/redmine/", "$.connections.rm1.url");
  CAF_REQUIRE(below.ok());
  CAF_CHECK_EQUAL(below->host, "localhost");
  CAF_CHECK_EQUAL(below->base_path, "/redmine");
  auto default_port = http::parse_endpoint("http://redmine.example.org", "x");
  CAF_REQUIRE(default_port.ok());
  CAF_CHECK_EQUAL(default_port->port, 80);
  auto v6 = http::parse_endpoint("http://[::1]:3055/", "x");
  CAF_REQUIRE(v6.ok());
  CAF_CHECK_EQUAL(v6->host, "::1");
  auto https = http::parse_endpoint("https://redmine.example.org/tracker", "x");
  CAF_REQUIRE(https.ok());
  CAF_CHECK(https->https());
  CAF_CHECK_EQUAL(https->scheme, "https");
  CAF_CHECK_EQUAL(https->port, 443);
  CAF_CHECK_EQUAL(https->base_path, "/tracker");
}

CAF_TEST(parse_endpoint_refuses_what_it_cannot_use_saying_why) {
  auto refusal = [](const std::string& url) {
    auto r = http::parse_endpoint(url, "$.connections.rm1.url");
    CAF_REQUIRE(!r.ok());
    CAF_CHECK(r.error().kind == error_kind::invalid);
    CAF_CHECK_EQUAL(r.error().where, "$.connections.rm1.url");
    return r.error().message;
  };
  CAF_CHECK(has(refusal("ftp://x"), "the scheme 'ftp' is not supported; use https:// or http://"));
  auto credentials = refusal("http://user:pw@x");
  CAF_CHECK(has(credentials, "api_key_env"));
  CAF_CHECK(!has(credentials, "pw")); // not echoed into logs
  CAF_CHECK(has(refusal("not a url"), "not a valid URL"));
  CAF_CHECK(has(refusal("http://x/?q=1"), "http://x/?q=1: a base URL has no query"));
  CAF_CHECK(has(refusal("http://x/#top"), "or fragment"));
  CAF_CHECK(has(refusal("http:///path"), "names no host"));
  CAF_CHECK(has(refusal("http://x:70000"), "the port must be between 1 and 65535"));
}

namespace {

// A tracker that answers from a script, one outcome per send.
struct scripted {
  explicit scripted(std::vector<result<http::response>> script) : outcomes(std::move(script)) {}
  std::vector<result<http::response>> outcomes;
  std::size_t sent = 0;
  std::vector<std::chrono::milliseconds> waits;
  result<http::response> operator()(const http::request&) { return outcomes.at(sent++); }
};

http::response status(int code, std::map<std::string, std::string> headers = {}) {
  return http::response{code, std::move(headers), ""};
}

result<http::response> send_via(scripted& s, const std::string& method) {
  http::request r;
  r.method = method;
  return http::send_repeating(
    r, [&](const http::request& q) { return s(q); }, http::retry_policy{},
    [&](std::chrono::milliseconds w) { s.waits.push_back(w); }, [] { return 0.5; });
}

const sync_error reset{error_kind::unavailable, "connection rm1", "connection reset"};

} // namespace

CAF_TEST(a_read_that_failed_is_sent_again_after_a_backoff_and_gets_its_answer) {
  scripted s{{reset, status(502), status(200)}};
  auto r = send_via(s, "GET");
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->status, 200);
  CAF_CHECK_EQUAL(s.sent, 3u);
  CAF_REQUIRE_EQUAL(s.waits.size(), 2u);
  CAF_CHECK_EQUAL(s.waits[0].count(), 200);
  CAF_CHECK_EQUAL(s.waits[1].count(), 400);
}

CAF_TEST(repeats_stop_after_three_sends_with_the_last_outcome) {
  scripted s{{status(503), status(503), status(504), status(200)}};
  auto r = send_via(s, "GET");
  CAF_CHECK_EQUAL(r->status, 504);
  CAF_CHECK_EQUAL(s.sent, 3u);
}

CAF_TEST(a_write_is_sent_again_only_after_429_which_says_it_was_not_done) {
  scripted lost{{reset, status(201)}};
  CAF_CHECK(!send_via(lost, "PUT"));
  CAF_CHECK_EQUAL(lost.sent, 1u); // may have been done: the engine's intents decide
  scripted gateway{{status(502), status(201)}};
  auto bad_gateway = send_via(gateway, "POST");
  CAF_REQUIRE(bad_gateway);
  CAF_CHECK_EQUAL(bad_gateway->status, 502);
  scripted limited{{status(429, {{"retry-after", "1"}}), status(201)}};
  auto created = send_via(limited, "POST");
  CAF_REQUIRE(created);
  CAF_CHECK_EQUAL(created->status, 201);
  CAF_REQUIRE_EQUAL(limited.waits.size(), 1u);
  CAF_CHECK_EQUAL(limited.waits[0].count(), 1000); // as asked, more than the backoff
}

CAF_TEST(a_retry_after_longer_than_it_waits_here_is_returned_for_the_breaker) {
  scripted s{{status(429, {{"retry-after", "120"}}), status(200)}};
  auto r = send_via(s, "GET");
  CAF_CHECK_EQUAL(r->status, 429);
  CAF_CHECK_EQUAL(s.sent, 1u);
  auto wait = http::retry_after_of(*r, 0);
  CAF_REQUIRE(wait);
  CAF_CHECK_EQUAL(wait->count(), 120000);
}

CAF_TEST(answers_that_are_not_faults_are_returned_at_once) {
  for (int code : {200, 404, 422, 403}) {
    scripted s{{status(code), status(200)}};
    auto r = send_via(s, "GET");
    CAF_REQUIRE(r);
    CAF_CHECK_EQUAL(r->status, code);
    CAF_CHECK_EQUAL(s.sent, 1u);
  }
}

CAF_TEST_FIXTURE_SCOPE_END()
