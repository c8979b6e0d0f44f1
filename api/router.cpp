#include "api/router.hpp"

#include <algorithm>
#include <iostream>
#include <optional>
#include <set>
#include <stdexcept>

#include <openssl/crypto.h>

namespace tb::api {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// nullopt for a broken escape ("%4", "%zz"); '+' is a space only in a query.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size())
        return std::nullopt;
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos)
      return out;
    start = end + 1;
  }
}

bool is_capture(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// The decoded path segments and query of a request target; a message
// saying what is wrong otherwise.
struct parsed_target {
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;
  std::string path; // raw, for messages
  std::string problem;
};

parsed_target parse_target(const std::string& target) {
  parsed_target out;
  auto end = target.find_first_of("?#");
  out.path = target.substr(0, end);
  if (out.path.empty() || out.path.front() != '/') {
    out.problem = "the request target must be a path starting with '/'";
    return out;
  }
  for (auto raw : split(std::string_view{out.path}.substr(1), '/')) {
    auto segment = percent_decode(raw, false);
    if (!segment) {
      out.problem = "the path has a broken percent-escape";
      return out;
    }
    out.segments.push_back(std::move(*segment));
  }
  if (end == std::string::npos || target[end] == '#')
    return out;
  auto query = std::string_view{target}.substr(end + 1);
  query = query.substr(0, query.find('#'));
  for (auto pair : split(query, '&')) {
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) {
      out.problem = "the query has a broken percent-escape";
      return out;
    }
    out.query[*name] = *value;
  }
  return out;
}

} // namespace

router::router() : report_([](const std::string& text) { std::cerr << text << std::endl; }) {
  add("GET", "/healthz",
      [](const http_request&, const route_params&) { return json_response(200, {{"status", "ok"}}); });
}

void router::add(std::string method, const std::string& pattern, route_handler handler) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  route r{std::move(method), {}, std::move(handler)};
  for (auto segment : split(std::string_view{pattern}.substr(1), '/'))
    r.segments.emplace_back(segment);
  routes_.push_back(std::move(r));
}

void router::on_internal_error(std::function<void(const std::string&)> report) {
  report_ = std::move(report);
}

bool router::match(const route& r, const std::vector<std::string>& segments,
                   std::map<std::string, std::string>& captured) const {
  if (r.segments.size() != segments.size())
    return false;
  captured.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    auto& want = r.segments[i];
    if (is_capture(want)) {
      if (segments[i].empty())
        return false;
      captured[want.substr(1, want.size() - 2)] = segments[i];
    } else if (want != segments[i]) {
      return false;
    }
  }
  return true;
}

void router::require_bearer(std::vector<std::string> prefixes, std::string token,
                            std::string where_to_find) {
  protected_prefixes_ = std::move(prefixes);
  expected_authorization_ = "Bearer " + token;
  token_hint_ = std::move(where_to_find);
}

bool router::authorized(const http_request& request) const {
  auto h = request.headers.find("authorization");
  if (h == request.headers.end())
    return false;
  auto& given = h->second;
  // Constant time in the token's length: a guess learns nothing from timing.
  return given.size() == expected_authorization_.size()
         && CRYPTO_memcmp(given.data(), expected_authorization_.data(), given.size()) == 0;
}

http_response router::handle(const http_request& request) const {
  auto target = parse_target(request.target);
  if (!target.problem.empty())
    return error_response(400, "request target", target.problem);
  bool guarded = std::any_of(protected_prefixes_.begin(), protected_prefixes_.end(),
                             [&](auto& p) { return target.path.rfind(p, 0) == 0; });
  if (guarded && !authorized(request)) {
    auto res = error_response(401, "header Authorization",
                              "missing or wrong API token: send Authorization: Bearer <token>, "
                              "the token in " + token_hint_);
    res.headers["WWW-Authenticate"] = "Bearer";
    return res;
  }
  std::set<std::string> allowed;
  std::map<std::string, std::string> captured;
  for (auto& r : routes_) {
    if (!match(r, target.segments, captured))
      continue;
    if (r.method == request.method)
      return call(r, request, route_params{std::move(captured), std::move(target.query)});
    allowed.insert(r.method);
  }
  if (allowed.empty())
    return error_response(404, target.path, "no such resource: " + target.path);
  std::string allow;
  for (auto& m : allowed)
    allow += (allow.empty() ? "" : ", ") + m;
  auto res = error_response(405, target.path,
                            "method " + request.method + " is not allowed here; allowed: " + allow);
  res.headers["Allow"] = allow;
  return res;
}

http_response router::call(const route& r, const http_request& request,
                           route_params params) const {
  auto where = request.method + " " + request.target.substr(0, request.target.find('?'));
  try {
    return r.handler(request, params);
  } catch (const std::exception& e) {
    report_("internal error in " + where + ": " + e.what());
  } catch (...) {
    report_("internal error in " + where + ": unknown exception");
  }
  // The exception's text stays in the log: it may describe internals.
  return error_response(500, where, "internal error; the server log has the details");
}

} // namespace tb::api
