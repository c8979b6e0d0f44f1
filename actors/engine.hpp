#pragma once
// The engine: spawns and stops the actors of a configuration: a connection
// actor per tracker connection, the logger, and a task actor per task.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/fwd.hpp"
#include "actors/mailer_actor.hpp"
#include "adapters/tracker_adapter.hpp"
#include "config/config.hpp"
#include "storage/mail_store.hpp"
#include "storage/sync_state.hpp"

namespace tb {

struct connection_health;

class engine {
 public:
  engine(caf::actor_system& sys, storage::sync_state& store);
  ~engine();

  // Adapter calls block: each connection worker gets its own thread, and
  // `workers` of them (the connection's requests in flight) share its load.
  using adapter_factory = std::function<std::shared_ptr<tracker_adapter>()>;
  void add_connection(const std::string& name, const adapter_factory& make, unsigned workers);
  // Notifications: the mailer with its rules, sending through the SMTP
  // server with these settings; before the tasks are added, which report
  // their events to it. store must outlive the engine.
  void add_mailer(const config::notifications_config& n, const smtp::server_settings& smtp,
                  storage::mail_store& store, const std::string& api_base);
  // A test message to every address the rules name and every member of
  // their roles: its outbox id, 0 when none of them has an address yet, or
  // none without notifications.
  std::optional<std::uint64_t> send_test_mail(std::chrono::milliseconds timeout);

  // The task's connections must have been added.
  void add_task(const config::task_config& t);
  // A reload: the task's actor is replaced by one with these settings. The
  // old one starts no new pass and ends after the passes under way; the new
  // one syncs only then, so no pair has two passes at once. What was
  // queued stays queued for it.
  void replace_task(const config::task_config& t);
  // A reload without the task: its actor ends as in replace_task. Its state
  // (links, queue, error items) stays in LMDB for a task of that name.
  void remove_task(const std::string& name);

  void log(log_level level, const std::string& task, const std::string& message);
  // Issues a tracker says changed (a webhook): queued durably, then synced
  // at once. False for an unknown task.
  bool push(const std::string& task, side s, const std::vector<std::string>& issue_ids);
  // Stops retrying a failed issue until it changes again; false if the task
  // is unknown or had no error item for it.
  bool skip(const std::string& task, const issue_ref& key, std::chrono::milliseconds timeout);
  // The operator's commands to a task: "" when it is (now) as asked, else
  // why it cannot be (e.g. resuming a stopped task).
  enum class command { start, stop, pause, resume };
  std::string control(const std::string& task, command c, std::chrono::milliseconds timeout);
  // Lists the task's synced sides for issues changed since then, and syncs
  // them; "" or why not.
  std::string resync(const std::string& task, timestamp since, std::chrono::milliseconds timeout);
  std::vector<task_status> status(std::chrono::milliseconds timeout);

  // Stops polling, lets each issue actor finish the write it is in, flushes
  // the log and ends every actor. False if the grace ran out first (what was
  // not synced stays queued for the next start).
  bool stop(std::chrono::milliseconds grace);

 private:
  caf::actor_system& sys_;
  storage::sync_state& store_;
  logger_actor logger_;
  std::map<std::string, connection_actor> connections_;
  // What each connection's tracker records (tracker_adapter), by connection.
  struct tracker_traits {
    bool records_children = false;
    bool has_watchers = false;
    bool edits_file_descriptions = false;
    bool has_time_entries = false;
    bool narrows_listings = false;
  };
  std::map<std::string, tracker_traits> traits_;
  std::map<std::string, std::shared_ptr<connection_health>> healths_;
  std::optional<mailer_actor> mailer_;
  std::vector<mail_rule> mail_rules_; // which tasks' synced events someone wants
  smtp_actor smtp_;
  std::vector<std::string> test_recipients_;
  // Reloads change the tasks while API threads ask them: guarded.
  mutable std::mutex tasks_mutex_;
  std::map<std::string, task_actor> tasks_;
  bool stopped_ = false;

  // The task's actor, or none (unknown, or the engine stopped).
  std::optional<task_actor> find_task(const std::string& name) const;
  task_actor spawn_task(const config::task_config& t, task_actor predecessor);
};

} // namespace tb
