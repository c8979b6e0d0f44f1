#include "tests/support/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace tb::test {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// Redmine on WEBrick and sqlite stalls now and then for seconds; the
// product rides that out with its own 30 s timeout and retries, so the tests
// wait as long.
constexpr auto call_timeout = std::chrono::seconds(30);

// Runs one async step to completion. Async steps, because the stream's
// timeout bounds only those; a blocking read could wait forever.
template <class Start>
beast::error_code run(asio::io_context& ioc, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

http::request<http::string_body> make_request(const std::string& method, std::uint16_t port,
                                              const std::string& target,
                                              const std::string& body,
                                              const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "trackbridge-test");
  if (!body.empty())
    req.set(http::field::content_type, "application/json");
  for (auto& [name, value] : headers)
    req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  return req;
}

} // namespace

nlohmann::json http_reply::json() const {
  return nlohmann::json::parse(body);
}

namespace {

// One request and its reply over a connected stream, plain or TLS.
template <class Stream>
http_reply exchange(asio::io_context& ioc, Stream& stream, const std::string& what,
                    const std::string& method, std::uint16_t port, const std::string& target,
                    const std::string& body, const std::map<std::string, std::string>& headers) {
  auto req = make_request(method, port, target, body, headers);
  // A server that refuses a request early (413) may stop reading it; its
  // reply can still be read, so a failed write is only reported if no reply
  // follows.
  auto write_ec = run(ioc, [&](auto done) { http::async_write(stream, req, done); });

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.skip(method == "HEAD"); // a HEAD reply's Content-Length has no body behind it
  if (auto ec = run(ioc, [&](auto done) { http::async_read(stream, buffer, parser, done); }))
    throw std::runtime_error("no reply to " + what + ": " + ec.message()
                             + (write_ec ? " (sending failed: " + write_ec.message() + ")" : ""));

  auto res = parser.release();
  http_reply reply;
  if (write_ec)
    reply.write_error = write_ec.message();
  reply.status = static_cast<int>(res.result_int());
  reply.body = std::move(res.body());
  for (auto& field : res)
    reply.headers[lower(std::string{field.name_string()})] = std::string{field.value()};
  return reply;
}

void connect(asio::io_context& ioc, beast::tcp_stream& stream, std::uint16_t port,
             const std::string& what) {
  stream.expires_after(call_timeout);
  tcp::endpoint server{asio::ip::make_address_v4("127.0.0.1"), port};
  if (auto ec = run(ioc, [&](auto done) { stream.async_connect(server, done); }))
    throw std::runtime_error("cannot connect for " + what + ": " + ec.message());
}

std::string common_name(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  char cn[256] = {};
  if (cert)
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

} // namespace

http_reply http_call(const std::string& method, std::uint16_t port, const std::string& target,
                     const std::string& body, std::map<std::string, std::string> headers) {
  auto what = method + " " + target + " to 127.0.0.1:" + std::to_string(port);
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  connect(ioc, stream, port, what);
  auto reply = exchange(ioc, stream, what, method, port, target, body, headers);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return reply;
}

struct https_connection::state {
  ssl::context ctx{ssl::context::tls_client};
  asio::io_context ioc;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
  std::uint16_t port = 0;
};

https_connection::https_connection(const tls_peer& tls, std::uint16_t port)
  : state_(std::make_unique<state>()) {
  auto& s = *state_;
  s.port = port;
  auto what = "https://127.0.0.1:" + std::to_string(port);
  s.ctx.load_verify_file(tls.ca_file);
  s.ctx.set_verify_mode(ssl::verify_peer);
  auto& stream = s.stream.emplace(s.ioc, s.ctx);
  boost::system::error_code not_ip;
  asio::ip::make_address(tls.host, not_ip);
  if (not_ip) {
    SSL_set_tlsext_host_name(stream.native_handle(), tls.host.c_str());
    SSL_set1_host(stream.native_handle(), tls.host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream.native_handle()), tls.host.c_str());
  }
  connect(s.ioc, beast::get_lowest_layer(stream), port, what);
  auto handshake = [&](auto done) { stream.async_handshake(ssl::stream_base::client, done); };
  if (auto ec = run(s.ioc, handshake))
    throw std::runtime_error("TLS handshake with " + what + " failed: " + ec.message());
}

https_connection::~https_connection() {
  beast::error_code ignored;
  beast::get_lowest_layer(*state_->stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
}

http_reply https_connection::call(const std::string& method, const std::string& target,
                                  const std::string& body,
                                  std::map<std::string, std::string> headers) {
  auto& s = *state_;
  auto what = method + " " + target + " to https://127.0.0.1:" + std::to_string(s.port);
  beast::get_lowest_layer(*s.stream).expires_after(call_timeout);
  auto reply = exchange(s.ioc, *s.stream, what, method, s.port, target, body, headers);
  reply.certificate = common_name(s.stream->native_handle());
  return reply;
}

http_reply https_call(const tls_peer& tls, const std::string& method, std::uint16_t port,
                      const std::string& target, const std::string& body,
                      std::map<std::string, std::string> headers) {
  return https_connection{tls, port}.call(method, target, body, std::move(headers));
}

std::uint16_t free_port() {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint{asio::ip::make_address_v4("127.0.0.1"), 0}};
  return acceptor.local_endpoint().port();
}

} // namespace tb::test
