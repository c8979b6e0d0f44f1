#include "tests/support/memory_adapter.hpp"

#include <algorithm>
#include <stdexcept>

namespace tb::test {

namespace {

// A one-shot switch: its value, and it is off again.
template <class T>
std::optional<T> take(std::optional<T>& once) {
  auto out = std::move(once);
  once.reset();
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
  recorded_on_parents_.clear();
  if (records_children_on_parents)
    for (auto& c : e.changes) {
      if (c.field != core_field::parent)
        continue;
      for (auto [parent, added] : {std::pair{c.old_value, false}, std::pair{c.new_value, true}}) {
        auto p = issues.find(parent);
        if (parent.empty() || p == issues.end())
          continue;
        history_entry record;
        record.id = std::to_string(next_entry_++);
        record.author = author;
        record.time = e.time;
        record.children.push_back({i.id, added});
        p->second.updated = e.time;
        p->second.history.push_back(std::move(record));
        recorded_on_parents_.push_back({parent, p->second.history.back().id});
      }
    }
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

std::vector<entry_ref> memory_adapter::apply(issue& i,
                                             const std::vector<attachment_change>& changes,
                                             const std::vector<relation_change>& links) {
  auto& e = i.history.back();
  for (auto& c : changes) {
    auto file = c.file;
    if (c.added) {
      file.id = std::to_string(next_file_++).insert(0, 1, 'f'); // not "f" + ...: GCC 12's false -Wrestrict
      file.size = static_cast<std::int64_t>(c.content.size());
      files[file.id] = c.content;
      i.attachments.push_back(file);
    } else {
      std::erase_if(i.attachments, [&](auto& a) { return a.id == file.id; });
      files.erase(file.id);
    }
    e.attachments.push_back({file, c.added, ""});
  }
  std::vector<entry_ref> mirrored;
  for (auto& r : links) {
    auto& other = issues.at(r.link.other);
    relation mirror{reverse_relation(r.link.type), i.id};
    if (r.added) {
      i.relations.push_back(r.link);
      other.relations.push_back(mirror);
    } else {
      std::erase(i.relations, r.link);
      std::erase(other.relations, mirror);
    }
    e.relations.push_back(r);
    auto& m = append(other, e.author, {}, "", false);
    m.relations.push_back({mirror, r.added});
    mirrored.push_back({other.id, m.id});
  }
  return mirrored;
}

issue& memory_adapter::attach(const std::string& id, const std::string& author,
                              const std::string& filename, const std::string& bytes) {
  auto& i = issues.at(id);
  append(i, author, {}, "", false);
  apply(i, {{{"", filename, "text/plain", 0, ""}, true, bytes}}, {});
  return i;
}

issue& memory_adapter::detach(const std::string& id, const std::string& author,
                              const std::string& file_id) {
  auto& i = issues.at(id);
  append(i, author, {}, "", false);
  apply(i, {{{file_id, "", "", 0, ""}, false, ""}}, {});
  return i;
}

issue& memory_adapter::relate(const std::string& id, const std::string& author,
                              const std::string& type, const std::string& other, bool added) {
  auto& i = issues.at(id);
  append(i, author, {}, "", false);
  apply(i, {}, {{{type, other}, added}});
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

result<std::vector<issue_stamp>> memory_adapter::changed_since_narrowed(
  const std::string& project, timestamp since, std::size_t limit, const listing_narrowing& only) {
  narrowed_listings.push_back(only);
  auto all = changed_since(project, std::max(since, only.updated_from.value_or(since)), limit);
  if (!all)
    return all;
  std::vector<issue_stamp> out;
  for (auto& s : *all) {
    auto& i = issues.at(s.id);
    bool meets = !only.created_from || i.created >= *only.created_from;
    for (auto& [field, values] : only.any_of)
      meets = meets && values.count(value_of(i, field));
    if (meets)
      out.push_back(s);
  }
  return out;
}

result<timestamp> memory_adapter::newest_change(const std::string& project) {
  timestamp newest = 0;
  for (auto& [id, i] : issues)
    if (i.project == project)
      newest = std::max(newest, i.updated);
  return newest;
}

result<issue> memory_adapter::read_issue(const std::string& project, const std::string& id) {
  ++reads;
  if (auto what = take(throw_on_next_read))
    throw std::runtime_error(*what);
  if (fail_reads)
    return *fail_reads;
  auto i = issues.find(id);
  if (i == issues.end() || i->second.project != project)
    return sync_error{error_kind::not_found, "connection " + name_ + ", issue " + id, "no such issue"};
  return i->second;
}

std::optional<sync_error> memory_adapter::write_refused() {
  ++writes_tried_;
  if (auto err = take(fail_next_write))
    return err;
  if (fail_writes)
    return fail_writes;
  if (fail_every_second_write && writes_tried_ % 2 == 0)
    return fail_every_second_write;
  return std::nullopt;
}

result<write_result> memory_adapter::create_issue(const std::string& project,
                                                  const replica_write& w) {
  if (auto err = write_refused())
    return *err;
  auto made = create_now(project, w);
  if (auto err = take(lose_next_answer))
    return *err;
  return made;
}

result<write_result> memory_adapter::update_issue(const std::string& project,
                                                  const std::string& id,
                                                  const replica_write& w) {
  if (auto err = write_refused())
    return *err;
  if (!issues.count(id))
    return sync_error{error_kind::not_found, "connection " + name_ + ", issue " + id,
                      "no such issue"};
  auto made = update_now(id, w);
  if (auto err = take(lose_next_answer))
    return *err;
  return made;
}

write_result memory_adapter::create_now(const std::string& project, const replica_write& w) {
  ++creates;
  field_values fields;
  std::vector<dropped_change> dropped;
  for (auto& c : w.changes)
    if (ignores.count(c.field))
      dropped.push_back({{c.field, "", c.new_value}, w.author, "the field is read-only here"});
    else
      fields[c.field] = c.new_value;
  auto& i = add(project, w.author, fields, w.comment);
  if (stores_alt_id)
    i.alt_id = w.alt_id;
  uploads += w.attachments.size();
  apply(i, w.attachments, {});
  write_result out{i.id, {i.history.back().id}, i.updated, {}, recorded_on_parents_, dropped};
  for (auto& a : i.attachments)
    out.attachment_ids.push_back(a.id);
  return out;
}

write_result memory_adapter::update_now(const std::string& id, const replica_write& w) {
  if (!w.descriptions.empty()) { // no history entry, as in Redmine
    ++description_writes;
    for (auto& f : w.descriptions)
      for (auto& a : issues.at(id).attachments)
        if (a.id == f.id)
          a.description = f.description;
    auto rest = w;
    rest.descriptions.clear();
    if (rest.empty())
      return write_result{id, {}, issues.at(id).updated, {}, {}};
    return update_now(id, rest);
  }
  if (!w.watchers.empty()) { // no history entry, as in Redmine
    ++watcher_writes;
    auto& now = issues.at(id).watchers;
    for (auto& c : w.watchers) {
      std::erase(now, c.login);
      if (c.added)
        now.push_back(c.login);
    }
    std::sort(now.begin(), now.end());
    auto rest = w;
    rest.watchers.clear();
    if (rest.empty())
      return write_result{id, {}, issues.at(id).updated, {}, {}};
    return update_now(id, rest);
  }
  field_values fields;
  std::vector<dropped_change> dropped;
  for (auto& c : w.changes) {
    auto was = issues.at(id).fields[c.field];
    if (ignores.count(c.field) && was != c.new_value)
      dropped.push_back({{c.field, was, c.new_value}, w.author, "the field is read-only here"});
    else
      fields[c.field] = c.new_value;
  }
  // Like a real tracker: a relation already made (by the related issue's own
  // record of it) is not made twice, and a write that changes nothing
  // records nothing.
  auto& current = issues.at(id);
  std::vector<relation_change> links;
  for (auto& r : w.relations) {
    bool have = std::find(current.relations.begin(), current.relations.end(), r.link)
                != current.relations.end();
    if (r.added != have)
      links.push_back(r);
  }
  bool fields_change = std::any_of(fields.begin(), fields.end(), [&](auto& f) {
    auto c = current.fields.find(f.first);
    return (c == current.fields.end() ? std::string{} : c->second) != f.second;
  });
  if (!fields_change && w.comment.empty() && w.attachments.empty() && links.empty())
    return write_result{id, {}, current.updated, {}, {}, dropped};
  ++updates;
  auto& i = edit(id, w.author, fields, w.comment);
  auto files_before = i.attachments.size();
  for (auto& a : w.attachments)
    uploads += a.added ? 1 : 0;
  write_result out{i.id, {i.history.back().id}, i.updated, {}, recorded_on_parents_};
  auto related = apply(i, w.attachments, links);
  out.mirrored.insert(out.mirrored.end(), related.begin(), related.end());
  for (auto k = files_before; k < i.attachments.size(); ++k)
    out.attachment_ids.push_back(i.attachments[k].id);
  out.dropped = std::move(dropped);
  return out;
}

result<std::string> memory_adapter::read_attachment(const std::string& file_id) {
  ++downloads;
  auto f = files.find(file_id);
  if (f == files.end())
    return sync_error{error_kind::not_found, "connection " + name_ + ", file " + file_id,
                      "no such file"};
  return f->second;
}

result<std::optional<std::string>> memory_adapter::find_by_alt_id(const std::string& project,
                                                                  const std::string& alt_id) {
  for (auto& [id, i] : issues)
    if (i.project == project && i.alt_id == alt_id)
      return std::optional<std::string>{id};
  return std::optional<std::string>{};
}

time_entry& memory_adapter::log_time(const std::string& issue_id, time_entry row) {
  row.id = name_ + "-t" + std::to_string(next_time_entry_++);
  row.updated = ++clock_;
  auto& rows = time_entries[issue_id];
  rows.push_back(std::move(row));
  return rows.back();
}

result<std::vector<time_entry>> memory_adapter::read_time_entries(const std::string&,
                                                                  const std::string& issue_id) {
  ++time_entry_reads;
  if (fail_reads)
    return *fail_reads;
  if (!issues.count(issue_id))
    return sync_error{error_kind::not_found, "connection " + name_ + ", issue " + issue_id,
                      "no such issue"};
  return time_entries[issue_id];
}

result<time_entry> memory_adapter::write_time_entry(const std::string&,
                                                    const std::string& issue_id,
                                                    const time_entry_write& w) {
  if (auto err = write_refused())
    return *err;
  ++time_entry_writes;
  auto& rows = time_entries[issue_id];
  time_entry made;
  auto as_kept = [&](time_entry row) {
    for (auto& f : time_entry_fields_not_kept)
      row.fields.erase(f);
    for (auto& [name, value] : time_entry_extra_fields)
      row.fields.emplace(name, value);
    return row;
  };
  if (!w.content) {
    std::erase_if(rows, [&](auto& r) { return r.id == w.id; });
  } else if (w.id.empty()) {
    made = log_time(issue_id, as_kept(*w.content));
  } else {
    auto row = std::find_if(rows.begin(), rows.end(), [&](auto& r) { return r.id == w.id; });
    if (row == rows.end())
      return sync_error{error_kind::not_found,
                        "connection " + name_ + ", issue " + issue_id + ", time entry " + w.id,
                        "no such time entry"};
    *row = as_kept(*w.content);
    row->id = w.id;
    row->updated = ++clock_;
    made = *row;
  }
  if (auto err = take(lose_next_answer))
    return *err;
  return made;
}

} // namespace tb::test
