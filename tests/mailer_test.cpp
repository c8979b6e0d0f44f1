#define CAF_SUITE mailer
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <deque>

#include "actors/connection_actor.hpp"
#include "actors/logger_actor.hpp"
#include "actors/mailer_actor.hpp"
#include "actors/system_config.hpp"
#include "storage/mail_store.hpp"
#include "tests/support/memory_adapter.hpp"
#include "tests/support/temp_dir.hpp"

// The mailer on the test coordinator, its clock moved by hand, against an
// SMTP actor that answers as scripted: batching, the hour's cap, deferrals,
// refusals and a restart, each with what reached the SMTP server and what
// the outbox in LMDB says.

using namespace tb;

namespace {

constexpr timestamp t0 = 1796342400000; // 2026-12-04T00:00:00Z
constexpr timestamp minute = 60'000;

// Answers as the test scripts, accepted when the script is out.
smtp_actor::behavior_type scripted_smtp(smtp_actor::pointer, std::vector<smtp::mail>* got,
                                        std::deque<smtp::send_result>* script) {
  return {
    [got, script](send_atom, const smtp::mail& m) {
      got->push_back(m);
      if (script->empty())
        return smtp::send_result{smtp::outcome::accepted, 250, "250 2.0.0 accepted"};
      auto r = script->front();
      script->pop_front();
      return r;
    },
  };
}

struct fixture : test_coordinator_fixture<system_config> {
  test::temp_dir dir;
  storage::environment env{{dir.path(), std::uint64_t{64} << 20, 32}};
  storage::sync_state state{env}; // the logger's system log
  storage::mail_store store{env};
  logger_actor log = sys.spawn(logger, &state);
  std::vector<smtp::mail> got;
  std::deque<smtp::send_result> script;
  smtp_actor smtp = sys.spawn(scripted_smtp, &got, &script);
  timestamp now = t0;
  // A tracker whose project alpha has members with roles, behind a real
  // connection actor.
  std::shared_ptr<test::memory_adapter> rm = std::make_shared<test::memory_adapter>("rm");
  std::shared_ptr<connection_health> health = [this] {
    auto h = std::make_shared<connection_health>("rm", 5, std::chrono::seconds{10});
    h->clock = [this] { return now; };
    return h;
  }();
  connection_actor conn = sys.spawn(connection, rm, health, log);

  std::vector<mailer_actor> mailers; // ended before the store they write to

  mailer_settings settings(std::chrono::minutes interval = std::chrono::minutes{5},
                           unsigned per_hour = 12) {
    mailer_settings s;
    s.policy.interval = interval;
    s.policy.max_per_hour = per_hour;
    s.api_base = "http://127.0.0.1:8080";
    s.rules = {{{notice_kind::error_item, notice_kind::parked}, {}, {"ops@example.org"}},
               {{notice_kind::parked}, {"a-b"}, {"lead@example.org", "ops@example.org"}}};
    s.clock = [this] { return now; };
    return s;
  }

  // Errors to ops and to the Managers of rm's project alpha.
  mailer_settings role_settings() {
    auto s = settings();
    auto managers = role_mailbox("rm", "alpha", "Manager");
    s.rules = {{{notice_kind::error_item}, {}, {"ops@example.org", managers}}};
    s.roles = {{managers, "rm", "alpha", "Manager", conn}};
    return s;
  }

  std::string log_text() {
    self->send(log, flush_atom_v);
    sched.run();
    storage::transaction t{env, storage::transaction::read_only};
    std::string out;
    for (auto& r : state.log(t, 0, 1000))
      out += r.level + " " + r.message + "\n";
    return out;
  }

  mailer_actor spawn_mailer(mailer_settings s) {
    auto m = sys.spawn(mailer, std::move(s), &store, smtp, log);
    mailers.push_back(m);
    sched.run();
    return m;
  }

  notice error(const std::string& issue) {
    return {notice_kind::error_item, "a-b", "", "source", issue, "Redmine refused it (422)", now};
  }

  // The clock and the scheduler's timers move together.
  void advance(timestamp ms) {
    now += ms;
    sched.advance_time(std::chrono::milliseconds{ms});
    sched.run();
  }

  void tell(const mailer_actor& m, const notice& n) {
    self->send(m, notice_atom_v, n);
    sched.run();
  }

  std::vector<storage::outgoing_mail> outbox() {
    storage::transaction t{env, storage::transaction::read_only};
    return store.newest(t, 0, 1000);
  }

  ~fixture() {
    for (auto& m : mailers)
      anon_send_exit(m, caf::exit_reason::user_shutdown);
    sched.run();
    for (auto h : {caf::actor_cast<caf::actor>(log), caf::actor_cast<caf::actor>(smtp),
                   caf::actor_cast<caf::actor>(conn)})
      anon_send_exit(h, caf::exit_reason::user_shutdown);
    sched.run();
  }
};

std::string status_of(const storage::outgoing_mail& m) {
  return storage::to_string(m.status);
}

bool has(const std::string& s, const std::string& part) {
  if (s.find(part) != std::string::npos)
    return true;
  CAF_MESSAGE("no '" << part << "' in:\n" << s);
  return false;
}

using addresses = std::vector<std::string>;

} // namespace

CAF_TEST(recipients_are_those_of_the_rules_for_the_event_and_task_each_once) {
  std::vector<mail_rule> rules{
    {{notice_kind::error_item}, {}, {"ops@example.org"}},
    {{notice_kind::error_item, notice_kind::connection_down}, {"a-b"}, {"lead@example.org",
                                                                       "ops@example.org"}}};
  notice e{notice_kind::error_item, "a-b"};
  CAF_CHECK(recipients_of(rules, e)
            == (std::vector<std::string>{"ops@example.org", "lead@example.org"}));
  e.task = "c-d";
  CAF_CHECK(recipients_of(rules, e) == (std::vector<std::string>{"ops@example.org"}));
  // A connection's event goes to rules for every task only.
  notice down{notice_kind::connection_down, "", "rm2"};
  CAF_CHECK(recipients_of(rules, down).empty());
  CAF_CHECK_EQUAL(mail_retry_delay(1).count(), 10'000);
  CAF_CHECK_EQUAL(mail_retry_delay(3).count(), 40'000);
  CAF_CHECK_EQUAL(mail_retry_delay(30).count(), 15 * 60'000);
}

CAF_TEST_FIXTURE_SCOPE(mailer_tests, fixture)

CAF_TEST(the_first_event_goes_at_once_and_a_storm_after_it_is_one_digest_after_the_interval) {
  auto m = spawn_mailer(settings());
  tell(m, error("1"));
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0].subject, "TrackBridge: task a-b: new error item, source issue 1");
  CAF_CHECK(got[0].to == (std::vector<std::string>{"ops@example.org"}));
  for (int i = 2; i <= 1000; ++i) {
    advance(100); // 999 errors within the next 100 s
    tell(m, error(std::to_string(i)));
  }
  CAF_CHECK_EQUAL(got.size(), 1u); // nothing before the interval is over
  advance(5 * minute - 999 * 100 - 1);
  CAF_CHECK_EQUAL(got.size(), 1u);
  advance(1);
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  CAF_CHECK_EQUAL(got[1].subject, "TrackBridge: 999 events: task a-b: 999 new error items");
  CAF_CHECK(got[1].body.find("task a-b: 999 new error items: Redmine refused it (422)\n  source "
                             "issue 2 (")
            != std::string::npos);
  CAF_CHECK(got[1].body.find("... and 994 more") != std::string::npos);
  // Both are in the outbox as sent, with the server's answer.
  auto sent = outbox();
  CAF_REQUIRE_EQUAL(sent.size(), 2u);
  for (auto& s : sent) {
    CAF_CHECK_EQUAL(status_of(s), "sent");
    CAF_CHECK_EQUAL(s.answer, "250 2.0.0 accepted");
  }
  // Quiet for long: nothing more goes out.
  advance(60 * minute);
  CAF_CHECK_EQUAL(got.size(), 2u);
}

CAF_TEST(no_more_than_max_per_hour_messages_reach_one_recipient) {
  auto m = spawn_mailer(settings(std::chrono::minutes{1}, 3));
  // An error every 2 minutes for an hour: each would go at once, but the
  // cap holds them after the third; the rest wait for the hour.
  for (int i = 0; i < 30; ++i) {
    tell(m, error(std::to_string(i)));
    advance(2 * minute - 1);
    auto sent = got.size(); // by t0 + 2i min + 2 min - 1 ms
    auto expected = std::min<std::size_t>(i + 1, 3);
    CAF_CHECK_EQUAL(sent, expected);
    advance(1);
  }
  // At t0 + 60 min the first send is an hour old: one digest of the rest.
  CAF_REQUIRE_EQUAL(got.size(), 4u);
  CAF_CHECK(got[3].subject.find("27 events") != std::string::npos);
}

CAF_TEST(a_deferred_message_is_tried_again_with_a_backoff_and_a_refused_one_is_not) {
  script = {{smtp::outcome::deferred, 451, "451 4.3.0 try later"},
            {smtp::outcome::deferred, 0, "Couldn't connect to server"}};
  auto m = spawn_mailer(settings());
  tell(m, error("1"));
  CAF_CHECK_EQUAL(got.size(), 1u);
  auto first = outbox();
  CAF_REQUIRE_EQUAL(first.size(), 1u);
  CAF_CHECK_EQUAL(status_of(first[0]), "queued");
  CAF_CHECK_EQUAL(first[0].attempts, 1u);
  CAF_CHECK_EQUAL(first[0].answer, "451 4.3.0 try later");
  advance(10'000);
  CAF_CHECK_EQUAL(got.size(), 2u);
  advance(19'999);
  CAF_CHECK_EQUAL(got.size(), 2u); // the second wait is twice the first
  advance(1);
  CAF_REQUIRE_EQUAL(got.size(), 3u);
  CAF_CHECK_EQUAL(got[2].message_id, got[0].message_id); // one message, tried three times
  auto done = outbox();
  CAF_CHECK_EQUAL(status_of(done[0]), "sent");
  CAF_CHECK_EQUAL(done[0].attempts, 2u);

  // Refused: logged with the answer, kept as refused, never tried again.
  script = {{smtp::outcome::refused, 550, "550 5.1.1 no such mailbox"}};
  advance(10 * minute);
  tell(m, error("2"));
  CAF_CHECK_EQUAL(got.size(), 4u);
  advance(120 * minute);
  CAF_CHECK_EQUAL(got.size(), 4u);
  auto refused = outbox();
  CAF_CHECK_EQUAL(status_of(refused[0]), "refused");
  CAF_CHECK_EQUAL(refused[0].answer, "550 5.1.1 no such mailbox");
}

CAF_TEST(what_was_queued_or_pending_before_a_restart_goes_out_after_it) {
  script = {{smtp::outcome::deferred, 0, "Couldn't connect to server"}};
  auto m = spawn_mailer(settings());
  tell(m, error("1")); // at once, and deferred: queued for a retry in 10 s
  now += minute;       // (the scheduler's clock stays: that retry never fires here)
  tell(m, error("2")); // in the mailbox: the interval is not over
  CAF_CHECK_EQUAL(got.size(), 1u);
  // The process ends before either went out: a new mailer on the same LMDB.
  anon_send_exit(m, caf::exit_reason::kill);
  sched.run();
  got.clear();
  auto again = spawn_mailer(settings());
  CAF_REQUIRE_EQUAL(got.size(), 1u); // the queued one, its wait long over
  CAF_CHECK(got[0].subject.find("source issue 1") != std::string::npos);
  advance(4 * minute - 1); // the mailbox: an interval after the first message
  CAF_CHECK_EQUAL(got.size(), 1u);
  advance(1);
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  CAF_CHECK(got[1].subject.find("source issue 2") != std::string::npos);
  for (auto& s : outbox())
    CAF_CHECK_EQUAL(status_of(s), "sent");
}

CAF_TEST(a_test_message_goes_to_the_addresses_asked_for) {
  auto m = spawn_mailer(settings());
  self->send(m, send_atom_v, std::vector<std::string>{"ops@example.org", "lead@example.org"});
  sched.run();
  std::uint64_t id = 0;
  self->receive([&](std::uint64_t x) { id = x; }, caf::after(std::chrono::seconds(0)) >> [] {});
  CAF_CHECK_EQUAL(id, 1u);
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0].subject, "TrackBridge: a test message");
  CAF_CHECK(got[0].to == (std::vector<std::string>{"ops@example.org", "lead@example.org"}));
  auto sent = outbox();
  CAF_REQUIRE_EQUAL(sent.size(), 1u);
  CAF_CHECK(sent[0].events == (std::vector<std::string>{"test"}));
}

CAF_TEST(a_roles_events_go_to_its_members_as_the_tracker_tells_them_and_wait_while_nobody_has_it) {
  rm->fail_members = sync_error{error_kind::unavailable, "connection rm", "connection refused"};
  auto m = spawn_mailer(role_settings());
  tell(m, error("1"));
  // ops gets it at once; who has the role is not known yet, so its mail waits.
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(got[0].to == (addresses{"ops@example.org"}));
  CAF_CHECK(has(log_text(), "warn notifications: cannot read who has the role Manager in "
                            "rm/alpha: connection rm: connection refused; its events wait "
                            "until it can"));
  // The tracker answers a minute later: the waiting event goes to the members.
  rm->fail_members.reset();
  rm->members[{"alpha", "Manager"}] = {{"carol", "carol@example.org"},
                                       {"dave", "dave@example.org"}};
  advance(minute);
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  CAF_CHECK(got[1].to == (addresses{"carol@example.org", "dave@example.org"}));
  CAF_CHECK(has(got[1].subject, "source issue 1"));
  CAF_CHECK(has(log_text(), "info notifications: the role Manager in rm/alpha goes to "
                            "carol@example.org, dave@example.org"));

  // dave leaves the role, erin gets it but the key cannot read her address:
  // the next refresh (10 minutes after the last) knows.
  rm->members[{"alpha", "Manager"}] = {{"carol", "carol@example.org"}, {"erin", ""}};
  advance(10 * minute);
  tell(m, error("2"));
  CAF_REQUIRE_EQUAL(got.size(), 4u); // ops's and the role's, each due
  CAF_CHECK(got[2].to == (addresses{"ops@example.org"}));
  CAF_CHECK(got[3].to == (addresses{"carol@example.org"}));
  CAF_CHECK(has(log_text(), "the addresses of erin cannot be read (the connection's key must "
                            "be an administrator's)"));

  // Nobody has it: a warning, and its events wait for someone who does.
  rm->members[{"alpha", "Manager"}] = {};
  advance(10 * minute);
  CAF_CHECK(has(log_text(), "warn notifications: the role Manager in rm/alpha has nobody with "
                            "an address: its events wait until someone has the role"));
  tell(m, error("3"));
  CAF_REQUIRE_EQUAL(got.size(), 5u); // ops only
  rm->members[{"alpha", "Manager"}] = {{"frank", "frank@example.org"}};
  advance(10 * minute);
  CAF_REQUIRE_EQUAL(got.size(), 6u);
  CAF_CHECK(got[5].to == (addresses{"frank@example.org"}));
  CAF_CHECK(has(got[5].subject, "source issue 3"));
  // A test message reaches the role's members as they are now.
  self->send(m, send_atom_v, addresses{"ops@example.org", role_mailbox("rm", "alpha", "Manager")});
  sched.run();
  CAF_REQUIRE_EQUAL(got.size(), 7u);
  CAF_CHECK(got[6].to == (addresses{"ops@example.org", "frank@example.org"}));
}

CAF_TEST_FIXTURE_SCOPE_END()
