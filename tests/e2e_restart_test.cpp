#define CAF_SUITE e2e_restart
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "tests/e2e_fixture.hpp"

CAF_TEST_FIXTURE_SCOPE(e2e_restart_tests, e2e_fixture)

CAF_TEST(changes_not_yet_polled_at_a_stop_arrive_after_the_restart_without_duplicates) {
  write_config("one-way");
  start();
  auto first = create("a", "alice", {{"subject", "Before the stop"}}, "c1");
  CAF_REQUIRE(eventually([&] { return b_mirrors_a(); }));
  CAF_CHECK_EQUAL(stop(), 0);
  // A poll interval of an hour: the poll at start-up runs before the API
  // answers, so the next changes stay unseen until the restart below.
  write_config("one-way", 3600 * 1000);
  start();
  update("a", first, "bob", {{"status", "Open"}}, "c2");
  auto second = create("a", "carol", {{"subject", "After the restart"}});
  CAF_CHECK_EQUAL(stop(), 0);
  write_config("one-way");
  start();
  CAF_CHECK(eventually([&] { return b_mirrors_a(); }));
  CAF_CHECK_EQUAL(list("b").size(), 2u);
  CAF_CHECK_EQUAL(get("b", twin_of("b", "a/" + first))["history"].size(), 2u);
  CAF_CHECK(!twin_of("b", "a/" + second).empty());
}

CAF_TEST(a_stop_in_the_middle_of_a_sync_loses_and_duplicates_nothing) {
  write_config("two-way", 100);
  start();
  std::string previous;
  for (int i = 0; i < 40; ++i) {
    auto id = create("a", "alice", {{"subject", "Issue " + std::to_string(i)}}, "first");
    update("a", id, "bob", {{"status", "Open"}}, "second");
    if (i % 5 == 0) { // every fifth: a file, and a relation to the issue before
      auto up = api_call("POST", base("a") + "/issues/" + id
                                                    + "/files?filename=f.bin&author=carol",
                                    std::string(2000, static_cast<char>(i)),
                                    {{"Content-Type", "application/octet-stream"}});
      CAF_REQUIRE_EQUAL(up.status, 201);
      if (!previous.empty())
        call("POST", base("a") + "/issues/" + id + "/relations",
             {{"author", "carol"}, {"type", "follows"}, {"issue", previous}});
    }
    previous = id;
  }
  // Stop while the sync is under way, then start again on the same data.
  CAF_CHECK_EQUAL(stop(), 0);
  start();
  CAF_CHECK(eventually([&] { return b_mirrors_a(); }, std::chrono::seconds{60}));
  CAF_CHECK_EQUAL(list("b").size(), 40u);
  // Every entry, file and relation once: same history lengths both sides.
  CAF_CHECK(eventually([&] {
    for (auto& i : list("a")) {
      auto original = get("a", i["id"].get<std::string>());
      auto twin = get("b", twin_of("b", "a/" + original["id"].get<std::string>()));
      if (twin["history"].size() != original["history"].size()
          || twin["attachments"].size() != original["attachments"].size()
          || twin["relations"].size() != original["relations"].size())
        return false;
    }
    return true;
  }, std::chrono::seconds{60}));
  CAF_CHECK_EQUAL(list("a").size(), 40u); // no twin of a twin came back
}

CAF_TEST_FIXTURE_SCOPE_END()
