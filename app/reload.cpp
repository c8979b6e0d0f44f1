#include "app/reload.hpp"

#include <cstdlib>
#include <set>

#include <spdlog/spdlog.h>

#include "app/online.hpp"

namespace tb::app {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

const config::task_config& task_named(const config::config& c, const std::string& name) {
  for (auto& t : c.tasks)
    if (t.name == name)
      return t;
  throw std::logic_error{"no task " + name}; // the plan names only tasks of c
}

} // namespace

std::vector<api::hook_task> webhook_tasks(const config::config& cfg,
                                          std::vector<config::problem>& problems) {
  std::vector<api::hook_task> hooks;
  for (auto& t : cfg.tasks) {
    if (t.webhook_secret_env.empty())
      continue;
    const char* secret = std::getenv(t.webhook_secret_env.c_str());
    if (!secret || !*secret) {
      problems.push_back({checked::member(checked::member("$.tasks", t.name),
                                          "webhook_secret_env"),
                          "the environment variable " + t.webhook_secret_env + " is not set",
                          "export the webhook secret in it before the server starts"});
      continue;
    }
    hooks.push_back({t.name, secret, t.dir == config::direction::two_way});
  }
  return hooks;
}

reloader::reloader(std::string path, config::config running, engine& e,
                   std::shared_ptr<api::live_tasks> tasks, std::shared_ptr<api::live_hooks> hooks)
  : path_(std::move(path)), running_(std::move(running)), engine_(e), tasks_(std::move(tasks)),
    hooks_(std::move(hooks)) {
}

config::reload_result reloader::reload() {
  std::lock_guard lock{mutex_};
  config::reload_result r;
  r.file = path_;
  auto loaded = config::load_file(path_);
  r.warnings = loaded.warnings;
  if (!loaded.cfg) {
    r.problems = std::move(loaded.problems);
    refuse(r);
    return r;
  }
  auto& next = *loaded.cfg;
  r.plan = config::plan_reload(running_, next);
  r.problems = r.plan.problems;
  auto hooks = webhook_tasks(next, r.problems);
  // The tasks that will start are checked against their trackers now, so
  // a reload that would leave one invalid is refused before anything stops.
  std::set<std::string> starting{r.plan.added.begin(), r.plan.added.end()};
  starting.insert(r.plan.changed.begin(), r.plan.changed.end());
  if (!starting.empty()) {
    auto online = check_tasks_online(next, starting);
    r.problems.insert(r.problems.end(), online.problems.begin(), online.problems.end());
    r.warnings.insert(r.warnings.end(), online.warnings.begin(), online.warnings.end());
  }
  if (!r.problems.empty()) {
    refuse(r);
    return r;
  }
  for (auto& w : r.warnings)
    engine_.log(log_level::warn, "", "reload: " + path_ + ": " + config::format(w));
  apply(next, std::move(hooks), r.plan);
  r.applied = true;
  return r;
}

void reloader::refuse(const config::reload_result& r) {
  for (auto& p : r.problems)
    engine_.log(log_level::error, "", "reload: " + path_ + ": " + config::format(p));
  engine_.log(log_level::error, "",
              "configuration reload refused: " + std::to_string(r.problems.size())
                + " problem(s) in " + path_
                + "; nothing was changed, the running configuration stays (fix them and "
                  "reload again)");
}

void reloader::apply(config::config& next, std::vector<api::hook_task> hooks,
                     const config::reload_plan& plan) {
  // The routes see the new tasks first: a request for a removed task gets
  // its 404 rather than the engine's "not running".
  tasks_->set(next.tasks);
  hooks_->set(std::move(hooks));
  for (auto& name : plan.removed)
    engine_.remove_task(name);
  for (auto& name : plan.changed)
    engine_.replace_task(task_named(next, name));
  for (auto& name : plan.added)
    engine_.add_task(task_named(next, name));
  spdlog::set_level(spdlog::level::from_str(next.log.level));
  running_.tasks = std::move(next.tasks);
  running_.variables = std::move(next.variables);
  running_.log = next.log;
  auto part = [](const char* what, const std::vector<std::string>& names) {
    return names.empty() ? std::string{} : std::string{"; "} + what + ": " + joined(names);
  };
  engine_.log(log_level::info, "",
              "configuration reloaded from " + path_ + part("added", plan.added)
                + part("changed (restarted)", plan.changed) + part("removed", plan.removed)
                + part("unchanged (kept running)", plan.unchanged));
}

} // namespace tb::app
