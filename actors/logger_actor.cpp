#include "actors/logger_actor.hpp"

#include <chrono>

#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "domain/time.hpp"

namespace tb {

void logger_state::write(log_level level, const std::string& task, const std::string& message) {
  auto line = task.empty() ? message : "[" + task + "] " + message;
  switch (level) {
    case log_level::debug:
      spdlog::debug("{}", line);
      return; // debug lines stay out of the durable log
    case log_level::info:
      spdlog::info("{}", line);
      break;
    case log_level::warn:
      spdlog::warn("{}", line);
      break;
    case log_level::error:
      spdlog::error("{}", line);
      break;
  }
  pending.push_back({0, now_ms(), to_string(level), task, message});
}

void logger_state::flush() {
  flush_scheduled = false;
  if (pending.empty() || !store)
    return;
  try {
    storage::write_transaction(store->env(), [&](storage::transaction& t) {
      for (auto& rec : pending)
        store->append_log(t, rec);
    });
  } catch (const std::exception& e) {
    spdlog::error("system log: {} records not stored: {}", pending.size(), e.what());
  }
  pending.clear();
}

logger_actor::behavior_type logger(logger_actor::stateful_pointer<logger_state> self,
                                   storage::sync_state* store) {
  using namespace std::chrono_literals;
  self->state.store = store;
  return {
    [self](log_atom, log_level level, const std::string& task, const std::string& message) {
      self->state.write(level, task, message);
      if (!self->state.flush_scheduled) {
        self->state.flush_scheduled = true;
        self->delayed_send(self, 200ms, flush_atom_v);
      }
    },
    [self](flush_atom) { self->state.flush(); },
    [self](flush_atom, bool) {
      self->state.flush();
      return true;
    },
  };
}

} // namespace tb
