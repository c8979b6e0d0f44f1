#pragma once
// How TrackBridge waits out a failing tracker: backoff with jitter, the
// tracker's own Retry-After, and a circuit breaker per connection. Plain
// functions and a state machine with the time passed in, so every rule is
// testable without clocks, threads or a network.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "domain/model.hpp"

namespace tb {

using std::chrono::milliseconds;

// The wait before try number `attempt` (1, 2, ...): `first` doubling up to
// `most`, then spread by +-`jitter` (0 to 1) of itself so that many items
// failing together do not come back together. `random` is uniform in [0, 1).
milliseconds backoff_delay(unsigned attempt, milliseconds first, milliseconds most, double jitter,
                           double random);

// An HTTP Retry-After value, as delay-seconds ("120") or an HTTP-date
// ("Wed, 21 Oct 2026 07:28:00 GMT"), as a wait from `now`; nullopt if it is
// neither. A date in the past is no wait.
std::optional<milliseconds> parse_retry_after(const std::string& value, timestamp now);

// Per connection: after `threshold` calls in a row failed because the
// tracker was unavailable, calls fail at once (open) for `cooldown`, or as
// long as the tracker's Retry-After asked; then one call is let through
// (half-open) and its outcome closes or reopens the breaker.
class circuit_breaker {
 public:
  enum class state { closed, open, half_open };

  circuit_breaker(unsigned threshold, milliseconds cooldown)
    : threshold_(threshold), cooldown_(cooldown) {}

  // Whether a call may go to the tracker now; in half-open, only one may.
  bool may_call(timestamp now);
  // The call's outcome. A failure that says when to come back (Retry-After)
  // opens the breaker until then at once.
  void succeeded();
  void failed(timestamp now, std::optional<milliseconds> retry_after = std::nullopt);

  state current() const { return state_; }
  timestamp open_until() const { return open_until_; }
  unsigned failures_in_a_row() const { return failures_; }

 private:
  void open(timestamp until);
  unsigned threshold_;
  milliseconds cooldown_;
  state state_ = state::closed;
  unsigned failures_ = 0;
  timestamp open_until_ = 0;
  bool probing_ = false;
};

} // namespace tb
