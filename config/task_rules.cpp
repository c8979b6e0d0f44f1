#include "config/task_rules.hpp"

namespace tb::config {

std::array<field_rules, 2> rules_of(const task_config& t) {
  std::array<field_rules, 2> out;
  out[0].rename = t.field_mappings;
  out[0].users = t.user_mappings;
  out[1] = out[0].inverted();
  out[0].rename_rules = t.field_rules;
  out[1].rename_rules = t.reverse_field_rules;
  // Value mappings are configured by the source's field names; the way back
  // reads target entries, so it is keyed by the target's names.
  out[0].values = t.value_mappings;
  for (auto& [field, mapping] : t.reverse_value_mappings)
    out[1].values.emplace(out[0].map(field), mapping);
  return out;
}

} // namespace tb::config
