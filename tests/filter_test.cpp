#define CAF_SUITE filter
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <string>

#include "domain/filter.hpp"
#include "domain/time.hpp"

// The filter language (docs/filters.md): what each operator matches, how
// they bind, what values and variables mean, and what a mistake says, with
// its column.

using namespace tb;

namespace {

// 2026-03-10T12:00:00Z: the `now` of every evaluation below.
const timestamp now = *parse_rfc3339("2026-03-10T12:00:00Z");

filter_context context() {
  filter_context ctx;
  ctx.fields = std::set<std::string>{"subject", "status", "tracker", "priority", "done_ratio",
                                     "due_date", "assignee", "Severity", "Business Area"};
  ctx.variables = {{"since", "2026-03-01"}, {"task", "rm1-rm2"}, {"recent", "-2d"},
                   {"pattern", "^S[12]$"}};
  ctx.environment = [](const std::string& name) -> std::optional<std::string> {
    if (name == "TB_TEAM")
      return "Platform";
    return std::nullopt;
  };
  return ctx;
}

issue sample() {
  issue i;
  i.id = "7";
  i.fields = {{"subject", "Crash on save"}, {"status", "In Progress"}, {"tracker", "Bug"},
              {"done_ratio", "100"},        {"due_date", "2026-03-12"}, {"Severity", "S2"},
              {"Business Area", "Platform"}};
  i.created = *parse_rfc3339("2026-02-20T08:00:00Z");
  i.updated = *parse_rfc3339("2026-03-09T18:30:00Z");
  return i;
}

// The filter compiled from text; fails the test when it does not compile.
filter compiled(const std::string& text) {
  auto r = filter::compile(text, context());
  if (auto* problems = std::get_if<std::vector<filter_problem>>(&r))
    CAF_FAIL("'" << text << "' did not compile: " << format(problems->front()));
  return std::get<filter>(r);
}

bool matches(const std::string& text, const issue& i = sample()) {
  return compiled(text).matches(i, now);
}

// The one problem text gives, formatted ("at column N: ...").
std::string problem(const std::string& text) {
  auto r = filter::compile(text, context());
  if (std::holds_alternative<filter>(r)) {
    CAF_ERROR("'" << text << "' compiled; a problem was expected");
    return "";
  }
  return format(std::get<std::vector<filter_problem>>(r).front());
}

bool has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos)
    return true;
  CAF_MESSAGE("'" << text << "' does not say '" << part << "'");
  return false;
}

} // namespace

CAF_TEST(equality_and_inequality_compare_the_current_value_exactly) {
  CAF_CHECK(matches(R"(tracker = "Bug")"));
  CAF_CHECK(!matches(R"(tracker = "bug")")); // values are case-sensitive
  CAF_CHECK(matches(R"(tracker != "Feature")"));
  CAF_CHECK(!matches(R"(tracker != "Bug")"));
  // A field not set reads as "": unequal to any value.
  CAF_CHECK(matches(R"(assignee != "alice")"));
  CAF_CHECK(!matches(R"(assignee = "alice")"));
}

CAF_TEST(in_and_not_in_test_a_list) {
  CAF_CHECK(matches(R"(status in ("New", "In Progress"))"));
  CAF_CHECK(!matches(R"(status in ("New", "Closed"))"));
  CAF_CHECK(matches(R"(status not in ("New", "Closed"))"));
  CAF_CHECK(!matches(R"(status not in ("In Progress"))"));
}

CAF_TEST(tilde_searches_with_an_re2_expression) {
  CAF_CHECK(matches(R"(Severity ~ "^S[12]$")"));
  CAF_CHECK(matches(R"(subject ~ "save")")); // a search, not a whole match
  CAF_CHECK(!matches(R"(subject ~ "^save")"));
  CAF_CHECK(matches(R"(Severity ~ "^S\d$")")); // \d needs no doubling
  CAF_CHECK(matches("Severity ~ ${pattern}"));
}

CAF_TEST(is_empty_and_is_not_empty) {
  CAF_CHECK(matches("assignee is empty"));
  CAF_CHECK(!matches("assignee is not empty"));
  CAF_CHECK(matches("subject is not empty"));
  CAF_CHECK(matches("created is not empty"));
}

CAF_TEST(numbers_compare_as_numbers_not_as_text) {
  CAF_CHECK(matches("done_ratio >= 50")); // "100" sorts before "50" as text
  CAF_CHECK(matches("done_ratio > 99.5"));
  CAF_CHECK(!matches("done_ratio < 100"));
  CAF_CHECK(matches("done_ratio <= 100"));
  CAF_CHECK(matches("done_ratio = 100.0"));
  // A value that is no number is not ordered against one; != is not(=).
  CAF_CHECK(!matches("subject > 1"));
  CAF_CHECK(!matches("subject < 1"));
  CAF_CHECK(matches("subject != 1"));
}

CAF_TEST(text_orders_by_its_bytes) {
  CAF_CHECK(matches(R"(tracker < "Feature")"));
  CAF_CHECK(matches(R"(tracker >= "Bug")"));
  CAF_CHECK(!matches(R"(tracker > "Bug")"));
}

CAF_TEST(dates_compare_by_day_and_times_by_the_millisecond) {
  CAF_CHECK(matches("due_date > 2026-03-11"));
  CAF_CHECK(matches("due_date = 2026-03-12"));
  CAF_CHECK(!matches("due_date < 2026-03-12"));
  // created and updated are times; a date compares their day.
  CAF_CHECK(matches("updated = 2026-03-09"));
  CAF_CHECK(matches("updated >= 2026-03-09"));
  CAF_CHECK(!matches("updated > 2026-03-09"));
  CAF_CHECK(matches("updated > 2026-03-09T18:29:59Z"));
  CAF_CHECK(!matches("updated > 2026-03-09T18:30:00Z"));
  CAF_CHECK(matches("created < 2026-02-20T09:00:00+01:00") == false); // 08:00Z is not before
  CAF_CHECK(matches("created < 2026-02-20T09:00:01+01:00"));
}

CAF_TEST(relative_times_and_now_and_today_are_read_at_each_evaluation) {
  // now is 2026-03-10T12:00Z; updated was 17.5 hours before.
  CAF_CHECK(matches("updated >= -1d"));
  CAF_CHECK(!matches("updated >= -17h"));
  CAF_CHECK(matches("updated >= -18h"));
  CAF_CHECK(matches("created < -2w"));
  CAF_CHECK(matches("updated < ${now}"));
  CAF_CHECK(matches("due_date > ${today}"));
  CAF_CHECK(matches("due_date <= +2d"));
  CAF_CHECK(!matches("due_date <= +1d")); // +1d is 2026-03-11
  auto f = compiled("updated >= -1d");
  CAF_CHECK(!f.matches(sample(), now + 86'400'000)); // a day later, no longer
}

CAF_TEST(and_binds_tighter_than_or_and_not_tighter_than_and) {
  // true or (false and false): true; (true or false) and false would be false.
  CAF_CHECK(matches(R"(tracker = "Bug" or status = "New" and priority = "High")"));
  CAF_CHECK(!matches(R"((tracker = "Bug" or status = "New") and priority = "High")"));
  // (not false) and true
  CAF_CHECK(matches(R"(not status = "New" and tracker = "Bug")"));
  CAF_CHECK(!matches(R"(not (status = "In Progress" and tracker = "Bug"))"));
  CAF_CHECK(matches(R"(not not tracker = "Bug")"));
  CAF_CHECK(matches(R"(((tracker = "Bug")))"));
}

CAF_TEST(variables_come_from_the_configuration_the_built_ins_and_the_environment) {
  CAF_CHECK(matches("updated >= ${since}")); // "2026-03-01" reads as a date
  CAF_CHECK(matches("updated >= ${recent}")); // "-2d" as a relative time
  CAF_CHECK(matches("`Business Area` = ${env:TB_TEAM}"));
  auto i = sample();
  i.fields["subject"] = "rm1-rm2";
  CAF_CHECK(matches("subject = ${task}", i));
}

CAF_TEST(field_names_with_spaces_are_backquoted_and_names_are_case_sensitive) {
  CAF_CHECK(matches(R"(`Business Area` = "Platform")"));
  CAF_CHECK(has(problem(R"(severity = "S2")"),
                R"(at column 1: unknown field "severity" (hint: did you mean "Severity"?)"));
  auto f = compiled(R"(Severity ~ "S" and (`Business Area` = "x" or updated > -1d))");
  CAF_CHECK(f.fields() == (std::set<std::string>{"Business Area", "Severity", "updated"}));
}

CAF_TEST(any_field_is_taken_where_the_fields_are_not_known_yet) {
  auto ctx = context();
  ctx.fields.reset(); // a Redmine project, before the tracker is read
  auto r = filter::compile(R"(Whatever = "x")", ctx);
  CAF_CHECK(std::holds_alternative<filter>(r));
}

CAF_TEST(strings_take_escaped_quotes_and_backslashes) {
  auto i = sample();
  i.fields["subject"] = R"(say "hi" \o/)";
  CAF_CHECK(matches(R"(subject = "say \"hi\" \\o/")", i));
  CAF_CHECK(matches(R"(subject = "say \"hi\" \o/")", i)); // a lone backslash stays
}

CAF_TEST(a_syntax_error_names_its_column_and_what_was_expected) {
  CAF_CHECK(has(problem(R"(status = )"), "at column 10: expected a value after =, found the end"));
  CAF_CHECK(has(problem(R"(status "New")"),
                R"(at column 8: expected an operator after "status", found "New")"));
  CAF_CHECK(has(problem(R"((status = "New")"), "at column 16: expected ) to close the ( at "
                                               "column 1, found the end"));
  CAF_CHECK(has(problem(R"(status = "New)"),
                "at column 10: the string starting here has no closing \""));
  CAF_CHECK(has(problem(R"(status = "New" tracker = "Bug")"),
                "at column 16: unexpected \"tracker\" after a complete condition (hint: join "
                "conditions with and or or)"));
  CAF_CHECK(has(problem(R"(status = New)"),
                R"(at column 10: expected a value after =, found "New" (hint: text goes in )"
                R"(quotes: "New"))"));
  CAF_CHECK(has(problem(R"("status" = "New")"),
                "at column 1: expected a field name, found the string \"status\""));
  CAF_CHECK(has(problem(R"(status ! "New")"), "at column 8: unexpected \"!\""));
  CAF_CHECK(has(problem(R"(status in "New")"), "at column 11: expected ( after in"));
  CAF_CHECK(has(problem(R"(status in ("New" "Old"))"),
                "at column 18: expected , or ) in the list, found \"Old\""));
  CAF_CHECK(has(problem("assignee is nothing"), "at column 13: expected empty after is"));
  CAF_CHECK(has(problem(""), "at column 1: expected a condition, found the end"));
  CAF_CHECK(has(problem("status = \"x\" and"), "at column 17: expected a condition"));
  CAF_CHECK(has(problem("status = \"x\" & tracker = \"y\""), "at column 14: unexpected \"&\""));
}

CAF_TEST(columns_count_characters_not_bytes) {
  CAF_CHECK(has(problem(R"(subject = "Größe" and)"), "at column 22: expected a condition"));
}

CAF_TEST(values_that_are_not_what_they_look_like_are_refused) {
  CAF_CHECK(has(problem("updated >= 7d"), R"(at column 12: "7d" needs a sign)"));
  CAF_CHECK(has(problem("due_date < 2026-02-30"),
                R"(at column 12: "2026-02-30" is not a date or time)"));
  CAF_CHECK(has(problem("done_ratio > 5x"), R"(at column 14: "5x" is not a value)"));
  CAF_CHECK(has(problem(R"(updated > "yesterday")"),
                R"(at column 9: updated is a time, compared here with "yesterday")"));
  CAF_CHECK(has(problem("created in (1, 2)"), "created is a time"));
  CAF_CHECK(has(problem("Severity ~ 3"), "~ matches text against a regular expression"));
}

CAF_TEST(a_regular_expression_re2_refuses_is_reported_with_its_message) {
  auto p = problem(R"(Severity ~ "^S(1|2")");
  CAF_CHECK(has(p, R"(at column 10: the regular expression "^S(1|2" is not valid: )"));
  CAF_CHECK(has(p, "missing )"));
  // Lookahead is not RE2's: refused when read, never at a sync.
  CAF_CHECK(has(problem(R"x(subject ~ "(?=x)")x"), "is not valid"));
}

CAF_TEST(undefined_and_unset_variables_are_refused_naming_them) {
  CAF_CHECK(has(problem("updated >= ${sinse}"),
                "at column 12: undefined variable ${sinse} (hint: did you mean \"since\"? known: "
                "now, today, pattern, recent, since, task"));
  CAF_CHECK(has(problem("subject = ${env:TB_NOT_SET}"),
                "at column 11: ${env:TB_NOT_SET}: the environment variable \"TB_NOT_SET\" is not "
                "set"));
  CAF_CHECK(has(problem("subject = ${since"), "the variable starting here has no closing }"));
}

CAF_TEST(input_too_long_or_too_deep_is_refused_without_exhausting_the_stack) {
  std::string deep(100'000, '(');
  CAF_CHECK(has(problem(deep), "at column 1: the expression is longer than 16384 characters"));
  std::string nested = std::string(200, '(') + "status = \"x\"" + std::string(200, ')');
  CAF_CHECK(has(problem(nested), "nests deeper than 64 levels"));
  std::string nots;
  for (int i = 0; i < 500; ++i)
    nots += "not ";
  CAF_CHECK(has(problem(nots + "status = \"x\""), "nests deeper than 64 levels"));
  // A long flat list is fine: the limit is on nesting, not on length.
  std::string wide = "status in (";
  for (int i = 0; i < 1000; ++i)
    wide += (i ? ", \"" : "\"") + std::to_string(i) + "\"";
  CAF_CHECK(!matches(wide + ")"));
}

CAF_TEST(explain_names_the_comparison_that_decided_and_the_value_it_saw) {
  auto f = compiled(R"(tracker = "Bug" and status in ("New", "Open"))");
  auto v = f.explain(sample(), now);
  CAF_CHECK(!v.matches);
  CAF_CHECK_EQUAL(v.because, R"(status in ("New", "Open") is false: status is "In Progress")");
  auto g = compiled(R"(status = "New" or assignee is empty)");
  auto w = g.explain(sample(), now);
  CAF_CHECK(w.matches);
  CAF_CHECK_EQUAL(w.because, "assignee is empty is true: assignee is empty");
  auto h = compiled(R"(not tracker = "Bug")");
  auto x = h.explain(sample(), now);
  CAF_CHECK(!x.matches);
  CAF_CHECK_EQUAL(x.because, R"(tracker = "Bug" is true: tracker is "Bug")");
}

CAF_TEST(the_text_is_kept_for_the_task_view) {
  auto f = compiled(R"(tracker = "Bug")");
  CAF_CHECK_EQUAL(f.text(), R"(tracker = "Bug")");
}

CAF_TEST(a_listing_is_narrowed_only_by_what_every_match_meets) {
  using values = std::set<std::string>;
  auto n = compiled(R"(tracker = "Bug" and status in ("New", "Open") and updated >= -7d)"
                    R"( and created > 2026-01-31 and (Severity = "S1" or assignee is empty))")
             .narrowing(now);
  CAF_CHECK_EQUAL(n.any_of.size(), 2u);
  CAF_CHECK(n.any_of["tracker"] == (values{"Bug"}));
  CAF_CHECK(n.any_of["status"] == (values{"New", "Open"}));
  CAF_CHECK_EQUAL(n.any_of.count("Severity"), 0u); // under an or: not every match has it
  CAF_REQUIRE(n.updated_from && n.created_from);
  CAF_CHECK_EQUAL(*n.updated_from, now - 7 * 86'400'000);
  auto day = parse_rfc3339("2026-01-31T00:00:00Z");
  CAF_REQUIRE(day);
  CAF_CHECK_EQUAL(*n.created_from, *day); // > a day: from that day, a superset
  // Both on one field: what both allow.
  auto both = compiled(R"(status in ("New", "Open") and status = "Open")").narrowing(now);
  CAF_CHECK(both.any_of["status"] == (values{"Open"}));
  // Nothing every match must meet: no narrowing.
  for (auto text : {R"(status = "New" or tracker = "Bug")", R"(not status = "Closed")",
                    R"(status != "Closed")", R"(done_ratio = 50)", R"(updated < -1d)",
                    R"(assignee in ("alice", ""))",
                    R"(Severity ~ "^S1")"})
    if (!compiled(text).narrowing(now).empty())
      CAF_ERROR(text << " narrowed a listing");
  CAF_CHECK(compiled(R"(tracker = "Bug")").narrowing(now).any_of.size() == 1u);
}
