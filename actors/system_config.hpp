#pragma once
// The actor system's configuration: CAF's, with TrackBridge's message types
// announced (actors/messages.hpp), so each has a name and can be serialised.

#include <caf/actor_system_config.hpp>

#include "actors/messages.hpp"

namespace tb {

class system_config : public caf::actor_system_config {
 public:
  system_config() {
    add_message_types<caf::id_block::trackbridge>();
    // Issue actors wait for their commits (LMDB, a sync to disk each
    // group): more threads than cores let more of them wait at once and
    // share one group commit (docs/benchmarks.md has the figures).
    set("scheduler.max-threads", scheduler_threads);
  }
  static constexpr std::size_t scheduler_threads = 8;
};

} // namespace tb
