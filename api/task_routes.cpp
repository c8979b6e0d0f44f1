#include "api/task_routes.hpp"

#include <algorithm>
#include <memory>

#include "api/route_support.hpp"
#include "domain/time.hpp"

namespace tb::api {

namespace {

using json = nlohmann::json;

constexpr std::uint64_t default_log_limit = 100;
constexpr std::uint64_t max_log_limit = 1000;

// The tasks a request sees: the running configuration's when it came.
using task_list = std::shared_ptr<const std::vector<config::task_config>>;

struct task_routes {
  std::shared_ptr<const live_tasks> running;
  storage::sync_state& store;
  task_engine engine;

  // The task by name, kept alive by the list while the request needs it.
  const config::task_config& task_named(const task_list& tasks, const std::string& name) const {
    for (auto& t : *tasks)
      if (t.name == name)
        return t;
    std::string known;
    for (auto& t : *tasks)
      known += (known.empty() ? "" : ", ") + t.name;
    throw api_error{404, "task " + name,
                    "no task named " + name + "; configured tasks: " + known};
  }

  side side_of(const config::task_config& task, const route_params& p) const {
    return synced_side(task.name, task.dir == config::direction::two_way, p.path.at("side"));
  }

  json error_json(const storage::error_item& e) const {
    return {{"task", e.task},     {"side", to_string(e.ref.where)},
            {"issue", e.ref.id},  {"where", e.where},
            {"message", e.message}, {"time", to_rfc3339(e.time)},
            {"attempts", e.attempts}, {"parked", e.parked}};
  }

  json side_json(storage::transaction& t, const config::task_config& task, side s) const {
    auto& scope = s == side::source ? task.source : task.target;
    auto watermark = store.watermark(t, task.name, s);
    auto problem = engine.problem ? engine.problem(scope.connection) : std::string{};
    auto& filter = s == side::source ? task.filter : task.target_filter;
    return {{"connection", scope.connection},
            {"project", scope.project},
            {"filter", filter ? json(filter->text()) : json(nullptr)},
            {"watermark", watermark ? json(to_rfc3339(*watermark)) : json(nullptr)},
            {"problem", problem.empty() ? json(nullptr) : json(problem)}};
  }

  static json progress_json(const std::optional<sync_progress>& p) {
    if (!p)
      return nullptr;
    return {{"kind", p->kind},
            {"started", to_rfc3339(p->started)},
            {"finished", p->finished ? json(to_rfc3339(p->finished)) : json(nullptr)},
            {"listing", p->listing},
            {"total", p->total},
            {"done", p->done},
            {"failed", p->failed}};
  }

  json task_json(const config::task_config& task,
                 const std::map<std::string, task_status>& all) const {
    storage::transaction t{store.env(), storage::transaction::read_only};
    task_status c;
    c.state = "unknown"; // it did not answer in time
    if (auto i = all.find(task.name); i != all.end())
      c = i->second;
    auto errors = store.errors(t, task.name);
    json last = nullptr;
    auto newest = std::max_element(errors.begin(), errors.end(),
                                   [](auto& a, auto& b) { return a.time < b.time; });
    if (newest != errors.end())
      last = error_json(*newest);
    return {{"name", task.name},
            {"state", c.state},
            {"direction", config::to_string(task.dir)},
            {"source", side_json(t, task, side::source)},
            {"target", side_json(t, task, side::target)},
            {"backlog", store.queue_length(t, task.name)},
            {"received", {{"source", c.received[0]}, {"target", c.received[1]}}},
            {"synced", c.synced},
            {"failed", c.failed},
            {"active", c.active},
            {"left_out", c.left_out},
            {"on_filter_exit", config::to_string(task.on_filter_exit)},
            {"progress", progress_json(c.progress)},
            {"errors", errors.size()},
            {"last_error", last},
            {"problems", problems_json(c.problems)},
            {"warnings", problems_json(c.warnings)}};
  }

  static json problems_json(const std::vector<task_problem>& all) {
    json out = json::array();
    for (auto& p : all)
      out.push_back({{"path", p.path}, {"message", p.message}, {"hint", p.hint}});
    return out;
  }

  http_response list(const route_params& p) const {
    only_query(p, {});
    auto tasks = running->get();
    auto all = engine.status();
    json out = json::array();
    for (auto& t : *tasks)
      out.push_back(task_json(t, all));
    return json_response(200, {{"tasks", out}});
  }

  http_response one(const route_params& p) const {
    only_query(p, {});
    auto tasks = running->get();
    return json_response(200, task_json(task_named(tasks, p.path.at("task")), engine.status()));
  }

  http_response errors(const route_params& p) const {
    only_query(p, {"task"});
    auto tasks = running->get();
    std::vector<const config::task_config*> which;
    if (auto i = p.query.find("task"); i != p.query.end())
      which.push_back(&task_named(tasks, i->second));
    else
      for (auto& t : *tasks)
        which.push_back(&t);
    storage::transaction t{store.env(), storage::transaction::read_only};
    json out = json::array();
    for (auto* task : which)
      for (auto& e : store.errors(t, task->name))
        out.push_back(error_json(e));
    return json_response(200, {{"errors", out}});
  }

  // Syncs one issue now, as a webhook would; the issue need not have changed.
  http_response sync_issue(const route_params& p) const {
    only_query(p, {});
    auto tasks = running->get();
    auto& task = task_named(tasks, p.path.at("task"));
    auto s = side_of(task, p);
    auto& id = p.path.at("id");
    engine.push(task.name, s, {id});
    return json_response(202, {{"queued", {id}}});
  }

  // Tries an error item again now, without waiting for its backoff.
  http_response retry(const route_params& p) const {
    only_query(p, {});
    auto tasks = running->get();
    auto& task = task_named(tasks, p.path.at("task"));
    auto s = side_of(task, p);
    auto& id = p.path.at("id");
    {
      storage::transaction t{store.env(), storage::transaction::read_only};
      auto items = store.errors(t, task.name);
      if (std::none_of(items.begin(), items.end(),
                       [&](auto& e) { return e.ref == issue_ref{s, id}; }))
        throw api_error{404, "task " + task.name + ", " + to_string(s) + " issue " + id,
                        "the error list has no item for this issue"};
    }
    engine.push(task.name, s, {id});
    return json_response(202, {{"queued", {id}}});
  }

  // Drops an error item and its queued change: not retried until it changes.
  http_response skip_error(const route_params& p) const {
    only_query(p, {});
    auto tasks = running->get();
    auto& task = task_named(tasks, p.path.at("task"));
    auto s = side_of(task, p);
    auto& id = p.path.at("id");
    if (!engine.skip(task.name, s, id))
      throw api_error{404, "task " + task.name + ", " + to_string(s) + " issue " + id,
                      "the error list has no item for this issue"};
    return json_response(200, {{"skipped", id}});
  }

  // start, stop, pause or resume: answers the task as it is now, or 409 with
  // why the command does not apply (resuming a stopped task...).
  http_response command(const route_params& p, const std::string& name) const {
    only_query(p, {});
    auto tasks = running->get();
    auto& task = task_named(tasks, p.path.at("task"));
    if (auto why = engine.command(task.name, name); !why.empty())
      throw api_error{409, "task " + task.name, "cannot " + name + ": " + why};
    return json_response(200, task_json(task, engine.status()));
  }

  // Syncs again every issue changed since a time; what was applied is not
  // applied twice (the ledger), so only what is missing is written.
  http_response resync(const http_request& req, const route_params& p) const {
    only_query(p, {});
    auto tasks = running->get();
    auto& task = task_named(tasks, p.path.at("task"));
    auto body = parse_body(req, {"since"});
    if (!body.contains("since") || !body["since"].is_string())
      throw api_error{400, where_key("since"),
                      "since is required: an RFC 3339 time, e.g. \"2026-01-31T12:00:00Z\""};
    auto text = body["since"].get<std::string>();
    auto since = parse_rfc3339(text);
    if (!since)
      throw api_error{400, where_key("since"),
                      "'" + text + "' is not an RFC 3339 time; e.g. \"2026-01-31T12:00:00Z\""};
    if (*since > now_ms())
      throw api_error{400, where_key("since"),
                      "'" + text + "' is in the future; a resync goes back from now"};
    if (auto why = engine.resync(task.name, *since); !why.empty())
      throw api_error{409, "task " + task.name, "cannot resync: " + why};
    return json_response(202, task_json(task, engine.status()));
  }

  // Oldest first from `after` (a sequence number): a client pages by passing
  // the last `seq` it got, and `next` says where the next page starts even
  // when the filters left this one short.
  http_response log(const route_params& p) const {
    only_query(p, {"after", "limit", "level", "task", "since"});
    auto tasks = running->get();
    auto after = number_in_query(p, "after", 0, 0, UINT64_MAX);
    auto limit = number_in_query(p, "limit", default_log_limit, 1, max_log_limit);
    auto since = time_in_query(p, "since");
    std::string task;
    if (auto i = p.query.find("task"); i != p.query.end())
      task = task_named(tasks, i->second).name;
    int min_level = 0;
    if (auto i = p.query.find("level"); i != p.query.end()) {
      static const std::vector<std::string> levels{"info", "warn", "error"};
      auto l = std::find(levels.begin(), levels.end(), i->second);
      if (l == levels.end())
        throw api_error{400, "query parameter level",
                        "level must be info, warn or error (that level and above); got '"
                          + i->second + "'"};
      min_level = static_cast<int>(l - levels.begin());
    }
    auto rank = [](const std::string& level) {
      return level == "error" ? 2 : level == "warn" ? 1 : 0;
    };
    storage::transaction t{store.env(), storage::transaction::read_only};
    json out = json::array();
    auto next = after;
    // Bounded: at most ten batches are scanned per request, filtered or not.
    for (int batch = 0; batch < 10 && out.size() < limit; ++batch) {
      auto records = store.log(t, next, 500);
      for (auto& r : records) {
        next = r.seq;
        if ((task.empty() || r.task == task) && rank(r.level) >= min_level
            && (!since || r.time >= *since))
          out.push_back({{"seq", r.seq},
                         {"time", to_rfc3339(r.time)},
                         {"level", r.level},
                         {"task", r.task},
                         {"message", r.message}});
        if (out.size() == limit)
          break;
      }
      if (records.size() < 500)
        break;
    }
    return json_response(200, {{"entries", out}, {"next", next}});
  }
};

} // namespace

void add_task_routes(router& r, std::shared_ptr<const live_tasks> tasks,
                     storage::sync_state& store, task_engine engine) {
  auto routes =
    std::make_shared<const task_routes>(task_routes{std::move(tasks), store, std::move(engine)});
  auto on = [&](const char* method, const std::string& path, auto handler) {
    r.add(method, path, answering([routes, handler](const http_request&, const route_params& p) {
            return handler(*routes, p);
          }));
  };
  on("GET", "/api/v1/tasks", [](const task_routes& t, auto& p) { return t.list(p); });
  on("GET", "/api/v1/tasks/{task}", [](const task_routes& t, auto& p) { return t.one(p); });
  on("GET", "/api/v1/errors", [](const task_routes& t, auto& p) { return t.errors(p); });
  on("GET", "/api/v1/log", [](const task_routes& t, auto& p) { return t.log(p); });
  on("POST", "/api/v1/tasks/{task}/issues/{side}/{id}/sync",
     [](const task_routes& t, auto& p) { return t.sync_issue(p); });
  on("POST", "/api/v1/errors/{task}/{side}/{id}/retry",
     [](const task_routes& t, auto& p) { return t.retry(p); });
  on("POST", "/api/v1/errors/{task}/{side}/{id}/skip",
     [](const task_routes& t, auto& p) { return t.skip_error(p); });
  for (const char* name : {"start", "stop", "pause", "resume"})
    on("POST", std::string{"/api/v1/tasks/{task}/"} + name,
       [name = std::string{name}](const task_routes& t, auto& p) { return t.command(p, name); });
  r.add("POST", "/api/v1/tasks/{task}/resync",
        answering([routes](const http_request& req, const route_params& p) {
          return routes->resync(req, p);
        }));
}

} // namespace tb::api
