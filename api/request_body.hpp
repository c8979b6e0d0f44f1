#pragma once
// A request body (the API's, a webhook's) read through the checked JSON
// reader (domain/checked_json), like the configuration: syntax errors with
// their byte, nesting deeper than a body needs and duplicate keys are
// refused, and where is said the API's way ("request body, key
// custom_fields, item 0, key kind"). No HTTP here, so the webhook's reader
// that uses it is fuzzed alone.

#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace tb::api {

// Deeper than any body the API takes (custom fields' values: 3 levels).
inline constexpr int max_body_nesting = 16;

struct body_error {
  std::string where;
  std::string message;
};

// The body as JSON, or the first thing wrong with it.
std::variant<nlohmann::json, body_error> read_request_body(std::string_view text);

// A JSON path as the API says where: "$" is "request body", "$.a[0].b" is
// "request body, key a, item 0, key b".
std::string request_where(const std::string& json_path);

} // namespace tb::api
