#pragma once
// GET /metrics: the engine's figures in Prometheus' text format (0.0.4),
// per task (changes received, synced and failed, backlog, errors, sync
// latency) and per tracker connection (HTTP calls by status, and whether a
// problem of its configuration, such as a certificate, holds it up).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/http/call_tally.hpp"
#include "api/router.hpp"
#include "api/task_routes.hpp"

namespace tb::api {

// What one task shows beyond its report: from LMDB.
struct task_backlog {
  std::uint64_t queued = 0;
  std::uint64_t errors = 0;
};

// What one tracker connection over HTTP shows, from its call_tally.
struct connection_report {
  std::map<int, std::uint64_t> calls; // by status; 0: no answer
  std::string problem;                // "" while there is none
};

// The text of one scrape. Tasks that did not report are left out of the
// per-task figures, not shown as zeros.
std::string render_metrics(const std::vector<std::string>& task_names,
                           const std::map<std::string, task_status>& reports,
                           const std::map<std::string, task_backlog>& backlogs,
                           const std::map<std::string, connection_report>& connections);

// tasks: the running configuration's. connections: each tracker connection's tally
// (connections without HTTP, such as the embedded tracker, have none).
// store must outlive r.
void add_metrics_route(router& r, std::shared_ptr<const live_tasks> tasks,
                       storage::sync_state& store, task_reporter status,
                       std::map<std::string, std::shared_ptr<http::call_tally>> connections);

} // namespace tb::api
