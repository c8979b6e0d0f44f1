#include "adapters/local/local_tracker.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/time.hpp"
#include "storage/record.hpp"

// Layout in LMDB (every key starts with the connection name, so several
// connections share the databases without seeing each other):
//   local_projects    name, project              -> project
//   local_issues      name, id                   -> issue without history
//   local_history     name, id, be64(entry id)   -> history entry
//   local_by_updated  name, project, be64(updated), id -> ""
//   local_by_alt_id   name, project, alt_id      -> id
//   local_counters    name, "issue" | "entry" | "file" | "clock" -> be64
//   local_files       name, file id              -> the file's bytes

namespace tb::local {

namespace {

using json = nlohmann::json;
using storage::be64;
using storage::decode;
using storage::encode;
using storage::from_be64;
using storage::key_of;
using storage::prefix_of;
using storage::transaction;

// Timestamps before the epoch never occur in a write; clamping keeps be64 keys
// in numeric order.
std::uint64_t as_key_time(timestamp t) {
  return static_cast<std::uint64_t>(std::max<timestamp>(t, 0));
}

// --- records ---------------------------------------------------------------

json project_record(const project& p) {
  json fields = json::array();
  for (auto& f : p.custom_fields)
    fields.push_back({{"name", f.name}, {"type", f.type}, {"values", f.values}});
  return {{"key", p.key}, {"custom_fields", fields}};
}

project project_from_record(const json& j) {
  project p;
  p.key = j.at("key").get<std::string>();
  for (auto& f : j.at("custom_fields"))
    p.custom_fields.push_back({f.at("name").get<std::string>(), f.at("type").get<std::string>(),
                               f.at("values").get<std::vector<std::string>>()});
  return p;
}

json issue_record(const issue& i) {
  return {{"id", i.id},           {"project", i.project}, {"fields", i.fields},
          {"alt_id", i.alt_id},   {"created", i.created}, {"updated", i.updated},
          {"attachments", i.attachments}, {"relations", i.relations}};
}

issue issue_from_record(const json& j) {
  issue i;
  i.id = j.at("id").get<std::string>();
  i.project = j.at("project").get<std::string>();
  i.fields = j.at("fields").get<field_values>();
  i.alt_id = j.at("alt_id").get<std::string>();
  i.created = j.at("created").get<timestamp>();
  i.updated = j.at("updated").get<timestamp>();
  // Stores written before files and relations existed have neither.
  i.attachments = j.value("attachments", std::vector<attachment>{});
  i.relations = j.value("relations", std::vector<relation>{});
  return i;
}

json entry_record(const history_entry& e) {
  json changes = json::array();
  for (auto& c : e.changes)
    changes.push_back({c.field, c.old_value, c.new_value});
  json out = {{"id", e.id},         {"author", e.author},   {"time", e.time},
              {"changes", changes}, {"comment", e.comment}, {"creation", e.is_creation}};
  if (!e.attachments.empty()) {
    auto& files = out["files"] = json::array();
    for (auto& a : e.attachments)
      files.push_back({a.added, a.file});
  }
  if (!e.relations.empty()) {
    auto& links = out["links"] = json::array();
    for (auto& r : e.relations)
      links.push_back({r.added, r.link});
  }
  return out;
}

history_entry entry_from_record(const json& j) {
  history_entry e;
  e.id = j.at("id").get<std::string>();
  e.author = j.at("author").get<std::string>();
  e.time = j.at("time").get<timestamp>();
  for (auto& c : j.at("changes"))
    e.changes.push_back(
      {c.at(0).get<std::string>(), c.at(1).get<std::string>(), c.at(2).get<std::string>()});
  e.comment = j.at("comment").get<std::string>();
  e.is_creation = j.at("creation").get<bool>();
  if (j.contains("files"))
    for (auto& f : j["files"])
      e.attachments.push_back({f.at(1).get<attachment>(), f.at(0).get<bool>(), ""});
  if (j.contains("links"))
    for (auto& r : j["links"])
      e.relations.push_back({r.at(1).get<relation>(), r.at(0).get<bool>()});
  return e;
}

// --- errors ----------------------------------------------------------------

std::string in_project(const std::string& connection, const std::string& project) {
  return "connection " + connection + ", project " + project;
}

std::string in_issue(const std::string& connection, const std::string& id) {
  return "connection " + connection + ", issue " + id;
}

std::string joined(const std::vector<std::string>& items) {
  if (items.empty())
    return "(none)";
  std::string out;
  for (auto& s : items)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

sync_error refused(error_kind kind, std::string where, std::string message) {
  return sync_error{kind, std::move(where), std::move(message)};
}

// Storage failures and unreadable records become one located internal error
// instead of an exception that would kill the caller's actor or request.
template <class F>
auto guarded(const std::string& where, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const storage::storage_error& e) {
    return refused(error_kind::internal, where, std::string{"storage failed: "} + e.what());
  } catch (const json::exception& e) {
    return refused(error_kind::internal, where,
                   std::string{"a stored record cannot be read: "} + e.what());
  }
}

// --- validation ------------------------------------------------------------

bool valid_project_key(const std::string& key) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (key.empty() || key.size() > 64 || !alnum(key.front()))
    return false;
  return std::all_of(key.begin(), key.end(),
                     [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

std::vector<std::string> field_names(const project& p) {
  auto names = core_fields();
  for (auto& f : p.custom_fields)
    names.push_back(f.name);
  return names;
}

} // namespace

tracker_catalogue catalogue_of(const project& p, const std::string& connection) {
  tracker_catalogue out{"connection " + connection + ", project " + p.key};
  auto& fields = out.fields.emplace();
  for (auto& name : field_names(p))
    fields[name] = {};
  return out;
}

namespace {

custom_field_def* find_field(project& p, const std::string& name) {
  for (auto& f : p.custom_fields)
    if (f.name == name)
      return &f;
  return nullptr;
}

bool contains(const std::vector<std::string>& items, const std::string& x) {
  return std::find(items.begin(), items.end(), x) != items.end();
}

// Checks one value a write sets. With add_missing, a list value the project
// lacks is added to p (the caller saves p in the write's transaction).
std::optional<sync_error> check_value(project& p, const std::string& field,
                                      const std::string& value, list_values lv,
                                      const std::string& where, bool& project_changed) {
  if (is_core_field(field))
    return std::nullopt;
  auto* def = find_field(p, field);
  if (!def)
    return refused(error_kind::invalid, where + ", field " + field,
                   "unknown field " + field + "; project " + p.key
                     + " has the fields: " + joined(field_names(p)));
  if (def->type != "list" || value.empty() || contains(def->values, value))
    return std::nullopt;
  if (lv == list_values::strict)
    return refused(error_kind::invalid, where + ", field " + field,
                   "value '" + value + "' is not allowed for field " + field
                     + "; allowed values: " + joined(def->values)
                     + " (add the value to project " + p.key + " first)");
  def->values.push_back(value);
  project_changed = true;
  return std::nullopt;
}

std::optional<sync_error> check_field_def(const custom_field_def& f, const std::string& where) {
  auto at = where + ", field " + f.name;
  if (f.name.empty())
    return refused(error_kind::invalid, where, "a custom field needs a non-empty name");
  if (is_core_field(f.name))
    return refused(error_kind::invalid, at,
                   f.name + " is a core field and cannot be a custom field; core fields: "
                     + joined(core_fields()));
  if (f.type != "string" && f.type != "list")
    return refused(error_kind::invalid, at,
                   "unknown field type '" + f.type + "'; use string or list");
  if (f.type == "string" && !f.values.empty())
    return refused(error_kind::invalid, at, "only a list field has values");
  if (contains(f.values, ""))
    return refused(error_kind::invalid, at, "a list value cannot be empty (empty clears a field)");
  if (f.type == "list" && f.values.empty())
    return refused(error_kind::invalid, at, "a list field needs at least one value");
  for (size_t i = 0; i < f.values.size(); ++i)
    if (contains({f.values.begin(), f.values.begin() + i}, f.values[i]))
      return refused(error_kind::invalid, at, "the list value '" + f.values[i] + "' is given twice");
  return std::nullopt;
}

// Adds what `wanted` has and `p` lacks; true if p changed.
result<bool> merge_project(project& p, const project& wanted, const std::string& where) {
  bool changed = false;
  for (auto& w : wanted.custom_fields) {
    auto* have = find_field(p, w.name);
    if (!have) {
      p.custom_fields.push_back({w.name, w.type, {}});
      have = &p.custom_fields.back();
      changed = true;
    } else if (have->type != w.type) {
      return refused(error_kind::conflict, where + ", field " + w.name,
                     "field " + w.name + " is a " + have->type + " field; it cannot become a "
                       + w.type + " field");
    }
    for (auto& v : w.values)
      if (!contains(have->values, v)) {
        have->values.push_back(v);
        changed = true;
      }
  }
  return changed;
}

} // namespace

tracker::tracker(storage::environment& env, std::string name)
  : env_(env),
    name_(std::move(name)),
    projects_(env.database("local_projects")),
    issues_(env.database("local_issues")),
    history_(env.database("local_history")),
    by_updated_(env.database("local_by_updated")),
    by_alt_id_(env.database("local_by_alt_id")),
    counters_(env.database("local_counters")),
    files_(env.database("local_files")) {
}

// --- projects --------------------------------------------------------------

result<project> tracker::ensure_project(const project& wanted) {
  auto where = in_project(name_, wanted.key);
  if (!valid_project_key(wanted.key))
    return refused(error_kind::invalid, where,
                   "project key '" + wanted.key
                     + "' is not valid: use 1 to 64 letters, digits, '_', '.' or '-', "
                       "starting with a letter or digit");
  std::vector<std::string> seen;
  for (auto& f : wanted.custom_fields) {
    if (auto err = check_field_def(f, where))
      return *err;
    if (contains(seen, f.name))
      return refused(error_kind::invalid, where + ", field " + f.name,
                     "the custom field " + f.name + " is defined twice");
    seen.push_back(f.name);
  }
  return guarded(where, [&]() -> result<project> {
    return storage::write_transaction_when(env_, [&](transaction& t) -> result<project> {
      auto existing = load_project(t, wanted.key);
      bool created = !existing;
      project p = existing ? *existing : project{wanted.key, {}};
      auto changed = merge_project(p, wanted, where);
      if (!changed)
        return changed.error();
      if (created || *changed)
        save_project(t, p);
      return p;
    }, [](const result<project>& r) { return r.ok(); });
  });
}

result<project> tracker::get_project(const std::string& key) {
  auto where = in_project(name_, key);
  return guarded(where, [&]() -> result<project> {
    transaction t{env_, transaction::read_only};
    if (auto p = load_project(t, key))
      return *p;
    return refused(error_kind::not_found, where,
                   "project " + key + " does not exist in connection " + name_);
  });
}

std::vector<project> tracker::projects() {
  std::vector<project> out;
  transaction t{env_, transaction::read_only};
  t.scan(projects_, prefix_of({name_}), [&](std::string_view, std::string_view v) {
    out.push_back(project_from_record(decode(v)));
    return true;
  });
  return out;
}

// --- issues ----------------------------------------------------------------

result<issue> tracker::create_issue(const std::string& project_key, const new_issue& n,
                                    list_values lv) {
  auto where = in_project(name_, project_key);
  return guarded(where, [&]() -> result<issue> {
    return storage::write_transaction_when(env_, [&](transaction& t) -> result<issue> {
      auto p = load_project(t, project_key);
      if (!p)
        return refused(error_kind::not_found, where,
                       "project " + project_key + " does not exist in connection " + name_);
      bool project_changed = false;
      for (auto& [field, value] : n.fields)
        if (auto err = check_value(*p, field, value, lv, where, project_changed))
          return *err;
      if (auto s = n.fields.find(core_field::subject); s == n.fields.end() || s->second.empty())
        return refused(error_kind::invalid, where + ", field subject",
                       "an issue needs a non-empty subject");
      auto alt_key = key_of({name_, project_key, n.alt_id});
      if (!n.alt_id.empty())
        if (auto existing = t.get(by_alt_id_, alt_key))
          return refused(error_kind::conflict, where,
                         "issue " + std::string{*existing} + " already carries alt_id " + n.alt_id);

      issue i;
      i.id = std::to_string(next_number(t, "issue"));
      i.project = project_key;
      i.alt_id = n.alt_id;
      i.created = i.updated = next_write_time(t);
      history_entry e;
      e.id = std::to_string(next_number(t, "entry"));
      e.author = n.author;
      e.time = i.created;
      e.comment = n.comment;
      e.is_creation = true;
      for (auto& [field, value] : n.fields)
        if (!value.empty()) {
          i.fields[field] = value;
          e.changes.push_back({field, "", value});
        }
      for (auto& a : n.attachments)
        if (!a.added)
          return refused(error_kind::invalid, where, "a new issue has no files to remove");
      if (auto err = apply_files(t, i, e, n.attachments, where))
        return *err;

      if (project_changed)
        save_project(t, *p);
      save_issue(t, i);
      save_entry(t, i.id, e);
      t.put(by_updated_, key_of({name_, i.project, be64(as_key_time(i.updated)), i.id}), "");
      if (!i.alt_id.empty())
        t.put(by_alt_id_, alt_key, i.id);
      i.history.push_back(std::move(e));
      return i;
    }, [](const result<issue>& r) { return r.ok(); });
  });
}

result<issue> tracker::update_issue(const std::string& id, const issue_update& u,
                                    list_values lv, std::vector<entry_ref>* mirrored) {
  auto where = in_issue(name_, id);
  return guarded(where, [&]() -> result<issue> {
    return storage::write_transaction_when(env_, [&](transaction& t) -> result<issue> {
      auto i = load_issue(t, id);
      if (!i)
        return refused(error_kind::not_found, where,
                       "issue " + id + " does not exist in connection " + name_);
      auto p = load_project(t, i->project);
      if (!p)
        return refused(error_kind::internal, where,
                       "the issue's project " + i->project + " is missing from the store");
      bool project_changed = false;
      history_entry e;
      for (auto& [field, value] : u.fields) {
        if (auto err = check_value(*p, field, value, lv, where, project_changed))
          return *err;
        if (field == core_field::subject && value.empty())
          return refused(error_kind::invalid, where + ", field subject",
                         "the subject cannot be cleared");
        auto old = i->fields.count(field) ? i->fields.at(field) : std::string{};
        if (old != value)
          e.changes.push_back({field, old, value});
      }
      if (e.changes.empty() && u.comment.empty() && u.attachments.empty() && u.relations.empty())
        return refused(error_kind::invalid, where,
                       u.fields.empty()
                         ? "nothing to change: give fields to set, a comment, files or relations"
                         : "nothing would change: every field given already has that value and "
                           "there is no comment");

      auto previous = i->updated;
      e.id = std::to_string(next_number(t, "entry"));
      e.author = u.author;
      e.time = i->updated = next_write_time(t);
      e.comment = u.comment;
      for (auto& c : e.changes)
        if (c.new_value.empty())
          i->fields.erase(c.field);
        else
          i->fields[c.field] = c.new_value;
      if (auto err = apply_files(t, *i, e, u.attachments, where))
        return *err;
      if (auto err = apply_relations(t, *i, e, u.relations, where, mirrored))
        return *err;

      if (project_changed)
        save_project(t, *p);
      touch(t, *i, previous);
      save_entry(t, i->id, e);
      i->history = load_history(t, i->id);
      return std::move(*i);
    }, [](const result<issue>& r) { return r.ok(); });
  });
}

result<issue> tracker::get_issue(const std::string& id) {
  auto where = in_issue(name_, id);
  return guarded(where, [&]() -> result<issue> {
    transaction t{env_, transaction::read_only};
    auto i = load_issue(t, id);
    if (!i)
      return refused(error_kind::not_found, where,
                     "issue " + id + " does not exist in connection " + name_);
    i->history = load_history(t, id);
    return std::move(*i);
  });
}

result<std::string> tracker::file_content(const std::string& file_id) {
  auto where = "connection " + name_ + ", file " + file_id;
  return guarded(where, [&]() -> result<std::string> {
    transaction t{env_, transaction::read_only};
    if (auto bytes = t.get(files_, key_of({name_, file_id})))
      return std::string{*bytes};
    return refused(error_kind::not_found, where,
                   "file " + file_id + " does not exist in connection " + name_
                     + " (never added, or removed from its issue)");
  });
}

std::vector<issue_stamp> tracker::changed_since(const std::string& project, timestamp since,
                                                std::size_t limit) {
  transaction t{env_, transaction::read_only};
  return scan_changed(t, project, since, limit);
}

result<std::vector<issue>> tracker::changed_issues(const std::string& project_key,
                                                   timestamp since, std::size_t limit) {
  auto where = in_project(name_, project_key);
  return guarded(where, [&]() -> result<std::vector<issue>> {
    transaction t{env_, transaction::read_only};
    if (!load_project(t, project_key))
      return refused(error_kind::not_found, where,
                     "project " + project_key + " does not exist in connection " + name_);
    std::vector<issue> out;
    for (auto& stamp : scan_changed(t, project_key, since, limit))
      if (auto i = load_issue(t, stamp.id))
        out.push_back(std::move(*i));
    return out;
  });
}

std::optional<std::string> tracker::find_by_alt_id(const std::string& project,
                                                   const std::string& alt_id) {
  if (alt_id.empty())
    return std::nullopt;
  transaction t{env_, transaction::read_only};
  if (auto id = t.get(by_alt_id_, key_of({name_, project, alt_id})))
    return std::string{*id};
  return std::nullopt;
}

// --- records in a transaction ----------------------------------------------

std::optional<project> tracker::load_project(transaction& t, const std::string& key) {
  auto v = t.get(projects_, key_of({name_, key}));
  if (!v)
    return std::nullopt;
  return project_from_record(decode(*v));
}

void tracker::save_project(transaction& t, const project& p) {
  t.put(projects_, key_of({name_, p.key}), encode(project_record(p)));
}

std::optional<issue> tracker::load_issue(transaction& t, const std::string& id) {
  auto v = t.get(issues_, key_of({name_, id}));
  if (!v)
    return std::nullopt;
  return issue_from_record(decode(*v));
}

void tracker::save_issue(transaction& t, const issue& i) {
  t.put(issues_, key_of({name_, i.id}), encode(issue_record(i)));
}

std::vector<history_entry> tracker::load_history(transaction& t, const std::string& id) {
  std::vector<history_entry> out;
  t.scan(history_, prefix_of({name_, id}), [&](std::string_view, std::string_view v) {
    out.push_back(entry_from_record(decode(v)));
    return true;
  });
  return out;
}

void tracker::save_entry(transaction& t, const std::string& issue_id, const history_entry& e) {
  // Entry ids grow in write order, so the key order is the history's order.
  auto number = std::stoull(e.id);
  t.put(history_, key_of({name_, issue_id, be64(number)}), encode(entry_record(e)));
}

std::optional<sync_error> tracker::apply_files(transaction& t, issue& i, history_entry& e,
                                               const std::vector<attachment_change>& files,
                                               const std::string& where) {
  for (auto& change : files) {
    if (change.added) {
      if (change.file.filename.empty())
        return refused(error_kind::invalid, where, "a file needs a non-empty filename");
      if (change.content.size() > max_file_size)
        return refused(error_kind::invalid, where + ", file " + change.file.filename,
                       "the file has " + std::to_string(change.content.size())
                         + " bytes; the embedded tracker keeps files up to "
                         + std::to_string(max_file_size) + " bytes");
      auto file = change.file;
      file.id = std::to_string(next_number(t, "file"));
      file.size = static_cast<std::int64_t>(change.content.size());
      if (file.content_type.empty())
        file.content_type = "application/octet-stream";
      t.put(files_, key_of({name_, file.id}), change.content);
      i.attachments.push_back(file);
      e.attachments.push_back({std::move(file), true, ""});
      continue;
    }
    auto have = std::find_if(i.attachments.begin(), i.attachments.end(),
                             [&](auto& a) { return a.id == change.file.id; });
    if (have == i.attachments.end())
      return refused(error_kind::not_found, where + ", file " + change.file.id,
                     "issue " + i.id + " has no file with the id " + change.file.id);
    t.erase(files_, key_of({name_, have->id}));
    e.attachments.push_back({*have, false, ""});
    i.attachments.erase(have);
  }
  return std::nullopt;
}

std::optional<sync_error> tracker::apply_relations(transaction& t, issue& i, history_entry& e,
                                                   const std::vector<relation_change>& links,
                                                   const std::string& where,
                                                   std::vector<entry_ref>* mirrored) {
  for (auto& change : links) {
    auto& type = change.link.type;
    auto at = where + ", relation " + type + " " + change.link.other;
    if (!is_relation_type(type))
      return refused(error_kind::invalid, at,
                     "unknown relation type '" + type + "'; use one of: "
                       + joined(relation_types()));
    if (change.link.other == i.id)
      return refused(error_kind::invalid, at, "an issue cannot be related to itself");
    auto other = load_issue(t, change.link.other);
    if (!other)
      return refused(error_kind::not_found, at,
                     "issue " + change.link.other + " does not exist in connection " + name_);
    auto existing = std::find_if(i.relations.begin(), i.relations.end(),
                                 [&](auto& r) { return r.other == other->id; });
    relation mirror{reverse_relation(type), i.id};
    if (change.added) {
      if (existing != i.relations.end())
        return refused(error_kind::conflict, at,
                       "issue " + i.id + " is already related to issue " + other->id + " ("
                         + existing->type + "); remove that relation first");
      i.relations.push_back(change.link);
      other->relations.push_back(mirror);
    } else {
      if (existing == i.relations.end() || existing->type != type)
        return refused(error_kind::not_found, at,
                       "issue " + i.id + " has no relation " + type + " to issue "
                         + other->id);
      i.relations.erase(existing);
      std::erase(other->relations, mirror);
    }
    e.relations.push_back(change);
    // The other issue records the same link from its side, in its own entry.
    history_entry other_entry;
    other_entry.id = std::to_string(next_number(t, "entry"));
    other_entry.author = e.author;
    other_entry.time = e.time;
    other_entry.relations.push_back({mirror, change.added});
    auto previous = other->updated;
    other->updated = e.time;
    touch(t, *other, previous);
    save_entry(t, other->id, other_entry);
    if (mirrored)
      mirrored->push_back({other->id, other_entry.id});
  }
  return std::nullopt;
}

void tracker::touch(transaction& t, issue& i, timestamp previous) {
  // One index key per issue, at its latest time: a poller sees it once.
  t.erase(by_updated_, key_of({name_, i.project, be64(as_key_time(previous)), i.id}));
  t.put(by_updated_, key_of({name_, i.project, be64(as_key_time(i.updated)), i.id}), "");
  save_issue(t, i);
}

std::vector<issue_stamp> tracker::scan_changed(transaction& t, const std::string& project,
                                               timestamp since, std::size_t limit) {
  std::vector<issue_stamp> out;
  if (limit == 0)
    return out;
  auto prefix = prefix_of({name_, project});
  auto from = prefix + be64(as_key_time(since));
  t.scan_from(by_updated_, prefix, from, [&](std::string_view k, std::string_view) {
    auto rest = k.substr(prefix.size()); // be64(updated) '\0' id
    out.push_back({std::string{rest.substr(9)}, static_cast<timestamp>(from_be64(rest))});
    return out.size() < limit;
  });
  return out;
}

std::uint64_t tracker::next_number(transaction& t, const char* counter) {
  auto key = key_of({name_, counter});
  auto v = t.get(counters_, key);
  auto next = (v ? from_be64(*v) : 0) + 1;
  t.put(counters_, key, be64(next));
  return next;
}

timestamp tracker::next_write_time(transaction& t) {
  // Writes commit in the order they take this value (LMDB has one writer at
  // a time), so a poller reading changed_since(last seen) misses none.
  auto key = key_of({name_, "clock"});
  auto v = t.get(counters_, key);
  timestamp last = v ? static_cast<timestamp>(from_be64(*v)) : 0;
  auto now = std::max(now_ms(), last + 1);
  t.put(counters_, key, be64(static_cast<std::uint64_t>(now)));
  return now;
}

} // namespace tb::local
