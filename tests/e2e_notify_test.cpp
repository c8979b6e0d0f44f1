#define CAF_SUITE e2e_notify
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "tests/e2e_fixture.hpp"
#include "tests/support/smtp_sink.hpp"

// Notifications end to end: the real server, a real SMTP server (aiosmtpd)
// on 127.0.0.1, and what reaches the mailbox: an error item's mail, a test
// message, and mail that waits while the SMTP server is down, across a
// restart of TrackBridge, and arrives once.

namespace {

struct fixture : e2e_fixture {
  // b has no Customer field: an issue with one is an error item, mailed.
  void write_config_mailing(std::uint16_t smtp_port) {
    auto cfg = config_with_a_missing_field();
    cfg["notifications"] = {
      {"smtp", {{"host", "127.0.0.1"}, {"port", smtp_port}, {"security", "none"},
                {"from", "trackbridge@example.org"}}},
      {"interval_s", 10},
      {"rules", {{{"events", {"error", "parked"}}, {"to", {"ops@example.org"}}}}}};
    std::ofstream{dir.file("config.json")} << cfg.dump(2);
  }

  json notifications() { return call("GET", "/api/v1/notifications")["notifications"]; }
};

std::string text(const nlohmann::json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

bool has(const std::string& s, const std::string& part) {
  if (s.find(part) != std::string::npos)
    return true;
  CAF_MESSAGE("no '" << part << "' in:\n" << s);
  return false;
}

// The opposite of has, for text that must not be there.
bool has_not(const std::string& s, const std::string& part) {
  if (s.find(part) == std::string::npos)
    return true;
  CAF_MESSAGE("'" << part << "' in:\n" << s);
  return false;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(e2e_notify_tests, fixture)

CAF_TEST(an_error_item_is_mailed_and_mail_waits_for_a_server_that_is_down_across_a_restart) {
  auto sink = std::make_unique<tb::test::smtp_sink>(dir.file("smtp1"));
  auto smtp_port = sink->port();
  write_config_mailing(smtp_port);
  start();
  auto first = create("a", "alice", {{"subject", "Has a customer"}, {"Customer", "ACME"}});
  if (!eventually([&] { return sink->messages().size() == 1; }))
    CAF_FAIL(sink->messages().size() << " messages; the server's log:\n"
                                     << server->log() << "\nthe SMTP server's:\n"
                                     << sink->log());
  auto mail = sink->messages()[0];
  CAF_CHECK(mail.rcpt_tos == (std::vector<std::string>{"ops@example.org"}));
  CAF_CHECK(has(mail.data, "Subject: TrackBridge: task a-b: new error item, source issue "
                             + first + "\r\n"));
  CAF_CHECK(has(mail.data, "connection b, project DEMO, field Customer: unknown field Customer"));
  CAF_CHECK(has(mail.data, "POST http://127.0.0.1:" + std::to_string(port) + "/api/v1/errors/a-b/"
                             "source/" + first + "/retry"));
  auto listed = notifications();
  CAF_REQUIRE_EQUAL(listed.size(), 1u);
  CAF_CHECK_EQUAL(text(listed[0]["status"]), "sent");
  CAF_CHECK(has(text(listed[0]["answer"]), "accepted as message 1"));

  // A test message, to the rules' addresses.
  auto test = api_call("POST", "/api/v1/notifications/test");
  CAF_CHECK_EQUAL(test.status, 202);
  CAF_CHECK(eventually([&] { return sink->messages().size() == 2; }));
  CAF_CHECK(has(sink->messages().back().data, "Subject: TrackBridge: a test message"));

  // The SMTP server goes down; the next error's mail cannot go out.
  sink.reset();
  auto second = create("a", "bob", {{"subject", "Another customer"}, {"Customer", "Initech"}});
  CAF_REQUIRE(eventually([&] {
    auto all = notifications();
    return all.size() == 3 && text(all[0]["status"]) == "queued"
           && all[0]["attempts"].get<int>() >= 1;
  }, std::chrono::seconds{30}));
  // TrackBridge restarts while it waits; then the SMTP server is back.
  CAF_REQUIRE_EQUAL(stop(), 0);
  start();
  tb::test::smtp_sink back{dir.file("smtp2"), {.port = smtp_port}};
  CAF_REQUIRE(eventually([&] { return back.messages().size() == 1; }, std::chrono::seconds{60}));
  CAF_CHECK(has(back.messages()[0].data, "source issue " + second));
  CAF_CHECK(eventually([&] { return text(notifications()[0]["status"]) == "sent"; }));
  // Once: nothing else arrives (the first error's mail was not sent again),
  // and the outbox holds the three, each sent.
  CAF_CHECK_EQUAL(back.messages().size(), 1u);
  auto all = notifications();
  CAF_CHECK_EQUAL(all.size(), 3u);
  for (auto& n : all)
    CAF_CHECK_EQUAL(text(n["status"]), "sent");
  auto log = server->log();
  CAF_CHECK(has(log, "not yet accepted by the SMTP server are sent again"));
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST(a_storm_of_errors_after_the_first_is_one_digest_with_the_right_counts) {
  tb::test::smtp_sink sink{dir.file("smtp")};
  write_config_mailing(sink.port()); // interval_s 10
  start();
  auto first = create("a", "alice", {{"subject", "First"}, {"Customer", "ACME"}});
  CAF_REQUIRE(eventually([&] { return sink.messages().size() == 1; }));
  // 30 more within the interval: held back, then one message.
  for (int i = 0; i < 30; ++i)
    create("a", "bob", {{"subject", "Storm " + std::to_string(i)}, {"Customer", "Initech"}});
  CAF_REQUIRE(eventually([&] { return sink.messages().size() == 2; }, std::chrono::seconds{40}));
  auto digest = sink.messages()[1];
  CAF_CHECK(has(digest.data, "Subject: TrackBridge: 30 events: task a-b: 30 new error items\r\n"));
  CAF_CHECK(has(digest.data, "task a-b: 30 new error items: connection b, project DEMO, field "
                             "Customer: unknown field Customer"));
  CAF_CHECK(has(digest.data, "  ... and 25 more"));
  CAF_CHECK(has_not(digest.data, "source issue " + first + " ("));
  // Every error is in one of the two: the list has 31 items, nothing waits.
  auto errors = call("GET", "/api/v1/errors?task=a-b");
  CAF_CHECK_EQUAL(errors["errors"].size(), 31u);
  auto listed = notifications();
  CAF_CHECK_EQUAL(listed.size(), 2u);
}

CAF_TEST(a_test_message_without_notifications_is_a_409) {
  write_config("one-way");
  start();
  auto r = api_call("POST", "/api/v1/notifications/test");
  CAF_CHECK_EQUAL(r.status, 409);
  CAF_CHECK(has(r.body, "no notifications are configured"));
  CAF_CHECK(call("GET", "/api/v1/notifications")["notifications"].empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
