#define CAF_SUITE e2e_one_way
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "tests/e2e_fixture.hpp"

CAF_TEST_FIXTURE_SCOPE(e2e_one_way_tests, e2e_fixture)

CAF_TEST(issues_with_field_changes_and_comments_arrive_with_the_same_history) {
  write_config("one-way");
  start();
  auto first = create("a", "alice",
                      {{"subject", "Login fails"}, {"status", "New"}, {"Severity", "High"}},
                      "seen on prod");
  update("a", first, "bob", {{"status", "In Progress"}}, "looking");
  update("a", first, "bob", {{"Customer", "ACME"}});
  update("a", first, "alice", json::object(), "workaround: clear cookies");
  auto second = create("a", "carol", {{"subject", "Export is slow"}, {"priority", "High"}});
  update("a", second, "carol", {{"Severity", "Low"}, {"status", "Resolved"}});
  CAF_CHECK(eventually([&] { return b_mirrors_a(); }));
  auto twin = twin_of("b", "a/" + first);
  CAF_REQUIRE(!twin.empty());
  auto replica = get("b", twin);
  CAF_CHECK_EQUAL(replica["history"].size(), 4u);
  CAF_CHECK_EQUAL(replica["fields"]["status"], "In Progress");
  CAF_CHECK_EQUAL(replica["fields"]["Customer"], "ACME");
  CAF_CHECK_EQUAL(replica["history"][3]["comment"], "workaround: clear cookies");
  // Changes made later arrive as further entries, not as a new issue.
  update("a", first, "alice", {{"status", "Closed"}}, "fixed");
  CAF_CHECK(eventually([&] { return get("b", twin)["history"].size() == 5; }));
  CAF_CHECK(b_mirrors_a());
  CAF_CHECK_EQUAL(list("b").size(), 2u);
}

CAF_TEST(one_way_leaves_the_source_untouched_by_target_edits) {
  write_config("one-way");
  start();
  auto id = create("a", "alice", {{"subject", "S"}});
  std::string twin;
  CAF_CHECK(eventually([&] { return !(twin = twin_of("b", "a/" + id)).empty(); }));
  update("b", twin, "dave", {{"status", "Closed"}}, "closed on b only");
  update("a", id, "alice", json::object(), "a later comment");
  CAF_CHECK(eventually([&] { return get("b", twin)["history"].size() == 3; }));
  CAF_CHECK_EQUAL(get("a", id)["history"].size(), 2u);
  CAF_CHECK_EQUAL(get("a", id)["fields"].value("status", ""), "");
}

CAF_TEST_FIXTURE_SCOPE_END()
