#pragma once
// The poller: one per polled task side. It asks its connection for issues
// changed since the watermark (minus an overlap, de-duplicated), queues them
// durably with the new watermark in one transaction, and only then tells
// the task. A sweep, when configured, lists the whole project now and then
// and queues every issue: for trackers (Redmine) where some changes leave an
// issue's update time alone. A pass over an issue with nothing new writes
// nothing, so a sweep costs reads only. A linked issue that a whole sweep
// did not list is gone (deleted, or moved out of the project): it is queued
// too, so its pass finds that out and the task's on_deleted applies.
//
// Two listings report progress to the task (as `listed` pages): the first
// poll of a side that has never been polled (the initial sync), and a
// resync, a sweep from a time the operator names.

#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "actors/fwd.hpp"
#include "storage/sync_state.hpp"

namespace tb {

struct poller_settings {
  std::string task;
  side where = side::source;
  std::string project;
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds overlap{2000};
  std::uint32_t page_size = 500;
  std::chrono::milliseconds sweep_interval{0}; // 0: never
  // The side's filter's narrowing, for a tracker that can list by it
  // (tracker_adapter::narrows_listings): the initial sync then lists only
  // the issues that may match. None: it lists every issue.
  std::optional<listing_narrowing> narrowing = std::nullopt;
};

struct poller_state {
  poller_settings settings;
  connection_actor conn;
  task_actor task;
  logger_actor log;
  storage::sync_state* store = nullptr;
  timestamp watermark = 0;
  bool polling = false;
  bool full_page = false; // the last answer was a full page: go on from the watermark
  // Issues seen within the overlap window, so a re-read is not re-queued.
  // A stamp counts as seen only if the poll that saw it started at least an
  // overlap after its time: a tracker with whole-second times shows a second
  // edit within the same second under the same `updated`.
  struct sighting {
    timestamp updated = 0;
    timestamp poll_started = 0; // our clock
  };
  std::map<std::string, sighting> recent;
  timestamp poll_started = 0;
  // Sweeps come every so many polls (the interval over the poll interval),
  // so their timing follows the poll's clock, not a second one.
  std::uint64_t polls_until_sweep = 0;
  // A sweep under way: where its next page starts, and whether it is a
  // resync (its pages go to the task as a listing) or a periodic one.
  struct sweep_run {
    timestamp from = 0;
    bool resync = false;
  };
  std::optional<sweep_run> sweep;
  std::set<std::string> swept; // what a periodic sweep listed so far
  std::vector<std::string> unlisted; // linked, yet not listed by the sweep just ended
  std::optional<timestamp> resync_from; // a resync asked for, not yet started
  bool initial = false; // no watermark yet: the polls until a short page list everything
  // A narrowed initial sync's: the project's newest change, read before its
  // first page. Its last page moves the watermark there, so the polls after
  // it do not list again the issues it left out; whatever changes later is
  // newer, and polled.
  std::optional<timestamp> newest_before;
  // Each scheduled tick carries the generation it was scheduled in: a tick
  // scheduled anew (a resync) makes the older one void, so one chain of
  // ticks runs, never two.
  std::uint64_t tick_generation = 0;

  std::uint64_t polls_per_sweep() const;
  bool sweeping() const { return sweep.has_value(); }
  // Queues every stamp of a sweep page (no de-duplication, watermark kept)
  // and moves the sweep on; the stamps. The last page of a periodic sweep
  // adds the linked issues it never listed, at time 0 (read whatever the time).
  std::vector<issue_stamp> accept_sweep(const std::vector<issue_stamp>& stamps);
  // A pending resync starts now (or takes over the sweep under way).
  void start_resync();

  timestamp since() const;
  bool settled(const sighting& seen) const;
  // The stamps not seen before; queues them and moves the watermark, durably.
  std::vector<issue_stamp> accept(const std::vector<issue_stamp>& stamps);

  static inline const char* name = "poller";
};

// Polls at once, then every interval (at once again after a full page).
poller_actor::behavior_type poller(poller_actor::stateful_pointer<poller_state> self,
                                   poller_settings settings, connection_actor conn,
                                   task_actor task, logger_actor log,
                                   storage::sync_state* store);

} // namespace tb
