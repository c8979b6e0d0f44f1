#pragma once
// A task's filter: an expression over an issue's current values that says
// whether the task syncs it (docs/filters.md). Compiled once, when the
// configuration is read, so that every mistake in it is reported there with
// its column; evaluated for every issue a pass reads.
//
//   tracker = "Bug" and status in ("New", "In Progress")
//     and Severity ~ "^S[12]$" and updated >= ${since}

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/model.hpp"

namespace tb {

// What a filter may name besides the issue's fields.
struct filter_context {
  // The fields an issue of the project has (core and custom); nullopt when
  // they are not known before the tracker is read (a Redmine project), and
  // any name is then taken.
  std::optional<std::set<std::string>> fields;
  // ${NAME}: the built-ins (task, source.connection, ...) and the
  // configuration's `variables`. ${now} and ${today} are built in.
  std::map<std::string, std::string> variables;
  // ${env:NAME}: the value of an environment variable, nullopt when unset.
  std::function<std::optional<std::string>(const std::string&)> environment;
};

// A mistake in an expression: the 1-based column it starts at, what is wrong
// and what to do.
struct filter_problem {
  std::size_t column = 0;
  std::string message;
  std::string hint = {};
};

// Why an issue matched or not, worded for a person: the comparison that
// decided and the value it saw ("status in (\"New\") is false: status is
// \"Closed\"").
struct filter_verdict {
  bool matches = false;
  std::string because;
};

// A comparison of a field with values for equality (=, !=, in, not in):
// what live validation checks against the values a tracker lists for the
// field. Each value as the expression gives it (a variable's resolved).
struct filter_comparison {
  std::string field;
  std::vector<std::string> values;
  std::size_t column = 0; // 1-based, where the comparison starts
};

// What a tracker may be asked to list instead of every issue: conditions
// every match meets (those joined by `and` at the top of the filter), so a
// listing narrowed by them holds every match; the filter still decides.
struct listing_narrowing {
  // field -> the values it equals one of (=, in with strings)
  std::map<std::string, std::set<std::string>> any_of = {};
  // Lower bounds of created and updated (>=, > with a time).
  std::optional<timestamp> created_from = std::nullopt;
  std::optional<timestamp> updated_from = std::nullopt;
  bool empty() const { return any_of.empty() && !created_from && !updated_from; }
  friend bool operator==(const listing_narrowing&, const listing_narrowing&) = default;
};

class filter {
 public:
  // Compiles text; the problems, when there are any, instead of a filter.
  // An expression longer than max_length or nested deeper than max_depth is
  // refused, so that no input can exhaust the stack or the memory.
  static constexpr std::size_t max_length = 16 * 1024;
  static constexpr int max_depth = 64;
  static std::variant<filter, std::vector<filter_problem>> compile(const std::string& text,
                                                                     const filter_context& ctx);

  // Whether the issue's current values match, at the time `now` (the
  // reference of ${now}, ${today} and relative times such as -7d).
  bool matches(const issue& i, timestamp now) const;
  filter_verdict explain(const issue& i, timestamp now) const;

  const std::string& text() const;
  // The fields it reads, for checking them against a tracker's catalogue.
  const std::set<std::string>& fields() const;
  // Every equality comparison, in the order they are written.
  std::vector<filter_comparison> comparisons() const;
  // The narrowing its matches all meet at the time `now`.
  listing_narrowing narrowing(timestamp now) const;

  struct node;

 private:
  struct compiled;
  explicit filter(std::shared_ptr<const compiled> c) : c_(std::move(c)) {}
  std::shared_ptr<const compiled> c_; // immutable: copies share it
};

// "at column 17: expected a value after =, found the end (hint: ...)".
std::string format(const filter_problem& p);

} // namespace tb
