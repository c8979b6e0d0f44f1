#include "app/online.hpp"

#include "app/connections.hpp"
#include "config/online_check.hpp"

namespace tb::app {

online_findings check_tasks_online(const config::config& cfg,
                                   const std::set<std::string>& tasks) {
  // Only the named tasks' trackers are read: a reload of one task does not
  // wait for every tracker of the others.
  config::config selected = cfg;
  if (!tasks.empty())
    std::erase_if(selected.tasks,
                  [&](const config::task_config& t) { return !tasks.count(t.name); });
  auto catalogues = read_catalogues(selected);
  online_findings out;
  for (auto& t : selected.tasks) {
    auto task_path = checked::member("$.tasks", t.name);
    auto& source = catalogues.at({t.source.connection, t.source.project});
    auto& target = catalogues.at({t.target.connection, t.target.project});
    bool read = true;
    for (auto [side, c] : {std::pair{"source", &source}, std::pair{"target", &target}})
      if (!c->ok()) {
        out.problems.push_back({task_path + "." + side,
                                "cannot read " + c->error().where + ": " + c->error().message,
                                "check that the tracker is up, the connection's key and the "
                                "project's identifier"});
        read = false;
      }
    if (!read)
      continue;
    auto report = config::check_online(t, *source, *target);
    out.problems.insert(out.problems.end(), report.problems.begin(), report.problems.end());
    out.warnings.insert(out.warnings.end(), report.warnings.begin(), report.warnings.end());
  }
  return out;
}

} // namespace tb::app
