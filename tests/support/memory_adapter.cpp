#include "tests/support/memory_adapter.hpp"

#include <algorithm>

namespace tb::test {

namespace {

std::optional<sync_error> take(std::optional<sync_error>& failure) {
  auto out = std::move(failure);
  failure.reset();
  return out;
}

} // namespace

history_entry& memory_adapter::append(issue& i, const std::string& author,
                                      const field_values& fields, const std::string& comment,
                                      bool creation) {
  history_entry e;
  e.id = std::to_string(next_entry_++);
  e.author = author;
  e.time = ++clock_;
  e.comment = comment;
  e.is_creation = creation;
  for (auto& [field, value] : fields) {
    auto& current = i.fields[field];
    if (current != value)
      e.changes.push_back({field, current, value});
    current = value;
  }
  i.updated = e.time;
  i.history.push_back(std::move(e));
  return i.history.back();
}

issue& memory_adapter::add(const std::string& project, const std::string& author,
                           field_values fields, const std::string& comment) {
  auto id = std::to_string(next_issue_++);
  auto& i = issues[id];
  i.id = id;
  i.project = project;
  i.created = clock_ + 1;
  append(i, author, fields, comment, true);
  return i;
}

issue& memory_adapter::edit(const std::string& id, const std::string& author,
                            field_values fields, const std::string& comment) {
  auto& i = issues.at(id);
  append(i, author, fields, comment, false);
  return i;
}

result<std::vector<issue_stamp>> memory_adapter::changed_since(const std::string& project,
                                                               timestamp since,
                                                               std::size_t limit) {
  if (auto err = take(fail_next_poll))
    return *err;
  std::vector<issue_stamp> out;
  for (auto& [id, i] : issues)
    if (i.project == project && i.updated >= since)
      out.push_back({id, i.updated});
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.updated < b.updated; });
  if (out.size() > limit)
    out.resize(limit);
  return out;
}

result<issue> memory_adapter::read_issue(const std::string& project, const std::string& id) {
  auto i = issues.find(id);
  if (i == issues.end() || i->second.project != project)
    return sync_error{error_kind::not_found, "connection " + name_ + ", issue " + id, "no such issue"};
  return i->second;
}

result<write_result> memory_adapter::create_issue(const std::string& project,
                                                  const replica_write& w) {
  if (auto err = take(fail_next_write))
    return *err;
  ++creates;
  field_values fields;
  for (auto& c : w.changes)
    fields[c.field] = c.new_value;
  auto& i = add(project, w.author, fields, w.comment);
  if (stores_alt_id)
    i.alt_id = w.alt_id;
  return write_result{i.id, {i.history.back().id}, i.updated};
}

result<write_result> memory_adapter::update_issue(const std::string& project,
                                                  const std::string& id,
                                                  const replica_write& w) {
  if (auto err = take(fail_next_write))
    return *err;
  ++updates;
  field_values fields;
  for (auto& c : w.changes)
    fields[c.field] = c.new_value;
  auto& i = edit(id, w.author, fields, w.comment);
  return write_result{i.id, {i.history.back().id}, i.updated};
}

result<std::optional<std::string>> memory_adapter::find_by_alt_id(const std::string& project,
                                                                  const std::string& alt_id) {
  for (auto& [id, i] : issues)
    if (i.project == project && i.alt_id == alt_id)
      return std::optional<std::string>{id};
  return std::optional<std::string>{};
}

} // namespace tb::test
