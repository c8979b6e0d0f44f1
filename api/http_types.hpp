#pragma once
// A request and a response as plain data: the router and the routes work on
// these, so they are testable without sockets and without Beast.

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace tb::api {

struct http_request {
  std::string method;                         // "GET", "POST", ...
  std::string target;                         // path and query, as sent
  std::map<std::string, std::string> headers; // names lower-cased
  std::string body;
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers; // besides Content-Type and Content-Length
};

// Invalid UTF-8 (a tracker's data, or request text echoed in an error) is
// replaced rather than allowed to turn the response into an exception.
inline http_response json_response(int status, const nlohmann::json& body) {
  return http_response{
    status, "application/json",
    body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), {}};
}

// Every error the API answers has this shape, so a client reads one form:
// {"error":{"status":N,"where":"...","message":"..."}}.
inline http_response error_response(int status, const std::string& where,
                                    const std::string& message) {
  return json_response(
    status, {{"error", {{"status", status}, {"where", where}, {"message", message}}}});
}

} // namespace tb::api
