#include "api/hook_routes.hpp"

#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api/route_support.hpp"

namespace tb::api {

namespace {

using json = nlohmann::json;

constexpr std::size_t max_ids = 1000;

const hook_task& task_named(const std::vector<hook_task>& tasks, const std::string& name) {
  for (auto& t : tasks)
    if (t.name == name)
      return t;
  throw api_error{404, "task " + name,
                  "no task named " + name
                    + " takes webhooks; give a task webhook_secret_env in the configuration"};
}

// Constant time, so a forger learns nothing from how long a refusal takes.
bool signed_by(const std::string& secret, const http_request& req) {
  auto header = req.headers.find("x-trackbridge-signature");
  if (header == req.headers.end())
    return false;
  auto expected = hook_signature(secret, req.body);
  return header->second.size() == expected.size()
         && CRYPTO_memcmp(header->second.data(), expected.data(), expected.size()) == 0;
}

std::vector<std::string> issue_ids(const std::string& body) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::parse_error& e) {
    throw api_error{400, "request body", std::string{"malformed JSON: "} + e.what()};
  }
  if (!j.is_object() || !j.contains("issues") || !j["issues"].is_array())
    throw api_error{400, "request body",
                    "the body must be an object with \"issues\": an array of issue ids, "
                    "e.g. {\"issues\":[\"12\",\"13\"]}"};
  for (auto& [key, value] : j.items())
    if (key != "issues")
      throw api_error{400, "request body, key " + key, "unknown key " + key + "; allowed: issues"};
  auto& list = j["issues"];
  if (list.empty() || list.size() > max_ids)
    throw api_error{400, "request body, key issues",
                    "issues must name 1 to " + std::to_string(max_ids) + " issues"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto& id = list[i];
    auto text = id.is_string()                  ? id.get<std::string>()
                : id.is_number_unsigned()       ? std::to_string(id.get<std::uint64_t>())
                                                : std::string{};
    if (text.empty() || text.size() > 64
        || text.find_first_of("/?#% \t\r\n") != std::string::npos)
      throw api_error{400, "request body, issues[" + std::to_string(i) + "]",
                      "an issue id is a non-empty string or a whole number"};
    out.push_back(std::move(text));
  }
  return out;
}

} // namespace

std::string hook_signature(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &length);
  static const char* hex = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < length; ++i)
    out.append(1, hex[mac[i] >> 4]).append(1, hex[mac[i] & 15]);
  return out;
}

void add_hook_routes(router& r, std::vector<hook_task> tasks, hook_sink sink) {
  auto all = std::make_shared<const std::vector<hook_task>>(std::move(tasks));
  r.add("POST", "/hooks/{task}/{side}",
        answering([all, sink = std::move(sink)](const http_request& req, const route_params& p) {
          only_query(p, {});
          auto& task = task_named(*all, p.path.at("task"));
          auto s = synced_side(task.name, task.two_way, p.path.at("side"));
          if (!signed_by(task.secret, req))
            throw api_error{401, "header X-TrackBridge-Signature",
                            "missing or wrong signature: send sha256=<hex HMAC-SHA256 of the "
                            "body with the task's webhook secret>"};
          auto ids = issue_ids(req.body);
          sink(task.name, s, ids);
          return json_response(202, {{"queued", ids}});
        }));
}

} // namespace tb::api
