#pragma once
// What a benchmark prints: one line per figure, which scripts/bench
// gathers into one table. Tab-separated so names may hold spaces:
//
//   figure<TAB>bench<TAB>name<TAB>value<TAB>unit<TAB>goal<TAB>verdict
//
// goal is the figure the issue sets ("" when it has none), verdict "met",
// "not met" or "" (no goal).

#include <cmath>
#include <cstdio>
#include <string>

namespace tb::bench {

enum class better { higher, lower };

inline void figure(const std::string& bench, const std::string& name, double value,
                   const std::string& unit, better b = better::higher, double goal = -1) {
  std::string goal_text, verdict;
  if (goal >= 0) {
    char g[64];
    std::snprintf(g, sizeof g, "%s %g", b == better::higher ? ">=" : "<=", goal);
    goal_text = g;
    verdict = (b == better::higher ? value >= goal : value <= goal) ? "met" : "not met";
  }
  // Counts whole, rates and times to four digits.
  char shown[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    std::snprintf(shown, sizeof shown, "%.0f", value);
  else
    std::snprintf(shown, sizeof shown, "%.4g", value);
  std::printf("figure\t%s\t%s\t%s\t%s\t%s\t%s\n", bench.c_str(), name.c_str(), shown,
              unit.c_str(), goal_text.c_str(), verdict.c_str());
  std::fflush(stdout);
}

} // namespace tb::bench
