#include "api/hook_routes.hpp"

#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api/hook_body.hpp"
#include "api/route_support.hpp"

namespace tb::api {

namespace {

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

void add_hook_routes(router& r, std::shared_ptr<const live_hooks> tasks, hook_sink sink) {
  r.add("POST", "/hooks/{task}/{side}",
        answering([tasks = std::move(tasks), sink = std::move(sink)](const http_request& req,
                                                                    const route_params& p) {
          only_query(p, {});
          auto all = tasks->get();
          auto& task = task_named(*all, p.path.at("task"));
          auto s = synced_side(task.name, task.two_way, p.path.at("side"));
          if (!signed_by(task.secret, req))
            throw api_error{401, "header X-TrackBridge-Signature",
                            "missing or wrong signature: send sha256=<hex HMAC-SHA256 of the "
                            "body with the task's webhook secret>"};
          auto body = read_hook_body(req.body);
          if (!body.ok())
            throw api_error{400, body.where, body.message};
          sink(task.name, s, body.issues);
          return json_response(202, {{"queued", body.issues}});
        }));
}

} // namespace tb::api
