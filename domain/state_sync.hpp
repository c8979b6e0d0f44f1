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

// A row of time linked to its copy on the other side, both as they were
// when last synced, each in its own side's terms. target.id empty: a
// one-way task's copy was deleted on the target; it is made again only when
// the source row changes.
struct time_entry_link {
  time_entry source, target;
  // The side whose last write the tracker did not keep all of: written
  // again on every pass (an error each time) until it is.
  std::optional<side> unfinished = std::nullopt;
};

// One step of a time entries sync: a write of one row (or none), and the
// link as it is once the write is done (the written row's id and content
// are then taken from the tracker's answer).
struct time_entry_op {
  std::string key;              // the link's source row id; "" for a new row on the source
  std::optional<side> to;       // none: only the link changes
  time_entry_write write;       // on `to`, in its terms
  time_entry_link after;        // unlink: none
  bool unlink = false;
  // Why the write may not be made: the task's value mapping of "activity"
  // refuses the row's activity. "" when it may.
  std::string refused = {};
};

// Rows are copied, changed and deleted as on the other side: new rows of
// the source (two-way: of either side) are created on the other, a change
// since the last sync is made on the other side (both changed: the policy
// decides, newest_wins by the rows' update times), a deleted row's copy is
// deleted (also when the copy was edited: a deletion wins). A one-way task
// leaves the target's own rows, and its changes to copies, alone.
std::vector<time_entry_op> plan_time_entries(const std::vector<time_entry>& source,
                                             const std::vector<time_entry>& target,
                                             const std::vector<time_entry_link>& links,
                                             bool two_way, conflict_policy policy,
                                             const field_rules& to_target,
                                             const field_rules& to_source);

// A row in the other side's terms (its user, field names and activity
// mapped; an activity the mapping refuses is left as it is); no id.
time_entry map_time_entry(const time_entry& row, const field_rules& rules);

} // namespace tb
