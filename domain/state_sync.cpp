#include "domain/state_sync.hpp"

#include <algorithm>
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

} // namespace tb
