#include "domain/faults.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace tb {

milliseconds backoff_delay(unsigned attempt, milliseconds first, milliseconds most, double jitter,
                           double random) {
  auto doublings = std::min(attempt > 0 ? attempt - 1 : 0u, 30u);
  auto base = static_cast<double>(first.count()) * static_cast<double>(1ULL << doublings);
  base = std::min(base, static_cast<double>(most.count()));
  jitter = std::clamp(jitter, 0.0, 1.0);
  auto spread = base * (1.0 - jitter + 2.0 * jitter * std::clamp(random, 0.0, 1.0));
  return milliseconds{static_cast<std::int64_t>(spread)};
}

namespace {

std::optional<timestamp> parse_http_date(const std::string& v) {
  // IMF-fixdate, the form HTTP/1.1 senders must use: "Sun, 06 Nov 1994 08:49:37 GMT".
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (v.size() != 29 || v[3] != ',' || v.compare(25, 4, " GMT") != 0)
    return std::nullopt;
  std::tm tm{};
  int month = -1;
  for (int m = 0; m < 12; ++m)
    if (v.compare(8, 3, months[m]) == 0)
      month = m;
  auto digits = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int out = 0;
    for (std::size_t k = at; k < at + n; ++k) {
      if (!std::isdigit(static_cast<unsigned char>(v[k])))
        return std::nullopt;
      out = out * 10 + (v[k] - '0');
    }
    return out;
  };
  auto day = digits(5, 2), year = digits(12, 4), h = digits(17, 2), m = digits(20, 2),
       s = digits(23, 2);
  if (month < 0 || !day || !year || !h || !m || !s || v[19] != ':' || v[22] != ':')
    return std::nullopt;
  tm.tm_year = *year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = *day;
  tm.tm_hour = *h;
  tm.tm_min = *m;
  tm.tm_sec = *s;
  return static_cast<timestamp>(timegm(&tm)) * 1000;
}

} // namespace

std::optional<milliseconds> parse_retry_after(const std::string& value, timestamp now) {
  if (!value.empty() && value.size() <= 9
      && std::all_of(value.begin(), value.end(),
                     [](unsigned char c) { return std::isdigit(c); }))
    return milliseconds{std::stoll(value) * 1000};
  if (auto at = parse_http_date(value))
    return milliseconds{std::max<timestamp>(0, *at - now)};
  return std::nullopt;
}

bool circuit_breaker::may_call(timestamp now) {
  switch (state_) {
    case state::closed:
      return true;
    case state::open:
      if (now < open_until_)
        return false;
      state_ = state::half_open;
      probing_ = true;
      return true;
    case state::half_open:
      if (probing_)
        return false; // one probe at a time
      probing_ = true;
      return true;
  }
  return true;
}

void circuit_breaker::succeeded() {
  state_ = state::closed;
  failures_ = 0;
  probing_ = false;
}

void circuit_breaker::failed(timestamp now, std::optional<milliseconds> retry_after) {
  ++failures_;
  probing_ = false;
  if (retry_after)
    open(now + std::max(retry_after->count(), std::int64_t{0}));
  else if (state_ == state::half_open || failures_ >= threshold_)
    open(now + cooldown_.count());
}

void circuit_breaker::open(timestamp until) {
  state_ = state::open;
  open_until_ = std::max(open_until_, until);
}

} // namespace tb
