#define CAF_SUITE e2e_two_way
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "tests/e2e_fixture.hpp"

namespace {

struct fixture : e2e_fixture {
  std::string a_id;
  std::string b_id;

  void sync_one_issue() {
    write_config("two-way");
    start();
    a_id = create("a", "alice", {{"subject", "Printer on fire"}, {"status", "New"}});
    CAF_REQUIRE(eventually([&] { return !(b_id = twin_of("b", "a/" + a_id)).empty(); }));
  }

  // A later change that must arrive after everything before it: once it is
  // there, an echo of the earlier ones would be there too.
  void wait_for_marker(const std::string& text) {
    update("a", a_id, "marker", json::object(), text);
    CAF_REQUIRE(eventually([&] {
      auto h = get("b", b_id)["history"];
      return !h.empty() && h.back()["comment"] == text;
    }));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(e2e_two_way_tests, fixture)

CAF_TEST(edits_on_either_side_reach_the_other_and_are_not_echoed) {
  sync_one_issue();
  update("b", b_id, "bob", {{"status", "In Progress"}}, "taking it (from b)");
  CAF_CHECK(eventually([&] { return get("a", a_id)["fields"]["status"] == "In Progress"; }));
  update("a", a_id, "alice", {{"priority", "Urgent"}}, "more smoke (from a)");
  CAF_CHECK(eventually([&] { return get("b", b_id)["fields"]["priority"] == "Urgent"; }));
  wait_for_marker("marker 1");
  // Both sides show one entry per change, in the same order: no echo.
  auto a = get("a", a_id);
  auto b = get("b", b_id);
  CAF_CHECK_EQUAL(shape(a), shape(b));
  CAF_CHECK_EQUAL(a["history"].size(), 4u);
  CAF_CHECK_EQUAL(list("a").size(), 1u);
  CAF_CHECK_EQUAL(list("b").size(), 1u);
}

CAF_TEST(an_edit_made_with_the_same_account_trackbridge_writes_with_is_synced) {
  sync_one_issue();
  // TrackBridge wrote b's twin as "alice" (it acts as the source's author);
  // alice's own edit on b is a person's change and must reach a.
  CAF_REQUIRE_EQUAL(get("b", b_id)["history"][0]["author"].get<std::string>(), "alice");
  update("b", b_id, "alice", {{"status", "Closed"}}, "alice closed it on b");
  CAF_CHECK(eventually([&] { return get("a", a_id)["fields"]["status"] == "Closed"; }));
  wait_for_marker("marker 2");
  CAF_CHECK_EQUAL(shape(get("a", a_id)), shape(get("b", b_id)));
}

CAF_TEST(an_issue_created_on_the_target_side_is_created_on_the_source) {
  sync_one_issue();
  auto origin = create("b", "erin", {{"subject", "Made on b"}, {"Severity", "Low"}}, "hello");
  std::string twin;
  CAF_CHECK(eventually([&] { return !(twin = twin_of("a", "b/" + origin)).empty(); }));
  update("a", twin, "frank", {{"status", "Open"}});
  CAF_CHECK(eventually([&] { return get("b", origin)["fields"]["status"] == "Open"; }));
  CAF_CHECK_EQUAL(shape(get("a", twin)), shape(get("b", origin)));
  CAF_CHECK_EQUAL(list("a").size(), 2u);
  CAF_CHECK_EQUAL(list("b").size(), 2u);
}

CAF_TEST_FIXTURE_SCOPE_END()
