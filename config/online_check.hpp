#pragma once
// Live validation: a task's filters and mappings checked against what its
// trackers take (domain/catalogue.hpp), read from them by `check --online`
// and by every task when it starts, so that a status or a list value the
// other side lacks is reported before anything is written, every problem
// at once with its JSON path.

#include <string>
#include <vector>

#include "config/config.hpp"
#include "domain/catalogue.hpp"

namespace tb::config {

struct online_report {
  // What keeps the task from starting: a filter naming a field or a value
  // its side does not have, a mapping writing a value the other side does
  // not take, a user or a closed_status the side lacks.
  std::vector<problem> problems;
  // What syncs, but not every issue: a value the source lists which,
  // mapped or passed as it is, the target does not take (an issue that has
  // it becomes an error item); what could not be read and is not checked.
  std::vector<problem> warnings;
};

online_report check_online(const task_config& t, const tracker_catalogue& source,
                           const tracker_catalogue& target);

} // namespace tb::config
