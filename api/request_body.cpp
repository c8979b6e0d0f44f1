#include "api/request_body.hpp"

#include <cstdio>

#include "domain/checked_json.hpp"

namespace tb::api {

namespace {

// A key may hold any character; a control character is shown escaped.
std::string without_controls(const std::string& key) {
  std::string out;
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

} // namespace

std::variant<nlohmann::json, body_error> read_request_body(std::string_view text) {
  checked::report r;
  auto j = checked::parse(r, std::string{text}, max_body_nesting,
                          "request bodies nest a few levels", "malformed JSON: parse error");
  if (r.problems.empty() && j)
    return std::move(*j);
  auto& first = r.problems.front();
  auto message = first.message;
  if (!first.hint.empty())
    message += "; " + first.hint;
  return body_error{request_where(first.path), std::move(message)};
}

std::string request_where(const std::string& json_path) {
  // The paths checked_json makes: "$", then ".key", "[N]" or "[\"key\"]".
  std::string out = "request body";
  std::size_t i = json_path.starts_with("$") ? 1 : 0;
  while (i < json_path.size()) {
    if (json_path[i] == '.') {
      auto end = json_path.find_first_of(".[", i + 1);
      out += ", key " + json_path.substr(i + 1, end - i - 1);
      i = end == std::string::npos ? json_path.size() : end;
    } else if (json_path.compare(i, 2, "[\"") == 0) {
      // A quoted key: JSON text up to its closing quote.
      std::size_t end = i + 2;
      while (end < json_path.size() && json_path[end] != '"')
        end += json_path[end] == '\\' ? 2 : 1;
      auto quoted = json_path.substr(i + 1, end - i);
      std::string key;
      try {
        key = nlohmann::json::parse(quoted).get<std::string>();
      } catch (const nlohmann::json::exception&) {
        key = quoted;
      }
      out += ", key " + without_controls(key);
      i = end + 2; // past "]
    } else if (json_path[i] == '[') {
      auto end = json_path.find(']', i);
      out += ", item " + json_path.substr(i + 1, end - i - 1);
      i = end == std::string::npos ? json_path.size() : end + 1;
    } else {
      break; // not a path checked_json makes
    }
  }
  return out;
}

} // namespace tb::api
