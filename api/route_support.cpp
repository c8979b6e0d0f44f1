#include "api/route_support.hpp"

#include <algorithm>

#include "api/request_body.hpp"
#include "domain/checked_json.hpp"
#include "domain/time.hpp"

namespace tb::api {

int status_of(error_kind kind) {
  switch (kind) {
    case error_kind::invalid:
      return 422;
    case error_kind::not_found:
      return 404;
    case error_kind::conflict:
      return 409;
    case error_kind::unavailable:
      return 503;
    case error_kind::bad_answer:
      return 502;
    case error_kind::internal:
      break;
  }
  return 500;
}

route_handler answering(route_handler h) {
  return [h = std::move(h)](const http_request& req, const route_params& p) {
    try {
      return h(req, p);
    } catch (const api_error& e) {
      return error_response(e.status, e.where, e.message);
    }
  };
}

std::string where_key(const std::string& key) {
  return "request body, key " + key;
}

nlohmann::json parse_body(const http_request& req, const std::vector<std::string>& allowed_keys) {
  auto read = read_request_body(req.body);
  if (auto* bad = std::get_if<body_error>(&read))
    throw api_error{400, bad->where, bad->message};
  auto body = std::get<nlohmann::json>(std::move(read));
  if (!body.is_object())
    throw api_error{400, "request body", "the body must be a JSON object"};
  std::string allowed;
  for (auto& k : allowed_keys)
    allowed += (allowed.empty() ? "" : ", ") + k;
  for (auto& [key, value] : body.items())
    if (std::find(allowed_keys.begin(), allowed_keys.end(), key) == allowed_keys.end())
      throw api_error{400, where_key(key), "unknown key " + key + "; "
                                             + checked::did_you_mean(key, allowed_keys)
                                             + "allowed keys: " + allowed};
  return body;
}

void only_query(const route_params& p, const std::vector<std::string>& allowed) {
  std::string names;
  for (auto& a : allowed)
    names += (names.empty() ? "" : ", ") + a;
  for (auto& [name, value] : p.query)
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      throw api_error{400, "query parameter " + name,
                      "unknown query parameter " + name + "; "
                        + checked::did_you_mean(name, allowed) + "allowed: " + names};
}

side synced_side(const std::string& task, bool two_way, const std::string& name) {
  if (name == "source")
    return side::source;
  if (name == "target" && two_way)
    return side::target;
  throw api_error{404, "side " + name,
                  name == "target"
                    ? "task " + task + " is one-way: only its source side is synced from"
                    : "no side " + name + "; use source or target"};
}

std::uint64_t number_in_query(const route_params& p, const std::string& name,
                              std::uint64_t fallback, std::uint64_t min, std::uint64_t max) {
  auto i = p.query.find(name);
  if (i == p.query.end())
    return fallback;
  auto& text = i->second;
  bool digits = !text.empty() && text.size() <= 19
                && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  auto n = digits ? std::stoull(text) : 0;
  if (!digits || n < min || n > max)
    throw api_error{400, "query parameter " + name,
                    name + " must be a whole number from " + std::to_string(min) + " to "
                      + std::to_string(max) + "; got '" + text + "'"};
  return n;
}

std::optional<timestamp> time_in_query(const route_params& p, const std::string& name) {
  auto i = p.query.find(name);
  if (i == p.query.end())
    return std::nullopt;
  if (auto t = parse_rfc3339(i->second))
    return *t;
  throw api_error{400, "query parameter " + name,
                  name + " must be an RFC 3339 time such as 2026-11-22T04:17:00Z "
                         "(encode '+' as %2B); got '" + i->second + "'"};
}

} // namespace tb::api
