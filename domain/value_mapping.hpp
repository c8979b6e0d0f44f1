#pragma once
// A field's value mapping: what a value on one side becomes on the other,
// for trackers not configured alike ("New" here is "Open" there). An exact
// table first, then RE2 rules with capture groups in order (the first that
// matches wins), then what to do with a value nothing maps. Compiled once,
// when the configuration is read; for a two-way task the reverse is derived
// when the mapping is one-to-one.

#include <memory>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tb {

// {"match": "^P([0-9])$", "to": "Priority \\1"}: \1 to \9 are the groups,
// \0 the whole match.
struct value_rule {
  std::string match;
  std::string to;
};

// What becomes of a value no entry and no rule maps.
enum class unmapped_value {
  pass,     // written as it is (the default)
  refuse,   // an error item naming the field and the value
  fallback, // the configured default is written
};

struct value_mapping_spec {
  std::map<std::string, std::string> values = {}; // exact: from -> to
  std::vector<value_rule> rules = {};
  unmapped_value unmapped = unmapped_value::pass;
  std::string fallback = {}; // with unmapped_value::fallback
};

// A mistake in a spec, at a place the configuration reader turns into a
// JSON path: "rules[1].match", "default".
struct value_mapping_problem {
  std::string where;
  std::string message;
  std::string hint = {};
};

class value_mapping {
 public:
  static std::variant<value_mapping, std::vector<value_mapping_problem>> compile(
    const value_mapping_spec& spec);

  // What `value` becomes; nullopt when it is refused (unmapped_value::refuse).
  // An empty value (a field cleared) stays empty unless the table maps "".
  std::optional<std::string> map(const std::string& value) const;
  // The rule that maps `value` (its index in spec().rules); none when the
  // table maps it, it is empty, or no rule matches it.
  std::optional<std::size_t> rule_for(const std::string& value) const;

  // The mapping of the other direction, when this one is one-to-one: an exact
  // table in which no two values map to the same one, and no rules.
  // Otherwise why not, for `check` ("\"Open\" is what both \"New\" and
  // \"Reopened\" become; ...").
  std::variant<value_mapping, std::string> reverse() const;

  const value_mapping_spec& spec() const;

 private:
  struct compiled;
  explicit value_mapping(std::shared_ptr<const compiled> c) : c_(std::move(c)) {}
  std::shared_ptr<const compiled> c_; // immutable: copies share it
};

} // namespace tb
