#pragma once
// Watchers: who follows an issue. Trackers keep no history of them, so they
// are synced as a set: each side's changes since the set both sides had at
// the last sync are made on the other side, and a watcher someone added on
// the target alone is left alone by a one-way task.

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

// source, target: the watchers each side has now, in its own logins; target
// null: not read (one-way). last: the set as last synced, in the source's
// logins; none: never synced (then nothing is removed anywhere).
watcher_sync plan_watchers(const std::vector<std::string>& source,
                           const std::vector<std::string>* target,
                           const std::optional<std::vector<std::string>>& last,
                           const field_rules& to_target, const field_rules& to_source);

} // namespace tb
