#pragma once
// The sync engine seen through the API, under /api/v1: its tasks with their
// state and progress, the error list and the system log. Read from the
// engine's counters and its LMDB state; no actor is touched here.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/router.hpp"
#include "config/config.hpp"
#include "storage/sync_state.hpp"

namespace tb::api {

// What only the running task knows (the rest is in storage).
struct task_counts {
  std::string state; // "running", "stopping"
  std::uint64_t synced = 0; // issue passes that ended without error
  std::uint64_t failed = 0;
  std::uint64_t active = 0; // issue pairs being synced now
};

// The counts of every running task by name; called per request.
using task_counter = std::function<std::map<std::string, task_counts>()>;

// Queues issues of a task side durably and syncs them at once.
using task_pusher =
  std::function<void(const std::string& task, side s, const std::vector<std::string>& ids)>;

// Stops retrying an error item; false if there was none.
using task_skipper = std::function<bool(const std::string& task, side s, const std::string& id)>;

// Pauses (true) or resumes (false) a task; whether its state changed.
using task_pauser = std::function<bool(const std::string& task, bool pause)>;

// What the routes ask of the running engine.
struct task_engine {
  task_counter counts;
  task_pusher push;
  task_skipper skip;
  task_pauser pause;
};

// tasks: the configuration's tasks; store must outlive r.
void add_task_routes(router& r, std::vector<config::task_config> tasks,
                     storage::sync_state& store, task_engine engine);

} // namespace tb::api
