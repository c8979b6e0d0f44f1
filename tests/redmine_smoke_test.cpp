#define CAF_SUITE redmine_smoke
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

// The CTest fixture `redmine` (scripts/redmine start rm1 / rm2) works: two
// real, independent Redmines with the REST API on, the fixture users,
// projects and custom fields, and journals as the adapter will read them.

#include <unistd.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/redmine_instance.hpp"

namespace {

using json = nlohmann::json;
using tb::test::redmine_instance;

// Unique per run: both instances live as long as the fixture, across suites.
std::string unique(const std::string& prefix) {
  static int counter = 0;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return prefix + "-" + std::to_string(getpid()) + "-"
         + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count())
         + "-" + std::to_string(++counter);
}

const json* find_by(const json& list, const std::string& key, const json& value) {
  for (auto& item : list)
    if (item.contains(key) && item[key] == value)
      return &item;
  return nullptr;
}

std::string cf_value(const json& issue, int field_id) {
  if (auto field = find_by(issue.at("custom_fields"), "id", field_id))
    return field->value("value", "");
  return "<absent>";
}

struct fixture {
  redmine_instance rm1{"rm1"};
  redmine_instance rm2{"rm2"};
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(redmine_smoke_tests, fixture)

CAF_TEST(both_instances_answer_with_their_own_admin_keys) {
  CAF_CHECK_NOT_EQUAL(rm1.port(), rm2.port());
  CAF_CHECK_NOT_EQUAL(rm1.api_key(), rm2.api_key());
  for (auto* rm : {&rm1, &rm2}) {
    auto me = rm->get_json("/users/current.json")["user"];
    CAF_CHECK_EQUAL(me["login"], "admin");
    CAF_CHECK_EQUAL(me["admin"], true);
    CAF_CHECK_EQUAL(rm->call("GET", "/issues.json?limit=1").status, 200);
  }
  // A key is good only on its own instance.
  CAF_CHECK_EQUAL(rm2.call_with_key(rm1.api_key(), "GET", "/users/current.json").status, 401);
  CAF_CHECK_EQUAL(rm1.call_with_key(rm2.api_key(), "GET", "/users/current.json").status, 401);
  // The users' own keys work too.
  auto alice = rm1.call_with_key(rm1.user_key("alice"), "GET", "/users/current.json");
  CAF_REQUIRE_EQUAL(alice.status, 200);
  CAF_CHECK_EQUAL(alice.json()["user"].value("login", ""), "alice");
}

CAF_TEST(the_fixtures_exist_and_custom_fields_show_on_issues) {
  for (auto* rm : {&rm1, &rm2}) {
    CAF_MESSAGE("instance " << rm->name());
    auto projects = rm->get_json("/projects.json")["projects"];
    CAF_CHECK(find_by(projects, "identifier", "alpha") != nullptr);
    CAF_CHECK(find_by(projects, "identifier", "beta") != nullptr);
    auto alpha = rm->get_json("/projects/alpha.json?include=trackers,issue_custom_fields")["project"];
    CAF_CHECK_EQUAL(alpha["trackers"].size(), 3u);
    CAF_CHECK(find_by(alpha["issue_custom_fields"], "name", "Customer") != nullptr);
    CAF_CHECK(find_by(alpha["issue_custom_fields"], "name", "Severity") != nullptr);

    auto fields = rm->get_json("/custom_fields.json")["custom_fields"];
    auto severity = find_by(fields, "name", "Severity");
    CAF_REQUIRE(severity != nullptr);
    CAF_CHECK_EQUAL((*severity)["field_format"], "list");
    CAF_CHECK_EQUAL((*severity)["visible"], true);
    CAF_CHECK_EQUAL((*severity)["possible_values"].size(), 3u);
    auto customer = find_by(fields, "name", "Customer");
    CAF_REQUIRE(customer != nullptr);
    CAF_CHECK_EQUAL((*customer)["field_format"], "string");

    // Default data: statuses, priorities, trackers.
    CAF_CHECK_EQUAL(rm->get_json("/issue_statuses.json")["issue_statuses"].size(), 6u);
    CAF_CHECK_EQUAL(rm->get_json("/trackers.json")["trackers"].size(), 3u);
    CAF_CHECK_EQUAL(rm->get_json("/enumerations/issue_priorities.json")["issue_priorities"].size(),
                    5u);
    // alice and bob are Developers in both projects.
    for (auto project : {"alpha", "beta"}) {
      auto members = rm->get_json(std::string{"/projects/"} + project + "/memberships.json");
      int developers = 0;
      for (auto& m : members["memberships"])
        if (m.contains("user") && find_by(m["roles"], "name", "Developer"))
          ++developers;
      CAF_CHECK_EQUAL(developers, 2);
    }

    int customer_id = rm->custom_field_id("Customer");
    int severity_id = rm->custom_field_id("Severity");
    for (auto project : {"alpha", "beta"}) {
      auto id = rm->create_issue({{"project_id", project},
                                  {"subject", unique("fields")},
                                  {"custom_fields",
                                   {{{"id", customer_id}, {"value", "ACME"}},
                                    {{"id", severity_id}, {"value", "High"}}}}});
      auto issue = rm->get_json("/issues/" + std::to_string(id) + ".json")["issue"];
      CAF_CHECK_EQUAL(cf_value(issue, customer_id), "ACME");
      CAF_CHECK_EQUAL(cf_value(issue, severity_id), "High");
    }
  }
}

CAF_TEST(two_updates_give_two_journals_in_order_with_details) {
  int severity_id = rm1.custom_field_id("Severity");
  auto id = rm1.create_issue({{"project_id", "alpha"},
                              {"subject", unique("journals")},
                              {"custom_fields", {{{"id", severity_id}, {"value", "Low"}}}}});
  auto path = "/issues/" + std::to_string(id) + ".json";
  auto first = rm1.call("PUT", path,
                        {{"issue",
                          {{"notes", "first look"},
                           {"status_id", 2},
                           {"custom_fields", {{{"id", severity_id}, {"value", "High"}}}}}}});
  CAF_CHECK_EQUAL(first.status, 204);
  auto second = rm1.call("PUT", path, {{"issue", {{"notes", "fixed"}, {"status_id", 3}}}});
  CAF_CHECK_EQUAL(second.status, 204);

  auto issue = rm1.get_json(path + "?include=journals")["issue"];
  CAF_CHECK_EQUAL(issue["status"]["id"], 3);
  auto& journals = issue["journals"];
  CAF_REQUIRE_EQUAL(journals.size(), 2u);
  CAF_CHECK_LESS(journals[0]["id"].get<int>(), journals[1]["id"].get<int>());
  CAF_CHECK_EQUAL(journals[0]["notes"], "first look");
  CAF_CHECK_EQUAL(journals[1]["notes"], "fixed");
  // Attribute changes name the attribute and give ids as strings; custom
  // field changes name the field by its id.
  auto& d0 = journals[0]["details"];
  CAF_REQUIRE_EQUAL(d0.size(), 2u);
  auto status0 = find_by(d0, "name", "status_id");
  CAF_REQUIRE(status0 != nullptr);
  CAF_CHECK_EQUAL((*status0)["property"], "attr");
  CAF_CHECK_EQUAL((*status0)["old_value"], "1");
  CAF_CHECK_EQUAL((*status0)["new_value"], "2");
  auto cf0 = find_by(d0, "name", std::to_string(severity_id));
  CAF_REQUIRE(cf0 != nullptr);
  CAF_CHECK_EQUAL((*cf0)["property"], "cf");
  CAF_CHECK_EQUAL((*cf0)["old_value"], "Low");
  CAF_CHECK_EQUAL((*cf0)["new_value"], "High");
  auto& d1 = journals[1]["details"];
  CAF_REQUIRE_EQUAL(d1.size(), 1u);
  CAF_CHECK_EQUAL(d1[0]["name"], "status_id");
  CAF_CHECK_EQUAL(d1[0]["old_value"], "2");
  CAF_CHECK_EQUAL(d1[0]["new_value"], "3");
}

CAF_TEST(switch_user_records_alice_as_the_author) {
  auto alice = rm1.get_json("/users.json?name=alice")["users"];
  CAF_REQUIRE_EQUAL(alice.size(), 1u);
  int alice_id = alice[0]["id"].get<int>();
  // Created by alice, changed by alice: both recorded as hers.
  auto id = rm1.create_issue({{"project_id", "alpha"}, {"subject", unique("switch")}}, "alice");
  auto path = "/issues/" + std::to_string(id) + ".json";
  auto put = rm1.call("PUT", path, {{"issue", {{"notes", "alice was here"}, {"status_id", 2}}}},
                      "alice");
  CAF_CHECK_EQUAL(put.status, 204);
  auto issue = rm1.get_json(path + "?include=journals")["issue"];
  CAF_CHECK_EQUAL(issue["author"]["id"], alice_id);
  CAF_REQUIRE_EQUAL(issue["journals"].size(), 1u);
  CAF_CHECK_EQUAL(issue["journals"][0]["user"]["id"], alice_id);
  CAF_CHECK_EQUAL(issue["journals"][0]["notes"], "alice was here");
  // An unknown login is refused, not ignored.
  CAF_CHECK_EQUAL(rm1.call("GET", "/issues.json?limit=1", nullptr, "nobody").status, 412);
}

CAF_TEST(the_two_instances_do_not_see_each_others_issues) {
  auto subject = unique("only-in-rm1");
  rm1.create_issue({{"project_id", "alpha"}, {"subject", subject}});
  auto query = "/issues.json?status_id=*&subject=~" + subject;
  CAF_CHECK_EQUAL(rm1.get_json(query).value("total_count", -1), 1);
  CAF_CHECK_EQUAL(rm2.get_json(query).value("total_count", -1), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
