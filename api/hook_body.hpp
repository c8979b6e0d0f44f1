#pragma once
// The body of a webhook, read alone (no HTTP, no secrets), so it is tested
// and fuzzed (tests/fuzz) on its own: {"issues": ["12", 13, ...]}.

#include <string>
#include <string_view>
#include <vector>

namespace tb::api {

inline constexpr std::size_t max_hook_issues = 1000;

struct hook_body {
  std::vector<std::string> issues;
  std::string where;   // set when the body is refused: "request body, issues[2]"
  std::string message; // why, and what a good body looks like; empty: accepted
  bool ok() const { return message.empty(); }
};

hook_body read_hook_body(std::string_view body);

} // namespace tb::api
