#include "adapters/local/local_adapter.hpp"

namespace tb::local {

namespace {

field_values values_of(const replica_write& w) {
  field_values out;
  for (auto& c : w.changes)
    out[c.field] = c.new_value;
  return out;
}

// The ids a write produced: the one history entry it appended.
write_result produced(const issue& i) {
  write_result r;
  r.issue_id = i.id;
  r.updated = i.updated;
  if (!i.history.empty())
    r.entry_ids.push_back(i.history.back().id);
  return r;
}

} // namespace

result<std::vector<issue_stamp>> adapter::changed_since(const std::string& project,
                                                        timestamp since, std::size_t limit) {
  if (auto p = tracker_.get_project(project); !p)
    return p.error();
  return tracker_.changed_since(project, since, limit);
}

result<issue> adapter::read_issue(const std::string& project, const std::string& id) {
  auto i = tracker_.get_issue(id);
  if (i && i->project != project)
    return sync_error{error_kind::not_found,
                      "connection " + tracker_.name() + ", issue " + id,
                      "issue " + id + " is in project " + i->project + ", not " + project};
  return i;
}

// Replicas may carry list values the target project lacks: the embedded
// tracker creates them when a sync needs them.
result<write_result> adapter::create_issue(const std::string& project, const replica_write& w) {
  auto i = tracker_.create_issue(project, new_issue{w.author, values_of(w), w.comment, w.alt_id},
                                 list_values::add_missing);
  if (!i)
    return i.error();
  return produced(*i);
}

result<write_result> adapter::update_issue(const std::string& project, const std::string& id,
                                           const replica_write& w) {
  auto current = read_issue(project, id);
  if (!current)
    return current.error();
  // A value the twin already has (both sides made the same edit) is no
  // change: the entry counts as synced and writes nothing.
  field_values changed;
  for (auto& [field, value] : values_of(w)) {
    auto have = current->fields.find(field);
    if ((have == current->fields.end() ? std::string{} : have->second) != value)
      changed[field] = value;
  }
  if (changed.empty() && w.comment.empty())
    return write_result{id, {}, current->updated};
  auto i = tracker_.update_issue(id, issue_update{w.author, std::move(changed), w.comment},
                                 list_values::add_missing);
  if (!i)
    return i.error();
  return produced(*i);
}

result<std::optional<std::string>> adapter::find_by_alt_id(const std::string& project,
                                                           const std::string& alt_id) {
  return tracker_.find_by_alt_id(project, alt_id);
}

} // namespace tb::local
