#include "adapters/local/local_adapter.hpp"

#include <algorithm>

namespace tb::local {

namespace {

field_values values_of(const replica_write& w) {
  field_values out;
  for (auto& c : w.changes)
    out[c.field] = c.new_value;
  return out;
}

// The ids a write produced: the one history entry it appended, and the files
// it added (the last ones of the issue's list).
write_result produced(const issue& i, std::size_t files_added) {
  write_result r;
  r.issue_id = i.id;
  r.updated = i.updated;
  if (!i.history.empty())
    r.entry_ids.push_back(i.history.back().id);
  for (auto k = i.attachments.size() - std::min(files_added, i.attachments.size());
       k < i.attachments.size(); ++k)
    r.attachment_ids.push_back(i.attachments[k].id);
  return r;
}

std::size_t additions(const std::vector<attachment_change>& files) {
  return std::count_if(files.begin(), files.end(), [](auto& a) { return a.added; });
}

bool has_file(const issue& i, const std::string& id) {
  return std::any_of(i.attachments.begin(), i.attachments.end(),
                     [&](auto& a) { return a.id == id; });
}

bool has_relation(const issue& i, const relation& r) {
  return std::find(i.relations.begin(), i.relations.end(), r) != i.relations.end();
}

} // namespace

result<std::vector<issue_stamp>> adapter::changed_since(const std::string& project,
                                                        timestamp since, std::size_t limit) {
  if (auto p = tracker_.get_project(project); !p)
    return p.error();
  return tracker_.changed_since(project, since, limit);
}

result<tracker_catalogue> adapter::read_catalogue(const std::string& project) {
  auto p = tracker_.get_project(project);
  if (!p)
    return p.error();
  return catalogue_of(*p, tracker_.name());
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
  auto i = tracker_.create_issue(
    project, new_issue{w.author, values_of(w), w.comment, w.alt_id, w.attachments},
    list_values::add_missing);
  if (!i)
    return i.error();
  return produced(*i, additions(w.attachments));
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
  // Likewise a file already removed, and a relation the twin already has or
  // lacks: a relation is recorded on both issues, so its second record finds
  // it made.
  std::vector<attachment_change> files;
  for (auto& a : w.attachments)
    if (a.added || has_file(*current, a.file.id))
      files.push_back(a);
  std::vector<relation_change> links;
  for (auto& r : w.relations)
    if (r.added != has_relation(*current, r.link))
      links.push_back(r);
  if (changed.empty() && w.comment.empty() && files.empty() && links.empty())
    return write_result{id, {}, current->updated, {}, {}};
  write_result out;
  auto added = additions(files);
  auto i = tracker_.update_issue(
    id, issue_update{w.author, std::move(changed), w.comment, std::move(files), std::move(links)},
    list_values::add_missing, &out.mirrored);
  if (!i)
    return i.error();
  auto made = produced(*i, added);
  made.mirrored = std::move(out.mirrored);
  return made;
}

result<std::string> adapter::read_attachment(const std::string& file_id) {
  return tracker_.file_content(file_id);
}

result<std::optional<std::string>> adapter::find_by_alt_id(const std::string& project,
                                                           const std::string& alt_id) {
  return tracker_.find_by_alt_id(project, alt_id);
}

} // namespace tb::local
