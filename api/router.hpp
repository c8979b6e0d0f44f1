#pragma once
// Maps a request to a response by method and path pattern. Pure: no sockets,
// so every route is testable with a plain http_request.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/http_types.hpp"

namespace tb::api {

// What a route's handler gets besides the request: the path's captured
// parameters ({connection} -> "a") and the query's parameters, both
// percent-decoded.
struct route_params {
  std::map<std::string, std::string> path;
  std::map<std::string, std::string> query;
};

using route_handler = std::function<http_response(const http_request&, const route_params&)>;

class router {
 public:
  // Registers GET /healthz, answering 200 {"status":"ok"}.
  router();

  // pattern: "/api/v1/local/{connection}/issues/{id}"; a {name} segment
  // captures one path segment. The first registered match wins.
  void add(std::string method, const std::string& pattern, route_handler handler);

  // 404 for an unknown path, 405 with Allow for a known path and another
  // method, 400 for a target that cannot be decoded, 500 (generic message)
  // when a handler throws.
  http_response handle(const http_request& request) const;

  // Requests whose path starts with one of the prefixes must carry
  // "Authorization: Bearer <token>", compared in constant time; 401 before
  // any route is looked at otherwise. where_to_find: said in the 401, e.g.
  // the token file's path (never the token).
  void require_bearer(std::vector<std::string> prefixes, std::string token,
                      std::string where_to_find);

  // Where a handler's exception is reported (default: standard error). It
  // gets the method, path and exception text, never headers or body, which
  // may hold credentials.
  void on_internal_error(std::function<void(const std::string&)> report);

 private:
  struct route {
    std::string method;
    std::vector<std::string> segments; // "{x}" captures
    route_handler handler;
  };
  bool match(const route& r, const std::vector<std::string>& segments,
             std::map<std::string, std::string>& captured) const;
  http_response call(const route& r, const http_request& request, route_params params) const;

  bool authorized(const http_request& request) const;

  std::vector<route> routes_;
  std::vector<std::string> protected_prefixes_;
  std::string expected_authorization_; // "Bearer <token>"
  std::string token_hint_;
  std::function<void(const std::string&)> report_;
};

} // namespace tb::api
