#pragma once
// What every group of routes shares: errors thrown from helpers and answered
// in one place, so each handler reads as the happy path, and the checks of
// query parameters.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/router.hpp"
#include "domain/model.hpp"
#include "domain/result.hpp"
#include "domain/sync.hpp"

namespace tb::api {

// Thrown by route helpers; `answering` turns it into the error response.
struct api_error {
  int status;
  std::string where;
  std::string message;
};

// The HTTP status of an adapter's or the engine's error kind.
int status_of(error_kind kind);

template <class T>
T take(result<T> r) {
  if (!r)
    throw api_error{status_of(r.error().kind), r.error().where, r.error().message};
  return std::move(r.value());
}

route_handler answering(route_handler h);

// "request body, key <key>": where a body's error is.
std::string where_key(const std::string& key);

// A JSON object with only `allowed_keys`; 400 with the parser's message or
// naming the unknown key otherwise.
nlohmann::json parse_body(const http_request& req, const std::vector<std::string>& allowed_keys);

// 400 for a query parameter not in `allowed`, naming the allowed ones.
void only_query(const route_params& p, const std::vector<std::string>& allowed);

// A task side whose issues are synced from: source, or the target of a
// two-way task; 404 naming the side otherwise.
side synced_side(const std::string& task, bool two_way, const std::string& name);

// A whole number from min to max, or fallback when absent; 400 naming the
// parameter otherwise.
std::uint64_t number_in_query(const route_params& p, const std::string& name,
                              std::uint64_t fallback, std::uint64_t min, std::uint64_t max);

// An RFC 3339 time, or nullopt when absent; 400 naming the parameter otherwise.
std::optional<timestamp> time_in_query(const route_params& p, const std::string& name);

} // namespace tb::api
