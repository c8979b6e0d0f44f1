#pragma once
// Webhooks: POST /hooks/{task}/{side} names issues a tracker just changed, so
// they sync at once instead of at the next poll. Each request is signed with
// the task's secret: X-TrackBridge-Signature: sha256=<hex HMAC-SHA256 of the
// body>. Nothing of a refused request is acted on.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/live.hpp"
#include "api/router.hpp"
#include "domain/sync.hpp"

namespace tb::api {

struct hook_task {
  std::string name;
  std::string secret; // never logged, never answered
  bool two_way = false; // only a two-way task takes its target's hooks
};

// Queues the issues durably and wakes the task; called once per accepted hook.
using hook_sink =
  std::function<void(const std::string& task, side s, const std::vector<std::string>& ids)>;

// The tasks that take webhooks: replaced by a reload.
using live_hooks = live<std::vector<hook_task>>;

void add_hook_routes(router& r, std::shared_ptr<const live_hooks> tasks, hook_sink sink);

// "sha256=" and the lower-case hex HMAC-SHA256 of body under secret: what a
// sender puts in X-TrackBridge-Signature.
std::string hook_signature(const std::string& secret, const std::string& body);

} // namespace tb::api
