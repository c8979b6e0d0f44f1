#define CAF_SUITE online_check
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <nlohmann/json.hpp>

#include "config/online_check.hpp"

// Live validation's checks, on catalogues made by hand as two Redmines not
// configured alike would answer: every kind of problem at its JSON path,
// and the warnings for list values that would fail at the write.

using namespace tb;
using namespace tb::config;
using json = nlohmann::json;
using takes = field_catalogue::takes;

namespace {

// rm1's alpha: New, In Progress, Closed; Bug and Feature; Severity S1..S3.
tracker_catalogue alpha() {
  tracker_catalogue c;
  c.where = "connection rm1, project alpha";
  c.fields.emplace();
  for (auto& f : core_fields())
    (*c.fields)[f] = {};
  (*c.fields)["status"] = {takes::listed, {"New", "In Progress", "Closed"}};
  (*c.fields)["tracker"] = {takes::listed, {"Bug", "Feature"}};
  (*c.fields)["assignee"] = {takes::users, {}};
  (*c.fields)["Severity"] = {takes::listed, {"S1", "S2", "S3"}};
  c.users = std::set<std::string>{"admin", "alice", "bob"};
  return c;
}

// rm2's beta: Open, Doing, Done; Defect and Feature; Impact High/Low.
tracker_catalogue beta() {
  tracker_catalogue c;
  c.where = "connection rm2, project beta";
  c.fields.emplace();
  for (auto& f : core_fields())
    (*c.fields)[f] = {};
  (*c.fields)["status"] = {takes::listed, {"Open", "Doing", "Done"}};
  (*c.fields)["tracker"] = {takes::listed, {"Defect", "Feature"}};
  (*c.fields)["assignee"] = {takes::users, {}};
  (*c.fields)["Impact"] = {takes::listed, {"High", "Low"}};
  c.users = std::set<std::string>{"admin", "alice.b", "bob"};
  return c;
}

json two_redmines(const json& task) {
  json j = {{"connections",
             {{"rm1", {{"type", "redmine"}, {"url", "http://127.0.0.1:3055"}, {"api_key_env", "K1"}}},
              {"rm2", {{"type", "redmine"}, {"url", "http://127.0.0.1:3056"}, {"api_key_env", "K2"}}}}},
            {"tasks", {{"t", task}}}};
  j["tasks"]["t"]["source"] = {{"connection", "rm1"}, {"project", "alpha"}};
  j["tasks"]["t"]["target"] = {{"connection", "rm2"}, {"project", "beta"}};
  return j;
}

// The task every case starts from: two-way, everything mapped so that the
// catalogues above agree.
json agreeing() {
  return {{"direction", "two-way"},
          {"field_mappings", {{"Severity", "Impact"}}},
          {"user_mappings", {{"alice", "alice.b"}}},
          {"value_mappings",
           {{"status", {{"New", "Open"}, {"In Progress", "Doing"}, {"Closed", "Done"}}},
            {"tracker", {{"Bug", "Defect"}, {"Feature", "Feature"}}},
            {"Severity", {{"values", {{"S1", "High"}, {"S2", "Low"}, {"S3", "Low"}}},
                          {"unmapped", "error"}}}}},
          {"reverse_value_mappings", {{"Severity", {{"High", "S1"}, {"Low", "S3"}}}}},
          {"closed_status", "Done"}};
}

task_config task_of(const json& task) {
  auto r = parse(two_redmines(task).dump(), "/etc/trackbridge");
  if (!r.cfg) {
    std::string all;
    for (auto& p : r.problems)
      all += "\n  " + format(p);
    CAF_FAIL("the configuration is not valid offline:" << all);
  }
  return r.cfg->tasks.at(0);
}

std::string listing(const std::vector<problem>& ps) {
  std::string out;
  for (auto& p : ps)
    out += "\n  " + format(p);
  return out;
}

// The one problem at `path`, whose message says `part`.
bool has(const std::vector<problem>& ps, const std::string& path, const std::string& part) {
  for (auto& p : ps)
    if (p.path == path && p.message.find(part) != std::string::npos)
      return true;
  CAF_MESSAGE("no problem at " << path << " saying '" << part << "' in:" << listing(ps));
  return false;
}

} // namespace

CAF_TEST(a_task_whose_mappings_cover_both_trackers_has_no_problem_and_no_warning) {
  auto r = check_online(task_of(agreeing()), alpha(), beta());
  CAF_CHECK_EQUAL(listing(r.problems), "");
  CAF_CHECK_EQUAL(listing(r.warnings), "");
}

CAF_TEST(a_mapping_to_a_value_the_target_lacks_is_a_problem_at_its_field) {
  auto t = agreeing();
  t["value_mappings"]["status"]["Closed"] = "Finished";
  t["reverse_value_mappings"]["status"] = {{"Open", "New"}, {"Doing", "In Progress"},
                                           {"Done", "Closed"}, {"Finished", "Closed"}};
  t["value_mappings"]["Severity"]["default"] = "Medium";
  t["value_mappings"]["Severity"]["unmapped"] = "default";
  auto r = check_online(task_of(t), alpha(), beta());
  CAF_CHECK(has(r.problems, "$.tasks.t.value_mappings.status",
                "\"Closed\" becomes \"Finished\", but connection rm2, project beta has no status "
                "\"Finished\""));
  CAF_CHECK(has(r.problems, "$.tasks.t.value_mappings.Severity.default",
                "has no Impact \"Medium\""));
  // The way back: "Finished" is mapped to a value the source has, so only
  // the target's own lack counts.
  CAF_CHECK_EQUAL(r.problems.size(), 2u);
  for (auto& p : r.problems)
    if (p.path == "$.tasks.t.value_mappings.status")
      CAF_CHECK_EQUAL(p.hint, "its values: \"Doing\", \"Done\", \"Open\"");
}

CAF_TEST(a_reverse_mapping_is_checked_against_the_source) {
  auto t = agreeing();
  t["reverse_value_mappings"]["Severity"] = {{"High", "S1"}, {"Low", "S9"}};
  auto r = check_online(task_of(t), alpha(), beta());
  CAF_CHECK(has(r.problems, "$.tasks.t.reverse_value_mappings.Severity",
                "\"Low\" becomes \"S9\", but connection rm1, project alpha has no Severity \"S9\""));
  CAF_CHECK_EQUAL(r.problems.size(), 1u);
}

CAF_TEST(a_filter_naming_a_field_or_value_its_side_lacks_is_a_problem_with_the_column) {
  auto t = agreeing();
  t["filter"] = "tracker = \"Bug\" and Severty = \"S1\"";
  t["target_filter"] = "status in (\"Open\", \"Closed\")";
  auto r = check_online(task_of(t), alpha(), beta());
  CAF_CHECK(has(r.problems, "$.tasks.t.filter",
                "the filter names the field \"Severty\", which connection rm1, project alpha "
                "does not have"));
  CAF_CHECK(has(r.problems, "$.tasks.t.target_filter",
                "at column 1: connection rm2, project beta has no status \"Closed\""));
  CAF_CHECK_EQUAL(r.problems.size(), 2u);
  for (auto& p : r.problems)
    if (p.path == "$.tasks.t.filter")
      CAF_CHECK(p.hint.find("did you mean \"Severity\"?") != std::string::npos);
  // A time entry's activity is in the catalogue, but no issue has one.
  auto source = alpha();
  (*source.fields)["activity"] = {takes::listed, {"Design"}};
  t["filter"] = "activity = \"Design\"";
  t.erase("target_filter");
  auto activity = check_online(task_of(t), source, beta());
  CAF_CHECK(has(activity.problems, "$.tasks.t.filter",
                "the filter names the field \"activity\", which connection rm1, project alpha "
                "does not have"));
}

CAF_TEST(a_field_mapping_to_a_field_the_target_lacks_is_a_problem) {
  auto t = agreeing();
  t["field_mappings"]["Customer"] = "Client";
  auto r = check_online(task_of(t), alpha(), beta());
  CAF_CHECK(has(r.problems, "$.tasks.t.field_mappings.Customer",
                "maps the field \"Customer\", which connection rm1, project alpha does not "
                "have"));
  CAF_CHECK(has(r.problems, "$.tasks.t.field_mappings.Customer",
                "maps to the field \"Client\", which connection rm2, project beta does not "
                "have"));
}

CAF_TEST(users_and_the_closed_status_must_exist_where_they_are_written) {
  auto t = agreeing();
  t["user_mappings"]["carol"] = "carol";
  t["value_mappings"]["assignee"] = {{"bob", "robert"}};
  t["on_deleted"] = "close-twin";
  t["closed_status"] = "Closed";
  auto r = check_online(task_of(t), alpha(), beta());
  CAF_CHECK(has(r.problems, "$.tasks.t.user_mappings.carol",
                "connection rm2, project beta has no user with the login \"carol\""));
  CAF_CHECK(has(r.problems, "$.tasks.t.user_mappings.carol",
                "connection rm1, project alpha has no user with the login \"carol\""));
  CAF_CHECK(has(r.problems, "$.tasks.t.value_mappings.assignee",
                "\"bob\" becomes \"robert\", but connection rm2, project beta has no user"));
  // A two-way task closes twins on both sides: "Closed" is only the source's.
  CAF_CHECK(has(r.problems, "$.tasks.t.closed_status",
                "close-twin sets it, but connection rm2, project beta has no status \"Closed\""));
  CAF_CHECK_EQUAL(r.problems.size(), 4u);
}

CAF_TEST(a_listed_value_the_other_side_lacks_is_a_warning_naming_the_values) {
  auto t = agreeing();
  t["value_mappings"].erase("tracker"); // Bug passes as it is; beta calls it Defect
  t["reverse_value_mappings"].erase("tracker");
  auto r = check_online(task_of(t), alpha(), beta());
  CAF_CHECK_EQUAL(listing(r.problems), "");
  CAF_CHECK(has(r.warnings, "$.tasks.t.value_mappings.tracker",
                "connection rm1, project alpha lists tracker values that connection rm2, "
                "project beta does not have: \"Bug\"; an issue with one of them will be an "
                "error item"));
  CAF_CHECK(has(r.warnings, "$.tasks.t.reverse_value_mappings.tracker",
                "lists tracker values that connection rm1, project alpha does not have: "
                "\"Defect\""));
  // Severity refuses what it does not map (unmapped: error): no warning.
  for (auto& w : r.warnings)
    CAF_CHECK(w.path.find("Severity") == std::string::npos);
}

CAF_TEST(what_a_key_may_not_read_is_a_warning_and_is_not_checked) {
  auto target = beta();
  target.users.reset();
  target.unread.push_back("the users, which only an administrator's API key may list: "
                          "forbidden (403)");
  auto t = agreeing();
  t["user_mappings"]["carol"] = "carol.b"; // not known: not a problem on the target
  auto r = check_online(task_of(t), alpha(), target);
  CAF_CHECK(has(r.problems, "$.tasks.t.user_mappings.carol", "project alpha has no user"));
  CAF_CHECK_EQUAL(r.problems.size(), 1u);
  CAF_CHECK(has(r.warnings, "$.tasks.t",
                "connection rm2, project beta: not checked: the users, which only an "
                "administrator's API key may list"));
}

CAF_TEST(a_tracker_that_does_not_tell_its_fields_checks_nothing) {
  tracker_catalogue unknown;
  unknown.where = "connection x, project p";
  auto t = agreeing();
  t["filter"] = "Anything = \"at all\"";
  auto r = check_online(task_of(t), unknown, unknown);
  CAF_CHECK_EQUAL(listing(r.problems), "");
  CAF_CHECK_EQUAL(listing(r.warnings), "");
}

CAF_TEST(fields_renamed_by_rules_must_land_on_fields_of_the_other_side) {
  auto t = agreeing();
  t["field_mappings"]["rules"] = json::parse(R"x([{"match": "^Legacy (.*)$", "to": "\\1"}])x");
  t["field_mappings"]["reverse_rules"] =
    json::parse(R"x([{"match": "^(Region|Zone)$", "to": "Old \\1"}])x");
  auto source = alpha();
  auto target = beta();
  (*source.fields)["Legacy Region"] = {};
  (*source.fields)["Old Zone"] = {};
  (*target.fields)["Region"] = {};
  (*target.fields)["Zone"] = {};
  auto r = check_online(task_of(t), source, target);
  // Legacy Region lands on Region; the way back makes Region "Old Region",
  // which rm1 lacks, and Zone "Old Zone", which it has.
  CAF_CHECK(has(r.problems, "$.tasks.t.field_mappings.reverse_rules",
                "renames \"Region\" to the field \"Old Region\", which connection rm1, project "
                "alpha does not have"));
  CAF_CHECK_EQUAL(r.problems.size(), 1u);
  (*target.fields).erase("Region");
  r = check_online(task_of(t), source, target);
  CAF_CHECK(has(r.problems, "$.tasks.t.field_mappings.rules",
                "renames \"Legacy Region\" to the field \"Region\", which connection rm2, "
                "project beta does not have"));
}

CAF_TEST(a_rule_with_groups_is_checked_with_each_value_the_source_lists) {
  auto t = agreeing();
  // S1 and S2 become Impact "High1" and "High2" (beta has neither); S3
  // is taken by the fixed rule after, which beta has.
  t["value_mappings"]["Severity"] = {
    {"rules", {{{"match", "^S([12])$"}, {"to", "High\\1"}}, {{"match", "^S3$"}, {"to", "Low"}}}}};
  t["reverse_value_mappings"]["Severity"] = {{"High", "S1"}, {"Low", "S3"}};
  auto r = check_online(task_of(t), alpha(), beta());
  CAF_CHECK(has(r.problems, "$.tasks.t.value_mappings.Severity.rules[0].to",
                "\"S1\" becomes \"High1\", but connection rm2, project beta has no Impact "
                "\"High1\""));
  CAF_CHECK(has(r.problems, "$.tasks.t.value_mappings.Severity.rules[0].to",
                "\"S2\" becomes \"High2\""));
  CAF_CHECK_EQUAL(r.problems.size(), 2u);
  // Reported once, as problems: no warning repeats them.
  CAF_CHECK_EQUAL(listing(r.warnings), "");

  // A rule with groups that no listed value reaches writes nothing known:
  // nothing to say (the table maps them all).
  t["value_mappings"]["Severity"] = {
    {"values", {{"S1", "High"}, {"S2", "Low"}, {"S3", "Low"}}},
    {"rules", {{{"match", "^P([0-9])$"}, {"to", "Priority \\1"}}}}};
  auto fine = check_online(task_of(t), alpha(), beta());
  CAF_CHECK_EQUAL(listing(fine.problems), "");
  CAF_CHECK_EQUAL(listing(fine.warnings), "");
}

CAF_TEST(a_custom_field_some_target_trackers_lack_is_a_warning_naming_them) {
  auto source = alpha();
  auto target = beta();
  (*target.fields)["Impact"].trackers = std::set<std::string>{"Defect"};
  auto r = check_online(task_of(agreeing()), source, target);
  CAF_CHECK_EQUAL(listing(r.problems), "");
  CAF_CHECK(has(r.warnings, "$.tasks.t.target",
                "connection rm2, project beta has the field \"Impact\" on issues of \"Defect\" "
                "only: an issue that arrives as \"Feature\" with a value in \"Impact\" will be "
                "an error item"));
  CAF_CHECK_EQUAL(r.warnings.size(), 1u);
  // A source field only Bugs have arrives on Defects only: nothing to say.
  (*source.fields)["Severity"].trackers = std::set<std::string>{"Bug"};
  auto fine = check_online(task_of(agreeing()), source, target);
  CAF_CHECK_EQUAL(listing(fine.warnings), "");
  // The way back of a two-way task: the source's field for Bugs only, and
  // a target Feature with an Impact.
  (*target.fields)["Impact"].trackers.reset();
  auto back = check_online(task_of(agreeing()), source, target);
  CAF_CHECK(has(back.warnings, "$.tasks.t.source",
                "connection rm1, project alpha has the field \"Severity\" on issues of \"Bug\" "
                "only: an issue that arrives as \"Feature\""));
}
