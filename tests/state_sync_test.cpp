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
