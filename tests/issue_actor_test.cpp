#define CAF_SUITE issue_actor
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "tests/actor_fixture.hpp"

using namespace tb;

namespace {

// What a person sees of a history: who, which values, which comment.
std::vector<std::string> shape(const issue& i) {
  std::vector<std::string> out;
  for (auto& e : i.history) {
    std::string line = e.author + ":";
    for (auto& c : e.changes)
      line += " " + c.field + "=" + c.new_value;
    line += " |" + e.comment;
    out.push_back(line);
  }
  return out;
}

struct fixture : actor_fixture {
  issue_actor spawn_worker(std::shared_ptr<task_context> ctx, issue_ref key) {
    return sys.spawn(issue_worker, std::shared_ptr<const task_context>{ctx},
                     caf::actor_cast<task_actor>(self), key);
  }

  void wake(const issue_actor& worker, issue_ref changed) {
    self->send(worker, wake_atom_v, changed, timestamp{0});
  }

  // Runs everything queued and returns the pass's (wakes seen, ok) report.
  std::pair<std::uint64_t, bool> run_pass() {
    sched.run();
    std::pair<std::uint64_t, bool> report{0, false};
    self->receive([&](done_atom, const pass_end& end) {
      report = {end.wakes_seen, end.outcome == pass_outcome::synced};
    });
    return report;
  }

  pass_outcome run_pass_outcome() {
    sched.run();
    auto outcome = pass_outcome::failed;
    self->receive([&](done_atom, const pass_end& end) { outcome = end.outcome; });
    return outcome;
  }

  static tb::filter filter_of(const std::string& text) {
    auto f = tb::filter::compile(text, {});
    CAF_REQUIRE(std::holds_alternative<tb::filter>(f));
    return std::get<tb::filter>(f);
  }

  // A one-way context whose source filter lets in open issues only.
  std::shared_ptr<task_context> open_only(task_context::filter_exit on_exit) {
    auto ctx = make_context(false);
    ctx->sides[0].filter = filter_of("status in (\"Open\", \"In Progress\")");
    ctx->on_filter_exit = on_exit;
    ctx->closed_status = "Closed";
    return ctx;
  }

  bool log_has(const std::string& fragment) {
    self->send(log, flush_atom_v, true);
    sched.run();
    self->receive([](bool) {});
    storage::transaction t{env, storage::transaction::read_only};
    for (auto& rec : store.log(t, 0, 1000))
      if (rec.message.find(fragment) != std::string::npos)
        return true;
    CAF_MESSAGE("no log line contains \"" << fragment << "\"");
    return false;
  }

  // An issue of a synced to b, then closed by bob; b makes that update but
  // its answer never arrives (a crash, a reset), so the pass fails. The
  // issue's id and its pair's worker.
  std::pair<std::string, issue_actor> a_lost_update() {
    auto& src = a->add("P", "alice", {{"subject", "S"}, {"status", "New"}});
    auto worker = spawn_worker(make_context(false), {side::source, src.id});
    wake(worker, {side::source, src.id});
    CAF_CHECK(run_pass().second);
    a->edit(src.id, "bob", {{"status", "Closed"}}, "closing");
    b->lose_next_answer = sync_error{error_kind::unavailable, "connection b", "reset"};
    wake(worker, {side::source, src.id});
    CAF_CHECK(!run_pass().second);
    return {src.id, worker};
  }

  using pairs = std::map<std::string, issue_actor>; // workers by their origin's id

  std::vector<storage::error_item> error_items() {
    storage::transaction t{env, storage::transaction::read_only};
    return store.errors(t, "t");
  }

  std::shared_ptr<task_context> make_two_way_context() { return make_context(true); }

  std::string twin_id(const std::string& origin) {
    storage::transaction t{env, storage::transaction::read_only};
    auto link = store.find_twin(t, "t", {side::source, origin});
    CAF_REQUIRE(link);
    return link->twin_id;
  }

  // Plays the task's part for a few pairs: wakes `first` (on `where`), then
  // the issue a pass waits for, and the waiting pairs when that one's pass is
  // done, until nothing is left to run.
  void settle(pairs& workers, std::vector<std::string> first, side where = side::source) {
    std::map<std::string, std::set<std::string>> dependents; // by origin id
    auto origin_of = [&](const issue_ref& r) {
      if (r.where == side::source)
        return r.id;
      storage::transaction t{env, storage::transaction::read_only};
      auto link = store.find_twin(t, "t", r);
      return link ? link->twin_id : r.id;
    };
    for (auto& id : first)
      wake(workers.at(id), {where, where == side::source ? id : twin_id(id)});
    for (int round = 0; round < 200; ++round) {
      sched.run();
      bool got = false;
      self->receive(
        [&](waits_atom, const issue_ref& key, const issue_ref& needed) {
          got = true;
          auto origin = origin_of(needed);
          dependents[origin].insert(key.id);
          wake(workers.at(origin), {side::source, origin});
        },
        [&](done_atom, const pass_end& end) {
          auto& key = end.key;
          got = true;
          auto waiting = std::move(dependents[key.id]);
          dependents.erase(key.id);
          for (auto& id : waiting)
            wake(workers.at(id), {side::source, id});
        },
        [&](creating_atom, const issue_ref&, side) { got = true; },
        [&](created_atom, const issue_ref&) { got = true; },
        caf::after(std::chrono::seconds(0)) >> [] {});
      if (!got)
        return;
    }
    CAF_FAIL("the pairs did not settle in 200 rounds");
  }

  // What a person sees of a history, entry by entry, with the issues it
  // names by their subjects (ids differ between trackers).
  static std::vector<std::string> kinds(const test::memory_adapter& t, const issue& i) {
    auto subject = [&](const std::string& id) {
      auto x = t.issues.find(id);
      return x == t.issues.end() ? "?" + id : x->second.fields.at("subject");
    };
    std::vector<std::string> out;
    for (auto& e : i.history) {
      std::string line = e.author + ":";
      for (auto& c : e.changes)
        line += " " + c.field + "="
                + (c.field == "parent" && !c.new_value.empty() ? subject(c.new_value) : c.new_value);
      for (auto& r : e.relations)
        line += " " + r.link.type + (r.added ? "+" : "-") + subject(r.link.other);
      for (auto& c : e.children)
        line += std::string{" child"} + (c.added ? "+" : "-") + subject(c.child);
      out.push_back(line + " |" + e.comment);
    }
    return out;
  }

  const issue& twin_in_b() {
    CAF_REQUIRE_EQUAL(b->issues.size(), 1u);
    return b->issues.begin()->second;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(issue_actor_tests, fixture)

CAF_TEST(a_new_issue_is_created_then_its_history_replayed_one_write_per_entry_in_order) {
  auto& src = a->add("P", "alice", {{"subject", "Login fails"}, {"status", "New"}});
  a->edit(src.id, "bob", {{"status", "In Progress"}}, "looking");
  a->edit(src.id, "alice", {}, "more detail");
  a->edit(src.id, "bob", {{"status", "Resolved"}, {"priority", "High"}});
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  // The protocol, step by step: read, look for an existing twin, create,
  // then each update only after the previous write answered.
  expect((wake_atom, issue_ref, timestamp), from(self).to(worker));
  expect((read_atom, std::string, std::string), from(worker).to(conn_a));
  expect((issue_result), from(conn_a).to(worker));
  expect((find_atom, std::string, std::string), from(worker).to(conn_b));
  expect((find_result), from(conn_b).to(worker));
  expect((create_atom, std::string, replica_write), from(worker).to(conn_b));
  expect((write_outcome), from(conn_b).to(worker));
  for (int i = 0; i < 3; ++i) {
    expect((update_atom, std::string, std::string, replica_write), from(worker).to(conn_b));
    expect((write_outcome), from(conn_b).to(worker));
  }
  auto [wakes, ok] = run_pass();
  CAF_CHECK(ok);
  CAF_CHECK_EQUAL(wakes, 1u);
  auto& twin = twin_in_b();
  CAF_CHECK_EQUAL(shape(twin), shape(a->issues.at(src.id)));
  CAF_CHECK_EQUAL(twin.alt_id, "a/" + src.id);
  CAF_CHECK_EQUAL(twin.project, "Q");
  CAF_CHECK_EQUAL(handled(side::source, src.id).size(), 4u);
  CAF_CHECK_EQUAL(handled(side::target, twin.id).size(), 4u);
}

CAF_TEST(an_adapter_that_throws_fails_that_pass_with_a_located_error_and_the_connection_goes_on) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  a->throw_on_next_read = "[json.exception.type_error.302] type must be number, but is string";
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(!run_pass().second);
  {
    storage::transaction t{env, storage::transaction::read_only};
    auto items = store.errors(t, "t");
    CAF_REQUIRE_EQUAL(items.size(), 1u);
    CAF_CHECK_EQUAL(items[0].where, "connection a, reading issue " + src.id);
    CAF_CHECK_EQUAL(items[0].message, "the tracker's answer could not be handled: "
                                      "[json.exception.type_error.302] type must be number, "
                                      "but is string");
  }
  // The same connection actor serves the next pass, which syncs.
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
}

CAF_TEST(a_second_pass_applies_only_the_entries_added_since) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  auto ctx = make_context(false);
  auto worker = spawn_worker(ctx, {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  a->edit(src.id, "carol", {{"status", "Closed"}}, "done");
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  wake(worker, {side::source, src.id}); // nothing new: no write at all
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->creates, 1u);
  CAF_CHECK_EQUAL(b->updates, 1u);
  CAF_CHECK_EQUAL(shape(twin_in_b()), shape(a->issues.at(src.id)));
}

CAF_TEST(field_mappings_rename_fields_on_the_way) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"Severity", "High"}});
  a->edit(src.id, "alice", {{"Severity", "Low"}});
  auto ctx = make_context(false);
  ctx->sides[0].rules.rename = {{"Severity", "Impact"}};
  auto worker = spawn_worker(ctx, {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  auto& twin = twin_in_b();
  CAF_CHECK_EQUAL(twin.fields.at("Impact"), "Low");
  CAF_CHECK(twin.fields.count("Severity") == 0);
}

CAF_TEST(two_way_nothing_written_by_trackbridge_is_synced_back) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  a->edit(src.id, "alice", {{"status", "Open"}});
  auto worker = spawn_worker(make_context(true), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  auto twin_id = twin_in_b().id;
  // The target's poll reports the twin, whose entries are all our writes.
  wake(worker, {side::target, twin_id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(a->issues.at(src.id).history.size(), 2u);
  CAF_CHECK_EQUAL(a->updates + a->creates, 0u);
  CAF_CHECK_EQUAL(b->updates + b->creates, 2u);
}

CAF_TEST(two_way_an_edit_by_the_same_account_that_trackbridge_writes_with_is_synced) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  auto worker = spawn_worker(make_context(true), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  auto twin_id = twin_in_b().id;
  // TrackBridge wrote the twin as "alice"; now alice herself edits it.
  b->edit(twin_id, "alice", {{"status", "Closed"}}, "fixed on b");
  wake(worker, {side::target, twin_id});
  CAF_CHECK(run_pass().second);
  auto& back = a->issues.at(src.id);
  CAF_REQUIRE_EQUAL(back.history.size(), 2u);
  CAF_CHECK_EQUAL(back.fields.at("status"), "Closed");
  CAF_CHECK_EQUAL(back.history.back().comment, "fixed on b");
  // ...and that write to a is not echoed to b again.
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->issues.at(twin_id).history.size(), 2u);
}

CAF_TEST(two_way_conflicts_go_to_the_newest_change_and_both_sides_agree) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"status", "New"}});
  auto worker = spawn_worker(make_context(true), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  auto twin_id = twin_in_b().id;
  a->edit(src.id, "alice", {{"status", "In Progress"}}, "a says");
  b->edit(twin_id, "bob", {{"status", "Closed"}}, "b says"); // later: wins
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(a->issues.at(src.id).fields.at("status"), "Closed");
  CAF_CHECK_EQUAL(b->issues.at(twin_id).fields.at("status"), "Closed");
  // The losing entry still carries its comment across.
  CAF_CHECK_EQUAL(b->issues.at(twin_id).history.back().comment, "a says");
  CAF_CHECK(b->issues.at(twin_id).history.back().changes.empty());
  // The decision is in the system log.
  self->send(log, flush_atom_v, true);
  sched.run();
  self->receive([](bool) {});
  storage::transaction t{env, storage::transaction::read_only};
  bool logged = false;
  for (auto& rec : store.log(t, 0, 100))
    logged |= rec.message.find("conflict on field status: source set \"In Progress\", "
                               "target set \"Closed\"; target kept (newest wins)")
              != std::string::npos;
  CAF_CHECK(logged);
}

CAF_TEST(a_refused_write_goes_to_the_error_list_and_a_later_pass_clears_it) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  b->fail_next_write = sync_error{error_kind::invalid, "connection b, field Severity",
                                  "value \"Huge\" is not allowed"};
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(!run_pass().second);
  {
    storage::transaction t{env, storage::transaction::read_only};
    auto errs = store.errors(t, "t");
    CAF_REQUIRE_EQUAL(errs.size(), 1u);
    CAF_CHECK_EQUAL(errs[0].where, "connection b, field Severity");
    CAF_CHECK_EQUAL(errs[0].message, "value \"Huge\" is not allowed");
  }
  CAF_CHECK(b->issues.empty());
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  storage::transaction t{env, storage::transaction::read_only};
  CAF_CHECK(store.errors(t, "t").empty());
}

CAF_TEST(a_change_the_target_ignores_is_an_error_and_the_retry_writes_only_what_is_missing) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"status", "New"}});
  auto worker = spawn_worker(make_context(true), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_REQUIRE(run_pass().second);
  a->edit(src.id, "alice", {{"status", "Resolved"}, {"priority", "High"}}, "fixed");
  b->ignores = {"status"}; // like a workflow without New -> Resolved
  wake(worker, {side::source, src.id});
  CAF_CHECK(!run_pass().second);
  auto twin_id = twin_in_b().id;
  {
    storage::transaction t{env, storage::transaction::read_only};
    auto errs = store.errors(t, "t");
    CAF_REQUIRE_EQUAL(errs.size(), 1u);
    CAF_CHECK_EQUAL(errs[0].where, "connection b, project Q, issue " + twin_id + ", field status");
    CAF_CHECK_EQUAL(errs[0].message,
                    "status \"New\" -> \"Resolved\" written as alice did not take: the field is "
                    "read-only here. The rest of entry " + a->issues.at(src.id).history[1].id
                      + " of source issue " + src.id
                      + " is written; a retry writes only what is missing");
  }
  CAF_CHECK_EQUAL(twin_in_b().fields.at("priority"), "High");
  CAF_CHECK_EQUAL(twin_in_b().fields.at("status"), "New");
  // What did take is TrackBridge's: the twin's entry is in its ledger.
  CAF_CHECK(handled(side::target, twin_id).count(twin_in_b().history.back().id));
  // Still ignored: the retry fails again and writes no comment twice.
  auto entries = twin_in_b().history.size();
  wake(worker, {side::source, src.id});
  CAF_CHECK(!run_pass().second);
  CAF_CHECK_EQUAL(twin_in_b().history.size(), entries);
  // The administrator allows it: only the status is written.
  b->ignores.clear();
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  auto& twin = twin_in_b();
  CAF_CHECK_EQUAL(twin.fields.at("status"), "Resolved");
  CAF_REQUIRE_EQUAL(twin.history.size(), entries + 1);
  auto lines = shape(twin);
  CAF_CHECK_EQUAL(lines.back(), "alice: status=Resolved |");
  CAF_CHECK_EQUAL(std::count(lines.begin(), lines.end(), "alice: priority=High |fixed"), 1);
  storage::transaction t{env, storage::transaction::read_only};
  CAF_CHECK(store.errors(t, "t").empty());
  CAF_CHECK(!store.intent(t, "t", issue_ref{side::source, src.id}).has_value());
  CAF_CHECK(handled(side::source, src.id).count(a->issues.at(src.id).history[1].id));
  // Nothing of it comes back: a pass now writes nothing to either side.
  auto updates_a = a->updates, updates_b = b->updates;
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(a->updates, updates_a);
  CAF_CHECK_EQUAL(b->updates, updates_b);
}

CAF_TEST(a_value_a_creation_left_out_is_an_error_and_the_retry_adds_it_to_the_same_twin) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"Customer", "ACME"}}, "first words");
  b->ignores = {"Customer"};
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(!run_pass().second);
  auto twin_id = twin_in_b().id;
  CAF_CHECK_EQUAL(twin_in_b().fields.count("Customer"), 0u);
  {
    storage::transaction t{env, storage::transaction::read_only};
    auto errs = store.errors(t, "t");
    CAF_REQUIRE_EQUAL(errs.size(), 1u);
    CAF_CHECK_EQUAL(errs[0].where, "connection b, project Q, issue " + twin_id + ", field Customer");
    auto link = store.find_twin(t, "t", issue_ref{side::source, src.id});
    CAF_REQUIRE(link);
    CAF_CHECK_EQUAL(link->twin_id, twin_id);
  }
  wake(worker, {side::source, src.id});
  CAF_CHECK(!run_pass().second); // still ignored: no second twin, no second comment
  CAF_CHECK_EQUAL(b->creates, 1u);
  CAF_CHECK_EQUAL(twin_in_b().history.size(), 1u);
  b->ignores.clear();
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->creates, 1u);
  CAF_CHECK_EQUAL(twin_in_b().fields.at("Customer"), "ACME");
  auto lines = shape(twin_in_b());
  CAF_CHECK_EQUAL(lines.back(), "alice: Customer=ACME |");
  storage::transaction t{env, storage::transaction::read_only};
  CAF_CHECK(store.errors(t, "t").empty());
  CAF_CHECK(!store.intent(t, "t", issue_ref{side::source, src.id}).has_value());
  CAF_CHECK(handled(side::source, src.id).count(a->issues.at(src.id).history[0].id));
}

CAF_TEST(a_twin_made_before_a_crash_is_found_by_alt_id_not_created_again) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  // The twin exists, but the link was never recorded (a crash in between).
  auto& orphan = b->add("Q", "alice", {{"subject", "S"}});
  orphan.alt_id = "a/" + src.id;
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  CAF_CHECK_EQUAL(b->creates, 0u);
  storage::transaction t{env, storage::transaction::read_only};
  auto link = store.find_twin(t, "t", issue_ref{side::source, src.id});
  CAF_REQUIRE(link);
  CAF_CHECK_EQUAL(link->twin_id, orphan.id);
}

CAF_TEST(an_update_whose_answer_was_lost_is_found_on_the_target_and_not_written_again) {
  auto [src_id, worker] = a_lost_update();
  CAF_CHECK_EQUAL(b->updates, 1u);
  {
    storage::transaction t{env, storage::transaction::read_only};
    CAF_CHECK(store.intent(t, "t", issue_ref{side::source, src_id}).has_value());
  }
  wake(worker, {side::source, src_id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->updates, 1u); // found, not made again
  auto& twin = twin_in_b();
  CAF_CHECK_EQUAL(shape(twin), shape(a->issues.at(src_id)));
  CAF_CHECK_EQUAL(handled(side::target, twin.id).size(), 2u);
  storage::transaction t{env, storage::transaction::read_only};
  CAF_CHECK(!store.intent(t, "t", issue_ref{side::source, src_id}).has_value());
  CAF_CHECK(store.errors(t, "t").empty());
}

CAF_TEST(a_lost_write_that_a_persons_identical_edit_makes_ambiguous_is_neither_claimed_nor_rewritten) {
  auto [src_id, worker] = a_lost_update();
  // Bob makes the very same edit on the target before the retry.
  auto twin_id = twin_in_b().id;
  b->edit(twin_id, "bob", {{"status", "Closed"}}, "closing");
  wake(worker, {side::source, src_id});
  CAF_CHECK(!run_pass().second);
  CAF_CHECK_EQUAL(b->updates, 1u); // not written again
  CAF_CHECK_EQUAL(handled(side::target, twin_id).size(), 1u); // its creation only
  auto& twin = twin_in_b();
  storage::transaction t{env, storage::transaction::read_only};
  auto errs = store.errors(t, "t");
  CAF_REQUIRE_EQUAL(errs.size(), 1u);
  CAF_CHECK_EQUAL(errs[0].where, "connection b, project Q, issue " + twin_id);
  CAF_CHECK_EQUAL(errs[0].message.rfind("entries " + twin.history[1].id + ", "
                                          + twin.history[2].id + " could each be the write",
                                        0),
                  0u);
  CAF_CHECK(store.intent(t, "t", issue_ref{side::source, src_id}).has_value());
}

CAF_TEST(two_way_a_write_whose_answer_was_lost_is_not_synced_back) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  auto worker = spawn_worker(make_context(true), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  auto twin_id = twin_in_b().id;
  a->edit(src.id, "alice", {{"status", "Open"}}, "opened");
  b->lose_next_answer = sync_error{error_kind::unavailable, "connection b", "timeout"};
  wake(worker, {side::source, src.id});
  CAF_CHECK(!run_pass().second);
  // The target's poll reports the twin's new entry; it is TrackBridge's own.
  wake(worker, {side::target, twin_id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(a->updates + a->creates, 0u);
  CAF_CHECK_EQUAL(b->updates, 1u);
  CAF_CHECK_EQUAL(a->issues.at(src.id).history.size(), 2u);
  CAF_CHECK_EQUAL(b->issues.at(twin_id).history.size(), 2u);
}

CAF_TEST(an_update_that_failed_before_reaching_the_target_is_written_on_the_next_pass) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  a->edit(src.id, "alice", {}, "a note");
  b->fail_next_write = sync_error{error_kind::unavailable, "connection b", "refused"};
  wake(worker, {side::source, src.id});
  CAF_CHECK(!run_pass().second);
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->updates, 1u);
  CAF_CHECK_EQUAL(shape(twin_in_b()), shape(a->issues.at(src.id)));
}

CAF_TEST(a_created_twin_whose_answer_was_lost_gets_the_rest_of_the_history_once) {
  auto& src = a->add("P", "alice", {{"subject", "S"}}, "first words");
  a->edit(src.id, "bob", {{"status", "Open"}}, "then this");
  b->lose_next_answer = sync_error{error_kind::unavailable, "connection b", "reset"};
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(!run_pass().second);
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->creates, 1u);
  CAF_CHECK_EQUAL(b->updates, 1u);
  CAF_CHECK_EQUAL(shape(twin_in_b()), shape(a->issues.at(src.id)));
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->updates, 1u);
}

CAF_TEST(a_twin_made_without_its_creation_comment_gets_the_comment_once) {
  // Trackers that create first and add the comment after (Redmine): a crash
  // between the two leaves a twin without it.
  auto& src = a->add("P", "alice", {{"subject", "S"}}, "first words");
  auto& orphan = b->add("Q", "alice", {{"subject", "S"}});
  orphan.alt_id = "a/" + src.id;
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->creates, 0u);
  CAF_CHECK_EQUAL(b->updates, 1u);
  auto& twin = b->issues.at(orphan.id);
  CAF_REQUIRE_EQUAL(twin.history.size(), 2u);
  CAF_CHECK_EQUAL(twin.history[1].comment, "first words");
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->updates, 1u);
}

CAF_TEST(a_deleted_source_issue_unlinks_its_twin_once_without_an_error_or_retry) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  auto src_id = src.id;
  auto worker = spawn_worker(make_context(false), {side::source, src_id});
  wake(worker, {side::source, src_id});
  CAF_CHECK(run_pass().second);
  auto twin_id = twin_in_b().id;
  a->issues.erase(src_id);
  wake(worker, {side::source, src_id});
  CAF_CHECK(run_pass().second); // handled: not a failure to retry
  {
    storage::transaction t{env, storage::transaction::read_only};
    CAF_CHECK(!store.find_twin(t, "t", issue_ref{side::source, src_id}));
    CAF_CHECK(store.is_unlinked(t, "t", issue_ref{side::target, twin_id}));
    CAF_CHECK(store.errors(t, "t").empty());
  }
  CAF_CHECK_EQUAL(b->updates, 0u); // the twin is left as it is
  self->send(log, flush_atom_v, true);
  sched.run();
  self->receive([](bool) {});
  storage::transaction t{env, storage::transaction::read_only};
  bool logged = false;
  for (auto& rec : store.log(t, 0, 100))
    logged |= rec.message == "the pair of source:" + src_id + ": issue " + src_id
                               + " of connection a (project P) was deleted or left the project; "
                                 "issue " + twin_id + " of connection b (project Q) is unlinked "
                                 "and no longer synced (on_deleted: unlink)";
  CAF_CHECK(logged);
}

CAF_TEST(a_failure_that_makes_a_new_error_item_and_a_deleted_pair_are_told_to_the_mailer_once) {
  std::vector<notice> got;
  auto mailer = sys.spawn(tb::test::notices_to, &got);
  auto ctx = make_context(false);
  ctx->mailer = mailer;
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  auto src_id = src.id;
  b->fail_writes = sync_error{error_kind::invalid, "connection b, field subject", "refused"};
  auto worker = spawn_worker(ctx, {side::source, src_id});
  for (int k = 0; k < 2; ++k) { // the second failure adds to the item: no news
    wake(worker, {side::source, src_id});
    CAF_CHECK(!run_pass().second);
  }
  sched.run();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(got[0].kind == notice_kind::error_item);
  CAF_CHECK_EQUAL(got[0].task, "t");
  CAF_CHECK_EQUAL(got[0].side, "source");
  CAF_CHECK_EQUAL(got[0].issue, src_id);
  CAF_CHECK_EQUAL(got[0].message, "connection b, field subject: refused");
  b->fail_writes.reset();
  wake(worker, {side::source, src_id});
  CAF_CHECK(run_pass().second);
  a->issues.erase(src_id);
  wake(worker, {side::source, src_id});
  CAF_CHECK(run_pass().second);
  sched.run();
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  CAF_CHECK(got[1].kind == notice_kind::deleted);
  CAF_CHECK_EQUAL(got[1].issue, src_id);
  CAF_CHECK(got[1].message.find("was deleted or left the project") != std::string::npos);
  anon_send_exit(mailer, caf::exit_reason::user_shutdown);
  sched.run();
}

CAF_TEST(a_pass_that_wrote_is_one_synced_notice_when_a_rule_wants_them_and_one_that_wrote_nothing_none) {
  std::vector<notice> got;
  auto mailer = sys.spawn(tb::test::notices_to, &got);
  auto ctx = make_context(true);
  ctx->mailer = mailer;
  ctx->mails_synced = true;
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  auto src_id = src.id;
  auto worker = spawn_worker(ctx, {side::source, src_id});
  wake(worker, {side::source, src_id});
  CAF_CHECK(run_pass().second);
  sched.run();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(got[0].kind == notice_kind::synced);
  CAF_CHECK_EQUAL(got[0].side, "source");
  CAF_CHECK_EQUAL(got[0].issue, src_id);
  CAF_CHECK_EQUAL(got[0].message, "twin created");
  // Nothing new: the pass writes nothing (its own writes are not synced back).
  wake(worker, {side::source, src_id});
  CAF_CHECK(run_pass().second);
  auto twin_id = twin_in_b().id;
  wake(worker, {side::target, twin_id});
  CAF_CHECK(run_pass().second);
  sched.run();
  CAF_CHECK_EQUAL(got.size(), 1u);
  // A person's edit on the twin: written to the original.
  b->edit(twin_id, "bob", {{"status", "Doing"}}, "on it");
  wake(worker, {side::target, twin_id});
  CAF_CHECK(run_pass().second);
  sched.run();
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  CAF_CHECK_EQUAL(got[1].message, "changes written");
  CAF_CHECK_EQUAL(a->issues.at(src_id).fields.at("status"), "Doing");
  // Without a rule for synced events: none.
  ctx->mails_synced = false;
  auto other_id = a->add("P", "alice", {{"subject", "T"}}).id;
  auto quiet = spawn_worker(ctx, {side::source, other_id});
  wake(quiet, {side::source, other_id});
  CAF_CHECK(run_pass().second);
  sched.run();
  CAF_CHECK_EQUAL(got.size(), 2u);
  anon_send_exit(mailer, caf::exit_reason::user_shutdown);
  sched.run();
}

CAF_TEST(close_twin_closes_the_survivor_with_a_comment_and_later_changes_are_not_synced) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"status", "New"}});
  auto ctx = make_context(true);
  ctx->close_twin_on_delete = true;
  ctx->closed_status = "Rejected";
  auto worker = spawn_worker(ctx, {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  auto twin_id = twin_in_b().id;
  // The twin is deleted on b: the original on a is closed.
  b->issues.erase(twin_id);
  a->edit(src.id, "bob", {}, "still here");
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  auto& original = a->issues.at(src.id);
  CAF_CHECK_EQUAL(original.fields.at("status"), "Rejected");
  CAF_CHECK(original.history.back().comment.find("issue " + twin_id + " of connection b (project "
                                                 "Q) was deleted")
            != std::string::npos);
  // Later changes of the survivor make no new twin.
  a->edit(src.id, "bob", {}, "anyone?");
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK(b->issues.empty());
  CAF_CHECK_EQUAL(b->creates, 1u);
  storage::transaction t{env, storage::transaction::read_only};
  CAF_CHECK(store.errors(t, "t").empty());
  CAF_CHECK_EQUAL(store.queue_length(t, "t"), 0u);
}

CAF_TEST(a_twin_deleted_on_a_one_way_target_is_found_at_the_next_update_and_unlinked) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  auto ctx = make_context(false);
  ctx->close_twin_on_delete = true; // but a one-way task never writes to its source
  auto worker = spawn_worker(ctx, {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  b->issues.clear();
  a->edit(src.id, "bob", {{"status", "Open"}});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK(b->issues.empty());
  CAF_CHECK_EQUAL(b->creates, 1u);
  CAF_CHECK_EQUAL(a->issues.at(src.id).history.size(), 2u); // not closed
  CAF_CHECK_EQUAL(a->updates, 0u);
  storage::transaction t{env, storage::transaction::read_only};
  CAF_CHECK(store.is_unlinked(t, "t", issue_ref{side::source, src.id}));
  CAF_CHECK(store.errors(t, "t").empty());
}

CAF_TEST(an_update_refused_as_not_found_for_a_value_keeps_the_pair_and_fails) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  a->edit(src.id, "bob", {{"Severity", "Huge"}});
  b->fail_next_write = sync_error{error_kind::not_found, "connection b, field Severity",
                                  "no such field"};
  wake(worker, {side::source, src.id});
  CAF_CHECK(!run_pass().second);
  storage::transaction t{env, storage::transaction::read_only};
  CAF_CHECK(store.find_twin(t, "t", issue_ref{side::source, src.id}).has_value());
  CAF_CHECK_EQUAL(store.errors(t, "t").size(), 1u);
}

CAF_TEST(an_issue_deleted_before_its_first_sync_is_dropped_without_an_error) {
  a->add("P", "alice", {{"subject", "S"}});
  auto worker = spawn_worker(make_context(false), {side::source, "99"});
  wake(worker, {side::source, "99"});
  CAF_CHECK(run_pass().second);
  CAF_CHECK(b->issues.empty());
  storage::transaction t{env, storage::transaction::read_only};
  CAF_CHECK(store.errors(t, "t").empty());
}

CAF_TEST(a_wake_during_a_pass_runs_one_more_pass_before_reporting) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  expect((wake_atom, issue_ref, timestamp), from(self).to(worker));
  expect((read_atom, std::string, std::string), from(worker).to(conn_a));
  a->edit(src.id, "bob", {}, "while syncing");
  wake(worker, {side::source, src.id});
  auto [wakes, ok] = run_pass();
  CAF_CHECK(ok);
  CAF_CHECK_EQUAL(wakes, 2u);
  CAF_CHECK_EQUAL(shape(twin_in_b()), shape(a->issues.at(src.id)));
}

CAF_TEST(files_are_copied_byte_for_byte_once_and_a_removal_removes_the_twins_copy) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  std::string bytes{"\x00PDF\xff", 5};
  a->attach(src.id, "bob", "spec.pdf", bytes);
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  auto twin = twin_in_b();
  CAF_REQUIRE_EQUAL(twin.attachments.size(), 1u);
  CAF_CHECK_EQUAL(twin.attachments[0].filename, "spec.pdf");
  CAF_CHECK(b->files.at(twin.attachments[0].id) == bytes);
  CAF_CHECK_EQUAL(twin.history.back().author, "bob");
  wake(worker, {side::source, src.id}); // nothing new: no second upload
  CAF_CHECK(run_pass().second);
  CAF_CHECK_EQUAL(b->uploads, 1u);
  CAF_CHECK_EQUAL(a->downloads, 1u);
  a->detach(src.id, "carol", a->issues.at(src.id).attachments.at(0).id);
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK(twin_in_b().attachments.empty());
  CAF_CHECK(b->files.empty());
  CAF_CHECK(!twin_in_b().history.back().attachments.at(0).added);
}

CAF_TEST(a_file_removed_before_it_was_copied_is_skipped_and_the_pass_goes_on) {
  auto& src = a->add("P", "alice", {{"subject", "S"}});
  a->attach(src.id, "bob", "tmp.txt", "x");
  a->detach(src.id, "bob", a->issues.at(src.id).attachments.at(0).id);
  a->edit(src.id, "bob", {{"status", "Closed"}});
  auto worker = spawn_worker(make_context(false), {side::source, src.id});
  wake(worker, {side::source, src.id});
  CAF_CHECK(run_pass().second);
  CAF_CHECK(twin_in_b().attachments.empty());
  CAF_CHECK_EQUAL(twin_in_b().fields.at("status"), "Closed");
  CAF_CHECK_EQUAL(handled(side::source, src.id).size(), 4u);
}

CAF_TEST(a_relation_is_linked_once_both_twins_exist_and_made_only_once) {
  auto& x = a->add("P", "alice", {{"subject", "x"}});
  auto& y = a->add("P", "alice", {{"subject", "y"}});
  auto x_id = x.id, y_id = y.id;
  a->relate(x_id, "bob", "blocks", y_id); // recorded on x and on y
  auto ctx = make_context(false);
  pairs workers{{x_id, spawn_worker(ctx, {side::source, x_id})},
                {y_id, spawn_worker(ctx, {side::source, y_id})}};
  // x's record waits for y's: y is synced up to it, and y's links them.
  settle(workers, {x_id});
  CAF_REQUIRE_EQUAL(b->issues.size(), 2u);
  std::string x_twin, y_twin;
  for (auto& [id, i] : b->issues)
    (i.fields.at("subject") == "x" ? x_twin : y_twin) = id;
  CAF_CHECK(b->issues.at(x_twin).relations == std::vector<relation>{{"blocks", y_twin}});
  CAF_CHECK(b->issues.at(y_twin).relations == std::vector<relation>{{"blocked", x_twin}});
  auto updates = b->updates;
  settle(workers, {x_id, y_id}); // nothing new: the relation is not made again
  CAF_CHECK_EQUAL(b->updates, updates);
  CAF_CHECK_EQUAL(b->issues.at(x_twin).relations.size(), 1u);
}

CAF_TEST(two_way_the_related_issues_record_of_a_synced_relation_is_not_synced_back) {
  auto& x = a->add("P", "alice", {{"subject", "x"}});
  auto& y = a->add("P", "alice", {{"subject", "y"}});
  auto x_id = x.id, y_id = y.id;
  auto ctx = make_context(true);
  pairs workers{{x_id, spawn_worker(ctx, {side::source, x_id})},
                {y_id, spawn_worker(ctx, {side::source, y_id})}};
  settle(workers, {x_id, y_id});
  a->relate(x_id, "bob", "duplicates", y_id);
  settle(workers, {x_id}); // x's record comes first and waits: y's links them
  std::string x_twin, y_twin;
  for (auto& [id, i] : b->issues)
    (i.fields.at("subject") == "x" ? x_twin : y_twin) = id;
  CAF_CHECK(b->issues.at(y_twin).relations == std::vector<relation>{{"duplicated", x_twin}});
  // Its record on x's twin is TrackBridge's own entry, in the ledger already.
  auto mirror_id = b->issues.at(x_twin).history.back().id;
  CAF_CHECK_EQUAL(handled(side::target, x_twin).count(mirror_id), 1u);
  // The target's poll reports both twins: nothing goes back, nothing repeats.
  auto a_writes = a->updates, b_writes = b->updates;
  settle(workers, {x_id, y_id}, side::target);
  CAF_CHECK_EQUAL(a->updates, a_writes);
  CAF_CHECK_EQUAL(b->updates, b_writes);
  CAF_CHECK_EQUAL(a->issues.at(x_id).relations.size(), 1u);
  CAF_CHECK_EQUAL(b->issues.at(x_twin).relations.size(), 1u);
}

CAF_TEST(a_relation_removed_and_made_again_is_replayed_event_by_event) {
  auto& x = a->add("P", "alice", {{"subject", "x"}});
  auto& y = a->add("P", "alice", {{"subject", "y"}});
  auto x_id = x.id, y_id = y.id;
  a->relate(x_id, "bob", "relates", y_id);
  a->relate(x_id, "bob", "relates", y_id, false);
  a->relate(y_id, "carol", "blocks", x_id);
  auto ctx = make_context(false);
  pairs workers{{x_id, spawn_worker(ctx, {side::source, x_id})},
                {y_id, spawn_worker(ctx, {side::source, y_id})}};
  settle(workers, {y_id, x_id});
  std::string x_twin, y_twin;
  for (auto& [id, i] : b->issues)
    (i.fields.at("subject") == "x" ? x_twin : y_twin) = id;
  CAF_CHECK(b->issues.at(x_twin).relations == std::vector<relation>{{"blocked", y_twin}});
  // The twin's history has the same three relation events, in order.
  std::vector<std::string> events;
  for (auto& e : b->issues.at(x_twin).history)
    for (auto& r : e.relations)
      events.push_back(r.link.type + (r.added ? "+" : "-"));
  CAF_CHECK_EQUAL(events, (std::vector<std::string>{"relates+", "relates-", "blocked+"}));
}

CAF_TEST(a_parents_history_and_its_childs_creation_are_replayed_in_the_sources_order) {
  a->records_children_on_parents = b->records_children_on_parents = true;
  auto& p = a->add("P", "alice", {{"subject", "parent"}, {"priority", "Normal"}});
  auto p_id = p.id;
  a->edit(p_id, "alice", {{"priority", "High"}});
  auto c_id = a->add("P", "bob", {{"subject", "child"}, {"parent", p_id}}).id;
  a->edit(p_id, "bob", {{"status", "In Progress"}}); // after the child, without a comment
  a->edit(c_id, "bob", {}, "child's own note");
  auto ctx = make_two_way_context();
  pairs workers{{c_id, spawn_worker(ctx, {side::source, c_id})},
                {p_id, spawn_worker(ctx, {side::source, p_id})}};
  // The child first: its creation waits until the parent's twin has the
  // parent's history up to the child's creation.
  settle(workers, {c_id, p_id});
  auto& p_twin = b->issues.at(twin_id(p_id));
  CAF_CHECK_EQUAL(kinds(*b, p_twin), kinds(*a, a->issues.at(p_id)));
  CAF_CHECK_EQUAL(kinds(*b, b->issues.at(twin_id(c_id))), kinds(*a, a->issues.at(c_id)));
  // Redmine's record of the child on the parent's twin is TrackBridge's own:
  // the target's poll of it sends nothing back.
  auto record = p_twin.history[2].id;
  CAF_CHECK_EQUAL(handled(side::target, p_twin.id).count(record), 1u);
  auto writes = a->updates + a->creates;
  settle(workers, {p_id}, side::target);
  CAF_CHECK_EQUAL(a->updates + a->creates, writes);
}

CAF_TEST(a_relation_is_replayed_where_both_issues_histories_have_it) {
  auto x_id = a->add("P", "alice", {{"subject", "x"}}).id;
  auto y_id = a->add("P", "alice", {{"subject", "y"}}).id;
  a->edit(x_id, "alice", {{"status", "In Progress"}});
  a->relate(x_id, "bob", "blocks", y_id); // recorded on x and on y
  a->edit(x_id, "carol", {}, "after the relation");
  a->edit(y_id, "carol", {{"priority", "Low"}});
  auto ctx = make_context(false);
  pairs workers{{x_id, spawn_worker(ctx, {side::source, x_id})},
                {y_id, spawn_worker(ctx, {side::source, y_id})}};
  settle(workers, {x_id, y_id});
  CAF_CHECK_EQUAL(kinds(*b, b->issues.at(twin_id(x_id))), kinds(*a, a->issues.at(x_id)));
  CAF_CHECK_EQUAL(kinds(*b, b->issues.at(twin_id(y_id))), kinds(*a, a->issues.at(y_id)));
  // Made once, by one of the two records.
  CAF_CHECK_EQUAL(b->issues.at(twin_id(x_id)).relations.size(), 1u);
  auto updates = b->updates;
  settle(workers, {x_id, y_id});
  CAF_CHECK_EQUAL(b->updates, updates);
}

CAF_TEST(a_record_the_other_issue_does_not_have_is_waited_for_once_then_replayed_alone) {
  a->records_children_on_parents = b->records_children_on_parents = true;
  auto p_id = a->add("P", "alice", {{"subject", "parent"}}).id;
  auto c_id = a->add("P", "bob", {{"subject", "child"}, {"parent", p_id}}).id;
  // As if Redmine had not recorded it (data from before it did so).
  auto& parent_history = a->issues.at(p_id).history;
  parent_history.erase(parent_history.begin() + 1);
  auto ctx = make_context(false);
  pairs workers{{c_id, spawn_worker(ctx, {side::source, c_id})},
                {p_id, spawn_worker(ctx, {side::source, p_id})}};
  settle(workers, {c_id});
  CAF_REQUIRE_EQUAL(b->issues.size(), 2u);
  CAF_CHECK_EQUAL(b->issues.at(twin_id(c_id)).fields.at("parent"), twin_id(p_id));
  CAF_CHECK_EQUAL(handled(side::source, c_id).size(), 1u);
}

CAF_TEST(watchers_follow_the_changes_of_either_side_and_nothing_is_written_twice) {
  a->with_watchers = b->with_watchers = true;
  auto id = a->add("P", "alice", {{"subject", "S"}}).id;
  a->issues.at(id).watchers = {"alice", "bob"};
  auto ctx = make_context(true);
  pairs workers{{id, spawn_worker(ctx, {side::source, id})}};
  settle(workers, {id});
  auto twin = twin_id(id);
  CAF_CHECK_EQUAL(b->issues.at(twin).watchers, (std::vector<std::string>{"alice", "bob"}));
  // No history on either side: watchers are not entries.
  CAF_CHECK_EQUAL(b->issues.at(twin).history.size(), 1u);
  // bob stops watching on the source, carol starts watching on the target.
  a->issues.at(id).watchers = {"alice"};
  b->issues.at(twin).watchers = {"alice", "bob", "carol"};
  settle(workers, {id});
  CAF_CHECK_EQUAL(a->issues.at(id).watchers, (std::vector<std::string>{"alice", "carol"}));
  CAF_CHECK_EQUAL(b->issues.at(twin).watchers, (std::vector<std::string>{"alice", "carol"}));
  // Alike on both sides: a pass writes no watcher.
  auto writes = a->watcher_writes + b->watcher_writes;
  settle(workers, {id});
  settle(workers, {id}, side::target);
  CAF_CHECK_EQUAL(a->watcher_writes + b->watcher_writes, writes);
}

CAF_TEST(a_files_description_changed_after_its_upload_reaches_the_copy_both_ways) {
  a->with_file_descriptions = b->with_file_descriptions = true;
  auto id = a->add("P", "alice", {{"subject", "S"}}).id;
  a->attach(id, "bob", "spec.txt", "v1");
  a->issues.at(id).attachments.back().description = "first draft";
  auto ctx = make_context(true);
  pairs workers{{id, spawn_worker(ctx, {side::source, id})}};
  settle(workers, {id});
  auto twin = twin_id(id);
  CAF_REQUIRE_EQUAL(b->issues.at(twin).attachments.size(), 1u);
  CAF_CHECK_EQUAL(b->issues.at(twin).attachments.back().description, "first draft");
  auto entries = b->issues.at(twin).history.size();
  auto writes = a->description_writes + b->description_writes;
  a->issues.at(id).attachments.back().description = "final";
  settle(workers, {id});
  CAF_CHECK_EQUAL(b->issues.at(twin).attachments.back().description, "final");
  b->issues.at(twin).attachments.back().description = "final, reviewed";
  settle(workers, {id}, side::target);
  CAF_CHECK_EQUAL(a->issues.at(id).attachments.back().description, "final, reviewed");
  // No history entry for any of it, and nothing more to write.
  CAF_CHECK_EQUAL(b->issues.at(twin).history.size(), entries);
  CAF_CHECK_EQUAL(a->description_writes + b->description_writes, writes + 2);
  settle(workers, {id});
  settle(workers, {id}, side::target);
  CAF_CHECK_EQUAL(a->description_writes + b->description_writes, writes + 2);
}

time_entry logged(std::string user, std::string hours, std::string comments) {
  return {"", std::move(user), "2026-11-30", std::move(hours), "Design", std::move(comments),
          {{"Invoice", "INV-1"}}};
}

std::multiset<std::string> rows_of(const std::vector<time_entry>& rows) {
  std::multiset<std::string> out;
  for (auto& r : rows)
    out.insert(r.user + " " + r.hours + "h " + r.comments);
  return out;
}

CAF_TEST(time_entries_are_created_changed_and_deleted_as_on_either_side_each_once) {
  a->with_time_entries = b->with_time_entries = true;
  auto id = a->add("P", "alice", {{"subject", "S"}}).id;
  a->log_time(id, logged("alice", "1.5", "review"));
  a->log_time(id, logged("bob", "2", "build"));
  auto ctx = make_context(true);
  pairs workers{{id, spawn_worker(ctx, {side::source, id})}};
  settle(workers, {id});
  auto twin = twin_id(id);
  auto& theirs = b->time_entries[twin];
  auto& ours = a->time_entries[id];
  CAF_CHECK_EQUAL(rows_of(theirs), rows_of(ours));
  CAF_CHECK_EQUAL(rows_of(theirs), (std::multiset<std::string>{"alice 1.5h review",
                                                               "bob 2h build"}));
  CAF_CHECK_EQUAL(b->issues.at(twin).history.size(), 1u); // rows are not entries
  // The target logs a row and deletes one; the source edits the other.
  b->log_time(twin, logged("carol", "0.5", "call"));
  std::erase_if(theirs, [](auto& r) { return r.comments == "build"; });
  ours[0].hours = "3";
  settle(workers, {id});
  CAF_CHECK_EQUAL(rows_of(ours), rows_of(theirs));
  CAF_CHECK_EQUAL(rows_of(ours), (std::multiset<std::string>{"alice 3h review",
                                                             "carol 0.5h call"}));
  // Alike on both sides: nothing more is written, from either side's wake.
  auto writes = a->time_entry_writes + b->time_entry_writes;
  settle(workers, {id});
  settle(workers, {id}, side::target);
  CAF_CHECK_EQUAL(a->time_entry_writes + b->time_entry_writes, writes);
}

CAF_TEST(a_time_entry_whose_create_answer_was_lost_is_linked_not_made_twice) {
  a->with_time_entries = b->with_time_entries = true;
  auto id = a->add("P", "alice", {{"subject", "S"}}).id;
  auto ctx = make_context(true);
  pairs workers{{id, spawn_worker(ctx, {side::source, id})}};
  settle(workers, {id});
  auto twin = twin_id(id);
  a->log_time(id, logged("alice", "1", "review"));
  // Someone logs the very same row on the target before the copy is made:
  // it is theirs, not TrackBridge's, and it stays.
  b->log_time(twin, logged("alice", "1", "review"));
  b->lose_next_answer = sync_error{error_kind::unavailable, "connection b", "reset"};
  settle(workers, {id});
  CAF_CHECK_EQUAL(b->time_entries[twin].size(), 2u); // made, answer lost
  settle(workers, {id});
  // The copy is found by what it holds among the rows made since the
  // intent: the person's row (there before) is synced to the source as
  // theirs, and no row is made twice.
  CAF_CHECK_EQUAL(b->time_entries[twin].size(), 2u);
  CAF_CHECK_EQUAL(a->time_entries[id].size(), 2u);
  auto writes = a->time_entry_writes + b->time_entry_writes;
  settle(workers, {id});
  settle(workers, {id}, side::target);
  CAF_CHECK_EQUAL(a->time_entry_writes + b->time_entry_writes, writes);
}

CAF_TEST(a_lost_create_that_two_new_rows_could_be_is_an_error_not_a_guess) {
  a->with_time_entries = b->with_time_entries = true;
  auto id = a->add("P", "alice", {{"subject", "S"}}).id;
  auto ctx = make_context(false);
  pairs workers{{id, spawn_worker(ctx, {side::source, id})}};
  settle(workers, {id});
  auto twin = twin_id(id);
  a->log_time(id, logged("alice", "1", "review"));
  b->lose_next_answer = sync_error{error_kind::unavailable, "connection b", "reset"};
  settle(workers, {id});
  // Before the retry, a person logs the very same row on the target.
  b->log_time(twin, logged("alice", "1", "review"));
  settle(workers, {id});
  CAF_CHECK_EQUAL(b->time_entries[twin].size(), 2u);
  auto errors = error_items();
  CAF_REQUIRE_EQUAL(errors.size(), 1u);
  CAF_CHECK(errors[0].where.find("time entries b-t") != std::string::npos);
  CAF_CHECK(errors[0].message.find("delete one of them") != std::string::npos);
  // The person deletes their row: the copy is linked, nothing is made.
  b->time_entries[twin].pop_back();
  settle(workers, {id});
  CAF_CHECK_EQUAL(b->time_entries[twin].size(), 1u);
  a->time_entries[id][0].hours = "2";
  settle(workers, {id});
  CAF_REQUIRE_EQUAL(b->time_entries[twin].size(), 1u);
  CAF_CHECK_EQUAL(b->time_entries[twin][0].hours, "2");
}

CAF_TEST(a_one_way_pass_with_no_row_to_write_reads_only_the_sources_rows) {
  a->with_time_entries = b->with_time_entries = true;
  auto id = a->add("P", "alice", {{"subject", "S"}}).id;
  a->log_time(id, logged("alice", "1", "review"));
  auto ctx = make_context(false);
  pairs workers{{id, spawn_worker(ctx, {side::source, id})}};
  settle(workers, {id});
  auto twin = twin_id(id);
  CAF_REQUIRE_EQUAL(b->time_entries[twin].size(), 1u);
  // Nothing changed: the target's rows are not read.
  auto target_reads = b->time_entry_reads;
  settle(workers, {id});
  CAF_CHECK_EQUAL(b->time_entry_reads, target_reads);
  // A change to the original is: read, then written.
  a->time_entries[id][0].comments = "review, longer";
  settle(workers, {id});
  CAF_CHECK_EQUAL(b->time_entry_reads, target_reads + 1);
  CAF_CHECK_EQUAL(b->time_entries[twin][0].comments, "review, longer");
}

CAF_TEST(a_lost_create_is_found_also_where_the_target_adds_fields_of_its_own) {
  a->with_time_entries = b->with_time_entries = true;
  b->time_entry_extra_fields = {{"Billable", ""}}; // a field only the target has
  auto id = a->add("P", "alice", {{"subject", "S"}}).id;
  auto ctx = make_context(false);
  pairs workers{{id, spawn_worker(ctx, {side::source, id})}};
  settle(workers, {id});
  auto twin = twin_id(id);
  a->log_time(id, logged("alice", "1", "review"));
  b->lose_next_answer = sync_error{error_kind::unavailable, "connection b", "reset"};
  settle(workers, {id});
  settle(workers, {id});
  CAF_REQUIRE_EQUAL(b->time_entries[twin].size(), 1u);
  CAF_CHECK_EQUAL(b->time_entries[twin][0].fields.at("Billable"), "");
}

CAF_TEST(a_time_entry_the_target_does_not_keep_all_of_stays_an_error_until_it_does) {
  a->with_time_entries = b->with_time_entries = true;
  b->time_entry_fields_not_kept = {"Invoice"}; // say, a field the key may not set
  auto id = a->add("P", "alice", {{"subject", "S"}}).id;
  a->log_time(id, logged("alice", "1", "review"));
  auto ctx = make_context(false);
  pairs workers{{id, spawn_worker(ctx, {side::source, id})}};
  auto errors = [&] { return error_items(); };
  settle(workers, {id});
  auto twin = twin_id(id);
  CAF_REQUIRE_EQUAL(b->time_entries[twin].size(), 1u); // made, and linked
  CAF_REQUIRE_EQUAL(errors().size(), 1u);
  CAF_CHECK(errors()[0].message.find("field Invoice \"INV-1\" became \"\"") != std::string::npos);
  // Every retry writes it again (never a second row), and fails again.
  settle(workers, {id});
  CAF_CHECK_EQUAL(b->time_entries[twin].size(), 1u);
  CAF_CHECK_EQUAL(errors().size(), 1u);
  // Fixed in the tracker: the next pass writes it, and the error goes.
  b->time_entry_fields_not_kept.clear();
  settle(workers, {id});
  CAF_REQUIRE_EQUAL(b->time_entries[twin].size(), 1u);
  CAF_CHECK_EQUAL(b->time_entries[twin][0].fields.at("Invoice"), "INV-1");
  CAF_CHECK(errors().empty());
  auto writes = b->time_entry_writes;
  settle(workers, {id});
  CAF_CHECK_EQUAL(b->time_entry_writes, writes);
}

// --- filters and value mappings --------------------------------------------

CAF_TEST(an_issue_outside_the_filter_is_not_synced_until_it_matches_then_with_its_history) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"status", "New"}});
  auto id = src.id;
  auto worker = spawn_worker(open_only(task_context::filter_exit::stop), {side::source, id});
  wake(worker, {side::source, id});
  // Outside: not even looked for on b.
  expect((wake_atom, issue_ref, timestamp), from(self).to(worker));
  expect((read_atom, std::string, std::string), from(worker).to(conn_a));
  expect((issue_result), from(conn_a).to(worker));
  CAF_CHECK(run_pass_outcome() == pass_outcome::left_out);
  CAF_CHECK(b->issues.empty());
  CAF_CHECK_EQUAL(b->creates + b->updates, 0u);
  a->edit(id, "bob", {{"priority", "High"}}, "still new");
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::left_out);
  // It comes to match: synced with everything before.
  a->edit(id, "bob", {{"status", "Open"}});
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::synced);
  CAF_CHECK_EQUAL(shape(twin_in_b()), shape(a->issues.at(id)));
  CAF_CHECK_EQUAL(twin_in_b().history.size(), 3u);
  storage::transaction t{env, storage::transaction::read_only};
  CAF_CHECK(store.errors(t, "t").empty());
  CAF_CHECK_EQUAL(store.queue_length(t, "t"), 0u);
}

CAF_TEST(on_filter_exit_stop_keeps_the_link_syncs_nothing_then_catches_up_when_it_matches) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"status", "Open"}});
  auto id = src.id;
  auto worker = spawn_worker(open_only(task_context::filter_exit::stop), {side::source, id});
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::synced);
  auto twin = twin_in_b().id;
  a->edit(id, "bob", {{"status", "Resolved"}}, "done");
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::left_out);
  CAF_CHECK_EQUAL(b->issues.at(twin).fields.at("status"), "Open");
  CAF_CHECK_EQUAL(b->updates, 0u);
  {
    storage::transaction t{env, storage::transaction::read_only};
    CAF_CHECK(store.find_twin(t, "t", issue_ref{side::source, id}));
    CAF_CHECK_EQUAL(store.queue_length(t, "t"), 0u);
  }
  CAF_CHECK(log_has("source:" + id + ": not synced: outside the task's filter (status in "));
  // Reopened: the entries made while it was outside come first, in order.
  a->edit(id, "carol", {{"status", "In Progress"}}, "reopened");
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::synced);
  CAF_CHECK_EQUAL(shape(b->issues.at(twin)), shape(a->issues.at(id)));
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
}

CAF_TEST(on_filter_exit_unlink_forgets_the_pair_for_good_and_makes_no_second_twin) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"status", "Open"}});
  auto id = src.id;
  auto worker = spawn_worker(open_only(task_context::filter_exit::unlink), {side::source, id});
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::synced);
  auto twin = twin_in_b().id;
  a->edit(id, "bob", {{"status", "Resolved"}});
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::left_out);
  {
    storage::transaction t{env, storage::transaction::read_only};
    CAF_CHECK(!store.find_twin(t, "t", issue_ref{side::source, id}));
    CAF_CHECK(store.is_unlinked(t, "t", issue_ref{side::source, id}));
  }
  CAF_CHECK(log_has("left the task's filter (status in (\"Open\", \"In Progress\") is false: "
                   "status is \"Resolved\"); issue " + twin
                   + " of connection b (project Q) is unlinked"));
  a->edit(id, "bob", {{"status", "Open"}});
  wake(worker, {side::source, id});
  run_pass_outcome();
  CAF_CHECK_EQUAL(b->issues.size(), 1u);
  CAF_CHECK_EQUAL(b->creates, 1u);
  CAF_CHECK_EQUAL(b->updates, 0u);
}

CAF_TEST(on_filter_exit_close_twin_closes_the_twin_with_a_comment_then_unlinks) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"status", "Open"}});
  auto id = src.id;
  auto worker = spawn_worker(open_only(task_context::filter_exit::close_twin),
                             {side::source, id});
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::synced);
  a->edit(id, "bob", {{"status", "Rejected"}});
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::left_out);
  auto& twin = twin_in_b();
  CAF_CHECK_EQUAL(twin.fields.at("status"), "Closed");
  CAF_CHECK(twin.history.back().comment.find("issue " + id + " of connection a (project P) no "
                                             "longer matches the task's filter")
            != std::string::npos);
  storage::transaction t{env, storage::transaction::read_only};
  CAF_CHECK(store.is_unlinked(t, "t", issue_ref{side::source, id}));
  CAF_CHECK(store.errors(t, "t").empty());
}

CAF_TEST(a_child_whose_parent_is_outside_the_filter_is_synced_without_the_parent) {
  a->records_children_on_parents = b->records_children_on_parents = true;
  auto p_id = a->add("P", "alice", {{"subject", "parent"}, {"status", "New"}}).id;
  auto c_id = a->add("P", "bob", {{"subject", "child"}, {"status", "Open"}, {"parent", p_id}}).id;
  auto ctx = open_only(task_context::filter_exit::stop);
  pairs workers{{c_id, spawn_worker(ctx, {side::source, c_id})},
                {p_id, spawn_worker(ctx, {side::source, p_id})}};
  settle(workers, {c_id, p_id}); // settles: nothing waits for the parent forever
  CAF_REQUIRE_EQUAL(b->issues.size(), 1u);
  auto& child = twin_in_b();
  CAF_CHECK_EQUAL(child.fields.at("subject"), "child");
  CAF_CHECK(child.fields.count("parent") == 0 || child.fields.at("parent").empty());
  CAF_CHECK(log_has("the reference to issue " + p_id + " is not synced"));
}

CAF_TEST(a_relation_with_an_issue_held_outside_the_filter_is_written_not_waited_for_forever) {
  auto x_id = a->add("P", "alice", {{"subject", "x"}, {"status", "Open"}}).id;
  auto y_id = a->add("P", "alice", {{"subject", "y"}, {"status", "Open"}}).id;
  auto ctx = open_only(task_context::filter_exit::stop);
  pairs workers{{x_id, spawn_worker(ctx, {side::source, x_id})},
                {y_id, spawn_worker(ctx, {side::source, y_id})}};
  settle(workers, {x_id, y_id});
  a->edit(y_id, "bob", {{"status", "Closed"}}); // y's pair is held: linked, not synced
  a->relate(x_id, "bob", "blocks", y_id);       // recorded on x and on y
  settle(workers, {x_id, y_id}); // fails after 200 rounds if x waits for y forever
  auto& x_twin = b->issues.at(twin_id(x_id));
  CAF_REQUIRE_EQUAL(x_twin.relations.size(), 1u);
  CAF_CHECK_EQUAL(x_twin.relations[0].other, twin_id(y_id));
  CAF_CHECK_EQUAL(b->issues.at(twin_id(y_id)).fields.at("status"), "Open");
}

CAF_TEST(close_twin_on_a_filter_exit_whose_twin_is_gone_unlinks_without_an_error) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"status", "Open"}});
  auto id = src.id;
  auto worker = spawn_worker(open_only(task_context::filter_exit::close_twin),
                             {side::source, id});
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::synced);
  b->issues.clear();
  a->edit(id, "bob", {{"status", "Rejected"}});
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::left_out);
  storage::transaction t{env, storage::transaction::read_only};
  CAF_CHECK(store.is_unlinked(t, "t", issue_ref{side::source, id}));
  CAF_CHECK(store.errors(t, "t").empty());
}

CAF_TEST(value_mappings_map_both_directions_and_conflicts_compare_mapped_values) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"status", "New"}});
  auto id = src.id;
  auto ctx = make_two_way_context();
  auto to_b = std::get<value_mapping>(value_mapping::compile({{{"New", "Open"}, {"Closed", "Done"}}}));
  ctx->sides[0].rules.values.emplace("status", to_b);
  ctx->sides[1].rules.values.emplace("status", std::get<value_mapping>(to_b.reverse()));
  auto worker = spawn_worker(ctx, {side::source, id});
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::synced);
  auto twin = twin_in_b().id;
  CAF_CHECK_EQUAL(b->issues.at(twin).fields.at("status"), "Open");
  // The target closes it its way: the source gets its own word.
  b->edit(twin, "bob", {{"status", "Done"}});
  wake(worker, {side::target, twin});
  CAF_CHECK(run_pass_outcome() == pass_outcome::synced);
  CAF_CHECK_EQUAL(a->issues.at(id).fields.at("status"), "Closed");
  // Both sides set the same status, each in its own words: no conflict.
  a->edit(id, "carol", {{"status", "New"}});
  b->edit(twin, "dave", {{"status", "Open"}});
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::synced);
  CAF_CHECK(!log_has("conflict on field status"));
}

CAF_TEST(a_value_its_mapping_refuses_is_an_error_item_and_nothing_of_the_entry_is_written) {
  auto& src = a->add("P", "alice", {{"subject", "S"}, {"status", "New"}});
  auto id = src.id;
  auto ctx = make_context(false);
  value_mapping_spec spec{{{"New", "Open"}}};
  spec.unmapped = unmapped_value::refuse;
  ctx->sides[0].rules.values.emplace("status", std::get<value_mapping>(value_mapping::compile(spec)));
  auto worker = spawn_worker(ctx, {side::source, id});
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::synced);
  a->edit(id, "bob", {{"status", "Waiting"}}, "asked the customer");
  a->edit(id, "bob", {}, "later note");
  wake(worker, {side::source, id});
  CAF_CHECK(run_pass_outcome() == pass_outcome::failed);
  CAF_CHECK_EQUAL(b->updates, 0u); // neither the refused entry nor the one after it
  auto items = error_items();
  CAF_REQUIRE_EQUAL(items.size(), 1u);
  CAF_CHECK_EQUAL(items[0].where, "connection a, project P, issue " + id + ", entry "
                                    + a->issues.at(id).history[1].id);
  CAF_CHECK(items[0].message.find("status: \"Waiting\" has no value mapping") == 0);
  CAF_CHECK(items[0].message.find("value_mappings") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
