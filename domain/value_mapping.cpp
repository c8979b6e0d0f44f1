#include "domain/value_mapping.hpp"

#include <re2/re2.h>

#include "domain/checked_json.hpp"

namespace tb {

struct value_mapping::compiled {
  value_mapping_spec spec;
  std::vector<std::unique_ptr<re2::RE2>> rules; // spec.rules, compiled
};

std::variant<value_mapping, std::vector<value_mapping_problem>> value_mapping::compile(
  const value_mapping_spec& spec) {
  std::vector<value_mapping_problem> problems;
  auto c = std::make_shared<compiled>();
  c->spec = spec;
  re2::RE2::Options options;
  options.set_log_errors(false);
  for (std::size_t i = 0; i < spec.rules.size(); ++i) {
    auto at = "rules[" + std::to_string(i) + "]";
    auto re = std::make_unique<re2::RE2>(spec.rules[i].match, options);
    if (!re->ok()) {
      problems.push_back({at + ".match",
                          "the regular expression " + checked::quote(spec.rules[i].match)
                            + " is not valid: " + re->error(),
                          "RE2 syntax (github.com/google/re2/wiki/Syntax): no lookaround or "
                          "backreferences"});
      continue;
    }
    std::string why;
    if (!re->CheckRewriteString(spec.rules[i].to, &why))
      problems.push_back({at + ".to", checked::quote(spec.rules[i].to) + ": " + why,
                          "\\1 to \\9 name the expression's groups, \\0 the whole match; "
                          "write \\\\ for a backslash"});
    c->rules.push_back(std::move(re));
  }
  if (spec.unmapped == unmapped_value::fallback && spec.fallback.empty())
    problems.push_back({"default", "is required when unmapped values get the default",
                        "give the value to write, or make unmapped \"pass\" or \"error\""});
  if (!problems.empty())
    return problems;
  return value_mapping{std::move(c)};
}

std::optional<std::string> value_mapping::map(const std::string& value) const {
  auto& spec = c_->spec;
  if (auto exact = spec.values.find(value); exact != spec.values.end())
    return exact->second;
  if (value.empty())
    return value;
  for (std::size_t i = 0; i < c_->rules.size(); ++i) {
    std::string out;
    if (re2::RE2::Extract(value, *c_->rules[i], spec.rules[i].to, &out))
      return out;
  }
  switch (spec.unmapped) {
    case unmapped_value::pass:
      return value;
    case unmapped_value::refuse:
      return std::nullopt;
    case unmapped_value::fallback:
      return spec.fallback;
  }
  return value;
}

std::optional<std::size_t> value_mapping::rule_for(const std::string& value) const {
  if (value.empty() || c_->spec.values.count(value))
    return std::nullopt;
  for (std::size_t i = 0; i < c_->rules.size(); ++i)
    if (re2::RE2::PartialMatch(value, *c_->rules[i]))
      return i;
  return std::nullopt;
}

std::variant<value_mapping, std::string> value_mapping::reverse() const {
  auto& spec = c_->spec;
  if (!spec.rules.empty())
    return "its rules (" + checked::quote(spec.rules.front().match)
           + ", ...) cannot be turned around";
  if (spec.unmapped == unmapped_value::fallback)
    return "every unmapped value becomes " + checked::quote(spec.fallback)
           + ", which cannot be turned around";
  value_mapping_spec back;
  back.unmapped = spec.unmapped;
  for (auto& [from, to] : spec.values) {
    auto [at, fresh] = back.values.emplace(to, from);
    if (!fresh)
      return checked::quote(to) + " is what both " + checked::quote(at->second) + " and "
             + checked::quote(from) + " become";
  }
  return std::get<value_mapping>(compile(back));
}

const value_mapping_spec& value_mapping::spec() const {
  return c_->spec;
}

} // namespace tb
