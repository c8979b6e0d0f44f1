#include "api/hook_body.hpp"

#include <nlohmann/json.hpp>

#include "api/request_body.hpp"
#include "domain/checked_json.hpp"

namespace tb::api {

namespace {

hook_body refused(std::string where, std::string message) {
  return {{}, std::move(where), std::move(message)};
}

} // namespace

hook_body read_hook_body(std::string_view body) {
  auto read = read_request_body(body);
  if (auto* bad = std::get_if<body_error>(&read))
    return refused(bad->where, bad->message);
  auto& j = std::get<nlohmann::json>(read);
  if (!j.is_object() || !j.contains("issues") || !j["issues"].is_array())
    return refused("request body", "the body must be an object with \"issues\": an array of "
                                   "issue ids, e.g. {\"issues\":[\"12\",\"13\"]}");
  for (auto& [key, value] : j.items())
    if (key != "issues")
      return refused("request body, key " + key,
                     "unknown key " + key + "; " + checked::did_you_mean(key, {"issues"})
                       + "allowed: issues");
  auto& list = j["issues"];
  if (list.empty() || list.size() > max_hook_issues)
    return refused("request body, key issues",
                   "issues must name 1 to " + std::to_string(max_hook_issues) + " issues");
  hook_body out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto& id = list[i];
    auto text = id.is_string()            ? id.get<std::string>()
                : id.is_number_unsigned() ? std::to_string(id.get<std::uint64_t>())
                                          : std::string{};
    if (text.empty() || text.size() > 64 || text.find_first_of("/?#% \t\r\n") != std::string::npos)
      return refused("request body, issues[" + std::to_string(i) + "]",
                     "an issue id is a non-empty string or a whole number");
    out.issues.push_back(std::move(text));
  }
  return out;
}

} // namespace tb::api
