#include "actors/engine.hpp"

#include <caf/actor_pool.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/connection_actor.hpp"
#include "actors/logger_actor.hpp"
#include "actors/mailer_actor.hpp"
#include "actors/task_actor.hpp"
#include "config/task_rules.hpp"

namespace tb {

namespace {

conflict_policy policy_of(config::conflict_policy p) {
  switch (p) {
    case config::conflict_policy::source_wins:
      return conflict_policy::source_wins;
    case config::conflict_policy::target_wins:
      return conflict_policy::target_wins;
    case config::conflict_policy::newest_wins:
      break;
  }
  return conflict_policy::newest_wins;
}

task_context::filter_exit exit_of(config::filter_exit e) {
  switch (e) {
    case config::filter_exit::unlink:
      return task_context::filter_exit::unlink;
    case config::filter_exit::close_twin:
      return task_context::filter_exit::close_twin;
    case config::filter_exit::stop:
      break;
  }
  return task_context::filter_exit::stop;
}

} // namespace

engine::engine(caf::actor_system& sys, storage::sync_state& store)
  : sys_(sys), store_(store), logger_(sys.spawn(logger, &store)) {
}

engine::~engine() {
  stop(std::chrono::seconds{10});
}

void engine::add_connection(const std::string& name, const adapter_factory& make,
                            unsigned workers) {
  // Five unavailable calls in a row open the breaker for ten seconds.
  auto health = std::make_shared<connection_health>(name, 5, std::chrono::seconds{10});
  healths_[name] = health;
  // The first adapter also tells what the tracker records (add_task).
  auto first = make();
  traits_[name] = {first->records_children(), first->has_watchers(),
                   first->edits_file_descriptions(), first->has_time_entries(),
                   first->narrows_listings()};
  auto spawn_worker = [&] {
    auto adapter = first ? std::exchange(first, nullptr) : make();
    return sys_.spawn<caf::detached>(connection, std::move(adapter), health, logger_);
  };
  connection_actor handle;
  if (workers <= 1) {
    handle = spawn_worker();
  } else {
    // Round robin is enough: each issue actor waits for one answer before its
    // next request, so its order holds whichever worker answers.
    auto pool = caf::actor_pool::make(
      sys_.dummy_execution_unit(), workers,
      [&] { return caf::actor_cast<caf::actor>(spawn_worker()); },
      caf::actor_pool::round_robin());
    handle = caf::actor_cast<connection_actor>(pool);
  }
  connections_.insert_or_assign(name, handle);
}

void engine::add_mailer(const config::notifications_config& n,
                        const smtp::server_settings& smtp, storage::mail_store& store,
                        const std::string& api_base) {
  mailer_settings s;
  s.policy.interval = n.interval;
  s.policy.max_per_hour = n.max_per_hour;
  s.api_base = api_base;
  for (auto& r : n.rules) {
    mail_rule rule{r.events, r.tasks, r.addresses};
    for (auto& role : r.roles) {
      auto mailbox = role_mailbox(role.connection, role.project, role.role);
      rule.to.push_back(mailbox);
      if (std::none_of(s.roles.begin(), s.roles.end(),
                       [&](const mail_role& x) { return x.mailbox == mailbox; }))
        s.roles.push_back(
          {mailbox, role.connection, role.project, role.role, connections_.at(role.connection)});
    }
    for (auto& to : rule.to)
      if (std::find(test_recipients_.begin(), test_recipients_.end(), to) == test_recipients_.end())
        test_recipients_.push_back(to);
    s.rules.push_back(std::move(rule));
  }
  mail_rules_ = s.rules;
  // Blocking (libcurl): a thread of its own, as a connection worker has.
  smtp_ = sys_.spawn<caf::detached>(smtp_worker, smtp);
  mailer_ = sys_.spawn(mailer, std::move(s), &store, smtp_, logger_);
  for (auto& [name, health] : healths_) {
    std::lock_guard lock{health->mutex};
    health->mailer = mailer_;
  }
}

std::optional<std::uint64_t> engine::send_test_mail(std::chrono::milliseconds timeout) {
  if (!mailer_)
    return std::nullopt;
  std::optional<std::uint64_t> id;
  caf::scoped_actor self{sys_};
  self->request(*mailer_, timeout, send_atom_v, test_recipients_)
    .receive([&](std::uint64_t x) { id = x; }, [](caf::error&) {});
  return id;
}

void engine::add_task(const config::task_config& t) {
  auto handle = spawn_task(t, {});
  std::lock_guard lock{tasks_mutex_};
  tasks_.insert_or_assign(t.name, handle);
}

void engine::replace_task(const config::task_config& t) {
  auto old = find_task(t.name);
  if (!old) {
    add_task(t);
    return;
  }
  caf::anon_send(*old, retire_atom_v);
  auto handle = spawn_task(t, *old);
  std::lock_guard lock{tasks_mutex_};
  tasks_.insert_or_assign(t.name, handle);
}

void engine::remove_task(const std::string& name) {
  std::optional<task_actor> old;
  {
    std::lock_guard lock{tasks_mutex_};
    if (auto i = tasks_.find(name); i != tasks_.end()) {
      old = i->second;
      tasks_.erase(i);
    }
  }
  if (!old)
    return;
  log(log_level::info, name,
      "removed from the configuration: it ends after the passes under way; its links and "
      "queue stay stored");
  caf::anon_send(*old, retire_atom_v);
}

std::optional<task_actor> engine::find_task(const std::string& name) const {
  std::lock_guard lock{tasks_mutex_};
  auto t = tasks_.find(name);
  if (t == tasks_.end() || stopped_)
    return std::nullopt;
  return t->second;
}

task_actor engine::spawn_task(const config::task_config& t, task_actor predecessor) {
  auto ctx = std::make_shared<task_context>();
  ctx->name = t.name;
  auto fill = [&](side s, const config::scope_config& scope) {
    auto& ts = ctx->sides[static_cast<int>(s)];
    ts.connection = scope.connection;
    ts.project = scope.project;
    ts.conn = connections_.at(scope.connection);
    ts.sweep_interval = scope.sweep_interval;
    ts.records_children = traits_.at(scope.connection).records_children;
    ts.has_watchers = traits_.at(scope.connection).has_watchers;
    ts.edits_file_descriptions = traits_.at(scope.connection).edits_file_descriptions;
    ts.has_time_entries = t.time_entries && traits_.at(scope.connection).has_time_entries;
    ts.narrows_listings = traits_.at(scope.connection).narrows_listings;
  };
  fill(side::source, t.source);
  fill(side::target, t.target);
  auto rules = config::rules_of(t);
  ctx->sides[0].rules = rules[0];
  ctx->sides[1].rules = rules[1];
  ctx->sides[0].filter = t.filter;
  ctx->sides[1].filter = t.target_filter;
  ctx->on_filter_exit = exit_of(t.on_filter_exit);
  ctx->two_way = t.dir == config::direction::two_way;
  ctx->close_twin_on_delete = t.on_deleted == config::deleted_policy::close_twin;
  ctx->closed_status = t.closed_status;
  ctx->max_attempts = t.max_attempts;
  ctx->policy = policy_of(t.on_conflict);
  ctx->poll_interval = t.poll_interval;
  ctx->poll_overlap = t.poll_overlap;
  ctx->check = [t](const tracker_catalogue& source, const tracker_catalogue& target) {
    return config::check_online(t, source, target);
  };
  ctx->store = &store_;
  ctx->log = logger_;
  ctx->mailer = mailer_;
  ctx->mails_synced = !recipients_of(mail_rules_, notice{notice_kind::synced, t.name}).empty();
  // Logged before the spawn: the task starts on a scheduler thread and logs
  // at once ("initial sync started", "resuming ..."); a line sent after
  // spawn() returns may reach the logger after those.
  log(log_level::info, t.name,
      std::string{"started: "} + t.source.connection + "/" + t.source.project
        + (ctx->two_way ? " <-> " : " -> ") + t.target.connection + "/" + t.target.project);
  return sys_.spawn(task, std::shared_ptr<const task_context>{ctx}, true, predecessor);
}

bool engine::push(const std::string& task, side s, const std::vector<std::string>& issue_ids) {
  auto t = find_task(task);
  if (!t)
    return false;
  // Queued with no time: a sync that reads the issue at all covers it.
  std::vector<issue_stamp> stamps;
  storage::transaction txn{store_.env(), storage::transaction::read_write};
  for (auto& id : issue_ids) {
    store_.enqueue(txn, task, {issue_ref{s, id}, 0});
    stamps.push_back({id, 0});
  }
  txn.commit();
  caf::anon_send(*t, changes_atom_v, s, std::move(stamps));
  return true;
}

bool engine::skip(const std::string& task, const issue_ref& key,
                  std::chrono::milliseconds timeout) {
  auto t = find_task(task);
  if (!t)
    return false;
  bool skipped = false;
  caf::scoped_actor self{sys_};
  self->request(*t, timeout, skip_atom_v, key)
    .receive([&](bool had) { skipped = had; }, [](caf::error&) {});
  return skipped;
}

namespace {

// A task's answer to a command, or why there was none.
template <class... Ts>
std::string ask(caf::actor_system& sys, const task_actor& t, std::chrono::milliseconds timeout,
                Ts... xs) {
  std::string answer;
  caf::scoped_actor self{sys};
  self->request(t, timeout, xs...)
    .receive([&](std::string& a) { answer = std::move(a); },
             [&](caf::error& e) { answer = "the task did not answer: " + to_string(e); });
  return answer;
}

} // namespace

std::string engine::control(const std::string& task, command c,
                            std::chrono::milliseconds timeout) {
  auto t = find_task(task);
  if (!t)
    return "the task is not running (the server is stopping, or a reload removed it)";
  switch (c) {
    case command::start:
      return ask(sys_, *t, timeout, start_atom_v);
    case command::stop:
      return ask(sys_, *t, timeout, stop_atom_v);
    case command::pause:
      return ask(sys_, *t, timeout, pause_atom_v);
    case command::resume:
      break;
  }
  return ask(sys_, *t, timeout, resume_atom_v);
}

std::string engine::resync(const std::string& task, timestamp since,
                           std::chrono::milliseconds timeout) {
  auto t = find_task(task);
  if (!t)
    return "the task is not running (the server is stopping, or a reload removed it)";
  return ask(sys_, *t, timeout, resync_atom_v, since);
}

void engine::log(log_level level, const std::string& task, const std::string& message) {
  caf::anon_send(logger_, log_atom_v, level, task, message);
}

std::vector<task_status> engine::status(std::chrono::milliseconds timeout) {
  std::map<std::string, task_actor> tasks;
  {
    std::lock_guard lock{tasks_mutex_};
    tasks = tasks_;
  }
  std::vector<task_status> out;
  caf::scoped_actor self{sys_};
  for (auto& [name, t] : tasks)
    self->request(t, timeout, status_atom_v)
      .receive([&](task_status& s) { out.push_back(std::move(s)); }, [](caf::error&) {});
  return out;
}

bool engine::stop(std::chrono::milliseconds grace) {
  std::map<std::string, task_actor> tasks;
  {
    std::lock_guard lock{tasks_mutex_};
    if (stopped_)
      return true;
    stopped_ = true;
    tasks = std::exchange(tasks_, {});
  }
  bool clean = true;
  caf::scoped_actor self{sys_};
  for (auto& [name, t] : tasks)
    self->request(t, grace, shutdown_atom_v)
      .receive([](bool) {}, [&](caf::error&) { clean = false; });
  log(log_level::info, "", clean ? "stopped cleanly" : "stopped; unsynced changes stay queued");
  self->request(logger_, grace, flush_atom_v, true).receive([](bool) {}, [](caf::error&) {});
  for (auto& [name, t] : tasks)
    self->send_exit(t, caf::exit_reason::user_shutdown);
  for (auto& [name, c] : connections_)
    self->send_exit(c, caf::exit_reason::user_shutdown);
  // Unsent mail stays in the outbox for the next start.
  if (mailer_)
    self->send_exit(*mailer_, caf::exit_reason::user_shutdown);
  if (smtp_)
    self->send_exit(smtp_, caf::exit_reason::user_shutdown);
  self->send_exit(logger_, caf::exit_reason::user_shutdown);
  connections_.clear();
  return clean;
}

} // namespace tb
