#define CAF_SUITE written
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "domain/written.hpp"

using namespace tb;

namespace {

history_entry entry(std::string id, std::vector<field_change> changes, std::string comment = "") {
  return {std::move(id), "bot", 0, std::move(changes), std::move(comment)};
}

issue twin_with(std::vector<history_entry> later) {
  issue i;
  i.id = "7";
  i.history.push_back({"c7", "bot", 0, {{"subject", "", "S"}}, "", true});
  for (auto& e : later)
    i.history.push_back(std::move(e));
  return i;
}

replica_write status_and_comment() {
  return {"alice", {{"status", "New", "Closed"}}, "done here", "", {}, {}};
}

attachment_change file(std::string id, std::string name, bool added = true) {
  return {attachment{std::move(id), std::move(name), "text/plain", 3, ""}, added, ""};
}

} // namespace

CAF_TEST(an_unrecorded_entry_with_the_writes_values_and_comment_is_found) {
  auto twin = twin_with({entry("e1", {{"status", "New", "Closed"}}, "done here")});
  auto found = find_written(twin, {"c7"}, status_and_comment());
  CAF_CHECK(found.main_done);
  CAF_REQUIRE_EQUAL(found.entry_ids.size(), 1u);
  CAF_CHECK_EQUAL(found.entry_ids[0], "e1");
  CAF_CHECK(remaining_write(status_and_comment(), found).empty());
}

CAF_TEST(a_comment_after_a_line_naming_the_author_is_the_writes) {
  auto twin = twin_with({entry("e1", {{"status", "New", "Closed"}}, "_(by alice)_\n\ndone here")});
  CAF_CHECK(find_written(twin, {}, status_and_comment()).main_done);
  auto other = twin_with({entry("e1", {{"status", "New", "Closed"}}, "bob: done here")});
  CAF_CHECK(!find_written(other, {}, status_and_comment()).main_done);
}

CAF_TEST(entries_the_ledger_names_or_with_anything_else_are_never_claimed) {
  replica_write w = status_and_comment();
  auto recorded = twin_with({entry("e1", {{"status", "New", "Closed"}}, "done here")});
  auto found = find_written(recorded, {"e1"}, w);
  CAF_CHECK(!found.main_done);
  CAF_CHECK(found.entry_ids.empty());
  CAF_CHECK_EQUAL(remaining_write(w, found).comment, "done here"); // written again
  // Someone's edit that also set the priority is theirs, not the write's.
  auto theirs = twin_with(
    {entry("e2", {{"status", "New", "Closed"}, {"priority", "Low", "High"}}, "done here")});
  CAF_CHECK(find_written(theirs, {}, w).entry_ids.empty());
  // Same values but another comment, or none: theirs too.
  CAF_CHECK(find_written(twin_with({entry("e3", {{"status", "New", "Closed"}}, "x")}), {}, w)
              .entry_ids.empty());
  CAF_CHECK(find_written(twin_with({entry("e4", {{"status", "New", "Closed"}})}), {}, w)
              .entry_ids.empty());
}

CAF_TEST(two_entries_that_could_each_be_the_write_are_both_left_alone_and_named) {
  auto twin = twin_with({entry("e1", {}, "done here"), entry("e2", {}, "done here")});
  replica_write w{"alice", {}, "done here", "", {}, {}};
  auto found = find_written(twin, {}, w);
  CAF_CHECK(found.entry_ids.empty());
  CAF_CHECK(!found.main_done);
  CAF_CHECK_EQUAL(found.ambiguous, (std::vector<std::string>{"e1", "e2"}));
  // With one of them in the ledger, the other is the write's.
  found = find_written(twin, {"e1"}, w);
  CAF_CHECK(found.ambiguous.empty());
  CAF_CHECK(found.main_done);
  CAF_CHECK_EQUAL(found.entry_ids, (std::vector<std::string>{"e2"}));
}

CAF_TEST(nothing_found_means_the_whole_write_is_made_again) {
  auto twin = twin_with({});
  auto found = find_written(twin, {"c7"}, status_and_comment());
  CAF_CHECK(!found.main_done);
  CAF_CHECK(found.entry_ids.empty());
  auto rest = remaining_write(status_and_comment(), found);
  CAF_CHECK_EQUAL(rest.changes.size(), 1u);
  CAF_CHECK_EQUAL(rest.comment, "done here");
}

CAF_TEST(files_found_give_their_target_ids_in_the_writes_order) {
  replica_write w{"alice", {}, "two files", "", {file("s1", "a.txt"), file("s2", "b.txt")}, {}};
  auto e = entry("e1", {}, "two files");
  e.attachments = {file("t9", "b.txt"), file("t8", "a.txt")};
  auto found = find_written(twin_with({e}), {}, w);
  CAF_CHECK(found.main_done);
  CAF_REQUIRE_EQUAL(found.attachment_ids.size(), 2u);
  CAF_CHECK_EQUAL(found.attachment_ids[0], "t8");
  CAF_CHECK_EQUAL(found.attachment_ids[1], "t9");
  CAF_CHECK(remaining_write(w, found).empty());
}

CAF_TEST(relations_and_removals_found_are_claimed_and_still_left_to_write_when_the_main_part_is_missing) {
  replica_write w{"alice", {}, "see also", "", {file("t5", "old.txt", false)},
                  {{{"relates", "9"}, true}}};
  history_entry linked = entry("e1", {});
  linked.relations = {{{"relates", "9"}, true}};
  auto found = find_written(twin_with({linked}), {}, w);
  CAF_REQUIRE_EQUAL(found.entry_ids.size(), 1u);
  CAF_CHECK(!found.main_done);
  auto rest = remaining_write(w, found);
  CAF_CHECK_EQUAL(rest.comment, "see also");
  CAF_CHECK_EQUAL(rest.relations.size(), 1u); // the tracker takes it again harmlessly
  // With the comment found, only the removal and the relation are left.
  auto noted = entry("e2", {}, "see also");
  found = find_written(twin_with({linked, noted}), {}, w);
  CAF_CHECK(found.main_done);
  CAF_CHECK_EQUAL(found.entry_ids.size(), 2u);
  rest = remaining_write(w, found);
  CAF_CHECK(rest.comment.empty());
  CAF_CHECK_EQUAL(rest.attachments.size(), 1u);
  CAF_CHECK(!rest.attachments[0].added);
  CAF_CHECK_EQUAL(rest.relations.size(), 1u);
}

CAF_TEST(a_creation_found_by_alt_id_claims_its_creation_and_the_comment_that_followed_it) {
  replica_write w{"alice", {{"subject", "", "S"}}, "first words", "a/1", {file("s1", "a.txt")}, {}};
  auto twin = twin_with({entry("e1", {}, "first words")});
  twin.history[0].attachments = {file("t3", "a.txt")};
  auto found = find_created(twin, {}, w);
  CAF_CHECK(found.main_done);
  CAF_REQUIRE_EQUAL(found.entry_ids.size(), 2u);
  CAF_CHECK_EQUAL(found.entry_ids[0], "c7");
  CAF_CHECK_EQUAL(found.entry_ids[1], "e1");
  CAF_REQUIRE_EQUAL(found.attachment_ids.size(), 1u);
  CAF_CHECK_EQUAL(found.attachment_ids[0], "t3");
}

CAF_TEST(a_creation_whose_comment_did_not_follow_leaves_the_comment_to_write) {
  replica_write w{"alice", {{"subject", "", "S"}}, "first words", "a/1", {}, {}};
  auto found = find_created(twin_with({entry("e1", {{"status", "New", "Open"}})}), {}, w);
  CAF_CHECK(!found.main_done);
  CAF_REQUIRE_EQUAL(found.entry_ids.size(), 1u);
  CAF_CHECK_EQUAL(found.entry_ids[0], "c7");
  // A tracker that records the comment in the creation itself.
  auto twin = twin_with({});
  twin.history[0].comment = "first words";
  CAF_CHECK(find_created(twin, {}, w).main_done);
}

// --- attribute_write: the entries of a write that just returned -------------

namespace {

history_entry by(std::string author, std::string id, std::vector<field_change> changes,
                 std::string comment = "") {
  return {std::move(id), std::move(author), 0, std::move(changes), std::move(comment)};
}

issue parent_with(field_values fields, std::vector<history_entry> entries) {
  auto i = twin_with(std::move(entries));
  i.fields = std::move(fields);
  return i;
}

} // namespace

CAF_TEST(a_child_added_by_the_same_user_just_before_the_write_is_not_the_writes_journal) {
  // The parent had journals up to 41; children made by bob and alice add
  // note-less journals 55 and 59 (their "child added" details are no field
  // of the model), then alice's status write is 79.
  auto before = parent_with({{"status", "In Progress"}}, {by("carol", "41", {}, "a note")});
  auto after = parent_with({{"status", "Resolved"}},
                           {by("carol", "41", {}, "a note"), by("bob", "55", {}),
                            by("alice", "59", {}), by("alice", "79", {{"status", "In Progress", "Resolved"}})});
  made_write w{"alice", "", {{"status", "", "Resolved"}}, {}, {}, {}};
  auto who = attribute_write(before, after, w);
  CAF_CHECK_EQUAL(who.entry_ids, (std::vector<std::string>{"79"}));
  CAF_CHECK(who.ambiguous.empty());
  CAF_CHECK(who.dropped.empty());
  // Read before the children came, the bound is lower: the contents still tell.
  auto early = parent_with({{"status", "In Progress"}}, {by("carol", "41", {}, "a note")});
  CAF_CHECK_EQUAL(attribute_write(early, after, w).entry_ids, (std::vector<std::string>{"79"}));
}

CAF_TEST(a_parents_record_of_the_child_a_write_moved_is_told_from_its_other_records) {
  // Before the write, the parent had bob's record of child 7; during it, alice
  // made child 8 (TrackBridge's write) and bob child 9 at the same moment.
  auto before = parent_with({}, {by("bob", "40", {})});
  before.history.back().children = {{"7", true}};
  auto after = before;
  after.history.push_back(by("alice", "50", {{"done_ratio", "0", "10"}})); // derived from children
  after.history.back().children = {{"8", true}};
  after.history.push_back(by("bob", "51", {}));
  after.history.back().children = {{"9", true}};
  after.history.push_back(by("alice", "52", {}, "alice's own note"));
  auto record = attribute_child_record(before, after, "alice", {"8", true});
  CAF_CHECK_EQUAL(record.entry_ids, (std::vector<std::string>{"50"}));
  // Another user's record, or a removal, is not it.
  CAF_CHECK(attribute_child_record(before, after, "bob", {"8", true}).entry_ids.empty());
  CAF_CHECK(attribute_child_record(before, after, "alice", {"8", false}).entry_ids.empty());
  // A write's own journal is never a record of a child.
  made_write w{"alice", "", {{"done_ratio", "", "10"}}, {}, {}, {}};
  auto who = attribute_write(before, after, w);
  CAF_CHECK(who.entry_ids.empty());
}

CAF_TEST(an_entry_of_the_same_user_that_sets_a_field_of_the_write_otherwise_is_someone_elses) {
  auto before = parent_with({{"priority", "Low"}}, {});
  auto after = parent_with({{"priority", "High"}},
                           {by("alice", "5", {{"priority", "Low", "Urgent"}}),
                            by("alice", "6", {{"priority", "Urgent", "High"}})});
  made_write w{"alice", "", {{"priority", "", "High"}}, {}, {}, {}};
  CAF_CHECK_EQUAL(attribute_write(before, after, w).entry_ids, (std::vector<std::string>{"6"}));
  // Another user's entry with the same change is never the write's.
  auto theirs = parent_with({{"priority", "High"}}, {by("bob", "6", {{"priority", "Low", "High"}})});
  auto who = attribute_write(before, theirs, w);
  CAF_CHECK(who.entry_ids.empty());
  CAF_CHECK(who.dropped.empty()); // the value is what the write meant
}

CAF_TEST(two_new_entries_that_could_each_be_the_write_are_ambiguous_and_none_is_claimed) {
  auto before = parent_with({{"status", "New"}}, {});
  auto after = parent_with({{"status", "Closed"}},
                           {by("alice", "5", {{"status", "New", "Closed"}}, "done"),
                            by("alice", "6", {{"status", "Closed", "Closed"}}, "done")});
  made_write w{"alice", "done", {{"status", "", "Closed"}}, {}, {}, {}};
  auto who = attribute_write(before, after, w);
  CAF_CHECK(who.entry_ids.empty());
  CAF_CHECK_EQUAL(who.ambiguous, (std::vector<std::string>{"5", "6"}));
}

CAF_TEST(a_change_the_tracker_did_not_take_is_dropped_and_the_rest_of_the_journal_is_the_writes) {
  auto before = parent_with({{"status", "In Progress"}, {"Customer", "ACME"}}, {});
  auto after = parent_with({{"status", "In Progress"}, {"Customer", "Initech"}},
                           {by("alice", "9", {{"Customer", "ACME", "Initech"}}, "moved on")});
  made_write w{"alice", "moved on", {{"status", "", "Resolved"}, {"Customer", "", "Initech"}},
               {}, {}, {}};
  auto who = attribute_write(before, after, w);
  CAF_CHECK_EQUAL(who.entry_ids, (std::vector<std::string>{"9"}));
  CAF_REQUIRE_EQUAL(who.dropped.size(), 1u);
  CAF_CHECK_EQUAL(who.dropped[0], (field_change{"status", "In Progress", "Resolved"}));
  // A value already so is no change to drop, and makes no journal.
  auto same = parent_with({{"status", "Resolved"}}, {});
  made_write again{"alice", "", {{"status", "", "Resolved"}}, {}, {}, {}};
  auto none = attribute_write(same, same, again);
  CAF_CHECK(none.entry_ids.empty());
  CAF_CHECK(none.dropped.empty());
  // Changed again by someone after the write: the write's journal shows it took.
  auto later = parent_with({{"status", "Feedback"}},
                           {by("alice", "9", {{"status", "In Progress", "Resolved"}}),
                            by("bob", "10", {{"status", "Resolved", "Feedback"}})});
  auto took = attribute_write(before, later, again);
  CAF_CHECK_EQUAL(took.entry_ids, (std::vector<std::string>{"9"}));
  CAF_CHECK(took.dropped.empty());
}

CAF_TEST(file_removals_and_relations_are_the_writes_by_their_ids_and_the_dates_a_relation_moved) {
  auto before = parent_with({}, {});
  auto removal = by("alice", "7", {});
  removal.attachments = {file("t5", "old.txt", false)};
  auto linked = by("alice", "8", {{"start_date", "2026-12-01", "2026-12-03"}});
  linked.relations = {{{"follows", "4"}, true}};
  auto other = by("alice", "9", {});
  other.relations = {{{"relates", "5"}, true}};
  auto after = parent_with({}, {removal, linked, other});
  made_write w{"alice", std::nullopt, {}, {}, {"t5"}, {{{"follows", "4"}, true}}};
  auto who = attribute_write(before, after, w);
  CAF_CHECK_EQUAL(who.entry_ids, (std::vector<std::string>{"7", "8"}));
}

CAF_TEST(values_are_the_same_across_line_ends_and_number_forms) {
  CAF_CHECK(same_value("a\nb", "a\r\nb"));
  CAF_CHECK(same_value("2", "2.0"));
  CAF_CHECK(same_value("", ""));
  CAF_CHECK(!same_value("2", "2.5"));
  CAF_CHECK(!same_value("a b", "a  b"));
  CAF_CHECK(!same_value("", "0"));
}
