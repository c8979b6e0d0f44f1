#include "actors/mailer_actor.hpp"

#include <algorithm>
#include <random>

#include <caf/typed_event_based_actor.hpp>

#include "domain/time.hpp"

namespace tb {

namespace {

using self_ptr = mailer_actor::stateful_pointer<mailer_state>;

constexpr std::string_view role_prefix = "role:"; // of a role's mailbox (role_mailbox)

bool is_role_mailbox(const std::string& mailbox) {
  return mailbox.starts_with(role_prefix);
}

void log(self_ptr self, log_level level, std::string message) {
  self->send(self->state.log, log_atom_v, level, std::string{}, std::move(message));
}

timestamp now(self_ptr self) {
  return self->state.settings.clock();
}

// A Message-ID the same for every try of one message (it is stored with
// it), unique across restarts: the time it was made and a random part.
std::string message_id_for(timestamp created) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return "<tb." + std::to_string(created) + "." + std::to_string(rng() % 1000000000000ULL)
         + "@trackbridge>";
}

void send_next(self_ptr self);

void set_timer(self_ptr self, const std::string& recipient, timestamp due) {
  auto& timers = self->state.timers;
  if (auto t = timers.find(recipient); t != timers.end() && t->second <= due)
    return; // one is set for then or sooner
  timers[recipient] = due;
  auto wait = std::max<timestamp>(0, due - now(self));
  self->delayed_send(self, std::chrono::milliseconds{wait}, mail_atom_v, recipient);
}

// The events a message tells of, each kind once, in the order they came.
std::vector<std::string> kinds_in(const std::vector<notice>& notices) {
  std::vector<std::string> out;
  for (auto& n : notices)
    if (std::find(out.begin(), out.end(), to_string(n.kind)) == out.end())
      out.push_back(to_string(n.kind));
  return out;
}

const mail_role* role_of(self_ptr self, const std::string& mailbox) {
  for (auto& r : self->state.settings.roles)
    if (r.mailbox == mailbox)
      return &r;
  return nullptr;
}

// Where a mailbox's messages go: the address, or the role's members; none
// while a role's members are not known or none has an address (and for a
// role the configuration no longer names).
std::vector<std::string> addresses_of(self_ptr self, const std::string& mailbox) {
  if (!is_role_mailbox(mailbox))
    return {mailbox};
  auto m = self->state.members.find(mailbox);
  return m == self->state.members.end() ? std::vector<std::string>{} : m->second;
}

// The mailbox goes out if it is due; else its timer is set for when it is.
void check_mailbox(self_ptr self, const std::string& recipient) {
  auto& st = self->state;
  auto to = addresses_of(self, recipient);
  if (to.empty())
    return; // the role's events wait for someone to send them to
  auto t_now = now(self);
  storage::transaction t{st.store->env(), storage::transaction::read_write};
  auto box = st.store->mailbox_of(t, recipient);
  auto due = due_at(box, st.settings.policy);
  if (!due)
    return;
  if (*due > t_now) {
    set_timer(self, recipient, *due);
    return;
  }
  auto text = compose(box.pending, st.settings.policy, st.settings.api_base);
  storage::outgoing_mail m;
  m.to = std::move(to);
  m.subject = text.subject;
  m.body = text.body;
  m.message_id = message_id_for(t_now);
  m.events = kinds_in(box.pending);
  m.created = t_now;
  m.next_try = t_now;
  auto id = st.store->take_into(t, recipient, std::move(m), t_now);
  t.commit();
  st.waiting.push_back(id);
  send_next(self);
}

void on_notice(self_ptr self, const notice& n) {
  auto& st = self->state;
  auto recipients = recipients_of(st.settings.rules, n);
  if (recipients.empty())
    return;
  {
    storage::transaction t{st.store->env(), storage::transaction::read_write};
    for (auto& r : recipients)
      st.store->add_notice(t, r, n);
    t.commit();
  }
  // A mailbox with its timer set is due then still: its first notice and
  // its sends are as they were. A storm costs one check per mailbox.
  for (auto& r : recipients)
    if (!st.timers.count(r))
      check_mailbox(self, r);
}

void finished(self_ptr self, storage::outgoing_mail m, const smtp::send_result& r) {
  auto& st = self->state;
  auto t_now = now(self);
  m.answer = r.answer;
  std::string to;
  for (auto& x : m.to)
    to += (to.empty() ? "" : ", ") + x;
  auto what = "notification " + std::to_string(m.id) + " to " + to;
  switch (r.what) {
    case smtp::outcome::accepted:
      m.status = storage::mail_status::sent;
      m.finished = t_now;
      log(self, log_level::info, what + " sent (" + r.answer + "): " + m.subject);
      break;
    case smtp::outcome::refused:
      m.status = storage::mail_status::refused;
      m.finished = t_now;
      log(self, log_level::error,
          what + " refused by the SMTP server, not tried again: " + r.answer
            + " (check the addresses and notifications.smtp)");
      break;
    case smtp::outcome::deferred: {
      ++m.attempts;
      auto wait = mail_retry_delay(m.attempts);
      m.next_try = t_now + wait.count();
      log(self, log_level::warn,
          what + " not sent yet (" + r.answer + "); trying again in "
            + std::to_string(wait.count() / 1000) + " s");
      self->delayed_send(self, wait, retry_atom_v, m.id);
      break;
    }
  }
  storage::transaction t{st.store->env(), storage::transaction::read_write};
  st.store->update(t, m);
  t.commit();
}

void send_next(self_ptr self) {
  auto& st = self->state;
  if (st.sending || st.waiting.empty())
    return;
  auto id = st.waiting.front();
  st.waiting.pop_front();
  std::optional<storage::outgoing_mail> m;
  {
    storage::transaction t{st.store->env(), storage::transaction::read_only};
    m = st.store->find(t, id);
  }
  if (!m || m->status != storage::mail_status::queued) {
    send_next(self);
    return;
  }
  st.sending = true;
  smtp::mail out{m->to, m->subject, m->body, m->message_id};
  self->request(st.smtp, st.settings.send_timeout, send_atom_v, std::move(out))
    .then(
      [self, m = *m](smtp::send_result& r) {
        self->state.sending = false;
        finished(self, m, r);
        send_next(self);
      },
      [self, m = *m](caf::error& e) {
        self->state.sending = false;
        finished(self, m,
                 {smtp::outcome::deferred, 0, "no answer from the SMTP worker: "
                                                + self->system().render(e)});
        send_next(self);
      });
}

std::string role_named(const mail_role& r) {
  return "the role " + r.role + " in " + r.connection + "/" + r.project;
}

void ask_members(self_ptr self, const mail_role& r);

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

// The line the log gets about a role's members as the tracker told them.
std::pair<log_level, std::string> members_news(const mail_role& r,
                                               const std::vector<std::string>& to,
                                               const std::vector<std::string>& unread) {
  auto level = to.empty() || !unread.empty() ? log_level::warn : log_level::info;
  auto news = to.empty() ? "notifications: " + role_named(r)
                             + " has nobody with an address: its events wait until someone "
                               "has the role (give it to someone in the tracker)"
                         : "notifications: " + role_named(r) + " goes to " + joined(to);
  if (!unread.empty())
    news += "; the addresses of " + joined(unread)
            + " cannot be read (the connection's key must be an administrator's)";
  return {level, news};
}

// What the tracker said of a role: its members' addresses from now on,
// logged when they change, and the role's events sent if any are due.
void on_members(self_ptr self, const std::string& mailbox, const members_result& m) {
  auto& st = self->state;
  auto* r = role_of(self, mailbox);
  if (!r)
    return;
  auto wait = st.settings.role_refresh;
  std::pair<log_level, std::string> news;
  if (m) {
    std::vector<std::string> to, unread;
    for (auto& p : *m)
      if (p.mail.empty())
        unread.push_back(p.login);
      else
        to.push_back(p.mail);
    news = members_news(*r, to, unread);
    st.members[mailbox] = std::move(to);
  } else {
    bool known = st.members.count(mailbox) > 0;
    news = {log_level::warn,
            "notifications: cannot read who has " + role_named(*r) + ": " + m.error().where + ": "
              + m.error().message
              + (known ? "; its events go to the members it had"
                       : "; its events wait until it can")};
    wait = std::min(wait, st.settings.role_retry);
  }
  if (st.role_news[mailbox] != news.second) {
    st.role_news[mailbox] = news.second;
    log(self, news.first, news.second);
  }
  self->delayed_send(self, wait, members_atom_v, mailbox);
  check_mailbox(self, mailbox);
}

void ask_members(self_ptr self, const mail_role& r) {
  auto mailbox = r.mailbox;
  self->request(r.conn, std::chrono::minutes{5}, members_atom_v, r.project, r.role)
    .then([self, mailbox](members_result& m) { on_members(self, mailbox, m); },
          [self, mailbox](caf::error& e) {
            on_members(self, mailbox,
                       sync_error{error_kind::unavailable, "its connection",
                                  "no answer: " + self->system().render(e)});
          });
}

// After a restart: what was queued is sent (when its wait is over), and
// what was pending in mailboxes goes out when due.
void resume(self_ptr self) {
  auto& st = self->state;
  std::vector<storage::outgoing_mail> queued;
  std::vector<std::string> recipients;
  {
    storage::transaction t{st.store->env(), storage::transaction::read_only};
    queued = st.store->queued(t);
    recipients = st.store->recipients(t);
  }
  auto t_now = now(self);
  for (auto& m : queued) {
    if (m.next_try > t_now)
      self->delayed_send(self, std::chrono::milliseconds{m.next_try - t_now}, retry_atom_v, m.id);
    else
      st.waiting.push_back(m.id);
  }
  if (!queued.empty())
    log(self, log_level::info,
        std::to_string(queued.size()) + " notification(s) not yet accepted by the SMTP server "
          + "are sent again");
  send_next(self);
  for (auto& r : recipients) {
    if (is_role_mailbox(r) && !role_of(self, r))
      log(self, log_level::warn,
          "notifications: events wait in the mailbox of " + r.substr(role_prefix.size())
            + ", a role the configuration no longer names; they are kept");
    check_mailbox(self, r);
  }
  for (auto& r : st.settings.roles)
    ask_members(self, r);
}

} // namespace

std::string role_mailbox(const std::string& connection, const std::string& project,
                         const std::string& role) {
  return std::string{role_prefix} + connection + "/" + project + "/" + role;
}

std::chrono::milliseconds mail_retry_delay(unsigned attempt) {
  constexpr std::int64_t first_ms = 10'000, most_ms = 15 * 60'000;
  std::int64_t ms = first_ms;
  for (unsigned i = 1; i < attempt && ms < most_ms; ++i)
    ms *= 2;
  return std::chrono::milliseconds{std::min(ms, most_ms)};
}

std::vector<std::string> recipients_of(const std::vector<mail_rule>& rules, const notice& n) {
  std::vector<std::string> out;
  for (auto& r : rules) {
    if (!r.events.count(n.kind))
      continue;
    if (!r.tasks.empty()
        && (n.task.empty() || std::find(r.tasks.begin(), r.tasks.end(), n.task) == r.tasks.end()))
      continue;
    for (auto& to : r.to)
      if (std::find(out.begin(), out.end(), to) == out.end())
        out.push_back(to);
  }
  return out;
}

mailer_actor::behavior_type mailer(mailer_actor::stateful_pointer<mailer_state> self,
                                   mailer_settings settings, storage::mail_store* store,
                                   smtp_actor smtp, logger_actor log_to) {
  auto& st = self->state;
  st.settings = std::move(settings);
  if (!st.settings.clock)
    st.settings.clock = now_ms;
  st.store = store;
  st.smtp = std::move(smtp);
  st.log = std::move(log_to);
  resume(self);
  return {
    [self](notice_atom, const notice& n) { on_notice(self, n); },
    [self](mail_atom, const std::string& recipient) {
      self->state.timers.erase(recipient);
      check_mailbox(self, recipient);
    },
    [self](retry_atom, std::uint64_t id) {
      self->state.waiting.push_back(id);
      send_next(self);
    },
    [self](members_atom, const std::string& mailbox) {
      if (auto* r = role_of(self, mailbox))
        ask_members(self, *r);
    },
    [self](send_atom, const std::vector<std::string>& recipients) {
      auto& st = self->state;
      auto t_now = now(self);
      storage::outgoing_mail m;
      // A role's members as they are known now; a role not known yet has
      // nobody to send to.
      for (auto& r : recipients)
        for (auto& a : addresses_of(self, r))
          if (std::find(m.to.begin(), m.to.end(), a) == m.to.end())
            m.to.push_back(a);
      if (m.to.empty())
        return std::uint64_t{0};
      m.subject = "TrackBridge: a test message";
      m.body = "This is a test message from TrackBridge (POST /api/v1/notifications/test).\n"
               "Notifications reach this address.\n";
      m.message_id = message_id_for(t_now);
      m.events = {"test"};
      m.created = m.next_try = t_now;
      storage::transaction t{st.store->env(), storage::transaction::read_write};
      auto id = st.store->enqueue(t, std::move(m));
      t.commit();
      st.waiting.push_back(id);
      send_next(self);
      return id;
    },
  };
}

smtp_actor::behavior_type smtp_worker(smtp_actor::pointer, smtp::server_settings settings) {
  return {
    [settings](send_atom, const smtp::mail& m) { return smtp::send(settings, m, now_ms()); },
  };
}

} // namespace tb
