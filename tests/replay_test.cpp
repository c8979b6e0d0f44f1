#define CAF_SUITE replay
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "domain/replay.hpp"

using namespace tb;

namespace {

history_entry entry(std::string id, timestamp t, std::vector<field_change> changes,
                    std::string comment = "", bool creation = false) {
  return {std::move(id), "alice", t, std::move(changes), std::move(comment), creation};
}

issue make_issue(std::string id, std::vector<history_entry> h) {
  issue i;
  i.id = std::move(id);
  i.project = "P";
  i.history = std::move(h);
  return i;
}

} // namespace

CAF_TEST(an_unlinked_issue_plans_a_creation_then_one_update_per_entry) {
  auto src = make_issue("1", {entry("10", 1, {{"subject", "", "S"}}, "", true),
                              entry("11", 2, {{"status", "", "Open"}}),
                              entry("12", 3, {}, "note")});
  std::set<std::string> none;
  auto plan = plan_replay({&src, &none, "a"}, {nullptr, &none, "b"}, false, false,
                          conflict_policy::newest_wins, {}, {});
  CAF_REQUIRE_EQUAL(plan.steps.size(), 3u);
  CAF_CHECK(plan.steps[0].creation);
  CAF_CHECK_EQUAL(plan.steps[0].write.alt_id, "a/1");
  CAF_CHECK_EQUAL(plan.steps[1].entry_id, "11");
  CAF_CHECK_EQUAL(plan.steps[2].write.comment, "note");
}

CAF_TEST(handled_entries_and_linked_creations_are_not_planned_again) {
  auto src = make_issue("1", {entry("10", 1, {{"subject", "", "S"}}, "", true),
                              entry("11", 2, {{"status", "", "Open"}}),
                              entry("12", 3, {{"status", "Open", "Closed"}})});
  std::set<std::string> handled{"11"};
  std::set<std::string> none;
  auto plan = plan_replay({&src, &handled, "a"}, {nullptr, &none, "b"}, true, false,
                          conflict_policy::newest_wins, {}, {});
  CAF_REQUIRE_EQUAL(plan.steps.size(), 1u);
  CAF_CHECK_EQUAL(plan.steps[0].entry_id, "12");
}

CAF_TEST(two_way_entries_interleave_by_time) {
  auto src = make_issue("1", {entry("10", 1, {}, "", true), entry("11", 5, {}, "a late")});
  auto tgt = make_issue("7", {entry("70", 2, {}, "", true), entry("71", 3, {}, "b early")});
  std::set<std::string> none;
  auto plan = plan_replay({&src, &none, "a"}, {&tgt, &none, "b"}, true, true,
                          conflict_policy::newest_wins, {}, {});
  CAF_REQUIRE_EQUAL(plan.steps.size(), 2u);
  CAF_CHECK(plan.steps[0].from == side::target);
  CAF_CHECK(plan.steps[1].from == side::source);
}

CAF_TEST(conflict_policies_decide_which_side_keeps_a_field) {
  auto src = make_issue("1", {entry("10", 1, {}, "", true),
                              entry("11", 5, {{"status", "New", "Open"}})});
  auto tgt = make_issue("7", {entry("70", 2, {}, "", true),
                              entry("71", 3, {{"state", "New", "Closed"}})});
  std::set<std::string> none;
  field_rules to_target{{{"status", "state"}}, {}};
  auto to_source = to_target.inverted();
  for (auto [policy, winner] : {std::pair{conflict_policy::newest_wins, side::source},
                                std::pair{conflict_policy::source_wins, side::source},
                                std::pair{conflict_policy::target_wins, side::target}}) {
    auto plan = plan_replay({&src, &none, "a"}, {&tgt, &none, "b"}, true, true, policy,
                            to_target, to_source);
    CAF_REQUIRE_EQUAL(plan.conflicts.size(), 1u);
    CAF_CHECK_EQUAL(plan.conflicts[0].field, "status");
    CAF_CHECK(plan.conflicts[0].winner == winner);
    // The loser's entry has nothing left to write: it is skipped.
    auto& loser = winner == side::source ? plan.steps[0] : plan.steps[1];
    CAF_CHECK(loser.skip);
    auto& kept = winner == side::source ? plan.steps[1] : plan.steps[0];
    CAF_REQUIRE_EQUAL(kept.write.changes.size(), 1u);
    CAF_CHECK_EQUAL(kept.write.changes[0].field, winner == side::source ? "state" : "status");
  }
}

CAF_TEST(one_way_ignores_the_targets_own_entries) {
  auto src = make_issue("1", {entry("10", 1, {}, "", true)});
  auto tgt = make_issue("7", {entry("70", 2, {}, "", true), entry("71", 3, {}, "local note")});
  std::set<std::string> none;
  auto plan = plan_replay({&src, &none, "a"}, {&tgt, &none, "b"}, true, false,
                          conflict_policy::newest_wins, {}, {});
  CAF_CHECK(plan.steps.empty());
}

CAF_TEST(user_mappings_rename_authors_both_ways) {
  auto src = make_issue("1", {entry("10", 1, {{"subject", "", "S"}}, "", true)});
  std::set<std::string> none;
  field_rules to_target;
  to_target.users = {{"alice", "asmith"}};
  auto plan = plan_replay({&src, &none, "a"}, {nullptr, &none, "b"}, false, false,
                          conflict_policy::newest_wins, to_target, to_target.inverted());
  CAF_REQUIRE_EQUAL(plan.steps.size(), 1u);
  CAF_CHECK_EQUAL(plan.steps[0].write.author, "asmith");
  CAF_CHECK_EQUAL(to_target.inverted().map_user("asmith"), "alice");
  CAF_CHECK_EQUAL(to_target.map_user("bob"), "bob");
}

CAF_TEST(files_and_relations_travel_with_their_entry_and_alone_still_make_a_step) {
  auto file_entry = entry("11", 2, {});
  file_entry.attachments.push_back({{"7", "log.txt", "text/plain", 3, ""}, true, ""});
  auto link_entry = entry("12", 3, {});
  link_entry.relations.push_back({{"blocks", "2"}, true});
  auto creation = entry("10", 1, {{"subject", "", "S"}}, "", true);
  creation.attachments.push_back({{"6", "spec.pdf", "application/pdf", 9, ""}, true, ""});
  auto src = make_issue("1", {creation, file_entry, link_entry});
  std::set<std::string> none;
  auto plan = plan_replay({&src, &none, "a"}, {nullptr, &none, "b"}, false, false,
                          conflict_policy::newest_wins, {}, {});
  CAF_REQUIRE_EQUAL(plan.steps.size(), 3u);
  CAF_REQUIRE_EQUAL(plan.steps[0].write.attachments.size(), 1u);
  CAF_CHECK_EQUAL(plan.steps[0].write.attachments[0].file.filename, "spec.pdf");
  CAF_CHECK(!plan.steps[1].skip);
  CAF_REQUIRE_EQUAL(plan.steps[1].write.attachments.size(), 1u);
  CAF_CHECK_EQUAL(plan.steps[1].write.attachments[0].file.id, "7");
  CAF_CHECK(!plan.steps[2].skip);
  CAF_REQUIRE_EQUAL(plan.steps[2].write.relations.size(), 1u);
  CAF_CHECK_EQUAL(plan.steps[2].write.relations[0].link.type, "blocks");
  CAF_CHECK_EQUAL(plan.steps[2].write.relations[0].link.other, "2");
}

CAF_TEST(every_relation_type_reverses_to_the_type_the_other_issue_sees) {
  for (auto& type : relation_types()) {
    CAF_CHECK(is_relation_type(reverse_relation(type)));
    CAF_CHECK_EQUAL(reverse_relation(reverse_relation(type)), type);
  }
  CAF_CHECK_EQUAL(reverse_relation("blocks"), "blocked");
  CAF_CHECK_EQUAL(reverse_relation("follows"), "precedes");
  CAF_CHECK_EQUAL(reverse_relation("copied_to"), "copied_from");
  CAF_CHECK_EQUAL(reverse_relation("relates"), "relates");
  CAF_CHECK(!is_relation_type("parent"));
}


CAF_TEST(both_records_of_a_shared_change_name_it_alike_and_say_who_writes_it) {
  using writer = shared_record::writer;
  // Child 2 made under parent 1, moved away to 3, and back to 1; 1 and 2
  // related twice. Each issue counts its own records of the pair.
  auto child = make_issue("2", {entry("20", 1, {{"parent", "", "1"}}, "", true),
                                entry("21", 2, {{"parent", "1", "3"}}),
                                entry("22", 3, {{"parent", "3", "1"}})});
  auto parent = make_issue("1", {entry("10", 0, {{"subject", "", "P"}}, "", true),
                                 entry("11", 1, {}), entry("12", 2, {}), entry("13", 3, {}),
                                 entry("14", 4, {}), entry("15", 5, {})});
  parent.history[1].children = {{"2", true}};
  parent.history[2].children = {{"2", false}};
  parent.history[3].children = {{"2", true}};
  parent.history[4].relations = {{{"relates", "2"}, true}};
  parent.history[5].relations = {{{"relates", "2"}, false}};
  child.history.push_back(entry("23", 4, {}));
  child.history.back().relations = {{{"relates", "1"}, true}};
  auto created = shared_records(child, child.history[0], true);
  CAF_REQUIRE_EQUAL(created.size(), 1u);
  CAF_CHECK_EQUAL(created[0].other, "1");
  CAF_CHECK(created[0].writes == writer::this_one);
  auto recorded = shared_records(parent, parent.history[1], true);
  CAF_REQUIRE_EQUAL(recorded.size(), 1u);
  CAF_CHECK_EQUAL(recorded[0].key, created[0].key);
  CAF_CHECK(recorded[0].writes == writer::the_other);
  // A move between parents is two records, one on each parent.
  auto moved = shared_records(child, child.history[1], true);
  CAF_REQUIRE_EQUAL(moved.size(), 2u);
  auto removed = shared_records(parent, parent.history[2], true); // named: CAF keeps references
  CAF_CHECK_EQUAL(moved[0].key, removed[0].key);
  CAF_CHECK_EQUAL(moved[1].other, "3");
  // Back again: the second "added" of the pair, not the first.
  auto back = shared_records(child, child.history[2], true)[1].key; // [0]: removed from 3
  auto readded = shared_records(parent, parent.history[3], true);
  CAF_CHECK_EQUAL(back, readded[0].key);
  CAF_CHECK_NOT_EQUAL(back, created[0].key);
  auto related = shared_records(child, child.history[3], true);
  CAF_REQUIRE_EQUAL(related.size(), 1u);
  auto relates = shared_records(parent, parent.history[4], true);
  CAF_CHECK_EQUAL(related[0].key, relates[0].key);
  CAF_CHECK(related[0].writes == writer::the_second);
  CAF_CHECK(related[0].relation.has_value());
  auto holder = entry_with_record(parent, back, true).value_or("");
  CAF_CHECK_EQUAL(holder, "13");
  auto unrelated = shared_records(parent, parent.history[5], true);
  CAF_CHECK(!entry_with_record(child, unrelated[0].key, true));
  // A tracker that records no children: a parent change shares nothing.
  CAF_CHECK(shared_records(child, child.history[0], false).empty());
  // In a plan, a record with nothing to write still keeps its place.
  std::set<std::string> none;
  auto plan = plan_replay({&parent, &none, "a", true}, {nullptr, &none, "b"}, false, false,
                          conflict_policy::newest_wins, {}, {});
  CAF_REQUIRE_EQUAL(plan.steps.size(), 6u);
  CAF_CHECK(!plan.steps[1].skip);
  CAF_CHECK_EQUAL(plan.steps[1].records.size(), 1u);
}
