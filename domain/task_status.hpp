#pragma once
// What a running sync task reports about itself: its state, counts, sync
// latency and the progress of its long work. Filled by the task actor,
// shown by the API and the metrics.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/histogram.hpp"
#include "domain/model.hpp"

namespace tb {

// Long work of a task (an initial sync, a resync, the changes queued before
// a restart): how many issues it listed and how many are through.
struct sync_progress {
  std::string kind; // "initial sync", "resync", "queued changes"
  timestamp started = 0;
  timestamp finished = 0; // 0 while under way
  bool listing = false;   // still listing issues: the total grows
  std::uint64_t total = 0;
  std::uint64_t done = 0;   // synced, nothing of them left queued
  std::uint64_t failed = 0; // their pass failed: in the error list
  friend bool operator==(const sync_progress&, const sync_progress&) = default;
};

// What live validation found (config/online_check.hpp): where in the
// configuration, what is wrong, and what to do.
struct task_problem {
  std::string path;
  std::string message;
  std::string hint;
  friend bool operator==(const task_problem&, const task_problem&) = default;
};

// What a task reports about itself.
struct task_status {
  std::string name;
  // "running", "paused", "stopping", "stopped"; "checking" while it reads
  // what its trackers take before it syncs, "invalid" when that found
  // problems (it then does not sync until it is started again).
  std::string state;
  // Change notices by the side they came from (polls, webhooks, the API,
  // resyncs, the queue at start), and those the passes that covered them
  // synced or failed.
  std::uint64_t received[2] = {0, 0};
  std::uint64_t synced = 0;
  std::uint64_t failed = 0;
  std::uint64_t active = 0; // issue actors alive now
  // Issues whose latest pass since the task started found them outside
  // their side's filter (their changes count as neither synced nor failed).
  std::uint64_t left_out = 0;
  latency_histogram latency; // from a change's receipt to the end of its pass
  std::optional<sync_progress> progress; // the latest long work, finished or not
  // The latest live validation's: problems keep it from syncing.
  std::vector<task_problem> problems = {};
  std::vector<task_problem> warnings = {};
  friend bool operator==(const task_status&, const task_status&) = default;
};

} // namespace tb
