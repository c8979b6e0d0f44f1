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

// Files and relation events of a history, in order, by names a twin shares.
std::vector<std::string> events(const nlohmann::json& issue,
                                const std::map<std::string, std::string>& names) {
  using json = nlohmann::json;
  std::vector<std::string> out;
  for (auto& e : issue["history"]) {
    for (auto& f : e.value("attachments", json::array()))
      out.push_back(f["action"].get<std::string>() + " file " + f["file"]["filename"].get<std::string>());
    for (auto& r : e.value("relations", json::array()))
      out.push_back(r["action"].get<std::string>() + " " + r["type"].get<std::string>() + " "
                    + names.at(r["issue"].get<std::string>()));
  }
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(e2e_two_way_tests, fixture)

CAF_TEST(files_and_relations_go_both_ways_byte_for_byte_without_echo) {
  sync_one_issue();
  auto y = create("a", "alice", {{"subject", "Paper jam"}});
  std::string y_twin;
  CAF_REQUIRE(eventually([&] { return !(y_twin = twin_of("b", "a/" + y)).empty(); }));
  std::string bytes;
  for (int k = 0; k < 4096; ++k)
    bytes.push_back(static_cast<char>(k % 256));
  auto up = api_call("POST", base("a") + "/issues/" + a_id
                                                + "/files?filename=smoke.jpg&author=carol",
                                bytes, {{"Content-Type", "image/jpeg"}});
  CAF_REQUIRE_EQUAL(up.status, 201);
  call("POST", base("a") + "/issues/" + a_id + "/relations",
       {{"author", "carol"}, {"type", "blocks"}, {"issue", y}});
  CAF_REQUIRE(eventually([&] {
    auto b = get("b", b_id);
    return b["attachments"].size() == 1 && b["relations"].size() == 1;
  }));
  auto b = get("b", b_id);
  auto copy = api_call("GET",
                                  base("b") + "/files/" + b["attachments"][0]["id"].get<std::string>());
  CAF_CHECK(copy.body == bytes);
  CAF_CHECK_EQUAL(b["attachments"][0]["content_type"], "image/jpeg");
  CAF_CHECK_EQUAL(b["relations"][0]["type"], "blocks");
  CAF_CHECK_EQUAL(b["relations"][0]["issue"], y_twin);
  // Back from b: the copy's removal removes the original; a file added to
  // y's twin reaches y; the relation undone on b is undone on a.
  call("DELETE", base("b") + "/issues/" + b_id + "/files/" + b["attachments"][0]["id"].get<std::string>()
                   + "?author=dave");
  auto up_b = api_call("POST", base("b") + "/issues/" + y_twin + "/files?filename=log.txt",
                                  "log line\n", {{"Content-Type", "text/plain"}});
  CAF_REQUIRE_EQUAL(up_b.status, 201);
  call("DELETE", base("b") + "/issues/" + y_twin + "/relations/" + b_id + "?author=dave");
  CAF_CHECK(eventually([&] {
    auto a = get("a", a_id);
    auto ya = get("a", y);
    return a["attachments"].empty() && a["relations"].empty() && ya["attachments"].size() == 1;
  }));
  wait_for_marker("marker 3");
  std::map<std::string, std::string> names_a{{a_id, "printer"}, {y, "paper"}};
  std::map<std::string, std::string> names_b{{b_id, "printer"}, {y_twin, "paper"}};
  auto a = get("a", a_id), ya = get("a", y);
  b = get("b", b_id);
  auto yb = get("b", y_twin);
  CAF_CHECK_EQUAL(events(a, names_a), events(b, names_b));
  CAF_CHECK_EQUAL(events(ya, names_a), events(yb, names_b));
  CAF_CHECK_EQUAL(events(a, names_a),
                  (std::vector<std::string>{"added file smoke.jpg", "added blocks paper",
                                            "removed file smoke.jpg", "removed blocks paper"}));
  // No echo: each side has one entry per event.
  CAF_CHECK_EQUAL(a["history"].size(), b["history"].size());
  CAF_CHECK_EQUAL(ya["history"].size(), yb["history"].size());
  auto log = api_call("GET", base("a") + "/files/"
                                               + ya["attachments"][0]["id"].get<std::string>());
  CAF_CHECK_EQUAL(log.body, "log line\n");
}

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
