#define CAF_SUITE state_sync
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "domain/state_sync.hpp"

using namespace tb;

namespace {

using logins = std::vector<std::string>;
using changes = std::vector<watcher_change>;

} // namespace

CAF_TEST(one_way_makes_the_sources_changes_and_leaves_the_targets_own_watchers_alone) {
  field_rules rules;
  rules.users = {{"bob", "robert"}};
  // Never synced: every watcher of the source is added, nothing removed.
  auto first = plan_watchers({"alice", "bob"}, nullptr, std::nullopt, rules, rules.inverted());
  CAF_CHECK_EQUAL(first.to_target, (changes{{"alice", true}, {"robert", true}}));
  CAF_CHECK(first.to_source.empty());
  CAF_CHECK_EQUAL(first.synced, (logins{"alice", "bob"}));
  // Then bob stops watching and carol starts: only those two changes.
  auto later = plan_watchers({"alice", "carol"}, nullptr, logins{"alice", "bob"}, rules,
                             rules.inverted());
  CAF_CHECK_EQUAL(later.to_target, (changes{{"carol", true}, {"robert", false}}));
  CAF_CHECK_EQUAL(later.synced, (logins{"alice", "carol"}));
  auto same = plan_watchers({"alice"}, nullptr, logins{"alice"}, rules, rules.inverted());
  CAF_CHECK(same.to_target.empty());
}

CAF_TEST(two_way_makes_each_sides_changes_on_the_other_and_both_end_alike) {
  field_rules to_target;
  to_target.users = {{"bob", "robert"}};
  auto to_source = to_target.inverted();
  // Never synced: each side's watchers are added to the other.
  logins twin{"robert", "dave"};
  auto first = plan_watchers({"alice", "bob"}, &twin, std::nullopt, to_target, to_source);
  CAF_CHECK_EQUAL(first.to_target, (changes{{"alice", true}}));
  CAF_CHECK_EQUAL(first.to_source, (changes{{"dave", true}}));
  CAF_CHECK_EQUAL(first.synced, (logins{"alice", "bob", "dave"}));
  // The source drops alice, the target drops dave and adds erin.
  logins twin_now{"alice", "robert", "erin"};
  auto later = plan_watchers({"bob", "dave"}, &twin_now, first.synced, to_target, to_source);
  CAF_CHECK_EQUAL(later.to_target, (changes{{"alice", false}}));
  CAF_CHECK_EQUAL(later.to_source, (changes{{"erin", true}, {"dave", false}}));
  CAF_CHECK_EQUAL(later.synced, (logins{"bob", "erin"}));
}

CAF_TEST(a_files_description_follows_the_side_that_changed_it) {
  using opt = std::optional<std::string>;
  // Not known (a file copied before descriptions were synced): taken as synced.
  auto unknown = plan_description("new", nullptr, std::nullopt, conflict_policy::newest_wins);
  CAF_CHECK(!unknown.to_target);
  CAF_CHECK_EQUAL(unknown.synced, "new");
  // One-way: the source's change goes over.
  auto one_way = plan_description("new", nullptr, opt{"old"}, conflict_policy::newest_wins);
  CAF_CHECK_EQUAL(one_way.to_target.value_or(""), "new");
  CAF_CHECK_EQUAL(one_way.synced, "new");
  // Two-way: the target's change comes back; nothing when both agree.
  std::string theirs = "edited on the target";
  auto back = plan_description("old", &theirs, opt{"old"}, conflict_policy::newest_wins);
  CAF_CHECK(!back.to_target);
  CAF_CHECK_EQUAL(back.to_source.value_or(""), theirs);
  std::string same = "old";
  auto quiet = plan_description("old", &same, opt{"old"}, conflict_policy::newest_wins);
  CAF_CHECK(!quiet.to_target && !quiet.to_source);
  // Both changed: the policy decides.
  auto source_kept = plan_description("mine", &theirs, opt{"old"}, conflict_policy::newest_wins);
  CAF_CHECK_EQUAL(source_kept.to_target.value_or(""), "mine");
  auto target_kept = plan_description("mine", &theirs, opt{"old"}, conflict_policy::target_wins);
  CAF_CHECK_EQUAL(target_kept.to_source.value_or(""), theirs);
  CAF_CHECK(!target_kept.to_target);
}

// --- time entries ------------------------------------------------------------

namespace {

using rows = std::vector<time_entry>;

time_entry row(std::string id, std::string user, std::string hours, std::string comments,
               timestamp updated = 0) {
  return {std::move(id), std::move(user), "2026-11-30", std::move(hours), "Design",
          std::move(comments), {{"Invoice", "INV-1"}}, updated};
}

// Two trackers' rows and the links, and the plan's ops applied to them as a
// tracker would (a create gets the next id of its side).
struct tracker_pair {
  rows sides[2];
  std::vector<time_entry_link> links;
  int next_id = 100;
  rows& at(side s) { return sides[static_cast<int>(s)]; }

  void apply(const std::vector<time_entry_op>& ops) {
    for (auto op : ops) {
      if (op.to) {
        auto& rs = at(*op.to);
        time_entry written;
        if (!op.write.content) {
          std::erase_if(rs, [&](auto& r) { return r.id == op.write.id; });
        } else if (op.write.id.empty()) {
          written = *op.write.content;
          written.id = std::to_string(next_id++);
          rs.push_back(written);
        } else {
          for (auto& r : rs)
            if (r.id == op.write.id) {
              auto id = r.id;
              r = *op.write.content;
              r.id = id;
              written = r;
            }
        }
        (*op.to == side::source ? op.after.source : op.after.target) = written;
      }
      if (!op.key.empty())
        std::erase_if(links, [&](auto& l) { return l.source.id == op.key; });
      if (!op.unlink)
        links.push_back(op.after);
    }
  }

  std::vector<time_entry_op> plan(bool two_way, const field_rules& rules,
                                  conflict_policy policy = conflict_policy::newest_wins) {
    return plan_time_entries(sides[0], sides[1], links, two_way, policy, rules,
                             rules.inverted());
  }
};

} // namespace

CAF_TEST(one_way_copies_changes_and_deletes_the_sources_rows_and_nothing_twice) {
  field_rules rules;
  rules.users = {{"bob", "robert"}};
  rules.rename = {{"Invoice", "Bill"}};
  tracker_pair p;
  p.at(side::source) = {row("1", "alice", "1.5", "review"), row("2", "bob", "2", "build")};
  p.at(side::target) = {row("7", "dave", "1", "the target's own")};
  auto first = p.plan(false, rules);
  CAF_CHECK_EQUAL(first.size(), 2u);
  p.apply(first);
  auto& copies = p.at(side::target);
  CAF_REQUIRE_EQUAL(copies.size(), 3u);
  CAF_CHECK_EQUAL(copies[2].user, "robert");
  CAF_CHECK_EQUAL(copies[2].fields, (field_values{{"Bill", "INV-1"}}));
  CAF_CHECK(p.plan(false, rules).empty()); // nothing written twice
  // The source edits one row and deletes the other; the target edits its
  // own row and its copy of the first: the source's change overwrites the
  // copy, the target's own row is left alone.
  p.at(side::source)[0].hours = "3";
  p.at(side::source).pop_back();
  copies[0].comments = "the target's own, edited";
  copies[1].hours = "9";
  p.apply(p.plan(false, rules));
  CAF_REQUIRE_EQUAL(copies.size(), 2u);
  CAF_CHECK_EQUAL(copies[0].id, "7");
  CAF_CHECK_EQUAL(copies[0].comments, "the target's own, edited");
  CAF_CHECK_EQUAL(copies[1].hours, "3");
  CAF_CHECK_EQUAL(copies[1].comments, "review");
  CAF_CHECK(p.plan(false, rules).empty());
  // A change to a copy alone stays: one-way copies the source's changes.
  copies[1].comments = "review (the target's words)";
  CAF_CHECK(p.plan(false, rules).empty());
  // A copy a person deletes on the target stays deleted until its original
  // changes again.
  copies.pop_back();
  p.apply(p.plan(false, rules));
  CAF_CHECK_EQUAL(copies.size(), 1u);
  CAF_CHECK(p.plan(false, rules).empty());
  p.at(side::source)[0].comments = "review, again";
  p.apply(p.plan(false, rules));
  CAF_REQUIRE_EQUAL(copies.size(), 2u);
  CAF_CHECK_EQUAL(copies[1].comments, "review, again");
  CAF_CHECK_EQUAL(copies[1].user, "alice");
  CAF_CHECK(p.plan(false, rules).empty());
}

// Trackers whose activities differ: the task's value mapping of
// "activity" says what each becomes, and a row whose activity it refuses
// is not written (the op says why).
CAF_TEST(activities_are_mapped_and_a_refused_one_is_not_written) {
  field_rules rules;
  auto compiled = value_mapping::compile({{{"Design", "Planning"}}, {}, unmapped_value::refuse});
  rules.values.emplace("activity", std::get<value_mapping>(compiled));
  tracker_pair p;
  p.at(side::source) = {row("1", "alice", "1", "review"), row("2", "bob", "2", "build")};
  p.at(side::source)[1].activity = "Testing";
  auto ops = p.plan(false, rules);
  CAF_REQUIRE_EQUAL(ops.size(), 2u);
  CAF_REQUIRE(ops[0].write.content);
  CAF_CHECK_EQUAL(ops[0].write.content->activity, "Planning");
  CAF_CHECK_EQUAL(ops[0].refused, "");
  CAF_CHECK_EQUAL(ops[1].refused,
                  "the activity \"Testing\" is one the task's value mapping of \"activity\" "
                  "refuses");
  // Without a mapping an activity keeps its name.
  auto as_is = map_time_entry(p.at(side::source)[1], field_rules{});
  CAF_CHECK_EQUAL(as_is.activity, "Testing");
}

CAF_TEST(two_way_makes_each_sides_rows_and_changes_on_the_other_and_ends_alike) {
  field_rules rules;
  rules.users = {{"bob", "robert"}};
  tracker_pair p;
  p.at(side::source) = {row("1", "alice", "1.5", "review"), row("2", "bob", "2", "build")};
  p.at(side::target) = {row("7", "robert", "1", "the target's own")};
  p.apply(p.plan(true, rules));
  CAF_REQUIRE_EQUAL(p.at(side::source).size(), 3u);
  CAF_REQUIRE_EQUAL(p.at(side::target).size(), 3u);
  CAF_CHECK_EQUAL(p.at(side::source)[2].user, "bob");
  CAF_CHECK(p.plan(true, rules).empty()); // nothing comes back
  // Each side edits one row and deletes another.
  p.at(side::source)[0].hours = "4";                         // 1 -> its copy
  p.at(side::target)[0].comments = "the target's, edited";   // 7 -> its copy on the source
  std::erase_if(p.at(side::target), [](auto& r) { return r.comments == "build"; });
  p.apply(p.plan(true, rules));
  auto comments = [](const rows& rs) {
    std::multiset<std::string> out;
    for (auto& r : rs)
      out.insert(r.comments + "/" + r.hours);
    return out;
  };
  CAF_CHECK_EQUAL(p.at(side::source).size(), 2u);
  CAF_CHECK_EQUAL(comments(p.at(side::source)), comments(p.at(side::target)));
  CAF_CHECK_EQUAL(comments(p.at(side::source)),
                  (std::multiset<std::string>{"review/4", "the target's, edited/1"}));
  CAF_CHECK(p.plan(true, rules).empty());
}

CAF_TEST(a_row_changed_on_both_sides_goes_the_way_the_policy_says) {
  for (auto policy : {conflict_policy::newest_wins, conflict_policy::source_wins,
                      conflict_policy::target_wins}) {
    tracker_pair p;
    p.at(side::source) = {row("1", "alice", "1", "review", 10)};
    p.apply(p.plan(true, {}));
    p.at(side::source)[0].hours = "2";
    p.at(side::source)[0].updated = 20;
    p.at(side::target)[0].hours = "3";
    p.at(side::target)[0].updated = 30;
    auto ops = p.plan(true, {}, policy);
    CAF_REQUIRE_EQUAL(ops.size(), 1u);
    p.apply(ops);
    auto want = policy == conflict_policy::source_wins ? "2" : "3";
    CAF_CHECK_EQUAL(p.at(side::source)[0].hours, want);
    CAF_CHECK_EQUAL(p.at(side::target)[0].hours, want);
    CAF_CHECK(p.plan(true, {}, policy).empty());
  }
  // The same change on both sides: only the link learns it.
  tracker_pair p;
  p.at(side::source) = {row("1", "alice", "1", "review")};
  p.apply(p.plan(true, {}));
  p.at(side::source)[0].hours = p.at(side::target)[0].hours = "5";
  auto ops = p.plan(true, {});
  CAF_REQUIRE_EQUAL(ops.size(), 1u);
  CAF_CHECK(!ops[0].to);
  p.apply(ops);
  CAF_CHECK(p.plan(true, {}).empty());
}

CAF_TEST(newest_wins_takes_the_newer_row_of_either_side_and_a_deletion_beats_an_edit) {
  tracker_pair p;
  p.at(side::source) = {row("1", "alice", "1", "review", 10), row("2", "bob", "2", "build", 10)};
  p.apply(p.plan(true, {}));
  // Both edit row 1, the source later.
  p.at(side::source)[0].hours = "2";
  p.at(side::source)[0].updated = 40;
  p.at(side::target)[0].hours = "3";
  p.at(side::target)[0].updated = 30;
  // The source deletes row 2 while the target edits its copy.
  p.at(side::source).pop_back();
  p.at(side::target)[1].comments = "build, edited";
  p.apply(p.plan(true, {}));
  CAF_REQUIRE_EQUAL(p.at(side::source).size(), 1u);
  CAF_REQUIRE_EQUAL(p.at(side::target).size(), 1u);
  CAF_CHECK_EQUAL(p.at(side::source)[0].hours, "2");
  CAF_CHECK_EQUAL(p.at(side::target)[0].hours, "2");
  CAF_CHECK(p.plan(true, {}).empty());
}

CAF_TEST(a_write_the_target_did_not_keep_all_of_is_planned_again_until_it_does) {
  tracker_pair p;
  p.at(side::source) = {row("1", "alice", "1", "review")};
  p.apply(p.plan(false, {}));
  CAF_CHECK(p.plan(false, {}).empty());
  p.links[0].unfinished = side::target;
  auto ops = p.plan(false, {});
  CAF_REQUIRE_EQUAL(ops.size(), 1u);
  CAF_CHECK(ops[0].to == side::target);
  CAF_CHECK_EQUAL(ops[0].write.id, p.at(side::target)[0].id);
  CAF_CHECK(!ops[0].after.unfinished); // written in full, it is done
}
