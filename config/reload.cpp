#include "config/reload.hpp"

#include <algorithm>

namespace tb::config {

namespace {

const task_config* task_named(const config& c, const std::string& name) {
  auto t = std::find_if(c.tasks.begin(), c.tasks.end(),
                        [&](const task_config& x) { return x.name == name; });
  return t == c.tasks.end() ? nullptr : &*t;
}

std::string value_of(const config& c, const std::string& key) {
  auto s = c.restart_only.find(key);
  return s == c.restart_only.end() ? std::string{} : s->second;
}

} // namespace

reload_plan plan_reload(const config& running, const config& next) {
  reload_plan plan;
  for (const char* key : {"server", "storage", "connections", "notifications"})
    if (value_of(running, key) != value_of(next, key))
      plan.problems.push_back({std::string{"$."} + key,
                               "changed; a reload changes tasks, variables and log only",
                               "restart the server to change it, or undo the change to reload "
                               "the rest"});
  for (auto& t : next.tasks) {
    auto* was = task_named(running, t.name);
    if (!was)
      plan.added.push_back(t.name);
    else if (was->settings != t.settings)
      plan.changed.push_back(t.name);
    else
      plan.unchanged.push_back(t.name);
  }
  for (auto& t : running.tasks)
    if (!task_named(next, t.name))
      plan.removed.push_back(t.name);
  return plan;
}

} // namespace tb::config
