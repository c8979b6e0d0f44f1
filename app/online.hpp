#pragma once
// Tasks checked against the trackers they sync (config/online_check.hpp),
// for `check --online` and for a reload: each side's catalogue read once,
// every problem and warning gathered with its JSON path.

#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace tb::app {

struct online_findings {
  std::vector<config::problem> problems;
  std::vector<config::problem> warnings;
};

// The tasks named (all when `tasks` is empty). A tracker that cannot be read
// is a problem at the task's side.
online_findings check_tasks_online(const config::config& cfg,
                                   const std::set<std::string>& tasks = {});

// The roles notifications go to, asked of their trackers as the mailer
// asks: one nobody with an address has is a warning at its path (its
// events would wait), one that cannot be read a problem.
online_findings check_roles_online(const config::config& cfg);

} // namespace tb::app
