#include "adapters/http/retry.hpp"

#include "domain/faults.hpp"
#include "domain/time.hpp"

namespace tb::http {

namespace {

bool is_read(const request& r) {
  return r.method == "GET" || r.method == "HEAD";
}

} // namespace

bool worth_repeating(const request& r, const result<response>& outcome) {
  if (!outcome) // no answer: a read may go again; a write may have been done
    return is_read(r) && outcome.error().kind == error_kind::unavailable;
  auto status = outcome->status;
  if (status == 429)
    return true;
  return is_read(r) && (status == 500 || status == 502 || status == 503 || status == 504);
}

std::optional<milliseconds> retry_after_of(const response& res, timestamp now) {
  if (res.status != 429 && res.status != 503)
    return std::nullopt;
  auto h = res.headers.find("retry-after");
  if (h == res.headers.end())
    return std::nullopt;
  return parse_retry_after(h->second, now);
}

result<response> send_repeating(const request& r,
                                 const std::function<result<response>(const request&)>& send,
                                 const retry_policy& policy,
                                 const std::function<void(milliseconds)>& sleep,
                                 const std::function<double()>& random) {
  auto outcome = send(r);
  for (unsigned attempt = 1; attempt < policy.tries && worth_repeating(r, outcome); ++attempt) {
    auto wait = backoff_delay(attempt, policy.first, policy.most, 0.5, random());
    if (outcome) {
      if (auto asked = retry_after_of(*outcome, now_ms())) {
        if (*asked > policy.longest_wait)
          break;
        wait = std::max(wait, *asked);
      }
    }
    sleep(wait);
    outcome = send(r);
  }
  return outcome;
}

} // namespace tb::http
