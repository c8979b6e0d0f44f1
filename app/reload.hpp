#pragma once
// The configuration read again while the server runs (SIGHUP, POST
// /api/v1/config/reload): validated like at start, against the trackers
// too, and applied only when it has no problem at all. Tasks whose settings
// changed are restarted, new ones start, removed ones end; the others keep
// running untouched.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/engine.hpp"
#include "api/hook_routes.hpp"
#include "api/task_routes.hpp"
#include "config/config.hpp"
#include "config/reload.hpp"

namespace tb::app {

// The tasks that take webhooks, with their secrets from the environment; a
// secret that is not set is a problem at the task's webhook_secret_env.
std::vector<api::hook_task> webhook_tasks(const config::config& cfg,
                                          std::vector<config::problem>& problems);

class reloader {
 public:
  reloader(std::string path, config::config running, engine& e,
           std::shared_ptr<api::live_tasks> tasks, std::shared_ptr<api::live_hooks> hooks);

  // Reads the file, validates it and applies it, or refuses it whole; each
  // outcome is in the system log. One reload at a time.
  config::reload_result reload();

 private:
  void refuse(const config::reload_result& r);
  void apply(config::config& next, std::vector<api::hook_task> hooks,
             const config::reload_plan& plan);

  std::mutex mutex_;
  std::string path_;
  config::config running_;
  engine& engine_;
  std::shared_ptr<api::live_tasks> tasks_;
  std::shared_ptr<api::live_hooks> hooks_;
};

} // namespace tb::app
