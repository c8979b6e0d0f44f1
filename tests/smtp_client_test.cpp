#define CAF_SUITE smtp_client
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "adapters/smtp/smtp_client.hpp"
#include "tests/support/smtp_sink.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

// The SMTP client against a real SMTP server (aiosmtpd) on 127.0.0.1: what
// arrives, and what a refusal, a deferral, a server that is down or a
// certificate that is not trusted answer.

using namespace tb;
using namespace tb::smtp;

namespace {

constexpr timestamp now = 1796342400000; // 2026-12-04T00:00:00Z, a Friday

mail a_mail(std::vector<std::string> to) {
  return {std::move(to), "TrackBridge: 2 new error items in task a-b",
          "task a-b, source issue 4, field status:\nRedmine refused it (422)\n.\nthe end",
          "<n1.1796356800@trackbridge>"};
}

server_settings plain(std::uint16_t port) {
  server_settings s;
  s.port = port;
  s.tls = security::none;
  s.from = "trackbridge@example.org";
  s.timeout = std::chrono::seconds{10};
  return s;
}

bool has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos)
    return true;
  CAF_MESSAGE("no '" << part << "' in: " << text);
  return false;
}

} // namespace

CAF_TEST(a_message_has_its_headers_crlf_lines_and_an_encoded_subject_on_one_line) {
  auto s = plain(25);
  auto m = a_mail({"ops@example.org", "lead@example.org"});
  m.subject = "Fehler in Aufgabe \xc3\xa4-b\r\nBcc: victim@example.org";
  auto text = format_message(s, m, now);
  CAF_CHECK(has(text, "Date: Fri, 04 Dec 2026 00:00:00 +0000\r\n"));
  CAF_CHECK(has(text, "From: TrackBridge <trackbridge@example.org>\r\n"));
  CAF_CHECK(has(text, "To: ops@example.org, lead@example.org\r\n"));
  CAF_CHECK(has(text, "Message-ID: <n1.1796356800@trackbridge>\r\n"));
  CAF_CHECK(has(text, "Content-Type: text/plain; charset=UTF-8\r\n"));
  CAF_CHECK(has(text, "Auto-Submitted: auto-generated\r\n"));
  // The subject's line break is gone: no header of its own.
  CAF_CHECK(text.find("\r\nBcc:") == std::string::npos);
  CAF_CHECK(has(text, "Subject: =?UTF-8?B?"));
  CAF_CHECK(has(text, "\r\n\r\ntask a-b, source issue 4, field status:\r\nRedmine refused it "
                      "(422)\r\n.\r\nthe end\r\n"));
}

CAF_TEST(a_server_accepts_a_message_for_each_recipient_as_it_was_written) {
  tb::test::temp_dir dir;
  tb::test::smtp_sink sink{dir.path()};
  auto r = send(plain(sink.port()), a_mail({"ops@example.org", "lead@example.org"}), now);
  CAF_CHECK_EQUAL(to_string(r.what), std::string{"accepted"});
  CAF_CHECK_EQUAL(r.code, 250);
  CAF_CHECK(has(r.answer, "accepted as message 1"));
  auto got = sink.messages();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0].mail_from, "trackbridge@example.org");
  CAF_CHECK(got[0].rcpt_tos == (std::vector<std::string>{"ops@example.org", "lead@example.org"}));
  CAF_CHECK(has(got[0].data, "Subject: TrackBridge: 2 new error items in task a-b\r\n"));
  // A line of one dot went through SMTP's dot-stuffing and came out whole.
  CAF_CHECK(has(got[0].data, "(422)\r\n.\r\nthe end\r\n"));
  CAF_CHECK(!got[0].tls);
}

CAF_TEST(a_refused_recipient_is_refused_with_the_servers_answer) {
  tb::test::temp_dir dir;
  tb::test::smtp_sink sink{dir.path(), {.refuse_rcpt = "nobody"}};
  auto r = send(plain(sink.port()), a_mail({"nobody@example.org"}), now);
  CAF_CHECK_EQUAL(to_string(r.what), std::string{"refused"});
  CAF_CHECK_EQUAL(r.code, 550);
  CAF_CHECK(has(r.answer, "550 5.1.1 <nobody@example.org>: no such mailbox here"));
  CAF_CHECK(sink.messages().empty());
}

CAF_TEST(a_deferral_and_a_server_that_is_down_are_deferred_and_the_next_try_goes_through) {
  tb::test::temp_dir dir;
  auto down_port = tb::test::free_port();
  auto down = send(plain(down_port), a_mail({"ops@example.org"}), now);
  CAF_CHECK_EQUAL(to_string(down.what), std::string{"deferred"});
  CAF_CHECK_EQUAL(down.code, 0);
  CAF_CHECK(has(down.answer, "onnect"));
  tb::test::smtp_sink sink{dir.path(), {.defer = 1}};
  auto deferred = send(plain(sink.port()), a_mail({"ops@example.org"}), now);
  CAF_CHECK_EQUAL(to_string(deferred.what), std::string{"deferred"});
  CAF_CHECK_EQUAL(deferred.code, 451);
  CAF_CHECK(has(deferred.answer, "451 4.3.0 the test server defers this message"));
  auto again = send(plain(sink.port()), a_mail({"ops@example.org"}), now);
  CAF_CHECK_EQUAL(to_string(again.what), std::string{"accepted"});
  CAF_CHECK_EQUAL(sink.messages().size(), 1u);
}

CAF_TEST(starttls_with_the_tests_ca_and_a_login_goes_through_and_an_unknown_ca_does_not) {
  tb::test::temp_dir dir;
  tb::test::test_ca ca{"smtp", dir.path()};
  auto cert = ca.issue({.common_name = "127.0.0.1", .ip_addresses = {"127.0.0.1"}}, "smtp");
  tb::test::smtp_sink sink{dir.path(), {.tls_cert = cert.cert,
                                        .tls_key = cert.key,
                                        .require_tls = true,
                                        .auth = "tb:s3cret"}};
  auto s = plain(sink.port());
  s.tls = security::starttls;
  s.ca_file = ca.cert_file();
  s.user = "tb";
  s.password = "s3cret";
  auto r = send(s, a_mail({"ops@example.org"}), now);
  CAF_CHECK_EQUAL(to_string(r.what), std::string{"accepted"});
  auto got = sink.messages();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(got[0].tls);
  CAF_CHECK_EQUAL(got[0].login, "tb");

  // A wrong password: the server's refusal.
  s.password = "wrong";
  auto denied = send(s, a_mail({"ops@example.org"}), now);
  CAF_CHECK_EQUAL(to_string(denied.what), std::string{"refused"});
  CAF_CHECK_EQUAL(denied.code, 535);

  // A CA that did not sign the server's certificate: nothing is sent.
  tb::test::test_ca other{"other", dir.path()};
  s.password = "s3cret";
  s.ca_file = other.cert_file();
  auto untrusted = send(s, a_mail({"ops@example.org"}), now);
  CAF_CHECK_EQUAL(to_string(untrusted.what), std::string{"deferred"});
  CAF_CHECK(has(untrusted.answer, "certificate"));
  CAF_CHECK_EQUAL(sink.messages().size(), 1u);
}
