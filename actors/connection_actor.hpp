#pragma once
// The connection actor: one per configured tracker connection. It owns the
// adapter and answers the engine's reads and writes. Adapter calls block, so
// the engine spawns it detached (its own thread), off the scheduler.

#include <memory>

#include "actors/fwd.hpp"
#include "adapters/tracker_adapter.hpp"

namespace tb {

struct connection_state {
  std::shared_ptr<tracker_adapter> adapter;
  static inline const char* name = "connection";
};

connection_actor::behavior_type
connection(connection_actor::stateful_pointer<connection_state> self,
           std::shared_ptr<tracker_adapter> adapter);

} // namespace tb
