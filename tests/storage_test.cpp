#define CAF_SUITE storage
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <atomic>
#include <fstream>
#include <memory>
#include <thread>

#include "storage/mail_store.hpp"
#include "storage/sync_state.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tb;
using namespace tb::storage;

namespace {

struct fixture {
  test::temp_dir dir;
  environment env{{dir.path(), std::uint64_t{64} << 20, 32}};
  sync_state state{env};

  transaction write() { return transaction{env, transaction::read_write}; }
  transaction read() { return transaction{env, transaction::read_only}; }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(storage_tests, fixture)

CAF_TEST(a_link_is_found_from_both_sides_with_its_origin) {
  {
    auto t = write();
    state.link(t, "task1", issue_ref{side::source, "7"}, "42");
    t.commit();
  }
  auto t = read();
  auto from_source = state.find_twin(t, "task1", issue_ref{side::source, "7"});
  auto from_target = state.find_twin(t, "task1", issue_ref{side::target, "42"});
  CAF_REQUIRE(from_source && from_target);
  CAF_CHECK_EQUAL(from_source->twin_id, "42");
  CAF_CHECK_EQUAL(from_target->twin_id, "7");
  CAF_CHECK(from_source->origin == side::source);
  CAF_CHECK(from_target->origin == side::source);
  CAF_CHECK(!state.find_twin(t, "task2", issue_ref{side::source, "7"}));
  CAF_CHECK_EQUAL(state.mapped_pairs(t, "task1"), 1u);
}

CAF_TEST(an_aborted_transaction_leaves_nothing_behind) {
  {
    auto t = write();
    state.link(t, "task1", issue_ref{side::source, "1"}, "2");
    state.add_handled(t, "task1", issue_ref{side::source, "1"}, {"10"});
    // no commit: the destructor aborts
  }
  auto t = read();
  CAF_CHECK(!state.find_twin(t, "task1", issue_ref{side::source, "1"}));
  CAF_CHECK(state.handled(t, "task1", issue_ref{side::source, "1"}).empty());
}

CAF_TEST(writes_of_several_threads_share_a_commit_and_each_part_fails_or_is_dropped_alone) {
  auto db = env.database("group_test");
  auto has = [&](const char* key) {
    auto t = read();
    return t.get(db, key).has_value();
  };
  std::atomic<bool> leading{false};
  // The first holds its group open until three more wait: they are the
  // next group, together.
  std::thread first{[&] {
    write_transaction(env, [&](transaction& t) {
      t.put(db, "a", "1");
      leading = true;
      while (env.waiting_for_group() < 3)
        std::this_thread::yield();
    });
  }};
  while (!leading)
    std::this_thread::yield();
  std::atomic<int> thrown{0};
  std::thread ok{[&] { write_transaction(env, [&](transaction& t) { t.put(db, "b", "2"); }); }};
  std::thread throws{[&] {
    try {
      write_transaction(env, [&](transaction& t) {
        t.put(db, "c", "3");
        throw std::runtime_error("refused");
      });
    } catch (const std::runtime_error& e) {
      if (std::string{e.what()} == "refused")
        ++thrown;
    }
  }};
  std::thread dropped{[&] {
    auto r = write_transaction_when(
      env, [&](transaction& t) { t.put(db, "d", "4"); return 7; }, [](int) { return false; });
    if (r != 7)
      ++thrown;
  }};
  for (auto* t : {&first, &ok, &throws, &dropped})
    t->join();
  CAF_CHECK_EQUAL(thrown.load(), 1);
  CAF_CHECK(has("a"));
  CAF_CHECK(has("b"));
  CAF_CHECK(!has("c")); // its part failed: the others' writes are kept
  CAF_CHECK(!has("d")); // kept only when keep says so
  // Inside a transaction of this thread a write does not wait for a group.
  auto reading = read();
  write_transaction(env, [&](transaction& t) { t.put(db, "e", "5"); });
  CAF_CHECK(has("e"));
}

CAF_TEST(the_ledger_accumulates_handled_entry_ids_per_issue_and_side) {
  {
    auto t = write();
    state.add_handled(t, "t", issue_ref{side::source, "1"}, {"10", "11"});
    state.add_handled(t, "t", issue_ref{side::source, "1"}, {"12", "10"});
    state.add_handled(t, "t", issue_ref{side::target, "1"}, {"99"});
    t.commit();
  }
  auto t = read();
  CAF_CHECK_EQUAL(state.handled(t, "t", issue_ref{side::source, "1"}),
                  (std::set<std::string>{"10", "11", "12"}));
  CAF_CHECK_EQUAL(state.handled(t, "t", issue_ref{side::target, "1"}),
                  (std::set<std::string>{"99"}));
}

CAF_TEST(watermarks_are_kept_per_task_and_side) {
  {
    auto t = write();
    state.set_watermark(t, "t", side::source, 1000);
    state.set_watermark(t, "t", side::target, 2000);
    t.commit();
  }
  auto t = read();
  CAF_CHECK_EQUAL(state.watermark(t, "t", side::source).value_or(-1), 1000);
  CAF_CHECK_EQUAL(state.watermark(t, "t", side::target).value_or(-1), 2000);
  CAF_CHECK(!state.watermark(t, "other", side::source));
}

CAF_TEST(the_queue_keeps_one_change_per_issue_and_dequeues_only_what_a_read_covered) {
  {
    auto t = write();
    state.enqueue(t, "t", {issue_ref{side::source, "1"}, 100});
    state.enqueue(t, "t", {issue_ref{side::source, "1"}, 150}); // newer replaces
    state.enqueue(t, "t", {issue_ref{side::source, "1"}, 120}); // older is ignored
    state.enqueue(t, "t", {issue_ref{side::target, "5"}, 300});
    state.enqueue(t, "u", {issue_ref{side::source, "1"}, 100});
    t.commit();
  }
  {
    auto t = read();
    auto q = state.queued(t, "t");
    CAF_REQUIRE_EQUAL(q.size(), 2u);
    CAF_CHECK(q[0].ref == (issue_ref{side::source, "1"}));
    CAF_CHECK_EQUAL(q[0].updated, 150);
    CAF_CHECK(q[1].ref == (issue_ref{side::target, "5"}));
  }
  auto t = write();
  // A read at 140 did not see the change at 150: it stays queued.
  CAF_CHECK(!state.dequeue_if_covered(t, "t", issue_ref{side::source, "1"}, 140));
  CAF_CHECK(state.dequeue_if_covered(t, "t", issue_ref{side::source, "1"}, 150));
  t.commit();
  auto r = read();
  CAF_CHECK_EQUAL(state.queued(r, "t").size(), 1u);
  CAF_CHECK_EQUAL(state.queued(r, "u").size(), 1u);
}

CAF_TEST(error_items_count_attempts_and_can_be_cleared) {
  {
    auto t = write();
    state.record_error(t, "t", issue_ref{side::source, "3"}, "connection b, field X", "refused", 1);
    state.record_error(t, "t", issue_ref{side::source, "3"}, "connection b, field X", "refused", 2);
    state.record_error(t, "u", issue_ref{side::target, "4"}, "connection a", "gone", 3);
    t.commit();
  }
  {
    auto t = read();
    auto errs = state.errors(t, "t");
    CAF_REQUIRE_EQUAL(errs.size(), 1u);
    CAF_CHECK_EQUAL(errs[0].attempts, 2u);
    CAF_CHECK_EQUAL(errs[0].where, "connection b, field X");
    CAF_CHECK(errs[0].ref == (issue_ref{side::source, "3"}));
    CAF_CHECK_EQUAL(state.errors(t, "").size(), 2u);
  }
  auto t = write();
  CAF_CHECK(state.clear_error(t, "t", issue_ref{side::source, "3"}));
  CAF_CHECK(!state.clear_error(t, "t", issue_ref{side::source, "3"}));
  t.commit();
}

CAF_TEST(the_system_log_pages_in_order) {
  {
    auto t = write();
    for (int i = 0; i < 5; ++i)
      state.append_log(t, {0, i, "info", "t", "line " + std::to_string(i)});
    t.commit();
  }
  auto t = read();
  auto first = state.log(t, 0, 3);
  CAF_REQUIRE_EQUAL(first.size(), 3u);
  CAF_CHECK_EQUAL(first[0].message, "line 0");
  auto rest = state.log(t, first.back().seq, 10);
  CAF_REQUIRE_EQUAL(rest.size(), 2u);
  CAF_CHECK_EQUAL(rest[1].message, "line 4");
}

CAF_TEST(state_survives_closing_and_reopening_the_environment) {
  test::temp_dir other;
  {
    environment e{{other.path(), std::uint64_t{64} << 20, 32}};
    sync_state s{e};
    transaction t{e, transaction::read_write};
    s.link(t, "t", issue_ref{side::target, "9"}, "1");
    s.set_watermark(t, "t", side::target, 77);
    t.commit();
  }
  environment e{{other.path(), std::uint64_t{64} << 20, 32}};
  sync_state s{e};
  transaction t{e, transaction::read_only};
  auto link = s.find_twin(t, "t", issue_ref{side::source, "1"});
  CAF_REQUIRE(link);
  CAF_CHECK_EQUAL(link->twin_id, "9");
  CAF_CHECK(link->origin == side::target);
  CAF_CHECK_EQUAL(s.watermark(t, "t", side::target).value_or(0), 77);
}

CAF_TEST(a_map_that_fills_up_grows_and_every_write_succeeds) {
  test::temp_dir other;
  std::uint64_t first = std::uint64_t{1} << 20;
  std::string value(64 * 1024, 'x');
  {
    environment e{{other.path(), first, 32}};
    auto db = e.database("data");
    // Readers on other threads the whole time: a resize waits for their
    // transactions and they for it, and none of them sees a broken map.
    std::atomic<bool> writing{true};
    std::atomic<int> reads{0}, wrong{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r)
      readers.emplace_back([&] {
        while (writing) {
          transaction t{e, transaction::read_only};
          if (auto v = t.get(db, be64(0)); v && v->size() != value.size())
            ++wrong;
          ++reads;
        }
      });
    for (std::uint64_t k = 0; k < 100; ++k) { // 6.4 MB of values into a 1 MiB map
      transaction t{e, transaction::read_write};
      t.put(db, be64(k), value);
      t.commit();
    }
    writing = false;
    for (auto& r : readers)
      r.join();
    CAF_CHECK_GREATER(e.map_size(), 6 * first);
    CAF_CHECK_GREATER(reads.load(), 0);
    CAF_CHECK_EQUAL(wrong.load(), 0);
  }
  environment e{{other.path(), first, 32}};
  auto db = e.database("data");
  transaction t{e, transaction::read_only};
  std::size_t found = 0;
  t.scan(db, "", [&](auto, auto v) {
    found += v.size() == value.size();
    return true;
  });
  CAF_CHECK_EQUAL(found, 100u);
}

CAF_TEST(a_write_bigger_than_the_room_left_fails_once_and_succeeds_after_the_map_grew) {
  test::temp_dir other;
  environment e{{other.path(), std::uint64_t{1} << 20, 32}};
  auto db = e.database("data");
  std::string big(3 << 20, 'y'); // three times the map
  auto write = [&] {
    transaction t{e, transaction::read_write};
    t.put(db, "big", big);
    t.commit();
  };
  std::string message;
  int failures = 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    try {
      write();
      break;
    } catch (const storage_error& err) {
      message = err.what();
      ++failures;
    }
  }
  CAF_CHECK(message.find("the storage map is full; it grows before the next write")
            != std::string::npos);
  CAF_CHECK(message.find(other.path()) != std::string::npos);
  CAF_CHECK_LESS(failures, 5);
  transaction t{e, transaction::read_only};
  CAF_CHECK_EQUAL(t.get(db, "big").value_or("").size(), big.size());
}

CAF_TEST(a_storage_directory_that_cannot_be_created_is_a_clear_error) {
  bool thrown = false;
  try {
    environment e{{"/proc/trackbridge-cannot-be-here", std::uint64_t{64} << 20, 32}};
  } catch (const storage_error& e) {
    thrown = true;
    CAF_CHECK(std::string{e.what()}.find("/proc/trackbridge-cannot-be-here") != std::string::npos);
  }
  CAF_CHECK(thrown);
}

CAF_TEST(a_directory_in_use_by_another_server_is_refused_until_it_closes) {
  test::temp_dir shared;
  auto first = std::make_unique<environment>(environment_options{shared.path(), 1 << 24, 8});
  std::string message;
  try {
    environment second{{shared.path(), 1 << 24, 8}};
  } catch (const storage_error& e) {
    message = e.what();
  }
  CAF_CHECK(message.find("in use by another running TrackBridge") != std::string::npos);
  CAF_CHECK(message.find(shared.path()) != std::string::npos);
  first.reset();
  environment again{{shared.path(), 1 << 24, 8}}; // throws if the lock was kept
  CAF_CHECK_EQUAL(again.directory(), shared.path());
}

CAF_TEST(a_directory_in_another_data_format_is_refused_with_both_formats_named) {
  test::temp_dir other;
  {
    environment e{{other.path(), std::uint64_t{64} << 20, 32}};
    sync_state s{e}; // records the format
    transaction t{e, transaction::read_write};
    t.put(e.database("meta"), "format", "999"); // as a later version would
    t.commit();
  }
  environment e{{other.path(), std::uint64_t{64} << 20, 32}};
  std::string message;
  try {
    sync_state s{e};
  } catch (const storage_error& err) {
    message = err.what();
  }
  CAF_CHECK(message.find(other.path()) != std::string::npos);
  CAF_CHECK(message.find("holds data in format 999, and this TrackBridge reads format 1")
            != std::string::npos);
}

CAF_TEST(a_directory_whose_data_file_is_not_lmdb_is_a_clear_error) {
  test::temp_dir other;
  std::ofstream{other.path() + "/data.mdb"} << std::string(8192, 'x');
  std::string message;
  try {
    environment e{{other.path(), std::uint64_t{64} << 20, 32}};
  } catch (const storage_error& err) {
    message = err.what();
  }
  CAF_CHECK(message.find("cannot open the storage directory " + other.path()) != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()

// --- the mailer's mailboxes and outbox ---------------------------------------------

CAF_TEST_FIXTURE_SCOPE(mail_store_tests, fixture)

CAF_TEST(a_mailboxs_notices_become_one_queued_message_in_one_transaction) {
  mail_store mail{env};
  notice one{notice_kind::error_item, "a-b", "", "source", "4", "refused", 1000};
  notice two{notice_kind::parked, "a-b", "", "source", "5", "parked", 2000};
  {
    auto t = write();
    mail.add_notice(t, "ops@example.org", one);
    mail.add_notice(t, "lead@example.org", one);
    mail.add_notice(t, "ops@example.org", two);
    t.commit();
  }
  {
    auto t = read();
    auto box = mail.mailbox_of(t, "ops@example.org");
    CAF_CHECK(box.pending == (std::vector<notice>{one, two}));
    CAF_CHECK(box.sent.empty());
    CAF_CHECK(mail.recipients(t)
              == (std::vector<std::string>{"lead@example.org", "ops@example.org"}));
  }
  outgoing_mail m;
  m.to = {"ops@example.org"};
  m.subject = "TrackBridge: 2 events";
  m.events = {"error", "parked"};
  m.created = 3000;
  std::uint64_t id = 0;
  {
    auto t = write();
    id = mail.take_into(t, "ops@example.org", m, 3000);
    t.commit();
  }
  auto t = read();
  auto box = mail.mailbox_of(t, "ops@example.org");
  CAF_CHECK(box.pending.empty());
  CAF_CHECK(box.sent == (std::vector<timestamp>{3000}));
  CAF_CHECK(mail.recipients(t) == (std::vector<std::string>{"lead@example.org"}));
  auto queued = mail.queued(t);
  CAF_REQUIRE_EQUAL(queued.size(), 1u);
  CAF_CHECK_EQUAL(queued[0].id, id);
  CAF_CHECK_EQUAL(queued[0].subject, "TrackBridge: 2 events");
  CAF_CHECK(queued[0].events == (std::vector<std::string>{"error", "parked"}));
}

CAF_TEST(the_outbox_keeps_each_message_until_and_after_the_server_took_it_newest_first) {
  mail_store mail{env};
  {
    auto t = write();
    for (int i = 1; i <= 5; ++i) {
      outgoing_mail m;
      m.subject = "message " + std::to_string(i);
      m.created = i;
      mail.enqueue(t, m);
    }
    t.commit();
  }
  {
    auto t = write();
    auto m = *mail.find(t, 2);
    m.status = mail_status::sent;
    m.answer = "250 accepted";
    mail.update(t, m);
    auto r = *mail.find(t, 4);
    r.status = mail_status::refused;
    mail.update(t, r);
    t.commit();
  }
  // A restart: a new store over the same directory still has them.
  mail_store again{env};
  auto t = read();
  std::vector<std::uint64_t> ids;
  for (auto& m : again.queued(t))
    ids.push_back(m.id);
  CAF_CHECK(ids == (std::vector<std::uint64_t>{1, 3, 5}));
  ids.clear();
  for (auto& m : again.newest(t, 0, 2))
    ids.push_back(m.id);
  CAF_CHECK(ids == (std::vector<std::uint64_t>{5, 4}));
  ids.clear();
  for (auto& m : again.newest(t, 4, 10))
    ids.push_back(m.id);
  CAF_CHECK(ids == (std::vector<std::uint64_t>{3, 2, 1}));
  CAF_CHECK_EQUAL(std::string{to_string(again.find(t, 2)->status)}, "sent");
  CAF_CHECK_EQUAL(again.find(t, 2)->answer, "250 accepted");
  CAF_CHECK(!again.find(t, 9));
}

CAF_TEST_FIXTURE_SCOPE_END()
