#include "api/http_server.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "api/server_tls.hpp"

// Modelled on Beast's advanced server: sessions only do I/O, one do_x/on_x
// pair per async step, a timeout and a body limit on every read.

namespace tb::api {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr std::uint64_t body_limit = 1024 * 1024;
constexpr auto read_timeout = 30s;
constexpr auto write_timeout = 30s;
// After refusing a request, what is still coming is read and dropped (up to
// a bound) so that the client reads the refusal instead of a reset.
constexpr std::size_t drain_limit = 8 * 1024 * 1024;
constexpr auto drain_timeout = 5s;

using beast_request = http::request<http::string_body>;
using beast_response = http::response<http::string_body>;

http_request to_request(beast_request&& r) {
  http_request out;
  out.method = std::string{r.method_string()};
  out.target = std::string{r.target()};
  for (auto& field : r) {
    std::string name{field.name_string()};
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto& value = out.headers[name];
    value += (value.empty() ? "" : ", ") + std::string{field.value()};
  }
  out.body = std::move(r.body());
  return out;
}

beast_response to_beast(const http_response& r, unsigned version, bool keep_alive) {
  beast_response res;
  res.version(version);
  res.result(static_cast<unsigned>(r.status));
  res.set(http::field::server, "TrackBridge");
  res.set(http::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers)
    res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

bool is_http_error(const beast::error_code& ec) {
  return ec.category() == beast::error_code{http::error::bad_target}.category();
}

// What the session registry can do to any connection, plain or TLS.
class connection {
 public:
  virtual ~connection() = default;
  // On the session's strand, or while no thread runs the io_context (the
  // server is stopping).
  virtual void close() = 0;
};

// An https server's reply to a plain HTTP request: where to go instead.
std::string https_only(const beast_request& req) {
  auto host = std::string{req[http::field::host]};
  return "this server takes https only: use https://" + (host.empty() ? "HOST:PORT" : host)
         + std::string{req.target()};
}

// One connection: reads requests, hands each to the router, writes the
// response; keep-alive until the client closes, times out or errs. Stream
// is a beast::tcp_stream or a beast::ssl_stream over one; only the start
// (the TLS handshake) and the end (close_notify, or a drain) differ.
template <class Stream>
class session : public connection, public std::enable_shared_from_this<session<Stream>> {
 public:
  static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;

  // buffer: what was read before the session began (detecting TLS).
  // refuse_plain: the request came as plain HTTP to an https server.
  session(tcp::socket&& socket, const router& routes, beast::flat_buffer buffer,
          bool refuse_plain = false) requires(!tls)
    : stream_(std::move(socket)), routes_(routes), buffer_(std::move(buffer)),
      refuse_plain_(refuse_plain) {
  }

  session(tcp::socket&& socket, const router& routes, beast::flat_buffer buffer,
          std::shared_ptr<ssl::context> context) requires(tls)
    : context_(std::move(context)), stream_(std::move(socket), *context_), routes_(routes),
      buffer_(std::move(buffer)) {
  }

  void run() {
    auto start = tls ? &session::do_handshake : &session::do_read_header;
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(start, self()));
  }

  void close() override {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().close(ec);
  }

 private:
  std::shared_ptr<session> self() { return this->shared_from_this(); }
  beast::tcp_stream& transport() { return beast::get_lowest_layer(stream_); }

  void do_handshake() {
    if constexpr (tls) {
      transport().expires_after(read_timeout);
      stream_.async_handshake(ssl::stream_base::server, buffer_.data(),
                              beast::bind_front_handler(&session::on_handshake, self()));
    }
  }

  // A client that does not trust the certificate, or speaks no TLS the
  // server accepts, ends here: it has its reason in the alert it got.
  void on_handshake(beast::error_code ec, std::size_t used) {
    if (ec)
      return close();
    buffer_.consume(used);
    do_read_header();
  }

  void do_read_header() {
    parser_.emplace();
    parser_->body_limit(body_limit);
    transport().expires_after(read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_read_header, self()));
  }

  void on_read_header(beast::error_code ec, std::size_t) {
    if (ec)
      return on_read_error(ec);
    auto& req = parser_->get();
    if (refuse_plain_)
      return refuse(400, https_only(req));
    if (beast::iequals(req[http::field::expect], "100-continue") && !parser_->is_done())
      return do_continue();
    do_read_body();
  }

  // Clients such as curl wait for this before sending a large body.
  void do_continue() {
    continue_.emplace(http::status::continue_, parser_->get().version());
    transport().expires_after(write_timeout);
    http::async_write(stream_, *continue_,
                      beast::bind_front_handler(&session::on_continue, self()));
  }

  void on_continue(beast::error_code ec, std::size_t) {
    continue_.reset();
    if (ec)
      return;
    do_read_body();
  }

  void do_read_body() {
    transport().expires_after(read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&session::on_read, self()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec)
      return on_read_error(ec);
    auto req = parser_->release();
    auto version = req.version();
    bool keep_alive = req.keep_alive();
    auto request = to_request(std::move(req));
    // HEAD is GET without the body: same status and headers, no bytes after.
    bool head = request.method == "HEAD";
    if (head)
      request.method = "GET";
    auto res = to_beast(routes_.handle(request), version, keep_alive);
    if (head)
      res.body().clear(); // Content-Length still tells the GET's size
    do_write(std::move(res));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::end_of_stream)
      return do_close();
    if (ec == http::error::body_limit)
      return refuse(413, "the request body is larger than the limit of 1 MiB");
    if (ec == http::error::header_limit)
      return refuse(431, "the request header is too large");
    if (is_http_error(ec) && ec != http::error::partial_message)
      return refuse(400, std::string{"malformed HTTP request: "} + ec.message());
    // Timeout, reset or an abort: nothing useful can be written.
  }

  void refuse(int status, const std::string& message) {
    do_write(to_beast(error_response(status, "request", message), 11, false));
  }

  void do_write(beast_response res) {
    res_.emplace(std::move(res));
    transport().expires_after(write_timeout);
    http::async_write(stream_, *res_,
                      beast::bind_front_handler(&session::on_write, self(),
                                                res_->keep_alive()));
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    if (ec)
      return;
    res_.reset();
    if (!keep_alive)
      return do_close();
    do_read_header();
  }

  // TLS first sends its close_notify; then, as for plain TCP, the send side
  // is shut and what the client still sends is read and dropped, so that it
  // reads a refusal instead of a reset.
  void do_close() {
    transport().expires_after(drain_timeout); // one deadline for the whole end
    if constexpr (tls)
      stream_.async_shutdown(beast::bind_front_handler(&session::on_shutdown, self()));
    else
      do_drain_after_shutdown();
  }

  // An error is expected here: a client still sending its body answers the
  // close_notify with data, which ends OpenSSL's shutdown.
  void on_shutdown(beast::error_code) {
    do_drain_after_shutdown();
  }

  void do_drain_after_shutdown() {
    beast::error_code ec;
    transport().socket().shutdown(tcp::socket::shutdown_send, ec);
    do_drain();
  }

  void do_drain() {
    transport().async_read_some(asio::buffer(drain_buffer_),
                          beast::bind_front_handler(&session::on_drain, self()));
  }

  void on_drain(beast::error_code ec, std::size_t n) {
    drained_ += n;
    if (ec || drained_ > drain_limit)
      return close(); // end of stream, timeout or enough: the socket closes here
    do_drain();
  }

  std::shared_ptr<ssl::context> context_; // before stream_, which uses it
  Stream stream_;
  const router& routes_;
  beast::flat_buffer buffer_;
  bool refuse_plain_ = false;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<beast_response> res_;
  std::array<char, 16 * 1024> drain_buffer_;
  std::size_t drained_ = 0;
};

using plain_session = session<beast::tcp_stream>;
using tls_session = session<beast::ssl_stream<beast::tcp_stream>>;

// The live sessions, so that stop() can close their connections.
class session_registry {
 public:
  void add(const std::shared_ptr<connection>& s) {
    std::lock_guard<std::mutex> guard{mutex_};
    std::erase_if(sessions_, [](auto& w) { return w.expired(); });
    sessions_.push_back(s);
  }

  void close_all() {
    std::lock_guard<std::mutex> guard{mutex_};
    for (auto& w : sessions_)
      if (auto s = w.lock())
        s->close();
    sessions_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<connection>> sessions_;
};

// An https server's first look at a connection: a TLS ClientHello goes to
// a TLS session with the certificate in use now; anything else to a plain
// session that answers where https is.
class tls_detector : public connection, public std::enable_shared_from_this<tls_detector> {
 public:
  tls_detector(tcp::socket&& socket, const router& routes, const certificate_store& certificates,
               session_registry& sessions)
    : stream_(std::move(socket)), routes_(routes), certificates_(certificates),
      sessions_(sessions) {
  }

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&tls_detector::do_detect, shared_from_this()));
  }

  void close() override {
    beast::error_code ec;
    stream_.socket().close(ec);
  }

 private:
  void do_detect() {
    stream_.expires_after(read_timeout);
    beast::async_detect_ssl(stream_, buffer_, beast::bind_front_handler(
                                                &tls_detector::on_detect, shared_from_this()));
  }

  void on_detect(beast::error_code ec, bool is_tls) {
    if (ec)
      return close(); // timeout, or the client left
    stream_.expires_never();
    std::shared_ptr<connection> next;
    if (is_tls) {
      auto s = std::make_shared<tls_session>(stream_.release_socket(), routes_,
                                             std::move(buffer_), certificates_.current().context);
      s->run();
      next = s;
    } else {
      auto s = std::make_shared<plain_session>(stream_.release_socket(), routes_,
                                               std::move(buffer_), true);
      s->run();
      next = s;
    }
    sessions_.add(next);
  }

  beast::tcp_stream stream_;
  const router& routes_;
  const certificate_store& certificates_;
  session_registry& sessions_;
  beast::flat_buffer buffer_;
};

class listener : public std::enable_shared_from_this<listener> {
 public:
  // certificates: null for a plain http server.
  listener(asio::io_context& ioc, tcp::acceptor&& acceptor, const router& routes,
           session_registry& sessions, const certificate_store* certificates)
    : ioc_(ioc), acceptor_(std::move(acceptor)), routes_(routes), sessions_(sessions),
      certificates_(certificates) {
  }

  void run() {
    asio::dispatch(acceptor_.get_executor(),
                   beast::bind_front_handler(&listener::do_accept, shared_from_this()));
  }

  // Only while no thread runs the io_context (the server is stopping).
  void close() {
    beast::error_code ec;
    acceptor_.close(ec);
  }

 private:
  void do_accept() {
    acceptor_.async_accept(asio::make_strand(ioc_),
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted)
      return;
    if (!ec && certificates_) {
      auto d = std::make_shared<tls_detector>(std::move(socket), routes_, *certificates_,
                                              sessions_);
      sessions_.add(d);
      d->run();
    } else if (!ec) {
      auto s = std::make_shared<plain_session>(std::move(socket), routes_, beast::flat_buffer{});
      sessions_.add(s);
      s->run();
    }
    // A failed accept (the peer left, no descriptors) must not end the server.
    do_accept();
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  const router& routes_;
  session_registry& sessions_;
  const certificate_store* certificates_;
};

[[noreturn]] void cannot_listen(const std::string& address, std::uint16_t port,
                                const beast::error_code& ec) {
  throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) + ": "
                           + ec.message()
                           + " (is another process using the port, or is the address not "
                             "one of this machine's?)");
}

tcp::acceptor open_acceptor(asio::io_context& ioc, const std::string& address,
                            std::uint16_t port) {
  beast::error_code ec;
  tcp::resolver resolver{ioc};
  auto endpoints = resolver.resolve(address, std::to_string(port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty())
    cannot_listen(address, port, ec);
  auto endpoint = endpoints.begin()->endpoint();
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor.bind(endpoint, ec);
  if (!ec)
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    cannot_listen(address, port, ec);
  return acceptor;
}

} // namespace

struct http_server::state {
  const router& routes;
  std::string address;
  std::uint16_t port;
  unsigned threads;
  std::optional<tls_files> tls;
  std::mutex mutex; // start, stop and reload
  bool started = false;
  bool stopped = false;
  std::optional<certificate_store> certificates; // with tls, once started
  session_registry sessions;
  asio::io_context ioc; // after what its handlers use: destroyed before it
  std::shared_ptr<listener> accepting; // after ioc: destroyed before it
  std::vector<std::thread> runners;
};

http_server::http_server(const router& routes, std::string address, std::uint16_t port,
                         unsigned threads, std::optional<tls_files> tls)
  : state_(std::make_unique<state>(routes, std::move(address), port, std::max(threads, 1u),
                                   std::move(tls))) {
}

http_server::~http_server() {
  stop();
}

void http_server::start() {
  auto& s = *state_;
  std::lock_guard<std::mutex> guard{s.mutex};
  if (s.started)
    return;
  if (s.tls) {
    auto loaded = load_server_certificate(*s.tls);
    if (!loaded.problem.empty())
      throw certificate_error(loaded.problem);
    s.certificates.emplace(std::move(loaded.certificate));
  }
  auto acceptor = open_acceptor(s.ioc, s.address, s.port);
  s.port = acceptor.local_endpoint().port();
  s.accepting = std::make_shared<listener>(s.ioc, std::move(acceptor), s.routes, s.sessions,
                                           s.certificates ? &*s.certificates : nullptr);
  s.accepting->run();
  s.started = true;
  for (unsigned i = 0; i < s.threads; ++i)
    s.runners.emplace_back([&s] { s.ioc.run(); });
}

std::uint16_t http_server::port() const {
  return state_->port;
}

http_server::certificate_check http_server::check_certificate(const tls_files& files) {
  auto loaded = load_server_certificate(files);
  if (!loaded.problem.empty())
    return {loaded.problem, "", false};
  return {std::nullopt, loaded.certificate.summary, loaded.certificate.expired};
}

bool http_server::https() const {
  return state_->tls.has_value();
}

std::string http_server::certificate() const {
  auto& s = *state_;
  std::lock_guard<std::mutex> guard{s.mutex};
  if (!s.certificates)
    return "";
  return s.certificates->current().summary;
}

bool http_server::certificate_expired() const {
  auto& s = *state_;
  std::lock_guard<std::mutex> guard{s.mutex};
  return s.certificates && s.certificates->current().expired;
}

std::optional<std::string> http_server::reload_certificate() {
  auto& s = *state_;
  std::lock_guard<std::mutex> guard{s.mutex};
  if (!s.tls)
    return "server.tls is not set: there is no certificate to read again";
  auto loaded = load_server_certificate(*s.tls);
  if (!loaded.problem.empty())
    return loaded.problem;
  if (s.certificates) // else start() reads the files anyway
    s.certificates->replace(std::move(loaded.certificate));
  return std::nullopt;
}

void http_server::stop() {
  auto& s = *state_;
  std::lock_guard<std::mutex> guard{s.mutex};
  if (!s.started || s.stopped)
    return;
  s.stopped = true;
  // A request being handled finishes; no new handler starts after this.
  s.ioc.stop();
  for (auto& t : s.runners)
    t.join();
  s.runners.clear();
  s.accepting->close();
  s.sessions.close_all();
}

} // namespace tb::api
