#pragma once
// `trackbridge check --online --explain TASK/SIDE/ID`: for one issue,
// whether its side's filter takes it (and the condition that decided), and
// what its twin would get: every history entry after the task's field,
// user and value mappings, read from the tracker, nothing written.

#include <iosfwd>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "domain/sync.hpp"

namespace tb::app {

struct explained_issue {
  std::string task;
  side where = side::source;
  std::string id;
};

// "t/source/12"; nullopt and why when it is not of that form.
std::optional<explained_issue> parse_explained(const std::string& text, std::string& why);

// Prints the explanation on out, a problem on err; the exit code: 0 when
// it was explained, 1 when the issue could not be read, 2 when the task
// or the side does not fit the configuration.
int explain(const config::config& cfg, const explained_issue& what, std::ostream& out,
            std::ostream& err);

} // namespace tb::app
