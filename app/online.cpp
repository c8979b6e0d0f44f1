#include "app/online.hpp"

#include <map>

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

online_findings check_roles_online(const config::config& cfg) {
  online_findings out;
  if (!cfg.notifications)
    return out;
  std::map<std::string, opened_reader> readers; // one per connection
  for (auto& rule : cfg.notifications->rules)
    for (auto& role : rule.roles) {
      auto named = "the role " + role.role + " in " + role.connection + "/" + role.project;
      auto reader = readers.find(role.connection);
      try {
        if (reader == readers.end())
          reader = readers.emplace(role.connection, open_reader(cfg, role.connection)).first;
      } catch (const std::exception& e) {
        out.problems.push_back({role.path, "cannot read " + named + ": " + e.what(), ""});
        continue;
      }
      auto members = reader->second.adapter->members_with_role(role.project, role.role);
      if (!members) {
        out.problems.push_back({role.path,
                                "cannot read " + named + ": " + members.error().where + ": "
                                  + members.error().message,
                                "check that the tracker is up, the project's identifier and "
                                "that the connection's key is an administrator's"});
        continue;
      }
      std::string unread;
      bool reaches_someone = false;
      for (auto& m : *members) {
        reaches_someone = reaches_someone || !m.mail.empty();
        if (m.mail.empty())
          unread += (unread.empty() ? "" : ", ") + m.login;
      }
      if (!reaches_someone)
        out.warnings.push_back({role.path, named + " has nobody with an address: its events "
                                           "would wait until someone has it",
                                "give the role to someone in " + role.connection
                                  + ", or name addresses"});
      if (!unread.empty())
        out.warnings.push_back({role.path, "the addresses of " + unread + " (" + named
                                             + ") cannot be read",
                                "the connection's API key must be an administrator's"});
    }
  return out;
}

} // namespace tb::app
