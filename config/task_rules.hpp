#pragma once
// What a task's mappings make of the writes each way (domain/replay.hpp's
// field_rules), built once from its configuration: by the engine for its
// issue actors, and by `check --explain` to show a replica without writing.

#include <array>

#include "config/config.hpp"
#include "domain/replay.hpp"

namespace tb::config {

// Indexed by side: [0] for writes from the source to the target, [1] for
// the way back.
std::array<field_rules, 2> rules_of(const task_config& t);

} // namespace tb::config
