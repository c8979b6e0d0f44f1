#pragma once
// HTTP calls per status for one tracker connection, for the metric
// trackbridge_tracker_http_calls_total{connection,status}, and the problem
// its calls meet now that its configuration must fix (a certificate this
// side does not trust), for the task view and trackbridge_connection_problem.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace tb::http {

// One per connection, shared by its workers' clients, hence the lock.
class call_tally {
 public:
  // status: the final HTTP status of a call, or 0 when no answer came
  // (refused, reset, timeout, malformed reply).
  void count(int status);

  // A snapshot: status -> calls.
  std::map<int, std::uint64_t> counts() const;

  // A call that met a configuration problem says so; one that got an
  // answer ends it.
  void met_problem(const std::string& message);
  void answered();
  // "" while there is none.
  std::string problem() const;

 private:
  mutable std::mutex mutex_;
  std::map<int, std::uint64_t> counts_;
  std::string problem_;
};

} // namespace tb::http
