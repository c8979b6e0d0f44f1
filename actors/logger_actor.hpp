#pragma once
// The logger actor: the system log. Every record goes to spdlog at once and
// to the LMDB log in batches, so logging costs no disk sync per line.

#include <vector>

#include "actors/fwd.hpp"
#include "storage/sync_state.hpp"

namespace tb {

struct logger_state {
  storage::sync_state* store = nullptr;
  std::vector<storage::log_record> pending;
  bool flush_scheduled = false;

  void write(log_level level, const std::string& task, const std::string& message);
  void flush();

  static inline const char* name = "logger";
};

// Records wait at most flush_delay before they are in LMDB; a
// (flush_atom, true) request writes them now and answers when done.
logger_actor::behavior_type logger(logger_actor::stateful_pointer<logger_state> self,
                                   storage::sync_state* store);

} // namespace tb
