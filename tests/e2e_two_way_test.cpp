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
  void wait_for_marker(const std::string& text) { wait_for_marker_on(a_id, b_id, text); }

  void wait_for_marker_on(const std::string& a, const std::string& b,
                          const std::string& text = "marker") {
    update("a", a, "marker", json::object(), text);
    CAF_REQUIRE(eventually([&] {
      auto h = get("b", b)["history"];
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

CAF_TEST(filters_and_value_mappings_decide_what_goes_where_and_in_whose_words) {
  write_config("two-way", 200,
               {{"filter", "Severity = \"High\""},
                {"target_filter", "Customer is not empty"},
                {"on_filter_exit", "close-twin"},
                {"closed_status", "Done"},
                {"value_mappings", {{"status", {{"New", "Open"}, {"Closed", "Done"}}}}}});
  start();
  auto task = [&] { return call("GET", "/api/v1/tasks/a-b"); };
  // Values, not temporaries: CAF_CHECK_EQUAL keeps references to its arguments.
  auto text = [](const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); };
  auto status = [&](const std::string& tracker, const std::string& id) {
    return text(get(tracker, id)["fields"]["status"]);
  };
  auto view = task();
  CAF_CHECK_EQUAL(text(view["source"]["filter"]), "Severity = \"High\"");
  CAF_CHECK_EQUAL(text(view["target"]["filter"]), "Customer is not empty");
  CAF_CHECK_EQUAL(text(view["on_filter_exit"]), "close-twin");
  auto low = create("a", "alice", {{"subject", "Low one"}, {"Severity", "Low"}, {"status", "New"}});
  CAF_REQUIRE(eventually([&] { return task()["left_out"] == 1; }));
  CAF_CHECK(twin_of("b", "a/" + low).empty());
  auto high = create("a", "alice", {{"subject", "High one"}, {"Severity", "High"},
                                    {"status", "New"}});
  std::string high_twin;
  CAF_REQUIRE(eventually([&] { return !(high_twin = twin_of("b", "a/" + high)).empty(); }));
  CAF_CHECK_EQUAL(status("b", high_twin), "Open");
  // b's word comes back in a's.
  update("b", high_twin, "bob", {{"status", "Done"}}, "fixed (from b)");
  CAF_CHECK(eventually([&] { return get("a", high)["fields"]["status"] == "Closed"; }));
  // An issue of b goes to a only with a customer; its status comes back mapped.
  auto no_customer = create("b", "bob", {{"subject", "b internal"}, {"status", "Open"}});
  CAF_REQUIRE(eventually([&] { return task()["left_out"] == 2; }));
  auto customers = create("b", "bob", {{"subject", "b for ACME"}, {"Customer", "ACME"},
                                       {"status", "Open"}});
  std::string customers_twin;
  CAF_REQUIRE(eventually([&] { return !(customers_twin = twin_of("a", "b/" + customers)).empty(); }));
  CAF_CHECK_EQUAL(status("a", customers_twin), "New");
  CAF_CHECK(twin_of("a", "b/" + no_customer).empty());
  // The low one comes to match: synced with its history.
  update("a", low, "carol", {{"Severity", "High"}}, "worse than we thought");
  std::string low_twin;
  CAF_REQUIRE(eventually([&] { return !(low_twin = twin_of("b", "a/" + low)).empty(); }));
  CAF_CHECK(eventually([&] { return get("b", low_twin)["history"].size() == 2; }));
  CAF_CHECK_EQUAL(status("b", low_twin), "Open");
  CAF_CHECK_EQUAL(text(get("b", low_twin)["history"][1]["comment"]), "worse than we thought");
  // The high one leaves the filter: its twin is closed in b's word, then unlinked.
  update("a", high, "alice", {{"Severity", "Low"}});
  CAF_CHECK(eventually([&] {
    auto h = get("b", high_twin)["history"];
    return h.back()["comment"].get<std::string>().find("no longer matches the task's filter")
           != std::string::npos;
  }));
  CAF_CHECK_EQUAL(status("b", high_twin), "Done");
  // Logged once the pair is unlinked, just after the close.
  auto lines = [&] {
    std::string out;
    auto page = call("GET", "/api/v1/log?limit=1000");
    for (auto& line : page["entries"])
      out += text(line["message"]) + "\n";
    return out;
  };
  const std::string left = "left the task's filter (Severity = \"High\" is false: Severity is "
                           "\"Low\"); issue " + high_twin + " of connection b (project DEMO) is "
                           "closed (status Done) and unlinked";
  CAF_CHECK(eventually([&] { return occurrences(lines(), left) == 1; }));
  auto errors = call("GET", "/api/v1/errors")["errors"].size();
  CAF_CHECK_EQUAL(errors, 0u);
}

// Trackers whose fields are named apart: b calls a's "Severity" and
// "Customer" "Legacy Severity" and "Legacy Customer". One rule renames
// them all on the way to b; the way back has its own rule.
CAF_TEST(field_mapping_rules_rename_fields_each_way_by_their_captures) {
  write_config("two-way", 200,
               {{"field_mappings",
                 json::parse(R"x({
                   "rules": [{"match": "^(Severity|Customer)$", "to": "Legacy \\1"}],
                   "reverse_rules": [{"match": "^Legacy (.*)$", "to": "\\1"}]})x")}});
  json cfg = json::parse(std::ifstream{dir.file("config.json")});
  for (auto& f : cfg["connections"]["b"]["projects"][0]["custom_fields"])
    f["name"] = "Legacy " + f["name"].get<std::string>();
  std::ofstream{dir.file("config.json")} << cfg.dump(2);
  start();
  auto text = [](const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); };
  auto id = create("a", "alice", {{"subject", "Login fails"}, {"Severity", "High"},
                                  {"Customer", "ACME"}, {"status", "New"}});
  std::string twin;
  CAF_REQUIRE(eventually([&] { return !(twin = twin_of("b", "a/" + id)).empty(); }));
  auto fields = get("b", twin)["fields"];
  CAF_CHECK_EQUAL(text(fields["Legacy Severity"]), "High");
  CAF_CHECK_EQUAL(text(fields["Legacy Customer"]), "ACME");
  CAF_CHECK_EQUAL(text(fields["status"]), "New"); // no rule matches: its own name
  CAF_CHECK(!fields.contains("Severity"));
  // b's change comes back under a's names.
  update("b", twin, "bob", {{"Legacy Customer", "Globex"}}, "moved to Globex");
  CAF_CHECK(eventually([&] { return get("a", id)["fields"]["Customer"] == "Globex"; }));
  auto back = get("a", id);
  CAF_CHECK(!back["fields"].contains("Legacy Customer"));
  CAF_CHECK_EQUAL(back["history"].size(), 2u);
  wait_for_marker_on(id, twin);
  CAF_CHECK_EQUAL(get("b", twin)["history"].size(), 3u); // no echo of the change from b
}

CAF_TEST_FIXTURE_SCOPE_END()
