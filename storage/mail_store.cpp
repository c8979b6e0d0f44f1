#include "storage/mail_store.hpp"

#include <algorithm>

#include "storage/record.hpp"

namespace tb::storage {

namespace {

using json = nlohmann::json;

// Keys: recipient, NUL, then the notice's sequence number: a mailbox is
// one prefix, in the order its notices came.
std::string box_prefix(const std::string& recipient) {
  return recipient + std::string(1, '\0');
}

json notice_json(const notice& n) {
  return {{"kind", to_string(n.kind)}, {"task", n.task},   {"connection", n.connection},
          {"side", n.side},            {"issue", n.issue}, {"message", n.message},
          {"time", n.time}};
}

notice notice_of(const json& j) {
  notice n;
  n.kind = notice_kind_named(j.value("kind", "")).value_or(notice_kind::error_item);
  n.task = j.value("task", "");
  n.connection = j.value("connection", "");
  n.side = j.value("side", "");
  n.issue = j.value("issue", "");
  n.message = j.value("message", "");
  n.time = j.value("time", timestamp{0});
  return n;
}

mail_status status_named(const std::string& s) {
  return s == "sent" ? mail_status::sent : s == "refused" ? mail_status::refused
                                                          : mail_status::queued;
}

std::string mail_record(const outgoing_mail& m) {
  return encode({{"to", m.to},
                 {"subject", m.subject},
                 {"body", m.body},
                 {"message_id", m.message_id},
                 {"events", m.events},
                 {"status", to_string(m.status)},
                 {"attempts", m.attempts},
                 {"created", m.created},
                 {"next_try", m.next_try},
                 {"finished", m.finished},
                 {"answer", m.answer}});
}

outgoing_mail mail_of(std::uint64_t id, std::string_view v) {
  auto j = decode(v);
  outgoing_mail m;
  m.id = id;
  m.to = j.value("to", std::vector<std::string>{});
  m.subject = j.value("subject", "");
  m.body = j.value("body", "");
  m.message_id = j.value("message_id", "");
  m.events = j.value("events", std::vector<std::string>{});
  m.status = status_named(j.value("status", ""));
  m.attempts = j.value("attempts", 0u);
  m.created = j.value("created", timestamp{0});
  m.next_try = j.value("next_try", timestamp{0});
  m.finished = j.value("finished", timestamp{0});
  m.answer = j.value("answer", "");
  return m;
}

std::uint64_t next_seq(transaction& t, MDB_dbi meta, const char* key) {
  std::uint64_t seq = 1;
  if (auto v = t.get(meta, key))
    seq = from_be64(*v) + 1;
  t.put(meta, key, be64(seq));
  return seq;
}

} // namespace

const char* to_string(mail_status s) {
  switch (s) {
    case mail_status::sent:
      return "sent";
    case mail_status::refused:
      return "refused";
    case mail_status::queued:
      break;
  }
  return "queued";
}

mail_store::mail_store(environment& env)
  : env_(env), notices_(env.database("mail_notices")), sends_(env.database("mail_sends")),
    outbox_(env.database("mail_outbox")), meta_(env.database("meta")) {
}

void mail_store::add_notice(transaction& t, const std::string& recipient, const notice& n) {
  auto seq = next_seq(t, meta_, "mail_notice_seq");
  t.put(notices_, box_prefix(recipient) + be64(seq), encode(notice_json(n)));
}

mailbox mail_store::mailbox_of(transaction& t, const std::string& recipient) {
  mailbox m;
  t.scan(notices_, box_prefix(recipient), [&](std::string_view, std::string_view v) {
    m.pending.push_back(notice_of(decode(v)));
    return true;
  });
  if (auto v = t.get(sends_, recipient))
    m.sent = decode(*v).get<std::vector<timestamp>>();
  return m;
}

std::vector<std::string> mail_store::recipients(transaction& t) {
  std::vector<std::string> out;
  t.scan(notices_, "", [&](std::string_view k, std::string_view) {
    auto recipient = std::string{k.substr(0, k.find('\0'))};
    if (out.empty() || out.back() != recipient)
      out.push_back(recipient);
    return true;
  });
  return out;
}

std::uint64_t mail_store::take_into(transaction& t, const std::string& recipient, outgoing_mail m,
                                    timestamp now) {
  std::vector<std::string> keys;
  t.scan(notices_, box_prefix(recipient), [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  for (auto& k : keys)
    t.erase(notices_, k);
  auto box = mailbox_of(t, recipient);
  forget_old_sends(box, now);
  box.sent.push_back(now);
  t.put(sends_, recipient, encode(json(box.sent)));
  return enqueue(t, std::move(m));
}

std::uint64_t mail_store::enqueue(transaction& t, outgoing_mail m) {
  m.id = next_seq(t, meta_, "mail_seq");
  t.put(outbox_, be64(m.id), mail_record(m));
  return m.id;
}

void mail_store::update(transaction& t, const outgoing_mail& m) {
  t.put(outbox_, be64(m.id), mail_record(m));
}

std::optional<outgoing_mail> mail_store::find(transaction& t, std::uint64_t id) {
  auto v = t.get(outbox_, be64(id));
  if (!v)
    return std::nullopt;
  return mail_of(id, *v);
}

std::vector<outgoing_mail> mail_store::queued(transaction& t) {
  std::vector<outgoing_mail> out;
  t.scan(outbox_, "", [&](std::string_view k, std::string_view v) {
    auto m = mail_of(from_be64(k), v);
    if (m.status == mail_status::queued)
      out.push_back(std::move(m));
    return true;
  });
  return out;
}

std::vector<outgoing_mail> mail_store::newest(transaction& t, std::uint64_t before,
                                              std::size_t limit) {
  std::uint64_t last = 0;
  if (auto v = t.get(meta_, "mail_seq"))
    last = from_be64(*v);
  auto end = before == 0 || before > last + 1 ? last + 1 : before; // ids below end
  auto from = end > limit ? end - limit : 1;
  std::vector<outgoing_mail> out;
  t.scan_from(outbox_, "", be64(from), [&](std::string_view k, std::string_view v) {
    auto id = from_be64(k);
    if (id >= end)
      return false;
    out.push_back(mail_of(id, v));
    return true;
  });
  std::reverse(out.begin(), out.end());
  return out;
}

} // namespace tb::storage
