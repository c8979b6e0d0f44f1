#pragma once
// Words of a sync task that the engine, its state and its rules share.

#include <string>

#include "domain/model.hpp"

namespace tb {

// A task joins a source scope and a target scope; two-way tasks also sync
// target to source, but the names stay.
enum class side : unsigned char { source, target };

inline side other(side s) { return s == side::source ? side::target : side::source; }
inline const char* to_string(side s) { return s == side::source ? "source" : "target"; }

// One issue on one side of a task.
struct issue_ref {
  side where = side::source;
  std::string id;
  friend bool operator==(const issue_ref&, const issue_ref&) = default;
  friend auto operator<=>(const issue_ref&, const issue_ref&) = default;
};

inline std::string to_string(const issue_ref& r) { return std::string{to_string(r.where)} + ":" + r.id; }

} // namespace tb

namespace tb {

enum class conflict_policy { newest_wins, source_wins, target_wins };

} // namespace tb
