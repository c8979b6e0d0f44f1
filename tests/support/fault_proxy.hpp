#pragma once
// An HTTP proxy for tests that sits between TrackBridge and a tracker on
// 127.0.0.1 and fails a share of the requests the ways real networks and
// trackers fail: a connection closed without an answer, 500, 502, 503, 429
// with Retry-After, an answer lost after the tracker did the work, an answer
// cut in the middle, a slow answer, and one that never comes (a hang longer
// than the client's timeout). Which request fails how comes from a seeded
// generator; what was injected is counted. Besides, the answers to one path
// can be garbled on purpose (bad input from a tracker that did answer).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace tb::test {

class fault_proxy {
 public:
  // The fault names, as injected() counts them.
  static const std::vector<std::string>& kinds();

  // Forwards to 127.0.0.1:upstream_port; fails `ratio` (0 to 1) of the
  // requests; `hang` is how long a hanging request keeps the client waiting.
  // Listens on `port` (0: any free one): a proxy made again on the port of
  // one that was destroyed ends a spell of refused connections.
  fault_proxy(std::uint16_t upstream_port, double ratio, std::uint64_t seed,
              std::chrono::milliseconds hang, std::uint16_t port = 0);
  ~fault_proxy(); // stops: closes every connection and joins its threads
  fault_proxy(const fault_proxy&) = delete;
  fault_proxy& operator=(const fault_proxy&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // How an answer is garbled, its HTTP framing kept intact.
  enum class garbling {
    cut_json,     // the body cut in half
    wrong_type,   // the first journal's id as a string: "journals":[{"id":"12"
    invalid_utf8, // bytes 0xFF 0xFE at the start of the subject
    huge_body,    // 2 MiB of spaces after the JSON
  };
  // Garbles every answer to GET `path` (no query: "/issues/7.json") from now on.
  void garble(const std::string& path, garbling how);
  void stop_garbling();
  std::size_t garbled() const; // answers garbled so far
  std::map<std::string, std::size_t> injected() const;
  std::size_t requests() const { return requests_; }

 private:
  struct impl;
  void accept_loop();
  void serve(std::shared_ptr<void> socket);
  std::string pick();
  bool wait_or_stop(std::chrono::milliseconds d);

  std::unique_ptr<impl> impl_;
  std::uint16_t upstream_port_;
  std::uint16_t port_ = 0;
  double ratio_;
  std::chrono::milliseconds hang_;
  std::mt19937_64 rng_;
  mutable std::mutex mutex_; // rng_, counts_, sockets, threads
  std::condition_variable stopping_cv_;
  std::map<std::string, std::size_t> counts_;
  std::map<std::string, garbling> garble_; // by path
  std::size_t garbled_ = 0;
  std::atomic<std::size_t> requests_{0};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_thread_;
  std::vector<std::thread> connections_;
};

} // namespace tb::test
