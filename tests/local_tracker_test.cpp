#define CAF_SUITE local_tracker
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "adapters/local/local_tracker.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tb;
using tb::local::list_values;

namespace {

std::string kind_name(error_kind k) {
  switch (k) {
    case error_kind::invalid:
      return "invalid";
    case error_kind::not_found:
      return "not_found";
    case error_kind::conflict:
      return "conflict";
    case error_kind::unavailable:
      return "unavailable";
    case error_kind::internal:
      return "internal";
    case error_kind::bad_answer:
      return "bad_answer";
  }
  return "?";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> ids_of(const std::vector<issue_stamp>& stamps) {
  std::vector<std::string> out;
  for (auto& s : stamps)
    out.push_back(s.id);
  return out;
}

local::project demo_project() {
  return {"DEMO", {{"Severity", "list", {"Low", "High"}}, {"Team", "string", {}}}};
}

struct fixture {
  test::temp_dir dir;
  std::unique_ptr<storage::environment> env;
  std::unique_ptr<local::tracker> a;
  std::unique_ptr<local::tracker> b;

  fixture() {
    open();
    CAF_REQUIRE(a->ensure_project(demo_project()).ok());
  }

  void open() {
    b.reset();
    a.reset();
    env.reset();
    env = std::make_unique<storage::environment>(storage::environment_options{dir.path()});
    a = std::make_unique<local::tracker>(*env, "a");
    b = std::make_unique<local::tracker>(*env, "b");
  }

  issue create(local::tracker& t, const std::string& subject, field_values more = {}) {
    more["subject"] = subject;
    auto r = t.create_issue("DEMO", {"alice", more, "", ""});
    CAF_REQUIRE(r.ok());
    return r.value();
  }

  // A copy: CAF's check macros keep references, which must not point into
  // a temporary result.
  static std::string subject_of(local::tracker& t, const std::string& id) {
    auto i = t.get_issue(id);
    return i ? i->fields.at("subject") : "(" + i.error().message + ")";
  }

  issue update(local::tracker& t, const std::string& id, field_values fields,
               std::string comment = "") {
    auto r = t.update_issue(id, {"bob", std::move(fields), std::move(comment)});
    if (!r)
      CAF_FAIL("update of issue " << id << " refused: " << r.error().message);
    return r.value();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(local_tracker_tests, fixture)

CAF_TEST(the_creation_entry_holds_the_initial_values) {
  auto r = a->create_issue("DEMO", {"alice", {{"subject", "Crash"}, {"status", "New"},
                                              {"Severity", "High"}, {"assignee", ""}},
                                    "first report", ""});
  CAF_REQUIRE(r.ok());
  auto& i = r.value();
  CAF_CHECK_EQUAL(i.id, "1");
  CAF_CHECK_EQUAL(i.project, "DEMO");
  CAF_CHECK_EQUAL(i.fields.count("assignee"), 0u);
  CAF_REQUIRE_EQUAL(i.history.size(), 1u);
  auto& e = i.history[0];
  CAF_CHECK(e.is_creation);
  CAF_CHECK_EQUAL(e.author, "alice");
  CAF_CHECK_EQUAL(e.comment, "first report");
  CAF_CHECK_EQUAL(e.time, i.created);
  CAF_CHECK_EQUAL(i.created, i.updated);
  CAF_REQUIRE_EQUAL(e.changes.size(), 3u); // the empty assignee is not a change
  CAF_CHECK(e.changes[0] == (field_change{"Severity", "", "High"}));
  CAF_CHECK(e.changes[1] == (field_change{"status", "", "New"}));
  CAF_CHECK(e.changes[2] == (field_change{"subject", "", "Crash"}));
}

CAF_TEST(an_update_records_only_the_fields_it_changes_with_old_and_new_values) {
  auto i = create(*a, "Crash", {{"status", "New"}, {"Severity", "Low"}});
  auto u = update(*a, i.id, {{"status", "Done"}, {"Severity", "Low"}, {"Team", ""}}, "fixed");
  CAF_REQUIRE_EQUAL(u.history.size(), 2u);
  auto& e = u.history[1];
  CAF_CHECK(!e.is_creation);
  CAF_CHECK_EQUAL(e.author, "bob");
  CAF_CHECK_EQUAL(e.comment, "fixed");
  CAF_REQUIRE_EQUAL(e.changes.size(), 1u);
  CAF_CHECK(e.changes[0] == (field_change{"status", "New", "Done"}));
  CAF_CHECK_EQUAL(u.fields.at("status"), "Done");
  auto cleared = update(*a, i.id, {{"Severity", ""}});
  CAF_CHECK_EQUAL(cleared.fields.count("Severity"), 0u);
  CAF_CHECK(cleared.history.back().changes[0] == (field_change{"Severity", "Low", ""}));
  auto read = a->get_issue(i.id);
  CAF_REQUIRE(read.ok());
  CAF_CHECK_EQUAL(read->history.size(), 3u);
  CAF_CHECK_EQUAL(read->updated, cleared.updated);
}

CAF_TEST(an_update_that_changes_nothing_and_has_no_comment_is_refused) {
  auto i = create(*a, "Crash", {{"status", "New"}});
  auto r = a->update_issue(i.id, {"bob", {{"status", "New"}, {"assignee", ""}}, ""});
  CAF_REQUIRE(!r.ok());
  CAF_CHECK_EQUAL(kind_name(r.error().kind), "invalid");
  CAF_CHECK(has(r.error().message, "nothing would change"));
  CAF_CHECK_EQUAL(r.error().where, "connection a, issue " + i.id);
  CAF_CHECK_EQUAL(a->get_issue(i.id)->history.size(), 1u);
  // A comment alone is a change.
  auto commented = update(*a, i.id, {{"status", "New"}}, "still happens");
  CAF_CHECK_EQUAL(commented.history.size(), 2u);
  CAF_CHECK(commented.history[1].changes.empty());
}

CAF_TEST(every_write_gets_a_strictly_later_time_than_the_one_before) {
  auto first = create(*a, "one");
  auto second = create(*a, "two");
  std::vector<timestamp> times{first.updated, second.updated};
  for (int n = 0; n < 20; ++n)
    times.push_back(update(*a, n % 2 ? first.id : second.id, {{"Team", std::to_string(n)}}).updated);
  for (std::size_t k = 1; k < times.size(); ++k)
    CAF_CHECK_LESS(times[k - 1], times[k]);
  auto h = a->get_issue(first.id)->history;
  for (std::size_t k = 1; k < h.size(); ++k) {
    CAF_CHECK_LESS(h[k - 1].time, h[k].time);
    CAF_CHECK_LESS(std::stoull(h[k - 1].id), std::stoull(h[k].id));
  }
}

CAF_TEST(an_updated_issue_appears_once_in_changed_since_at_its_new_time) {
  auto one = create(*a, "one");
  auto two = create(*a, "two");
  auto three = create(*a, "three");
  CAF_CHECK_EQUAL(ids_of(a->changed_since("DEMO", 0, 100)),
                  (std::vector<std::string>{one.id, two.id, three.id}));
  update(*a, one.id, {{"status", "Open"}});
  auto latest = update(*a, one.id, {{"status", "Done"}});
  auto all = a->changed_since("DEMO", 0, 100);
  CAF_CHECK_EQUAL(ids_of(all), (std::vector<std::string>{two.id, three.id, one.id}));
  CAF_REQUIRE_EQUAL(all.size(), 3u);
  CAF_CHECK_EQUAL(all[2].updated, latest.updated);
  CAF_CHECK_EQUAL(all[0].updated, two.updated);
  // since is inclusive, and earlier issues stay out.
  CAF_CHECK_EQUAL(ids_of(a->changed_since("DEMO", three.updated, 100)),
                  (std::vector<std::string>{three.id, one.id}));
  CAF_CHECK_EQUAL(ids_of(a->changed_since("DEMO", latest.updated + 1, 100)),
                  std::vector<std::string>{});
  CAF_CHECK_EQUAL(ids_of(a->changed_since("DEMO", 0, 2)),
                  (std::vector<std::string>{two.id, three.id}));
  CAF_CHECK(a->changed_since("OTHER", 0, 100).empty());
}

CAF_TEST(changed_issues_lists_the_same_issues_with_their_fields) {
  auto one = create(*a, "one");
  create(*a, "two");
  update(*a, one.id, {{"status", "Done"}});
  auto r = a->changed_issues("DEMO", 0, 10);
  CAF_REQUIRE(r.ok());
  CAF_REQUIRE_EQUAL(r->size(), 2u);
  CAF_CHECK_EQUAL(r->at(1).id, one.id);
  CAF_CHECK_EQUAL(r->at(1).fields.at("status"), "Done");
  CAF_CHECK(r->at(1).history.empty());
  auto unknown = a->changed_issues("NOPE", 0, 10);
  CAF_REQUIRE(!unknown.ok());
  CAF_CHECK_EQUAL(kind_name(unknown.error().kind), "not_found");
}

CAF_TEST(find_by_alt_id_finds_the_issue_stamped_with_it) {
  auto r = a->create_issue("DEMO", {"sync", {{"subject", "replica"}}, "", "src/7"});
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->alt_id, "src/7");
  CAF_CHECK_EQUAL(a->find_by_alt_id("DEMO", "src/7").value_or("none"), r->id);
  CAF_CHECK(!a->find_by_alt_id("DEMO", "src/8"));
  CAF_CHECK(!a->find_by_alt_id("OTHER", "src/7"));
  CAF_CHECK(!b->find_by_alt_id("DEMO", "src/7"));
  // A second create with the same stamp would be a duplicate replica.
  auto again = a->create_issue("DEMO", {"sync", {{"subject", "replica"}}, "", "src/7"});
  CAF_REQUIRE(!again.ok());
  CAF_CHECK_EQUAL(kind_name(again.error().kind), "conflict");
}

CAF_TEST(a_list_value_the_project_lacks_is_refused_unless_adding_is_asked_for) {
  auto i = create(*a, "Crash", {{"Severity", "Low"}});
  auto strict = a->update_issue(i.id, {"bob", {{"Severity", "Urgent"}}, ""});
  CAF_REQUIRE(!strict.ok());
  CAF_CHECK_EQUAL(kind_name(strict.error().kind), "invalid");
  CAF_CHECK_EQUAL(strict.error().where, "connection a, issue " + i.id + ", field Severity");
  CAF_CHECK(has(strict.error().message, "Low, High"));
  auto added = a->update_issue(i.id, {"sync", {{"Severity", "Urgent"}}, ""},
                               list_values::add_missing);
  CAF_REQUIRE(added.ok());
  CAF_CHECK_EQUAL(added->fields.at("Severity"), "Urgent");
  auto p = a->get_project("DEMO");
  CAF_REQUIRE(p.ok());
  CAF_CHECK_EQUAL(p->custom_fields[0].values, (std::vector<std::string>{"Low", "High", "Urgent"}));
  auto created = a->create_issue("DEMO", {"sync", {{"subject", "x"}, {"Severity", "Minor"}}, "", ""},
                                 list_values::add_missing);
  CAF_CHECK(created.ok());
  CAF_CHECK_EQUAL(a->get_project("DEMO")->custom_fields[0].values.size(), 4u);
}

CAF_TEST(a_refused_write_leaves_no_trace) {
  auto i = create(*a, "Crash");
  auto r = a->update_issue(i.id, {"bob", {{"status", "Done"}, {"Severity", "Urgent"}}, ""});
  CAF_REQUIRE(!r.ok());
  auto read = a->get_issue(i.id);
  CAF_CHECK_EQUAL(read->history.size(), 1u);
  CAF_CHECK_EQUAL(read->fields.count("status"), 0u);
  CAF_CHECK_EQUAL(read->updated, i.updated);
}

CAF_TEST(errors_name_the_connection_project_issue_and_field) {
  auto no_project = a->create_issue("NOPE", {"alice", {{"subject", "x"}}, "", ""});
  CAF_REQUIRE(!no_project.ok());
  CAF_CHECK_EQUAL(kind_name(no_project.error().kind), "not_found");
  CAF_CHECK_EQUAL(no_project.error().where, "connection a, project NOPE");
  auto no_subject = a->create_issue("DEMO", {"alice", {{"subject", ""}}, "", ""});
  CAF_REQUIRE(!no_subject.ok());
  CAF_CHECK_EQUAL(kind_name(no_subject.error().kind), "invalid");
  CAF_CHECK_EQUAL(no_subject.error().where, "connection a, project DEMO, field subject");
  auto unknown_field = a->create_issue("DEMO", {"alice", {{"subject", "x"}, {"Colour", "red"}}, "", ""});
  CAF_REQUIRE(!unknown_field.ok());
  CAF_CHECK_EQUAL(kind_name(unknown_field.error().kind), "invalid");
  CAF_CHECK_EQUAL(unknown_field.error().where, "connection a, project DEMO, field Colour");
  CAF_CHECK(has(unknown_field.error().message, "subject, description, status, priority, assignee, tracker, category, version, start_date, due_date, done_ratio, estimated_hours, parent, private, Severity, Team"));
  auto no_issue = a->get_issue("99");
  CAF_REQUIRE(!no_issue.ok());
  CAF_CHECK_EQUAL(kind_name(no_issue.error().kind), "not_found");
  CAF_CHECK_EQUAL(no_issue.error().where, "connection a, issue 99");
  auto no_update = a->update_issue("99", {"bob", {{"status", "x"}}, ""});
  CAF_CHECK_EQUAL(kind_name(no_update.error().kind), "not_found");
  CAF_CHECK(a->changed_since("DEMO", 0, 10).empty());
}

CAF_TEST(ensure_project_adds_fields_and_values_and_removes_nothing) {
  auto r = a->ensure_project({"DEMO", {{"Severity", "list", {"High", "Blocker"}},
                                       {"Component", "list", {"UI"}}}});
  CAF_REQUIRE(r.ok());
  CAF_REQUIRE_EQUAL(r->custom_fields.size(), 3u);
  CAF_CHECK_EQUAL(r->custom_fields[0].values,
                  (std::vector<std::string>{"Low", "High", "Blocker"}));
  CAF_CHECK_EQUAL(r->custom_fields[1].name, "Team");
  CAF_CHECK_EQUAL(r->custom_fields[2].name, "Component");
  CAF_CHECK_EQUAL(a->get_project("DEMO")->custom_fields.size(), 3u);
  auto fresh = a->ensure_project({"NEW-1.x", {}});
  CAF_CHECK(fresh.ok());
  CAF_CHECK_EQUAL(a->projects().size(), 2u);
}

CAF_TEST(ensure_project_refuses_bad_keys_and_field_definitions) {
  auto kind_of = [&](const local::project& p) {
    auto r = a->ensure_project(p);
    return r.ok() ? std::string{"ok"} : kind_name(r.error().kind);
  };
  CAF_CHECK_EQUAL(kind_of({"", {}}), "invalid");
  CAF_CHECK_EQUAL(kind_of({"-dash", {}}), "invalid");
  CAF_CHECK_EQUAL(kind_of({"has space", {}}), "invalid");
  CAF_CHECK_EQUAL(kind_of({std::string(65, 'x'), {}}), "invalid");
  CAF_CHECK_EQUAL(kind_of({std::string(64, 'x'), {}}), "ok");
  CAF_CHECK_EQUAL(kind_of({"P", {{"status", "string", {}}}}), "invalid");
  CAF_CHECK_EQUAL(kind_of({"P", {{"", "string", {}}}}), "invalid");
  CAF_CHECK_EQUAL(kind_of({"P", {{"Size", "number", {}}}}), "invalid");
  CAF_CHECK_EQUAL(kind_of({"DEMO", {{"Team", "list", {"x"}}}}), "conflict");
  auto r = a->ensure_project({"DEMO", {{"status", "string", {}}}});
  CAF_CHECK_EQUAL(r.error().where, "connection a, project DEMO, field status");
}

CAF_TEST(two_trackers_in_one_environment_do_not_see_each_others_issues) {
  CAF_REQUIRE(b->ensure_project({"DEMO", {}}).ok());
  auto in_a = create(*a, "in a");
  auto in_b = b->create_issue("DEMO", {"carol", {{"subject", "in b"}}, "", ""});
  CAF_REQUIRE(in_b.ok());
  CAF_CHECK_EQUAL(in_a.id, "1");
  CAF_CHECK_EQUAL(in_b->id, "1"); // ids count per connection
  CAF_CHECK_EQUAL(subject_of(*a, "1"), "in a");
  CAF_CHECK_EQUAL(subject_of(*b, "1"), "in b");
  CAF_CHECK_EQUAL(a->changed_since("DEMO", 0, 10).size(), 1u);
  CAF_CHECK_EQUAL(b->changed_since("DEMO", 0, 10).size(), 1u);
  CAF_CHECK(b->get_project("DEMO")->custom_fields.empty());
  auto second_a = create(*a, "again in a");
  CAF_CHECK_EQUAL(second_a.id, "2");
  CAF_CHECK(!b->get_issue("2").ok());
}

CAF_TEST(ids_and_times_go_on_after_the_store_is_reopened) {
  auto before = create(*a, "before");
  open();
  auto after = create(*a, "after");
  CAF_CHECK_EQUAL(after.id, "2");
  CAF_CHECK_LESS(before.updated, after.updated);
  CAF_CHECK_LESS(std::stoull(before.history[0].id), std::stoull(after.history[0].id));
  CAF_CHECK_EQUAL(subject_of(*a, before.id), "before");
}

CAF_TEST(concurrent_updates_on_different_issues_keep_every_entry_with_unique_ids) {
  constexpr int writers = 4;
  constexpr int updates = 200;
  std::vector<std::string> issue_ids;
  for (int w = 0; w < writers; ++w)
    issue_ids.push_back(create(*a, "issue " + std::to_string(w)).id);
  std::vector<int> refused(writers, 0);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      // Built with append: GCC 12 at -O2 warns falsely (-Wrestrict, its bug
      // 105329) on "literal" + std::to_string(...).
      std::string author{"w"};
      author.append(std::to_string(w));
      for (int n = 0; n < updates; ++n)
        if (!a->update_issue(issue_ids[w], {author, {{"Team", std::to_string(n)}}, ""}))
          ++refused[w];
    });
  for (auto& t : threads)
    t.join();
  std::vector<history_entry> all;
  for (int w = 0; w < writers; ++w) {
    CAF_CHECK_EQUAL(refused[w], 0);
    auto i = a->get_issue(issue_ids[w]);
    CAF_REQUIRE(i.ok());
    CAF_CHECK_EQUAL(i->history.size(), static_cast<std::size_t>(updates + 1));
    CAF_CHECK_EQUAL(i->fields.at("Team"), std::to_string(updates - 1));
    all.insert(all.end(), i->history.begin(), i->history.end());
  }
  std::set<std::string> unique;
  for (auto& e : all)
    unique.insert(e.id);
  CAF_CHECK_EQUAL(unique.size(), all.size());
  // Ids follow write order, and so do times: sorted by id, times increase.
  std::sort(all.begin(), all.end(),
            [](auto& x, auto& y) { return std::stoull(x.id) < std::stoull(y.id); });
  std::size_t out_of_order = 0;
  for (std::size_t k = 1; k < all.size(); ++k)
    if (all[k - 1].time >= all[k].time)
      ++out_of_order;
  CAF_CHECK_EQUAL(out_of_order, 0u);
}

CAF_TEST(a_file_is_stored_with_its_bytes_and_recorded_in_the_entry_that_added_it) {
  auto i = create(*a, "with files");
  std::string bytes{"\x00\x01binary\xff", 10};
  local::issue_update u{"bob", {}, "see the log"};
  u.attachments.push_back({{"", "log.bin", "", 0, "the log"}, true, bytes});
  auto r = a->update_issue(i.id, u);
  CAF_REQUIRE(r.ok());
  CAF_REQUIRE_EQUAL(r->attachments.size(), 1u);
  auto file = r->attachments[0];
  CAF_CHECK_EQUAL(file.filename, "log.bin");
  CAF_CHECK_EQUAL(file.size, 10);
  CAF_CHECK_EQUAL(file.content_type, "application/octet-stream");
  CAF_CHECK_EQUAL(file.description, "the log");
  auto& e = r->history.back();
  CAF_REQUIRE_EQUAL(e.attachments.size(), 1u);
  CAF_CHECK(e.attachments[0].added);
  CAF_CHECK(e.attachments[0].file == file);
  CAF_CHECK_EQUAL(e.comment, "see the log");
  auto content = a->file_content(file.id);
  CAF_REQUIRE(content.ok());
  CAF_CHECK(*content == bytes);
  open(); // everything survives a restart
  auto again = a->get_issue(i.id);
  CAF_REQUIRE(again.ok());
  CAF_REQUIRE_EQUAL(again->history.back().attachments.size(), 1u);
  CAF_CHECK(again->history.back().attachments[0].file == file);
  CAF_CHECK(again->attachments == std::vector<attachment>{file});
  CAF_CHECK(a->file_content(file.id).ok());
}

CAF_TEST(a_removed_file_leaves_a_removal_entry_and_its_bytes_are_gone) {
  auto i = create(*a, "with files");
  local::issue_update add{"bob", {}, ""};
  add.attachments.push_back({{"", "a.txt", "text/plain", 0, ""}, true, "abc"});
  auto file = a->update_issue(i.id, add)->attachments.at(0);
  local::issue_update remove{"carol", {}, ""};
  remove.attachments.push_back({{file.id, "", "", 0, ""}, false, ""});
  auto r = a->update_issue(i.id, remove);
  CAF_REQUIRE(r.ok());
  CAF_CHECK(r->attachments.empty());
  CAF_REQUIRE_EQUAL(r->history.back().attachments.size(), 1u);
  CAF_CHECK(!r->history.back().attachments[0].added);
  CAF_CHECK_EQUAL(r->history.back().attachments[0].file.filename, "a.txt");
  auto gone = a->file_content(file.id);
  CAF_REQUIRE(!gone.ok());
  CAF_CHECK_EQUAL(kind_name(gone.error().kind), "not_found");
  auto twice = a->update_issue(i.id, remove);
  CAF_REQUIRE(!twice.ok());
  CAF_CHECK(has(twice.error().where, "file " + file.id));
}

CAF_TEST(a_relation_is_recorded_on_both_issues_each_from_its_side) {
  auto x = create(*a, "x");
  auto y = create(*a, "y");
  local::issue_update u{"bob", {}, ""};
  u.relations.push_back({{"blocks", y.id}, true});
  std::vector<entry_ref> mirrored;
  auto r = a->update_issue(x.id, u, list_values::strict, &mirrored);
  CAF_REQUIRE(r.ok());
  CAF_CHECK(r->relations == std::vector<relation>{{"blocks", y.id}});
  auto other = a->get_issue(y.id);
  CAF_REQUIRE(other.ok());
  CAF_CHECK(other->relations == std::vector<relation>{{"blocked", x.id}});
  auto& e = other->history.back();
  CAF_REQUIRE_EQUAL(e.relations.size(), 1u);
  CAF_CHECK(e.relations[0].link == (relation{"blocked", x.id}));
  CAF_CHECK_EQUAL(e.author, "bob");
  CAF_REQUIRE_EQUAL(mirrored.size(), 1u);
  CAF_CHECK_EQUAL(mirrored[0].issue_id, y.id);
  CAF_CHECK_EQUAL(mirrored[0].entry_id, e.id);
  // The other issue moved too: a poller sees it.
  auto stamps = ids_of(a->changed_since("DEMO", other->updated, 10));
  CAF_CHECK(std::count(stamps.begin(), stamps.end(), y.id) == 1);
  // Removing it, from either side, removes it from both.
  local::issue_update back{"carol", {}, ""};
  back.relations.push_back({{"blocked", x.id}, false});
  CAF_REQUIRE(a->update_issue(y.id, back).ok());
  CAF_CHECK(a->get_issue(x.id)->relations.empty());
  CAF_CHECK(a->get_issue(y.id)->relations.empty());
  CAF_CHECK(!a->get_issue(x.id)->history.back().relations.at(0).added);
}

CAF_TEST(bad_relations_are_refused_with_the_relation_named) {
  auto x = create(*a, "x");
  auto y = create(*a, "y");
  auto relate = [&](std::string from, std::string type, std::string to, bool added = true) {
    local::issue_update u{"bob", {}, ""};
    u.relations.push_back({{std::move(type), std::move(to)}, added});
    return a->update_issue(from, u);
  };
  auto unknown = relate(x.id, "causes", y.id);
  CAF_REQUIRE(!unknown.ok());
  CAF_CHECK(has(unknown.error().message, "unknown relation type 'causes'"));
  CAF_CHECK(has(unknown.error().where, "relation causes " + y.id));
  CAF_CHECK(!relate(x.id, "relates", x.id).ok());
  auto missing = relate(x.id, "relates", "999");
  CAF_REQUIRE(!missing.ok());
  CAF_CHECK_EQUAL(kind_name(missing.error().kind), "not_found");
  CAF_REQUIRE(relate(x.id, "relates", y.id).ok());
  auto twice = relate(y.id, "duplicates", x.id);
  CAF_REQUIRE(!twice.ok());
  CAF_CHECK_EQUAL(kind_name(twice.error().kind), "conflict");
  CAF_CHECK(!relate(x.id, "blocks", y.id, false).ok()); // it is "relates"
  CAF_CHECK_EQUAL(a->get_issue(x.id)->history.size(), 2u); // refused writes leave no trace
}

CAF_TEST_FIXTURE_SCOPE_END()
