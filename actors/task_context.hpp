#pragma once
// What a task's actors share, read-only once the task starts: its sides,
// rules, and the handles of the actors it talks to.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "actors/fwd.hpp"
#include "config/online_check.hpp"
#include "domain/filter.hpp"
#include "domain/replay.hpp"
#include "storage/sync_state.hpp"

namespace tb {

struct task_side {
  std::string connection;
  std::string project;
  connection_actor conn;
  field_rules rules; // renames for writes made *from* this side to the other
  // Issues that originate on this side are synced while they match (none:
  // all of them); evaluated on the origin, in this side's field names.
  std::optional<tb::filter> filter = {};
  std::chrono::milliseconds sweep_interval{0}; // 0: the poll sees every change
  // The tracker records a child's parent change on the parent too
  // (domain/replay.hpp: shared_records).
  bool records_children = false;
  bool has_watchers = false; // see tracker_adapter
  bool edits_file_descriptions = false;
  bool has_time_entries = false;
  bool narrows_listings = false;
};

struct task_context {
  std::string name;
  task_side sides[2]; // indexed by side
  bool two_way = false;
  conflict_policy policy = conflict_policy::newest_wins;
  // When one issue of a pair is gone: also close the other with this status
  // (config on_deleted close-twin), or only unlink the pair.
  bool close_twin_on_delete = false;
  // When a linked pair's origin stops matching its filter (config
  // on_filter_exit): keep the link and sync nothing until it matches again,
  // forget the pair, or close the twin and forget the pair.
  enum class filter_exit { stop, unlink, close_twin };
  filter_exit on_filter_exit = filter_exit::stop;
  unsigned max_attempts = 10; // failed passes of an issue before it is parked
  std::string closed_status = "Closed";
  std::chrono::milliseconds poll_interval{5000};
  std::chrono::milliseconds poll_overlap{2000};
  std::chrono::milliseconds request_timeout{60000};
  std::chrono::milliseconds progress_interval{5000}; // between progress lines of long work
  // Live validation: the task's rules against what its two projects take,
  // before it syncs (config/online_check.hpp). Empty: nothing is checked.
  std::function<config::online_report(const tracker_catalogue& source,
                                      const tracker_catalogue& target)>
    check = {};
  storage::sync_state* store = nullptr;
  logger_actor log;
  // Where the task's events go to be mailed (actors/mailer_actor.hpp);
  // none: no notifications are configured.
  std::optional<mailer_actor> mailer = {};
  // A rule wants this task's synced events (the success digest): each pass
  // that wrote something is then one notice.
  bool mails_synced = false;

  const task_side& at(side s) const { return sides[static_cast<int>(s)]; }
};

} // namespace tb
