#pragma once
// HTTP calls per status for one tracker connection, for the metric
// trackbridge_tracker_http_calls_total{connection,status}.

#include <cstdint>
#include <map>
#include <mutex>

namespace tb::http {

// One per connection, shared by its workers' clients, hence the lock.
class call_tally {
 public:
  // status: the final HTTP status of a call, or 0 when no answer came
  // (refused, reset, timeout, malformed reply).
  void count(int status);

  // A snapshot: status -> calls.
  std::map<int, std::uint64_t> counts() const;

 private:
  mutable std::mutex mutex_;
  std::map<int, std::uint64_t> counts_;
};

} // namespace tb::http
