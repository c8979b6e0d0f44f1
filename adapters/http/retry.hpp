#pragma once
// Sending a request again when the tracker failed it in a way that a repeat
// can fix without doing the work twice: any method after 429 (not done, by
// definition), reads after a transport failure or a 5xx gateway answer.
// Writes that may have been done are left to the engine, whose write
// intents find what a lost answer did (domain/written.hpp).

#include <chrono>
#include <functional>
#include <optional>

#include "adapters/http/http_client.hpp"
#include "domain/model.hpp"

namespace tb::http {

using std::chrono::milliseconds;

struct retry_policy {
  unsigned tries = 3; // sends at most, the first included
  milliseconds first{200};
  milliseconds most{2000};
  // A Retry-After longer than this is not waited out here: the call fails
  // with it, and the connection's breaker keeps calls away meanwhile.
  milliseconds longest_wait{5000};
};

bool worth_repeating(const request& r, const result<response>& outcome);

// The wait a 429 or 503 answer asks for (its Retry-After header).
std::optional<milliseconds> retry_after_of(const response& res, timestamp now);

// send(r), again after a jittered backoff (or the Retry-After asked) while
// worth_repeating; the last outcome. sleep and random (uniform in [0, 1))
// are given so tests need no clock.
result<response> send_repeating(const request& r,
                                 const std::function<result<response>(const request&)>& send,
                                 const retry_policy& policy,
                                 const std::function<void(milliseconds)>& sleep,
                                 const std::function<double()>& random);

} // namespace tb::http
