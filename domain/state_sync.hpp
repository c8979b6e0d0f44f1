#pragma once
// What trackers keep no history of (an issue's watchers, a file's
// description) is synced by its state: each side's changes since what both
// sides had at the last sync are made on the other side.

#include <optional>
#include <string>
#include <vector>

#include "domain/model.hpp"
#include "domain/replay.hpp"

namespace tb {

struct watcher_sync {
  std::vector<watcher_change> to_target; // in the target's logins
  std::vector<watcher_change> to_source; // two-way only; in the source's logins
  std::vector<std::string> synced;       // the set both have now, in the source's logins
};

// Watchers, as a set; a watcher someone added on the target alone is left
// alone by a one-way task.
// source, target: the watchers each side has now, in its own logins; target
// null: not read (one-way). last: the set as last synced, in the source's
// logins; none: never synced (then nothing is removed anywhere).
watcher_sync plan_watchers(const std::vector<std::string>& source,
                           const std::vector<std::string>* target,
                           const std::optional<std::vector<std::string>>& last,
                           const field_rules& to_target, const field_rules& to_source);

// One linked file's description. target null: not read (one-way). last:
// as last synced; none: not known (then it is taken as synced, and nothing
// is written). A change on both sides goes the way the conflict policy says
// (newest wins: the source's, as descriptions carry no time).
struct description_sync {
  std::optional<std::string> to_target, to_source;
  std::string synced;
};
description_sync plan_description(const std::string& source, const std::string* target,
                                  const std::optional<std::string>& last,
                                  conflict_policy policy);

} // namespace tb
