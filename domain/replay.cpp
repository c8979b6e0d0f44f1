#include "domain/replay.hpp"

#include <algorithm>

#include "domain/checked_json.hpp"

namespace tb {

std::string field_rules::map(const std::string& field) const {
  if (auto i = rename.find(field); i != rename.end())
    return i->second;
  if (rename_rules)
    if (auto to = rename_rules->map(field); to && !to->empty())
      return *to;
  return field;
}

std::string field_rules::map_user(const std::string& login) const {
  auto i = users.find(login);
  return i == users.end() ? login : i->second;
}

std::optional<std::string> field_rules::map_value(const std::string& field,
                                                 const std::string& value) const {
  auto i = values.find(field);
  return i == values.end() ? value : i->second.map(value);
}

field_rules field_rules::inverted() const {
  field_rules out;
  for (auto& [from, to] : rename)
    out.rename.emplace(to, from);
  for (auto& [from, to] : users)
    out.users.emplace(to, from);
  return out;
}

namespace {

bool is_handled(const side_view& v, const history_entry& e) {
  return v.handled && v.handled->count(e.id) > 0;
}

// Entries of one side still to sync, oldest first.
std::vector<const history_entry*> pending(const side_view& v, bool twin_exists) {
  std::vector<const history_entry*> out;
  if (!v.current)
    return out;
  for (auto& e : v.current->history) {
    if (is_handled(v, e) || (e.is_creation && twin_exists))
      continue;
    out.push_back(&e);
  }
  return out;
}

// The latest change of each field in a list of entries, in source-side names.
struct last_change {
  std::string value;
  timestamp time = 0;
};

// Target entries are named and valued in source terms (to_source), so that
// a conflict compares like with like; a value the way back refuses is
// compared as it is.
std::map<std::string, last_change> last_changes(const std::vector<const history_entry*>& entries,
                                                const field_rules* to_source) {
  std::map<std::string, last_change> out;
  for (auto* e : entries)
    for (auto& c : e->changes) {
      if (!to_source) {
        out[c.field] = {c.new_value, e->time};
        continue;
      }
      auto value = to_source->map_value(c.field, c.new_value);
      out[to_source->map(c.field)] = {value.value_or(c.new_value), e->time};
    }
  return out;
}

side decide(conflict_policy policy, timestamp source_time, timestamp target_time) {
  switch (policy) {
    case conflict_policy::source_wins:
      return side::source;
    case conflict_policy::target_wins:
      return side::target;
    case conflict_policy::newest_wins:
      break;
  }
  return target_time > source_time ? side::target : side::source;
}

// A key names one change of one pair of issues, and which such change of
// the pair it is, counted in the recording issue's history: both records
// count the same sequence.
std::string relation_key(const std::string& a, const std::string& b, bool added,
                         std::size_t nth) {
  auto [low, high] = std::minmax(a, b);
  return low + " " + high + (added ? " added " : " removed ") + std::to_string(nth);
}

std::string child_key(const std::string& parent, const std::string& child, bool added,
                      std::size_t nth) {
  return "parent " + parent + " child " + child + (added ? " added " : " removed ")
         + std::to_string(nth);
}

// Counts records while walking a history: how many of this kind came before.
struct record_counter {
  std::map<std::pair<std::string, bool>, std::size_t> relations, parents, children;

  std::vector<shared_record> count(const issue& recorder, const history_entry& e,
                                   bool records_children) {
    std::vector<shared_record> out;
    using writer = shared_record::writer;
    for (auto& r : e.relations)
      out.push_back({r.link.other,
                     relation_key(recorder.id, r.link.other, r.added,
                                  ++relations[{r.link.other, r.added}]),
                     writer::the_second, r});
    if (!records_children)
      return out;
    for (auto& c : e.changes) {
      if (c.field != core_field::parent || c.old_value == c.new_value)
        continue;
      if (!c.old_value.empty())
        out.push_back({c.old_value,
                       child_key(c.old_value, recorder.id, false,
                                 ++parents[{c.old_value, false}]),
                       writer::this_one});
      if (!c.new_value.empty())
        out.push_back({c.new_value,
                       child_key(c.new_value, recorder.id, true, ++parents[{c.new_value, true}]),
                       writer::this_one});
    }
    for (auto& c : e.children)
      out.push_back({c.child,
                     child_key(recorder.id, c.child, c.added, ++children[{c.child, c.added}]),
                     writer::the_other});
    return out;
  }
};

replay_step make_step(side from, const history_entry& e, const field_rules& rules,
                      const std::set<std::string>& lost_fields, const std::string& alt_id,
                      const field_rules* to_source_names) {
  replay_step step;
  step.from = from;
  step.entry_id = e.id;
  step.creation = e.is_creation;
  step.write.author = rules.map_user(e.author);
  step.write.comment = e.comment;
  if (step.creation)
    step.write.alt_id = alt_id;
  for (auto& c : e.changes) {
    auto source_name = to_source_names ? to_source_names->map(c.field) : c.field;
    if (!step.creation && lost_fields.count(source_name))
      continue;
    auto new_value = rules.map_value(c.field, c.new_value);
    if (!new_value && !step.refused)
      step.refused = source_name + ": " + checked::quote(c.new_value)
                     + " has no value mapping, and its mapping refuses unmapped values";
    // An old value only describes; one the mapping refuses is written as it was.
    auto old_value = rules.map_value(c.field, c.old_value).value_or(c.old_value);
    step.write.changes.push_back({rules.map(c.field), old_value, new_value.value_or("")});
  }
  step.write.attachments = e.attachments;
  if (!step.creation) // no tracker records a relation in a creation
    step.write.relations = e.relations;
  step.skip = !step.creation && step.write.empty();
  return step;
}

} // namespace

std::vector<shared_record> shared_records(const issue& recorder, const history_entry& e,
                                          bool records_children) {
  record_counter counter;
  for (auto& x : recorder.history) {
    auto records = counter.count(recorder, x, records_children);
    if (x.id == e.id)
      return records;
  }
  return {};
}

std::optional<std::string> entry_with_record(const issue& i, const std::string& key,
                                             bool records_children) {
  record_counter counter;
  for (auto& e : i.history)
    for (auto& r : counter.count(i, e, records_children))
      if (r.key == key)
        return e.id;
  return std::nullopt;
}

replay_plan plan_replay(const side_view& source, const side_view& target, bool linked,
                        bool two_way,
                        conflict_policy policy, const field_rules& to_target,
                        const field_rules& to_source) {
  replay_plan plan;
  auto from_source = pending(source, linked);
  std::vector<const history_entry*> from_target;
  if (two_way)
    from_target = pending(target, linked);
  bool both_exist = linked && source.current && target.current;

  // Conflicts exist only between two existing issues that both moved.
  std::set<std::string> source_lost, target_lost;
  if (both_exist && two_way && !from_source.empty() && !from_target.empty()) {
    auto src = last_changes(from_source, nullptr);
    auto tgt = last_changes(from_target, &to_source);
    for (auto& [field, s] : src) {
      auto t = tgt.find(field);
      if (t == tgt.end() || t->second.value == s.value)
        continue;
      auto winner = decide(policy, s.time, t->second.time);
      plan.conflicts.push_back({field, winner, s.value, t->second.value, s.time, t->second.time});
      (winner == side::source ? target_lost : source_lost).insert(field);
    }
  }

  // Each side's shared records, counted over its whole history once.
  auto records_of = [](const side_view& v) {
    std::map<std::string, std::vector<shared_record>> out;
    if (!v.current)
      return out;
    record_counter counter;
    for (auto& e : v.current->history)
      if (auto r = counter.count(*v.current, e, v.records_children); !r.empty())
        out.emplace(e.id, std::move(r));
    return out;
  };
  std::map<std::string, std::vector<shared_record>> records[2] = {records_of(source),
                                                                  records_of(target)};
  auto with_records = [&](replay_step step) {
    auto& mine = records[static_cast<int>(step.from)];
    if (auto r = mine.find(step.entry_id); r != mine.end()) {
      step.records = r->second;
      step.skip = false; // its place in the history is kept, even with nothing to write
    }
    return step;
  };

  auto source_alt = source.current ? common_id(source.connection, *source.current) : "";
  auto target_alt = target.current ? common_id(target.connection, *target.current) : "";
  size_t i = 0, j = 0;
  while (i < from_source.size() || j < from_target.size()) {
    bool take_source = j == from_target.size()
                       || (i < from_source.size() && from_source[i]->time <= from_target[j]->time);
    if (take_source)
      plan.steps.push_back(with_records(
        make_step(side::source, *from_source[i++], to_target, source_lost, source_alt, nullptr)));
    else
      plan.steps.push_back(with_records(make_step(side::target, *from_target[j++], to_source,
                                                  target_lost, target_alt, &to_source)));
  }
  return plan;
}

std::string describe(const conflict_decision& d, conflict_policy policy) {
  const char* rule = policy == conflict_policy::newest_wins   ? "newest wins"
                     : policy == conflict_policy::source_wins ? "source wins"
                                                              : "target wins";
  return "conflict on field " + d.field + ": source set \"" + d.source_value + "\", target set \""
         + d.target_value + "\"; " + to_string(d.winner) + " kept (" + rule + ")";
}

} // namespace tb
