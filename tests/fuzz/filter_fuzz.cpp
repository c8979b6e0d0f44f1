// A task filter on arbitrary text: a filter that evaluates, or one problem
// with a column inside the text and a message; never a crash, an exception
// or a stack exhausted by nesting.

#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/filter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  tb::filter_context ctx;
  // Every other input with the fields known, the rest with any name taken.
  if (size % 2)
    ctx.fields = std::set<std::string>{"status", "tracker", "Severity", "Business Area"};
  ctx.variables = {{"since", "2026-03-01"}, {"team", "Platform"}};
  ctx.environment = [](const std::string& name) -> std::optional<std::string> {
    return name == "HOME" ? std::optional<std::string>{"/root"} : std::nullopt;
  };
  auto r = tb::filter::compile(text, ctx);
  if (auto* problems = std::get_if<std::vector<tb::filter_problem>>(&r)) {
    if (problems->size() != 1 || problems->front().message.empty()
        || problems->front().column < 1 || problems->front().column > size + 1)
      __builtin_trap();
    return 0;
  }
  auto& f = std::get<tb::filter>(r);
  tb::issue i;
  i.fields = {{"status", "New"}, {"tracker", "Bug"}, {"Severity", "S2"}, {"done_ratio", "40"},
              {"due_date", "2026-03-12"}};
  i.created = 1'767'225'600'000;
  i.updated = 1'772'000'000'000;
  bool m = f.matches(i, 1'773'000'000'000);
  if (f.explain(i, 1'773'000'000'000).matches != m || f.text() != text)
    __builtin_trap();
  // A narrowed listing holds every match: an issue that matches meets it.
  auto n = f.narrowing(1'773'000'000'000);
  if (m) {
    for (auto& [field, values] : n.any_of)
      if (!values.count(tb::value_of(i, field)))
        __builtin_trap();
    if ((n.created_from && i.created < *n.created_from)
        || (n.updated_from && i.updated < *n.updated_from))
      __builtin_trap();
  }
  for (auto& c : f.comparisons())
    if (c.column == 0 || c.column > text.size())
      __builtin_trap();
  return 0;
}
