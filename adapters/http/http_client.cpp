#include "adapters/http/http_client.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include "adapters/http/tls.hpp"

namespace tb::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

// Trackers behind proxies send long Set-Cookie and security headers; Beast's
// default of 8 KiB would turn those into "not valid HTTP".
constexpr std::uint32_t header_limit = 64 * 1024;

const char* const example_url = "https://tracker.example.org/redmine";

sync_error invalid(const std::string& where, const std::string& message) {
  return sync_error{error_kind::invalid, where, message};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "host:port", with brackets around an IPv6 address.
std::string authority(const endpoint& ep) {
  auto host = ep.host.find(':') == std::string::npos ? ep.host : "[" + ep.host + "]";
  return host + ":" + std::to_string(ep.port);
}

bool is_http_error(const beast::error_code& ec) {
  return ec.category() == beast::error_code{bhttp::error::bad_target}.category();
}

} // namespace

result<endpoint> parse_endpoint(const std::string& url, const std::string& where) {
  // The URL is not echoed while it may hold credentials: errors end up in logs.
  auto parsed = urls::parse_uri(url);
  if (!parsed)
    return invalid(where, "not a valid URL (" + parsed.error().message() + "); expected e.g. "
                            + example_url);
  auto& u = *parsed;
  if (u.has_userinfo())
    return invalid(where, "the URL holds a user name or password, which would end up in logs; "
                          "remove it and name the environment variable holding the key in the "
                          "api_key_env setting");
  bool https = u.scheme_id() == urls::scheme::https;
  if (!https && u.scheme_id() != urls::scheme::http)
    return invalid(where, url + ": the scheme '" + std::string{u.scheme()}
                            + "' is not supported; use https:// or http://, e.g. "
                            + example_url);
  if (u.host_type() == urls::host_type::none || u.host_type() == urls::host_type::ipvfuture
      || u.encoded_host().empty())
    return invalid(where, url + ": the URL names no host; expected e.g. " + example_url);
  if (u.has_query() || u.has_fragment())
    return invalid(where, url + ": a base URL has no query ('?...') or fragment ('#...'); "
                                "remove them");
  endpoint ep;
  ep.scheme = https ? "https" : "http";
  ep.port = https ? 443 : 80;
  ep.host = u.host_address(); // without an IPv6 address's brackets
  if (u.has_port() && !u.port().empty()) {
    ep.port = u.port_number(); // 0 when the number does not fit
    if (ep.port == 0)
      return invalid(where, url + ": the port must be between 1 and 65535");
  }
  ep.base_path = std::string{u.encoded_path()};
  while (!ep.base_path.empty() && ep.base_path.back() == '/')
    ep.base_path.pop_back();
  return ep;
}

struct client::impl {
  endpoint ep;
  std::string where;
  client_options opts;
  asio::io_context ioc;
  // One of the two carries the connection: plain for http; for https, a
  // TLS stream made for each connection (OpenSSL's state does not outlive
  // the socket), with its own TCP stream below.
  beast::tcp_stream plain{ioc};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  std::optional<sync_error> tls_unusable; // an https client whose TLS could not be set up
  refused_certificate refused;            // the last handshake's, if it refused one
  beast::flat_buffer buffer;

  impl(endpoint e, std::string w, client_options o)
    : ep(std::move(e)), where(std::move(w)), opts(std::move(o)) {
    if (ep.https() && !opts.tls) {
      auto system_store = load_tls({}, where);
      if (system_store)
        opts.tls = *system_store;
      else
        tls_unusable = system_store.error();
    }
  }

  beast::tcp_stream& tcp() { return secure ? secure->next_layer() : plain; }

  // Runs f on the stream that carries HTTP.
  template <class F>
  auto on_stream(F f) {
    return secure ? f(*secure) : f(plain);
  }

  sync_error unavailable(const std::string& message) const {
    return sync_error{error_kind::unavailable, where, message};
  }

  // A TLS refusal: retried like an outage, but the configuration must
  // change for it to end.
  sync_error tls_problem(const beast::error_code& ec) {
    auto e = unavailable(
      describe_tls_failure(secure->native_handle(), ec, *opts.tls, ep, refused));
    e.misconfigured = true;
    return e;
  }

  // Runs one socket step to its handler. Every socket step ends: the
  // stream's timer cancels it at the deadline.
  template <class Start>
  beast::error_code run(Start start) {
    std::optional<beast::error_code> result;
    start([&](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    while (!result)
      ioc.run_one();
    return *result;
  }

  void close() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
    secure.reset();
    buffer.clear();
  }

  // The resolver cannot be cancelled (getaddrinfo blocks its thread), so on
  // the deadline its handler is abandoned; it only touches shared state.
  result<tcp::resolver::results_type> resolve(steady::time_point deadline) {
    struct outcome {
      std::optional<beast::error_code> ec;
      tcp::resolver::results_type endpoints;
    };
    auto out = std::make_shared<outcome>();
    tcp::resolver resolver{ioc};
    auto& host = opts.proxy ? opts.proxy->host : ep.host;
    auto port = opts.proxy ? opts.proxy->port : ep.port;
    std::string what = opts.proxy ? "the proxy's host " : "the host ";
    resolver.async_resolve(host, std::to_string(port), tcp::resolver::numeric_service,
                           [out](beast::error_code ec, tcp::resolver::results_type r) {
                             out->ec = ec;
                             out->endpoints = std::move(r);
                           });
    ioc.restart();
    while (!out->ec && ioc.run_one_until(deadline) > 0) {
      // nop
    }
    if (!out->ec)
      return unavailable("cannot resolve " + what + host + ": no answer within "
                         + std::to_string(opts.connect_timeout.count()) + " ms");
    if (*out->ec)
      return unavailable("cannot resolve " + what + host + ": " + out->ec->message());
    return out->endpoints;
  }

  std::optional<sync_error> connect() {
    close();
    auto deadline = steady::now() + opts.connect_timeout;
    auto endpoints = resolve(deadline);
    if (!endpoints)
      return endpoints.error();
    if (ep.https())
      secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, opts.tls->native());
    tcp().expires_at(deadline);
    auto ec = run([&](auto done) { tcp().async_connect(*endpoints, done); });
    auto peer = opts.proxy ? "the proxy " + opts.proxy->shown : authority(ep);
    if (ec == beast::error::timeout)
      return unavailable("cannot connect to " + peer + ": no answer within "
                         + std::to_string(opts.connect_timeout.count()) + " ms");
    if (ec)
      return unavailable("cannot connect to " + peer + ": " + ec.message());
    if (secure && opts.proxy)
      if (auto err = tunnel(deadline)) {
        close();
        return err;
      }
    return secure ? handshake(deadline) : std::nullopt;
  }

  sync_error proxy_problem(const std::string& message) const {
    auto e = unavailable("the proxy " + opts.proxy->shown + " (from " + opts.proxy->from
                         + "): " + message);
    e.misconfigured = true;
    return e;
  }

  // What a proxy's refusal means: 407 (or 401, which some proxies send for
  // credentials they do not know) is about the credentials, 5xx is the
  // proxy failing to reach the tracker (an outage), the rest its rules.
  sync_error proxy_refusal(unsigned status, const std::string& reason) const {
    auto answered = std::to_string(status) + (reason.empty() ? "" : " " + reason);
    if (status == 407 || status == 401)
      return proxy_problem(
        opts.proxy->credentials_from.empty()
          ? "wants credentials (" + answered
              + "); put user:password in an environment variable and name it in "
                "proxy_auth_env"
          : "refused the credentials from " + opts.proxy->credentials_from + " (" + answered
              + "); check the user and password there");
    if (status >= 500)
      return unavailable("the proxy " + opts.proxy->shown + " could not reach " + authority(ep)
                         + " (" + answered + ")");
    return proxy_problem("refused to connect to " + authority(ep) + " (" + answered
                         + "); allow the tracker's host and port in the proxy");
  }

  // An https tracker through a proxy: CONNECT opens a tunnel to it, and TLS
  // runs end to end inside, under the connect deadline.
  std::optional<sync_error> tunnel(steady::time_point deadline) {
    bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, authority(ep), 11};
    req.set(bhttp::field::host, authority(ep));
    req.set(bhttp::field::user_agent, "TrackBridge");
    if (!opts.proxy->authorization.empty())
      req.set(bhttp::field::proxy_authorization, opts.proxy->authorization);
    tcp().expires_at(deadline);
    auto ec = run([&](auto done) { bhttp::async_write(tcp(), req, done); });
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true); // an answer to CONNECT has no body: the tunnel follows
    if (!ec)
      ec = run([&](auto done) { bhttp::async_read(tcp(), buffer, parser, done); });
    if (ec == beast::error::timeout)
      return unavailable("the proxy " + opts.proxy->shown + " did not open a tunnel to "
                         + authority(ep) + " within "
                         + std::to_string(opts.connect_timeout.count()) + " ms");
    if (ec)
      return unavailable("the proxy " + opts.proxy->shown + " broke the tunnel to "
                         + authority(ep) + ": " + ec.message());
    auto& res = parser.get();
    if (res.result_int() != 200)
      return proxy_refusal(res.result_int(), std::string{res.reason()});
    // The TLS stream reads the socket itself: bytes the proxy sent early
    // would be lost.
    if (buffer.size() != 0)
      return unavailable("the proxy " + opts.proxy->shown
                         + " sent bytes after opening the tunnel; it is not a plain CONNECT "
                           "proxy");
    return std::nullopt;
  }

  // TLS on the new connection, under the connect deadline.
  std::optional<sync_error> handshake(steady::time_point deadline) {
    expect_host(secure->native_handle(), ep.host);
    refused = {};
    secure->set_verify_callback([this](bool ok, asio::ssl::verify_context& v) {
      return keep_refused(ok, v.native_handle(), refused);
    });
    tcp().expires_at(deadline);
    auto ec = run(
      [&](auto done) { secure->async_handshake(asio::ssl::stream_base::client, done); });
    if (!ec)
      return std::nullopt;
    std::optional<sync_error> out;
    if (ec == beast::error::timeout)
      out = unavailable("TLS with " + authority(ep) + ": no handshake within "
                        + std::to_string(opts.connect_timeout.count()) + " ms");
    else if (is_tls_error(ec))
      out = tls_problem(ec);
    else
      out = unavailable("TLS with " + authority(ep) + ": the connection broke during the "
                                                      "handshake ("
                        + ec.message() + ")");
    close();
    return out;
  }

  bhttp::request<bhttp::string_body> make_request(const request& r) const {
    bhttp::request<bhttp::string_body> req;
    req.method_string(r.method);
    auto target = ep.base_path + r.target;
    if (target.empty())
      target = "/";
    // Through a proxy, an http request names its whole URL (RFC 9112 3.2.2).
    bool forwarded = opts.proxy && !ep.https();
    req.target(forwarded ? "http://" + authority(ep) + target : target);
    req.version(11);
    req.set(bhttp::field::host, authority(ep));
    if (forwarded && !opts.proxy->authorization.empty())
      req.set(bhttp::field::proxy_authorization, opts.proxy->authorization);
    req.set(bhttp::field::user_agent, "TrackBridge");
    req.set(bhttp::field::connection, "keep-alive");
    if (!r.body.empty())
      req.set(bhttp::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers)
      req.set(name, value);
    req.body() = r.body;
    req.prepare_payload();
    return req;
  }

  struct attempt {
    result<response> outcome;
    bool nothing_received = false; // and no timeout: the request can be sent again
  };

  // One request and its reply on the open connection, under one deadline.
  attempt exchange(const bhttp::request<bhttp::string_body>& req) {
    // The query is left out of errors: it may hold a key.
    auto target = std::string{req.target()};
    auto what = std::string{req.method_string()} + " " + target.substr(0, target.find('?'))
                + " on " + authority(ep) + ": ";
    auto timed_out = [&] {
      close();
      return attempt{unavailable(what + "no answer within "
                                 + std::to_string(opts.request_timeout.count()) + " ms")};
    };

    tcp().expires_after(opts.request_timeout);
    auto write_ec = on_stream(
      [&](auto& s) { return run([&](auto done) { bhttp::async_write(s, req, done); }); });
    if (write_ec == beast::error::timeout)
      return timed_out();

    // Read even after a failed write: a server may refuse a request early
    // (413) and close, and its reply says more than the write's error.
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(opts.max_body);
    parser.skip(req.method() == bhttp::verb::head); // the Content-Length has no body behind it
    auto ec = on_stream([&](auto& s) {
      return run([&](auto done) { bhttp::async_read(s, buffer, parser, done); });
    });
    if (ec == beast::error::timeout)
      return timed_out();
    // TLS 1.3 tells of a refused client certificate after the handshake, on
    // the first read.
    if (secure && is_tls_error(ec)) {
      auto problem = tls_problem(ec);
      close();
      return {problem};
    }
    if (ec) {
      bool nothing = !parser.got_some() && buffer.size() == 0;
      close();
      // The tracker answered, with more than is read: not an outage.
      if (ec == bhttp::error::body_limit)
        return {sync_error{error_kind::bad_answer, where,
                           what + "the reply's body is over the "
                             + std::to_string(opts.max_body) + "-byte limit"}};
      if (is_http_error(ec) && ec != bhttp::error::end_of_stream
          && ec != bhttp::error::partial_message)
        return {unavailable(what + "the reply is not valid HTTP: " + ec.message())};
      auto cause = write_ec ? "sending failed: " + write_ec.message() : ec.message();
      return {unavailable(what + (nothing ? "the server closed the connection without a reply ("
                                          : "the connection broke during the reply (")
                          + cause + ")"),
              nothing};
    }

    auto res = parser.release();
    if (!res.keep_alive())
      close();
    // A forwarding proxy that refuses the credentials answers for itself.
    if (opts.proxy && !ep.https() && res.result_int() == 407)
      return {proxy_refusal(407, std::string{res.reason()})};
    response out;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    for (auto& field : res) {
      auto& value = out.headers[lower(std::string{field.name_string()})];
      value += (value.empty() ? "" : ", ") + std::string{field.value()};
    }
    return {std::move(out)};
  }

  // Whether an idle keep-alive connection is still usable: one the server
  // closed reads as end of stream (or holds stray bytes) without blocking.
  bool idle_connection_alive() {
    char byte;
    auto n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  // One call: the request and, on a stale keep-alive connection, its resend.
  result<response> send(const request& r) {
    auto req = make_request(r);
    if (tls_unusable)
      return *tls_unusable;
    if (tcp().socket().is_open() && !idle_connection_alive())
      close();
    bool reused = tcp().socket().is_open();
    if (!reused)
      if (auto err = connect())
        return *err;
    auto tried = exchange(req);
    // A server may close an idle keep-alive connection just as a request goes
    // out; a read that got nothing back is sent once more on a new one. A
    // write is not: "nothing back" may also mean it was done and its answer
    // lost, and the engine's write intents find out which.
    bool read = r.method == "GET" || r.method == "HEAD";
    if (!tried.outcome && reused && tried.nothing_received && read) {
      if (auto err = connect())
        return *err;
      tried = exchange(req);
    }
    return std::move(tried.outcome);
  }
};

client::client(endpoint ep, std::string where, client_options opts)
  : impl_(std::make_unique<impl>(std::move(ep), std::move(where), std::move(opts))) {
}

client::~client() = default;

result<response> client::send(const request& r) {
  auto out = impl_->send(r);
  if (auto& tally = impl_->opts.tally) {
    tally->count(out ? out->status : 0);
    if (out)
      tally->answered();
    else if (out.error().misconfigured)
      tally->met_problem(out.error().where + ": " + out.error().message);
  }
  return out;
}

} // namespace tb::http
