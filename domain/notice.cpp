#include "domain/notice.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "domain/time.hpp"

namespace tb {

namespace {

constexpr timestamp hour_ms = 3'600'000;

struct kind_name {
  notice_kind kind;
  const char* name;
  const char* one;  // "new error item"
  const char* many; // "new error items"
};

const kind_name kinds[] = {
  {notice_kind::error_item, "error", "new error item", "new error items"},
  {notice_kind::parked, "parked", "item parked", "items parked"},
  {notice_kind::connection_down, "connection-down", "connection failing", "connection failures"},
  {notice_kind::connection_back, "connection-back", "connection back", "connections back"},
  {notice_kind::task_invalid, "task-invalid", "task invalid", "tasks invalid"},
  {notice_kind::task_stopped, "task-stopped", "task stopped by an error",
   "tasks stopped by an error"},
  {notice_kind::deleted, "deleted", "deleted issue handled", "deleted issues handled"},
  {notice_kind::synced, "synced", "issue synced", "issues synced"},
};

const kind_name& named(notice_kind k) {
  for (auto& n : kinds)
    if (n.kind == k)
      return n;
  return kinds[0];
}

std::string counted(std::size_t n, notice_kind k) {
  return std::to_string(n) + " " + (n == 1 ? named(k).one : named(k).many);
}

// Where a group's events happened: a task, or a connection.
std::string scope_of(const notice& n) {
  return n.task.empty() ? "connection " + n.connection : "task " + n.task;
}

std::string item_of(const notice& n) {
  std::string out = n.issue.empty() ? std::string{} : n.side + " issue " + n.issue;
  return (out.empty() ? std::string{} : out + " ") + "(" + to_rfc3339(n.time) + ")";
}

// What the reader does about a group, with the API paths to do it with.
std::string advice(const notice& first, const std::string& base) {
  auto item = first.task + "/" + first.side + "/" + first.issue;
  switch (first.kind) {
    case notice_kind::error_item:
      return "fix the cause, then retry an item (POST " + base + "/api/v1/errors/" + item
             + "/retry) or give it up (POST " + base + "/api/v1/errors/" + item
             + "/skip); all of them: GET " + base + "/api/v1/errors?task=" + first.task;
    case notice_kind::parked:
      return "it is not retried by itself any more: fix the cause, then POST " + base
             + "/api/v1/errors/" + item + "/retry";
    case notice_kind::connection_down:
      return "the syncs that need it wait and go on by themselves once it answers; "
             "GET " + base + "/metrics shows its calls";
    case notice_kind::connection_back:
    case notice_kind::synced:
      return "nothing to do";
    case notice_kind::task_invalid:
      return "GET " + base + "/api/v1/tasks/" + first.task + " lists its problems; fix them, "
             "then POST " + base + "/api/v1/tasks/" + first.task + "/start";
    case notice_kind::task_stopped:
      return "GET " + base + "/api/v1/log?task=" + first.task + " has the error; fix its "
             "cause, then restart TrackBridge, which resumes the task where it stopped";
    case notice_kind::deleted:
      return "nothing to do; GET " + base + "/api/v1/log?task=" + first.task + " has each";
  }
  return "";
}

} // namespace

const char* to_string(notice_kind k) {
  return named(k).name;
}

std::optional<notice_kind> notice_kind_named(const std::string& name) {
  for (auto& n : kinds)
    if (name == n.name)
      return n.kind;
  return std::nullopt;
}

const std::vector<std::string>& notice_kind_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (auto& n : kinds)
      out.push_back(n.name);
    return out;
  }();
  return names;
}

std::optional<timestamp> due_at(const mailbox& m, const batch_policy& p) {
  if (m.pending.empty())
    return std::nullopt;
  auto interval = static_cast<timestamp>(p.interval.count());
  auto first = m.pending.front().time;
  auto due = first;
  if (!m.sent.empty() && m.sent.back() + interval > first)
    due = m.sent.back() + interval;
  // The cap: of the sends in the hour before `due`, at most max_per_hour - 1
  // may be there; else it waits until the oldest that counts is an hour old.
  std::vector<timestamp> counted;
  for (auto t : m.sent)
    if (t > due - hour_ms)
      counted.push_back(t);
  if (p.max_per_hour > 0 && counted.size() >= p.max_per_hour)
    due = std::max(due, counted[counted.size() - p.max_per_hour] + hour_ms);
  return due;
}

void forget_old_sends(mailbox& m, timestamp now) {
  std::erase_if(m.sent, [&](timestamp t) { return t <= now - hour_ms; });
}

composed_mail compose(const std::vector<notice>& notices, const batch_policy& p,
                      const std::string& api_base) {
  composed_mail out;
  if (notices.empty())
    return out;
  if (notices.size() == 1) {
    auto& n = notices.front();
    out.subject = "TrackBridge: " + scope_of(n) + ": " + named(n.kind).one
                  + (n.issue.empty() ? "" : ", " + n.side + " issue " + n.issue);
  }
  // Groups in the order their first event came.
  using key = std::tuple<std::string, int, std::string>;
  std::map<key, std::vector<const notice*>> groups;
  std::vector<key> order;
  for (auto& n : notices) {
    key k{scope_of(n), static_cast<int>(n.kind), n.message};
    auto [i, fresh] = groups.try_emplace(k);
    if (fresh)
      order.push_back(k);
    i->second.push_back(&n);
  }
  if (notices.size() > 1) {
    // "TrackBridge: 1000 events: task a-b: 998 new error items, 2 items parked"
    std::map<std::pair<std::string, int>, std::size_t> per_scope_kind;
    std::vector<std::pair<std::string, int>> scope_order;
    for (auto& n : notices) {
      auto k = std::pair{scope_of(n), static_cast<int>(n.kind)};
      if (per_scope_kind[k]++ == 0)
        scope_order.push_back(k);
    }
    std::string summary;
    for (std::size_t i = 0; i < scope_order.size() && i < 3; ++i) {
      auto& [scope, kind] = scope_order[i];
      summary += (summary.empty() ? "" : ", ") + scope + ": "
                 + counted(per_scope_kind[scope_order[i]], static_cast<notice_kind>(kind));
    }
    if (scope_order.size() > 3)
      summary += ", ...";
    out.subject = "TrackBridge: " + std::to_string(notices.size()) + " events: " + summary;
  }
  auto& body = out.body;
  auto events = notices.size() == 1 ? std::string{"an event"}
                                     : std::to_string(notices.size()) + " events";
  body = "TrackBridge has " + events + " since " + to_rfc3339(notices.front().time) + ":\n";
  for (auto& k : order) {
    auto& items = groups[k];
    auto& first = *items.front();
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on
    // "literal" + temporary.
    body.append("\n").append(scope_of(first)).append(": ");
    body.append(counted(items.size(), first.kind));
    if (!first.message.empty())
      body.append(": ").append(first.message);
    body.append("\n");
    for (std::size_t i = 0; i < items.size() && i < p.items_per_group; ++i)
      body += "  " + item_of(*items[i]) + "\n";
    if (items.size() > p.items_per_group)
      body += "  ... and " + std::to_string(items.size() - p.items_per_group) + " more\n";
    body += "  What to do: " + advice(first, api_base) + "\n";
  }
  return out;
}

} // namespace tb
