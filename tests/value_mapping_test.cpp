#define CAF_SUITE value_mapping
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "domain/value_mapping.hpp"

// Value mappings: the exact table, RE2 rules with groups, what an unmapped
// value becomes, the mistakes a spec can hold, and when the reverse of a
// two-way task can be derived.

using namespace tb;

namespace {

value_mapping compiled(const value_mapping_spec& spec) {
  auto r = value_mapping::compile(spec);
  if (auto* problems = std::get_if<std::vector<value_mapping_problem>>(&r))
    CAF_FAIL("the spec did not compile: " << problems->front().where << ": "
                                          << problems->front().message);
  return std::get<value_mapping>(r);
}

std::vector<value_mapping_problem> problems_of(const value_mapping_spec& spec) {
  auto r = value_mapping::compile(spec);
  if (std::holds_alternative<value_mapping>(r)) {
    CAF_ERROR("the spec compiled; problems were expected");
    return {};
  }
  return std::get<std::vector<value_mapping_problem>>(r);
}

bool has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos)
    return true;
  CAF_MESSAGE("'" << text << "' does not say '" << part << "'");
  return false;
}

} // namespace

CAF_TEST(the_exact_table_maps_and_other_values_pass_by_default) {
  auto m = compiled({.values = {{"New", "Open"}, {"Closed", "Done"}}});
  CAF_CHECK_EQUAL(m.map("New"), std::optional<std::string>{"Open"});
  CAF_CHECK_EQUAL(m.map("Closed"), std::optional<std::string>{"Done"});
  CAF_CHECK_EQUAL(m.map("Rejected"), std::optional<std::string>{"Rejected"});
  CAF_CHECK_EQUAL(m.map("new"), std::optional<std::string>{"new"}); // case-sensitive
  CAF_CHECK_EQUAL(m.map(""), std::optional<std::string>{""}); // a cleared field stays cleared
}

CAF_TEST(the_table_may_map_the_empty_value) {
  auto m = compiled({.values = {{"", "Unassigned"}}});
  CAF_CHECK_EQUAL(m.map(""), std::optional<std::string>{"Unassigned"});
}

CAF_TEST(rules_apply_in_order_after_the_table_with_their_groups) {
  auto m = compiled({.values = {{"P1", "Blocker"}},
                     .rules = {{"^P([0-9])$", "Priority \\1"},
                               {"^P", "never: the rule above wins"},
                               {"(?i)^urgent", "[\\0]"}}});
  CAF_CHECK_EQUAL(m.map("P1"), std::optional<std::string>{"Blocker"}); // the table first
  CAF_CHECK_EQUAL(m.map("P3"), std::optional<std::string>{"Priority 3"});
  CAF_CHECK_EQUAL(m.map("P10"), std::optional<std::string>{"never: the rule above wins"});
  CAF_CHECK_EQUAL(m.map("URGENT now"), std::optional<std::string>{"[URGENT]"});
  CAF_CHECK_EQUAL(m.map("Low"), std::optional<std::string>{"Low"});
  // Which rule decided: none for the table's values, the empty one or a
  // value no rule takes.
  using index = std::optional<std::size_t>;
  CAF_CHECK_EQUAL(m.rule_for("P1"), index{});
  CAF_CHECK_EQUAL(m.rule_for("P3"), index{0});
  CAF_CHECK_EQUAL(m.rule_for("P10"), index{1});
  CAF_CHECK_EQUAL(m.rule_for("URGENT now"), index{2});
  CAF_CHECK_EQUAL(m.rule_for("Low"), index{});
  CAF_CHECK_EQUAL(m.rule_for(""), index{});
}

CAF_TEST(an_unmapped_value_is_refused_or_gets_the_default_when_told) {
  auto refusing = compiled({.values = {{"New", "Open"}}, .unmapped = unmapped_value::refuse});
  CAF_CHECK_EQUAL(refusing.map("New"), std::optional<std::string>{"Open"});
  CAF_CHECK(!refusing.map("Rejected"));
  CAF_CHECK_EQUAL(refusing.map(""), std::optional<std::string>{""});
  auto defaulting = compiled({.values = {{"New", "Open"}},
                              .unmapped = unmapped_value::fallback,
                              .fallback = "Triage"});
  CAF_CHECK_EQUAL(defaulting.map("Rejected"), std::optional<std::string>{"Triage"});
}

CAF_TEST(mistakes_are_reported_each_at_its_place) {
  auto p = problems_of({.rules = {{"^P([0-9]$", "x"},
                                  {"^P([0-9])$", "Priority \\2"},
                                  {"(?=x)", "y"}},
                        .unmapped = unmapped_value::fallback});
  CAF_REQUIRE_EQUAL(p.size(), 4u);
  CAF_CHECK_EQUAL(p[0].where, "rules[0].match");
  CAF_CHECK(has(p[0].message, "the regular expression \"^P([0-9]$\" is not valid: missing )"));
  CAF_CHECK_EQUAL(p[1].where, "rules[1].to");
  CAF_CHECK(has(p[1].message, "\"Priority \\\\2\": "));
  CAF_CHECK_EQUAL(p[2].where, "rules[2].match");
  CAF_CHECK_EQUAL(p[3].where, "default");
  CAF_CHECK(has(p[3].message, "is required"));
}

CAF_TEST(a_one_to_one_table_is_turned_around_for_the_other_direction) {
  auto m = compiled({.values = {{"New", "Open"}, {"Closed", "Done"}},
                     .unmapped = unmapped_value::refuse});
  auto r = m.reverse();
  CAF_REQUIRE(std::holds_alternative<value_mapping>(r));
  auto back = std::get<value_mapping>(r);
  CAF_CHECK_EQUAL(back.map("Open"), std::optional<std::string>{"New"});
  CAF_CHECK_EQUAL(back.map("Done"), std::optional<std::string>{"Closed"});
  CAF_CHECK(!back.map("New")); // refused both ways
  for (auto& [from, to] : m.spec().values)
    CAF_CHECK_EQUAL(back.map(*m.map(from)), std::optional<std::string>{from});
}

CAF_TEST(a_mapping_that_is_not_one_to_one_says_why_it_cannot_be_turned_around) {
  auto many = compiled({.values = {{"New", "Open"}, {"Reopened", "Open"}}});
  auto r = many.reverse();
  CAF_REQUIRE(std::holds_alternative<std::string>(r));
  CAF_CHECK_EQUAL(std::get<std::string>(r),
                  "\"Open\" is what both \"New\" and \"Reopened\" become");
  auto ruled = compiled({.rules = {{"^P([0-9])$", "Priority \\1"}}});
  auto s = ruled.reverse();
  CAF_REQUIRE(std::holds_alternative<std::string>(s));
  CAF_CHECK(has(std::get<std::string>(s), "rules (\"^P([0-9])$\", ...) cannot be turned around"));
  auto defaulted = compiled({.unmapped = unmapped_value::fallback, .fallback = "Triage"});
  auto d = defaulted.reverse();
  CAF_REQUIRE(std::holds_alternative<std::string>(d));
  CAF_CHECK(has(std::get<std::string>(d), "every unmapped value becomes \"Triage\""));
}
