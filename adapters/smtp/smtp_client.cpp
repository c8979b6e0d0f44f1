#include "adapters/smtp/smtp_client.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

#include <curl/curl.h>
#include <openssl/evp.h>

namespace tb::smtp {

namespace {

// A tracker's text in a header: one line, whatever it held.
std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\r' || c == '\n')
      c = ' ';
  return s;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// RFC 2047: ASCII as it is; otherwise UTF-8 base64 words of at most 75
// characters, cut between characters, one per folded line.
std::string encoded_subject(const std::string& text) {
  bool ascii = true;
  for (unsigned char c : text)
    ascii = ascii && c < 0x80;
  if (ascii)
    return text;
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = std::min(text.size(), i + 45);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      --end; // a continuation byte: the character starts before
    out += (out.empty() ? "" : "\r\n ") + std::string{"=?UTF-8?B?"}
           + base64(text.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string rfc5322_date(timestamp now_ms) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string crlf_lines(const std::string& body) {
  std::string out;
  out.reserve(body.size() + body.size() / 32);
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n')
      continue; // the \n below ends it
    if (body[i] == '\n' || body[i] == '\r')
      out += "\r\n";
    else
      out += body[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0)
    out += "\r\n";
  return out;
}

struct upload {
  const std::string& text;
  std::size_t sent = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& u = *static_cast<upload*>(user);
  std::size_t n = std::min(size * count, u.text.size() - u.sent);
  std::memcpy(buffer, u.text.data() + u.sent, n);
  u.sent += n;
  return n;
}

// The server's replies, as libcurl's debug callback sees them: the first
// refusal or deferral (4xx, 5xx) is what the failure says, since the QUIT
// after it is answered too; else the last reply. What goes out (a login)
// is never kept.
struct replies {
  std::string last;
  std::string failure;
};

int keep_replies(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN)
    return 0;
  auto& r = *static_cast<replies*>(user);
  std::string line{data, size};
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  if (line.empty())
    return 0;
  r.last = line;
  if (r.failure.empty() && (line[0] == '4' || line[0] == '5'))
    r.failure = line;
  return 0;
}

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace

const char* to_string(outcome o) {
  switch (o) {
    case outcome::accepted:
      return "accepted";
    case outcome::refused:
      return "refused";
    case outcome::deferred:
      break;
  }
  return "deferred";
}

std::string format_message(const server_settings& s, const mail& m, timestamp now) {
  std::string to;
  for (auto& r : m.to)
    to += (to.empty() ? "" : ", ") + one_line(r);
  std::string out;
  out += "Date: " + rfc5322_date(now) + "\r\n";
  out += "From: TrackBridge <" + one_line(s.from) + ">\r\n";
  out += "To: " + to + "\r\n";
  out += "Subject: " + encoded_subject(one_line(m.subject)) + "\r\n";
  out += "Message-ID: " + one_line(m.message_id) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  // RFC 3834: no vacation replies to a machine's mail.
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  out += crlf_lines(m.body);
  return out;
}

send_result send(const server_settings& s, const mail& m, timestamp now) {
  init_curl_once();
  std::unique_ptr<CURL, void (*)(CURL*)> curl{curl_easy_init(), &curl_easy_cleanup};
  if (!curl)
    return {outcome::deferred, 0, "libcurl could not start a transfer"};
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> recipients{nullptr, &curl_slist_free_all};
  for (auto& r : m.to)
    recipients.reset(curl_slist_append(recipients.release(), ("<" + r + ">").c_str()));
  auto text = format_message(s, m, now);
  upload body{text};
  replies seen;
  char error[CURL_ERROR_SIZE] = {0};
  auto url = std::string{s.tls == security::tls ? "smtps://" : "smtp://"} + s.host + ":"
             + std::to_string(s.port);
  auto* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USE_SSL,
                   s.tls == security::none ? static_cast<long>(CURLUSESSL_NONE)
                                           : static_cast<long>(CURLUSESSL_ALL));
  if (!s.ca_file.empty())
    curl_easy_setopt(h, CURLOPT_CAINFO, s.ca_file.c_str());
  if (!s.user.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, s.user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, s.password.c_str());
  }
  auto from = "<" + s.from + ">";
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_upload);
  curl_easy_setopt(h, CURLOPT_READDATA, &body);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(s.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<std::int64_t>(s.timeout.count(), 10000)));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &keep_replies);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &seen);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L); // the debug callback sees the replies only so
  auto rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  send_result out;
  out.code = static_cast<int>(code);
  if (rc == CURLE_OK) {
    out.what = outcome::accepted;
    out.answer = seen.last;
    return out;
  }
  auto why = std::string{*error ? error : curl_easy_strerror(rc)};
  out.answer = seen.failure.empty() || code < 400 ? why : seen.failure;
  out.what = code >= 500 && code < 600 ? outcome::refused : outcome::deferred;
  return out;
}

} // namespace tb::smtp
