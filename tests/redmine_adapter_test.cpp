#define CAF_SUITE redmine_adapter
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "adapters/redmine/redmine_adapter.hpp"
#include "tests/support/fake_redmine.hpp"

using namespace tb;
using tb::test::fake_redmine;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct fixture {
  fake_redmine rm;
  redmine::adapter adapter{settings(), std::make_shared<redmine::catalog>()};

  redmine::settings settings() {
    redmine::settings s;
    s.connection = "rm";
    s.endpoint = *http::parse_endpoint(rm.url(), "url");
    s.api_key = fake_redmine::api_key;
    return s;
  }

  replica_write status_by(const std::string& user, const std::string& status,
                          const std::string& comment = "") {
    return {user, {{core_field::status, "", status}}, comment, "", {}, {}};
  }

  std::vector<std::string> journal_ids(long issue) {
    std::vector<std::string> out;
    for (auto& j : rm.issue_now(issue).journals)
      out.push_back(std::to_string(j.id));
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(redmine_adapter_tests, fixture)

// The two-way divergence of issue 12: children made by the same users add
// note-less "child added" journals to the parent between what the adapter
// last saw of it and its write; the first note-less journal by alice after
// that is not the write's.
CAF_TEST(child_added_journals_by_the_same_user_during_a_write_are_not_taken_for_it) {
  auto parent = rm.add_issue("parent", "alice");
  rm.add_journal(parent, "bob", "a note", {});
  rm.set_status(parent, 2);
  // An earlier write the adapter saw: it knows the parent's journals so far.
  auto first = adapter.update_issue("P", std::to_string(parent), {"bob", {}, "looked", "", {}, {}});
  CAF_REQUIRE(first);
  rm.before_write([](fake_redmine& r, long written) {
    r.add_issue("child 1", "bob", written);
    r.add_issue("child 2", "alice", written);
    r.before_write(nullptr);
  });
  auto w = adapter.update_issue("P", std::to_string(parent), status_by("alice", "Resolved"));
  CAF_REQUIRE(w);
  auto journals = rm.issue_now(parent).journals;
  CAF_REQUIRE_EQUAL(journals.size(), 5u); // note, looked, child 1, child 2, status
  CAF_CHECK_EQUAL(journals[3].user, "alice");
  CAF_CHECK_EQUAL(journals[3].details[0].name, "child_id");
  CAF_CHECK_EQUAL(w->entry_ids, (std::vector<std::string>{std::to_string(journals[4].id)}));
  CAF_CHECK(w->dropped.empty());
}

CAF_TEST(a_child_added_before_the_write_by_the_same_user_is_not_taken_for_it_either) {
  auto parent = rm.add_issue("parent", "alice");
  rm.add_journal(parent, "bob", "a note", {});
  rm.set_status(parent, 2);
  CAF_REQUIRE(adapter.read_issue("P", std::to_string(parent)));
  rm.add_issue("child", "alice", parent); // after the adapter's last look, before the write
  auto w = adapter.update_issue("P", std::to_string(parent), status_by("alice", "Resolved"));
  CAF_REQUIRE(w);
  auto ids = journal_ids(parent);
  CAF_REQUIRE_EQUAL(ids.size(), 3u);
  CAF_CHECK_EQUAL(w->entry_ids, (std::vector<std::string>{ids[2]}));
}

CAF_TEST(a_person_making_the_same_change_at_the_same_moment_makes_the_write_ambiguous) {
  auto issue = rm.add_issue("i", "alice");
  rm.before_write([](fake_redmine& r, long written) {
    r.add_journal(written, "alice", "done", {});
    r.before_write(nullptr);
  });
  auto w = adapter.update_issue("P", std::to_string(issue), status_by("alice", "Resolved", "done"));
  CAF_REQUIRE(!w);
  CAF_CHECK_EQUAL(static_cast<int>(w.error().kind), static_cast<int>(error_kind::conflict));
  auto ids = journal_ids(issue);
  CAF_REQUIRE_EQUAL(ids.size(), 2u);
  CAF_CHECK(has(w.error().message, "journals " + ids[0] + ", " + ids[1] + " could each be"));
  CAF_CHECK(has(w.error().where, "connection rm, project P, issue " + std::to_string(issue)));
}

CAF_TEST(a_status_the_workflow_does_not_allow_is_reported_dropped_with_what_to_do) {
  auto issue = rm.add_issue("i", "alice");
  rm.set_status(issue, 2);
  rm.forbid_transition("alice", 2, 3);
  replica_write w{"alice", {{core_field::status, "", "Resolved"}, {core_field::subject, "", "j"}},
                  "resolved it", "", {}, {}};
  auto r = adapter.update_issue("P", std::to_string(issue), w);
  CAF_REQUIRE(r);
  auto ids = journal_ids(issue);
  CAF_REQUIRE_EQUAL(ids.size(), 1u); // the notes and the subject took
  CAF_CHECK_EQUAL(r->entry_ids, (std::vector<std::string>{ids[0]}));
  CAF_REQUIRE_EQUAL(r->dropped.size(), 1u);
  auto& d = r->dropped[0];
  CAF_CHECK_EQUAL(d.change, (field_change{"status", "In Progress", "Resolved"}));
  CAF_CHECK_EQUAL(d.author, "alice");
  CAF_CHECK(has(d.hint, "no workflow transition from In Progress to Resolved for tracker Bug"));
  CAF_CHECK(has(d.hint, "Administration -> Workflow"));
}

CAF_TEST(the_related_issues_record_of_a_relation_is_told_from_other_journals_by_the_same_user) {
  auto a = rm.add_issue("a", "alice");
  auto b = rm.add_issue("b", "alice");
  auto c = rm.add_issue("c", "alice");
  // Meanwhile alice relates b to c: a journal by her on b, with a relation.
  rm.before_write([c](fake_redmine& r, long) {
    r.add_journal(c - 1, "alice", "", {{"relation", "relates", "", std::to_string(c)}});
    r.before_write(nullptr);
  });
  replica_write w{"alice", {}, "", "", {}, {{{"blocks", std::to_string(b)}, true}}};
  auto r = adapter.update_issue("P", std::to_string(a), w);
  CAF_REQUIRE(r);
  auto on_b = rm.issue_now(b).journals;
  CAF_REQUIRE_EQUAL(on_b.size(), 2u);
  CAF_CHECK_EQUAL(on_b[1].details[0].name, "blocked");
  CAF_REQUIRE_EQUAL(r->mirrored.size(), 1u);
  CAF_CHECK_EQUAL(r->mirrored[0].issue_id, std::to_string(b));
  CAF_CHECK_EQUAL(r->mirrored[0].entry_id, std::to_string(on_b[1].id));
  CAF_CHECK_EQUAL(r->entry_ids, journal_ids(a));
}

// A child moved between parents: Redmine records it on both, as the writing
// user; alice's own new child of the new parent, made during the write, has
// a journal just like it, for another child.
CAF_TEST(the_parents_records_of_a_moved_child_are_told_from_other_children_of_theirs) {
  auto from = rm.add_issue("from", "alice");
  auto to = rm.add_issue("to", "alice");
  auto child = rm.add_issue("child", "alice", from);
  long other = 0;
  rm.before_write([&other, to](fake_redmine& r, long) {
    other = r.add_issue("another child", "alice", to);
    r.before_write(nullptr);
  });
  replica_write w{"alice", {{core_field::parent, "", std::to_string(to)}}, "", "", {}, {}};
  auto r = adapter.update_issue("P", std::to_string(child), w);
  CAF_REQUIRE(r);
  auto on_from = rm.issue_now(from).journals, on_to = rm.issue_now(to).journals;
  CAF_REQUIRE_EQUAL(on_from.size(), 2u); // child added, child removed
  CAF_REQUIRE_EQUAL(on_to.size(), 2u);   // another child added, child added
  CAF_CHECK_EQUAL(on_to[0].details[0].new_value, std::to_string(other));
  std::map<std::string, std::string> mirrored;
  for (auto& m : r->mirrored)
    mirrored[m.issue_id] = m.entry_id;
  CAF_CHECK_EQUAL(mirrored.size(), 2u);
  CAF_CHECK_EQUAL(mirrored[std::to_string(from)], std::to_string(on_from[1].id));
  CAF_CHECK_EQUAL(mirrored[std::to_string(to)], std::to_string(on_to[1].id));
  CAF_CHECK_EQUAL(r->entry_ids, journal_ids(child));
}

CAF_TEST_FIXTURE_SCOPE_END()
