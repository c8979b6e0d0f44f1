#pragma once
// The connection actor: one per configured tracker connection (or several
// sharing one connection_health, for requests in flight at once). It owns
// the adapter and answers the engine's reads and writes. Adapter calls
// block, so the engine spawns it detached (its own thread), off the
// scheduler.

#include <functional>
#include <memory>
#include <mutex>

#include "actors/fwd.hpp"
#include "adapters/tracker_adapter.hpp"
#include "domain/faults.hpp"

namespace tb {

// Whether a connection's tracker answers, shared by its workers: calls in a
// row that found it unavailable open the breaker, and calls then fail at
// once until it is tried again, instead of each waiting for its timeout. A
// problem of the configuration (a TLS refusal) counts the same way, and is
// logged once when it starts and once when it ends.
struct connection_health {
  connection_health(std::string connection, unsigned threshold, milliseconds cooldown)
    : connection(std::move(connection)), breaker(threshold, cooldown) {}
  std::string connection;
  std::mutex mutex;
  circuit_breaker breaker;
  // The configuration problem calls meet now (a certificate not trusted),
  // logged when it starts and when it ends: "" while there is none.
  std::string problem;
  std::function<timestamp()> clock; // empty: the wall clock (tests set their own)
  // Where its failing and its answering again are reported to be mailed
  // (set once notifications are configured; read under the mutex).
  std::optional<mailer_actor> mailer;
};

struct connection_state {
  std::shared_ptr<tracker_adapter> adapter;
  std::shared_ptr<connection_health> health;
  logger_actor log;
  static inline const char* name = "connection";
};

connection_actor::behavior_type
connection(connection_actor::stateful_pointer<connection_state> self,
           std::shared_ptr<tracker_adapter> adapter, std::shared_ptr<connection_health> health,
           logger_actor log);

} // namespace tb
