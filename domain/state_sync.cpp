#include "domain/state_sync.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace tb {

watcher_sync plan_watchers(const std::vector<std::string>& source,
                           const std::vector<std::string>* target,
                           const std::optional<std::vector<std::string>>& last,
                           const field_rules& to_target, const field_rules& to_source) {
  std::set<std::string> s{source.begin(), source.end()};
  std::set<std::string> l;
  if (last)
    l.insert(last->begin(), last->end());
  watcher_sync out;
  auto to_target_change = [&](const std::string& login, bool added) {
    out.to_target.push_back({to_target.map_user(login), added});
  };
  if (!target) {
    // One-way: the source's own changes, and nothing else of the target's.
    for (auto& w : s)
      if (!l.count(w))
        to_target_change(w, true);
    for (auto& w : l)
      if (!s.count(w))
        to_target_change(w, false);
    out.synced.assign(s.begin(), s.end());
    return out;
  }
  std::set<std::string> t; // in the source's logins
  for (auto& w : *target)
    t.insert(to_source.map_user(w));
  // What both sides have now: what was, with each side's additions, without
  // each side's removals.
  std::set<std::string> now = l;
  now.insert(s.begin(), s.end());
  now.insert(t.begin(), t.end());
  for (auto& w : l)
    if (!s.count(w) || !t.count(w))
      now.erase(w);
  for (auto& w : now) {
    if (!t.count(w))
      to_target_change(w, true);
    if (!s.count(w))
      out.to_source.push_back({w, true});
  }
  for (auto& w : t)
    if (!now.count(w))
      to_target_change(w, false);
  for (auto& w : s)
    if (!now.count(w))
      out.to_source.push_back({w, false});
  out.synced.assign(now.begin(), now.end());
  return out;
}

description_sync plan_description(const std::string& source, const std::string* target,
                                  const std::optional<std::string>& last,
                                  conflict_policy policy) {
  description_sync out;
  if (!last) {
    out.synced = source;
    return out;
  }
  bool source_moved = source != *last;
  bool target_moved = target && *target != *last;
  if (source_moved && target_moved && *target != source)
    source_moved = policy != conflict_policy::target_wins;
  if (source_moved) {
    if (!target || *target != source)
      out.to_target = source;
    out.synced = source;
  } else if (target_moved) {
    out.to_source = *target;
    out.synced = *target;
  } else {
    out.synced = *last;
  }
  return out;
}

time_entry map_time_entry(const time_entry& row, const field_rules& rules) {
  time_entry out = row;
  out.id.clear();
  out.updated = 0;
  out.user = rules.map_user(row.user);
  out.activity = rules.map_value("activity", row.activity).value_or(row.activity);
  out.fields.clear();
  for (auto& [name, value] : row.fields)
    out.fields[rules.map(name)] = value;
  return out;
}

namespace {

std::map<std::string, const time_entry*> by_id(const std::vector<time_entry>& rows) {
  std::map<std::string, const time_entry*> out;
  for (auto& r : rows)
    out[r.id] = &r;
  return out;
}

template <class K>
const time_entry* find(const std::map<std::string, const time_entry*>& rows, const K& id) {
  auto i = rows.find(id);
  return i == rows.end() ? nullptr : i->second;
}

} // namespace

std::vector<time_entry_op> plan_time_entries(const std::vector<time_entry>& source,
                                             const std::vector<time_entry>& target,
                                             const std::vector<time_entry_link>& links,
                                             bool two_way, conflict_policy policy,
                                             const field_rules& to_target,
                                             const field_rules& to_source) {
  auto sources = by_id(source), targets = by_id(target);
  std::set<std::string> linked_source, linked_target;
  std::vector<time_entry_op> ops;
  auto write = [&](const std::string& key, side to, std::string id,
                   std::optional<time_entry> content, time_entry_link after) {
    ops.push_back({key, to, {std::move(id), std::move(content)}, std::move(after), false});
    auto& from = to == side::target ? ops.back().after.source : ops.back().after.target;
    auto& rules = to == side::target ? to_target : to_source;
    if (!rules.map_value("activity", from.activity))
      ops.back().refused = "the activity \"" + from.activity
                           + "\" is one the task's value mapping of \"activity\" refuses";
  };
  auto unlink = [&](const std::string& key, std::optional<side> to, std::string id) {
    ops.push_back({key, to, {std::move(id), std::nullopt}, {}, true});
  };
  for (auto& l : links) {
    linked_source.insert(l.source.id);
    if (!l.target.id.empty())
      linked_target.insert(l.target.id);
    auto* s = find(sources, l.source.id);
    auto* t = l.target.id.empty() ? nullptr : find(targets, l.target.id);
    auto key = l.source.id;
    if (!s) { // deleted on the source: so is its copy
      unlink(key, t ? std::optional<side>{side::target} : std::nullopt, t ? t->id : "");
      continue;
    }
    bool source_moved = !s->same_content(l.source) || l.unfinished == side::target;
    if (!t) {
      if (two_way && !l.target.id.empty()) // deleted on the target: so is the original
        unlink(key, side::source, s->id);
      else if (source_moved) // one-way: a copy deleted there is made again once the source changes
        write(key, side::target, "", map_time_entry(*s, to_target), {*s, {}});
      else if (!l.target.id.empty()) // until then the link remembers that it is gone
        ops.push_back({key, std::nullopt, {}, {l.source, {}}, false});
      continue;
    }
    bool target_moved =
      two_way && (!t->same_content(l.target) || l.unfinished == side::source);
    if (source_moved && target_moved) {
      if (map_time_entry(*s, to_target).same_content(*t)) {
        ops.push_back({key, std::nullopt, {}, {*s, *t}, false}); // both made the same change
        continue;
      }
      bool source_wins = policy == conflict_policy::source_wins
                         || (policy == conflict_policy::newest_wins && s->updated >= t->updated);
      (source_wins ? target_moved : source_moved) = false;
    }
    if (source_moved)
      write(key, side::target, t->id, map_time_entry(*s, to_target), {*s, *t});
    else if (target_moved)
      write(key, side::source, s->id, map_time_entry(*t, to_source), {*s, *t});
  }
  for (auto& s : source)
    if (!linked_source.count(s.id))
      write(s.id, side::target, "", map_time_entry(s, to_target), {s, {}});
  if (two_way)
    for (auto& t : target)
      if (!linked_target.count(t.id))
        write("", side::source, "", map_time_entry(t, to_source), {{}, t});
  return ops;
}

} // namespace tb
