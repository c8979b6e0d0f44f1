// The config loader on arbitrary bytes: it must answer with problems (or a
// config), never crash, hang or read out of bounds.

#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "config/task_rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto result = tb::config::parse(std::string(reinterpret_cast<const char*>(data), size), "/base");
  // Exactly one of the two: a config, or the problems that stopped it.
  if (result.cfg.has_value() == !result.problems.empty())
    __builtin_trap();
  for (auto& p : result.problems)
    if (p.path.empty() || p.path[0] != '$' || p.message.empty())
      __builtin_trap(); // every problem says where and what
  // A valid task's rules build (their expressions compiled when read), and
  // every field gets a name either way.
  if (result.cfg)
    for (auto& t : result.cfg->tasks) {
      auto rules = tb::config::rules_of(t);
      for (const char* field : {"status", "Severity", "Legacy Severity", "rules"})
        for (auto& way : rules)
          if (way.map(field).empty())
            __builtin_trap();
    }
  return 0;
}
