#include "api/metrics_routes.hpp"

#include <charconv>

#include "api/route_support.hpp"

namespace tb::api {

namespace {

// A label value with \, " and newlines escaped, as the format asks.
std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"')
      out.append(1, '\\').append(1, c);
    else if (c == '\n')
      out.append("\\n");
    else
      out.append(1, c);
  }
  return out;
}

// The shortest text that reads back as v: "0.005", not "0.0050000000000000001".
std::string number(double v) {
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

class exposition {
 public:
  void family(const std::string& name, const std::string& type, const std::string& help) {
    text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void sample(const std::string& name, const std::string& labels, const std::string& value) {
    text_.append(name).append("{").append(labels).append("} ").append(value).append("\n");
  }
  void sample(const std::string& name, const std::string& labels, std::uint64_t value) {
    sample(name, labels, std::to_string(value));
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

std::string task_label(const std::string& task) {
  return "task=\"" + label(task) + "\"";
}

void latency_family(exposition& out, const std::vector<std::string>& names,
                    const std::map<std::string, task_status>& reports) {
  const std::string name = "trackbridge_sync_latency_seconds";
  out.family(name, "histogram",
             "Time from a change reaching a task to the end of the pass that synced it.");
  for (auto& task : names) {
    auto r = reports.find(task);
    if (r == reports.end())
      continue;
    auto& h = r->second.latency;
    auto& bounds = latency_histogram::bounds;
    for (std::size_t i = 0; i < bounds.size(); ++i)
      out.sample(name + "_bucket", task_label(task) + ",le=\"" + number(bounds[i]) + "\"",
                 h.at_or_below(i));
    out.sample(name + "_bucket", task_label(task) + ",le=\"+Inf\"", h.count());
    out.sample(name + "_sum", task_label(task), number(h.sum()));
    out.sample(name + "_count", task_label(task), h.count());
  }
}

} // namespace

std::string render_metrics(const std::vector<std::string>& names,
                           const std::map<std::string, task_status>& reports,
                           const std::map<std::string, task_backlog>& backlogs,
                           const std::map<std::string, connection_report>& connections) {
  exposition out;
  auto per_task = [&](const std::string& name, const std::string& type, const std::string& help,
                      auto value) {
    out.family(name, type, help);
    for (auto& task : names)
      if (auto r = reports.find(task); r != reports.end())
        value(task, r->second);
  };
  per_task("trackbridge_changes_received_total", "counter",
           "Change notices a task received (polls, webhooks, the API, resyncs, its queue at "
           "start), by the side they came from.",
           [&](const std::string& task, const task_status& s) {
             out.sample("trackbridge_changes_received_total", task_label(task) + ",side=\"source\"",
                        s.received[0]);
             out.sample("trackbridge_changes_received_total", task_label(task) + ",side=\"target\"",
                        s.received[1]);
           });
  per_task("trackbridge_changes_synced_total", "counter",
           "Changes whose sync pass ended without error.",
           [&](const std::string& task, const task_status& s) {
             out.sample("trackbridge_changes_synced_total", task_label(task), s.synced);
           });
  per_task("trackbridge_changes_failed_total", "counter",
           "Changes whose sync pass failed (each failed item is in the error list).",
           [&](const std::string& task, const task_status& s) {
             out.sample("trackbridge_changes_failed_total", task_label(task), s.failed);
           });
  per_task("trackbridge_active_passes", "gauge", "Issue pairs being synced now.",
           [&](const std::string& task, const task_status& s) {
             out.sample("trackbridge_active_passes", task_label(task), s.active);
           });
  per_task("trackbridge_task_state", "gauge",
           "1 for the state a task is in (running, checking, invalid, paused, stopping, stopped).",
           [&](const std::string& task, const task_status& s) {
             out.sample("trackbridge_task_state",
                        task_label(task) + ",state=\"" + label(s.state) + "\"", std::uint64_t{1});
           });
  out.family("trackbridge_backlog", "gauge", "Changes queued (in LMDB) and not synced yet.");
  for (auto& task : names)
    if (auto b = backlogs.find(task); b != backlogs.end())
      out.sample("trackbridge_backlog", task_label(task), b->second.queued);
  out.family("trackbridge_errors", "gauge", "Items in a task's error list.");
  for (auto& task : names)
    if (auto b = backlogs.find(task); b != backlogs.end())
      out.sample("trackbridge_errors", task_label(task), b->second.errors);
  latency_family(out, names, reports);
  out.family("trackbridge_tracker_http_calls_total", "counter",
             "HTTP calls to a tracker connection by the status answered; status=\"none\": no "
             "answer (refused, reset, timed out).");
  for (auto& [connection, report] : connections)
    for (auto& [status, n] : report.calls)
      out.sample("trackbridge_tracker_http_calls_total",
                 "connection=\"" + label(connection) + "\",status=\""
                   + (status == 0 ? std::string{"none"} : std::to_string(status)) + "\"",
                 n);
  out.family("trackbridge_connection_problem", "gauge",
             "1 while calls to a tracker connection fail for a reason its configuration must "
             "fix (a TLS certificate refused); the log and the task view say which.");
  for (auto& [connection, report] : connections)
    out.sample("trackbridge_connection_problem", "connection=\"" + label(connection) + "\"",
               std::uint64_t{report.problem.empty() ? 0u : 1u});
  return out.take();
}

void add_metrics_route(router& r, std::shared_ptr<const live_tasks> tasks,
                       storage::sync_state& store, task_reporter status,
                       std::map<std::string, std::shared_ptr<http::call_tally>> connections) {
  r.add("GET", "/metrics",
        answering([tasks = std::move(tasks), &store, status = std::move(status),
                   connections = std::move(connections)](const http_request&,
                                                         const route_params& p) {
          only_query(p, {});
          std::vector<std::string> names;
          for (auto& t : *tasks->get())
            names.push_back(t.name);
          std::map<std::string, task_backlog> backlogs;
          {
            storage::transaction t{store.env(), storage::transaction::read_only};
            for (auto& task : names)
              backlogs[task] = {store.queue_length(t, task), store.errors(t, task).size()};
          }
          std::map<std::string, connection_report> reports;
          for (auto& [name, tally] : connections)
            reports[name] = {tally->counts(), tally->problem()};
          return http_response{200, "text/plain; version=0.0.4; charset=utf-8",
                               render_metrics(names, status(), backlogs, reports), {}};
        }));
}

} // namespace tb::api
