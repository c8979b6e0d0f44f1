#pragma once
// The sync engine seen through the API, under /api/v1: its tasks with their
// state and progress and the operator's commands, the error list and the
// system log. Reads the engine's reports and its LMDB state, and asks the
// engine through callbacks; no actor is touched here.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/live.hpp"
#include "api/router.hpp"
#include "config/config.hpp"
#include "domain/task_status.hpp"
#include "storage/sync_state.hpp"

namespace tb::api {

// What each running task reports, by name; called per request.
using task_reporter = std::function<std::map<std::string, task_status>()>;

// Queues issues of a task side durably and syncs them at once.
using task_pusher =
  std::function<void(const std::string& task, side s, const std::vector<std::string>& ids)>;

// Stops retrying an error item; false if there was none.
using task_skipper = std::function<bool(const std::string& task, side s, const std::string& id)>;

// "start", "stop", "pause" or "resume": "" when the task is (now) as asked,
// else why it cannot be.
using task_commander = std::function<std::string(const std::string& task, const std::string& command)>;

// Lists the task's synced sides for issues changed since then and syncs
// them: "" or why not.
using task_resyncer = std::function<std::string(const std::string& task, timestamp since)>;

// The configuration problem a connection's calls meet now (a TLS
// certificate refused): "" while there is none.
using connection_prober = std::function<std::string(const std::string& connection)>;

// What the routes ask of the running engine.
struct task_engine {
  task_reporter status;
  task_pusher push;
  task_skipper skip;
  task_commander command;
  task_resyncer resync;
  connection_prober problem; // empty: connections report none
};

// The running configuration's tasks: replaced by a reload.
using live_tasks = live<std::vector<config::task_config>>;

// store must outlive r.
void add_task_routes(router& r, std::shared_ptr<const live_tasks> tasks,
                     storage::sync_state& store, task_engine engine);

} // namespace tb::api
