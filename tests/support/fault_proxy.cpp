#include "tests/support/fault_proxy.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sstream>

namespace tb::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct fault_proxy::impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::weak_ptr<tcp::socket>> sockets;
};

const std::vector<std::string>& fault_proxy::kinds() {
  static const std::vector<std::string> all = {
    "closed before forwarding", "500", "502", "503", "429 with Retry-After",
    "answer lost after forwarding", "answer cut after forwarding", "slow answer", "hang"};
  return all;
}

fault_proxy::fault_proxy(std::uint16_t upstream_port, double ratio, std::uint64_t seed,
                         std::chrono::milliseconds hang, std::uint16_t port)
  : impl_(std::make_unique<impl>()),
    upstream_port_(upstream_port),
    ratio_(ratio),
    hang_(hang),
    rng_(seed) {
  tcp::endpoint here{asio::ip::make_address("127.0.0.1"), port};
  impl_->acceptor.open(here.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(here);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  acceptor_thread_ = std::thread{[this] { accept_loop(); }};
}

fault_proxy::~fault_proxy() {
  stopping_ = true;
  stopping_cv_.notify_all();
  {
    // A connection to itself wakes the blocking accept.
    boost::system::error_code ec;
    tcp::socket poke{impl_->ioc};
    poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
  }
  acceptor_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock{mutex_};
    for (auto& weak : impl_->sockets)
      if (auto s = weak.lock()) {
        boost::system::error_code ec;
        s->shutdown(tcp::socket::shutdown_both, ec);
      }
    threads = std::move(connections_);
  }
  for (auto& t : threads)
    t.join();
}

void fault_proxy::garble(const std::string& path, garbling how) {
  std::lock_guard<std::mutex> lock{mutex_};
  garble_[path] = how;
}

void fault_proxy::stop_garbling() {
  std::lock_guard<std::mutex> lock{mutex_};
  garble_.clear();
}

std::size_t fault_proxy::garbled() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return garbled_;
}

namespace {

void garble_body(std::string& body, fault_proxy::garbling how) {
  using g = fault_proxy::garbling;
  switch (how) {
    case g::cut_json:
      body.resize(body.size() / 2);
      break;
    case g::wrong_type: {
      const std::string key = "\"journals\":[{\"id\":";
      auto at = body.find(key);
      if (at == std::string::npos)
        break;
      auto from = at + key.size();
      auto to = body.find_first_not_of("0123456789", from);
      body.insert(to, "\"");
      body.insert(from, "\"");
      break;
    }
    case g::invalid_utf8: {
      const std::string key = "\"subject\":\"";
      if (auto at = body.find(key); at != std::string::npos)
        body.insert(at + key.size(), "\xff\xfe");
      break;
    }
    case g::huge_body:
      body.append(std::size_t{2} << 20, ' ');
      break;
  }
}

} // namespace

std::map<std::string, std::size_t> fault_proxy::injected() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return counts_;
}

void fault_proxy::accept_loop() {
  while (!stopping_) {
    auto socket = std::make_shared<tcp::socket>(impl_->ioc);
    boost::system::error_code ec;
    impl_->acceptor.accept(*socket, ec);
    if (ec || stopping_)
      break;
    std::lock_guard<std::mutex> lock{mutex_};
    impl_->sockets.push_back(socket);
    connections_.emplace_back([this, socket] { serve(socket); });
  }
}

std::string fault_proxy::pick() {
  std::lock_guard<std::mutex> lock{mutex_};
  ++requests_;
  if (std::uniform_real_distribution<double>{0.0, 1.0}(rng_) >= ratio_)
    return "";
  auto& all = kinds();
  auto& kind = all[std::uniform_int_distribution<std::size_t>{0, all.size() - 1}(rng_)];
  ++counts_[kind];
  return kind;
}

bool fault_proxy::wait_or_stop(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock{mutex_};
  return !stopping_cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

void fault_proxy::serve(std::shared_ptr<void> opaque) {
  auto socket = std::static_pointer_cast<tcp::socket>(opaque);
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  auto answer = [&](unsigned status, bool retry_after) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "text/plain");
    if (retry_after)
      res.set(http::field::retry_after, "1");
    res.body() = "injected by the test's fault proxy";
    res.prepare_payload();
    http::write(*socket, res, ec);
  };
  while (!stopping_) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{256} << 20);
    http::read(*socket, buffer, parser, ec);
    if (ec)
      return;
    auto req = parser.release();
    auto fault = pick();
    if (fault == "closed before forwarding")
      return; // the socket closes as this thread ends
    if (fault == "hang") {
      wait_or_stop(hang_);
      return;
    }
    if (fault == "500" || fault == "502" || fault == "503") {
      answer(static_cast<unsigned>(std::stoi(fault)), false);
      if (ec)
        return;
      continue;
    }
    if (fault == "429 with Retry-After") {
      answer(429, true);
      if (ec)
        return;
      continue;
    }
    // Forwarded: the tracker does the work.
    tcp::socket upstream{impl_->ioc};
    upstream.connect({asio::ip::make_address("127.0.0.1"), upstream_port_}, ec);
    if (ec)
      return;
    req.keep_alive(false);
    req.set(http::field::host, "127.0.0.1:" + std::to_string(upstream_port_));
    http::write(upstream, req, ec);
    beast::flat_buffer up_buffer;
    http::response_parser<http::string_body> res_parser;
    res_parser.body_limit(std::uint64_t{256} << 20);
    if (!ec)
      http::read(upstream, up_buffer, res_parser, ec);
    if (ec)
      return;
    auto res = res_parser.release();
    if (fault == "answer lost after forwarding")
      return;
    if (req.method() == http::verb::get) {
      auto target = std::string{req.target()};
      std::lock_guard<std::mutex> lock{mutex_};
      if (auto g = garble_.find(target.substr(0, target.find('?'))); g != garble_.end()) {
        garble_body(res.body(), g->second);
        ++garbled_;
      }
    }
    res.keep_alive(true);
    res.prepare_payload();
    if (fault == "answer cut after forwarding") {
      std::ostringstream whole;
      whole << res;
      auto bytes = whole.str();
      asio::write(*socket, asio::buffer(bytes.data(), bytes.size() / 2), ec);
      return;
    }
    if (fault == "slow answer")
      wait_or_stop(std::chrono::milliseconds{300});
    http::write(*socket, res, ec);
    if (ec)
      return;
  }
}

} // namespace tb::test
