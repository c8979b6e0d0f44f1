#pragma once
// A configuration read again while the server runs (SIGHUP, or POST
// /api/v1/config/reload): what it changes, compared with the running one.
// Tasks, variables and the log level may change; the server, storage,
// connections and notifications sections are what the running sockets,
// files and actors were made from, so a change to them is refused and
// needs a restart.

#include <string>
#include <vector>

#include "config/config.hpp"

namespace tb::config {

struct reload_plan {
  // A section a reload cannot change, changed: the reload is refused.
  std::vector<problem> problems;
  // Task names, in the new configuration's order (removed: the running one's).
  std::vector<std::string> added, changed, removed, unchanged;
};

reload_plan plan_reload(const config& running, const config& next);

// What a reload did: applied, or refused whole with every problem (the
// running configuration stays).
struct reload_result {
  std::string file; // the configuration file read
  bool applied = false;
  std::vector<problem> problems;
  std::vector<problem> warnings;
  reload_plan plan;
};

} // namespace tb::config
