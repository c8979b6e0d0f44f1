#include "adapters/redmine/redmine_payload.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <map>
#include <set>

#include "domain/checked_json.hpp"
#include "domain/time.hpp"

namespace tb::redmine {

namespace {

// Thrown inside a reader, caught at its top: the readers stay plain code,
// their callers get a result.
struct bad_value {
  std::string message;
};

const char* type_of(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_float:
      return "a fraction";
    default:
      return "a number";
  }
}

const json null_value = nullptr;

// A value of the answer with its path, for errors that say where.
class node {
 public:
  node(const json& j, std::string path) : j_(&j), path_(std::move(path)) {}

  bool absent() const { return j_->is_null(); }

  // A member of an object; null if it is not there.
  node operator[](const char* key) const {
    if (absent())
      return {null_value, path_ + "." + key};
    if (!j_->is_object())
      wrong("an object");
    auto i = j_->find(key);
    return {i == j_->end() ? null_value : *i, path_ + "." + key};
  }

  // An array's items; none if it is not there.
  std::vector<node> items() const {
    std::vector<node> out;
    if (absent())
      return out;
    if (!j_->is_array())
      wrong("an array");
    out.reserve(j_->size());
    for (std::size_t i = 0; i < j_->size(); ++i)
      out.push_back({(*j_)[i], path_ + "[" + std::to_string(i) + "]"});
    return out;
  }

  // A whole number that must be there.
  long number() const {
    if (absent())
      throw bad_value{path_ + " is missing"};
    return number_or(0);
  }

  long number_or(long fallback) const {
    if (absent())
      return fallback;
    if (j_->is_number_unsigned()) {
      if (j_->get<std::uint64_t>() > static_cast<std::uint64_t>(LONG_MAX))
        throw bad_value{path_ + " is out of range (" + j_->dump() + ")"};
      return static_cast<long>(j_->get<std::uint64_t>());
    }
    if (!j_->is_number_integer())
      wrong("a whole number");
    return j_->get<long>();
  }

  // Text as Redmine shows values: strings, numbers and booleans as they
  // read, a multi-value field's array joined with ", ", null as "".
  std::string text() const {
    if (absent())
      return "";
    if (j_->is_string())
      return j_->get<std::string>();
    if (j_->is_array()) { // a multi-value field: flat, so never deep to read
      std::string out;
      for (auto& v : items()) {
        if (v.j_->is_structured())
          v.wrong("a value of a list");
        out += (out.empty() ? "" : ", ") + v.text();
      }
      return out;
    }
    if (j_->is_object())
      wrong("a text");
    return j_->dump();
  }

  // A number, whole or not (hours).
  double decimal() const {
    if (absent() || !j_->is_number())
      wrong("a number");
    return j_->get<double>();
  }

  bool flag() const {
    if (absent())
      return false;
    if (!j_->is_boolean())
      wrong("true or false");
    return j_->get<bool>();
  }

  timestamp time() const {
    auto t = text();
    auto parsed = parse_rfc3339(t);
    if (!parsed)
      throw bad_value{path_ + " is not a time (" + (t.empty() ? "missing" : quoted(t)) + ")"};
    return *parsed;
  }

  timestamp time_or(timestamp fallback) const { return absent() ? fallback : time(); }

  // {"id": N, "name": "..."}: the id, 0 if there is no such object.
  long id_of_object() const { return absent() ? 0 : (*this)["id"].number(); }

 private:
  [[noreturn]] void wrong(const char* expected) const {
    throw bad_value{path_ + " is " + type_of(*j_) + " where " + expected + " belongs"};
  }
  static std::string quoted(const std::string& s) {
    return checked::quote(s.size() > 40 ? s.substr(0, 40) + "..." : s);
  }

  const json* j_;
  std::string path_;
};

template <class F>
auto reading(F f) -> result<decltype(f())> {
  try {
    return f();
  } catch (const bad_value& e) {
    return sync_error{error_kind::bad_answer, "", e.message};
  }
}

// Ids in journal details are decimal strings; anything else counts as none.
long number(const std::string& s) {
  long out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size() ? out : 0;
}

relation relation_seen_from(const node& r, const std::string& seen_from) {
  auto from = std::to_string(r["issue_id"].number());
  auto to = std::to_string(r["issue_to_id"].number());
  auto type = r["relation_type"].text();
  auto delay = static_cast<int>(r["delay"].number_or(0));
  return from == seen_from ? relation{type, to, delay} : relation{reverse_relation(type), from, delay};
}

// Redmine attribute -> common field; id-valued ones name what the id means.
struct attribute {
  const char* redmine;
  const char* field;
  bool is_id;
  catalog::kind kind;
};

constexpr attribute attributes[] = {
  {"subject", "subject", false, catalog::status},
  {"description", "description", false, catalog::status},
  {"status_id", "status", true, catalog::status},
  {"priority_id", "priority", true, catalog::priority},
  {"tracker_id", "tracker", true, catalog::tracker},
  {"assigned_to_id", "assignee", true, catalog::user},
  {"category_id", "category", true, catalog::category},
  {"fixed_version_id", "version", true, catalog::version},
  {"start_date", "start_date", false, catalog::status},
  {"due_date", "due_date", false, catalog::status},
  {"done_ratio", "done_ratio", false, catalog::status},
  {"estimated_hours", "estimated_hours", false, catalog::status},
  {"parent_id", "parent", false, catalog::status}, // an issue id: the engine maps it
  {"is_private", "private", false, catalog::status}, // "1" or "0" in journals
};

// The attribute a journal detail of property "attr" changed, or null for
// one this adapter does not sync yet (project, privacy, ...).
const attribute* attribute_named(const std::string& redmine_name) {
  for (auto& a : attributes)
    if (redmine_name == a.redmine)
      return &a;
  return nullptr;
}

// A journal as Redmine lists it, and a detail: what one journal changed.
struct journal_change {
  std::string property; // attr, cf, attachment, relation
  std::string name;
  std::string old_value;
  std::string new_value;
};

struct journal {
  long id = 0;
  long user = 0; // 0: none (an anonymous or deleted user)
  timestamp created = 0;
  std::string notes;
  bool private_notes = false;
  std::vector<journal_change> details;
};

std::vector<journal> journals_at(const node& list) {
  std::vector<journal> out;
  for (auto& jn : list.items()) {
    journal j;
    j.id = jn["id"].number();
    j.user = jn["user"].id_of_object();
    j.created = jn["created_on"].time_or(0);
    j.notes = jn["notes"].text();
    j.private_notes = jn["private_notes"].flag();
    for (auto& d : jn["details"].items())
      j.details.push_back({d["property"].text(), d["name"].text(), d["old_value"].text(),
                           d["new_value"].text()});
    out.push_back(std::move(j));
  }
  return out;
}

// One journal as a history entry, its ids turned into names.
history_entry entry_of(const journal& jn, catalog& names, const name_lookup& name_of,
                       const std::map<std::string, attachment>& files,
                       std::set<std::string>& files_added_later) {
  history_entry e;
  e.id = std::to_string(jn.id);
  e.author = jn.user == 0 ? "" : name_of(catalog::user, jn.user).value_or("");
  e.time = jn.created;
  // Private notes stay where they were written: copied, they would be
  // public on the other side. The journal's field changes still sync.
  if (!jn.private_notes)
    e.comment = jn.notes;
  for (auto& d : jn.details) {
    field_change c{"", d.old_value, d.new_value};
    if (d.property == "cf") {
      auto cf = names.name(catalog::custom_field, number(d.name));
      if (!cf || *cf == alt_id_field_name)
        continue;
      c.field = *cf;
    } else if (d.property == "attachment") {
      // name is the file's id; a file added and deleted since has nothing
      // left to copy, and its removal then has nothing to remove.
      if (c.new_value.empty()) {
        e.attachments.push_back({{d.name, c.old_value, "", 0, ""}, false, ""});
      } else if (auto f = files.find(d.name); f != files.end()) {
        e.attachments.push_back({f->second, true, ""});
        files_added_later.insert(d.name);
      }
      continue;
    } else if (d.property == "relation") {
      // name is the type as this issue sees it; the value the other issue.
      if (!is_relation_type(d.name))
        continue;
      bool added = !c.new_value.empty();
      e.relations.push_back({{d.name, added ? c.new_value : c.old_value}, added});
      continue;
    } else if (d.property == "attr" && d.name == "child_id") {
      // Redmine's record, on a parent, of a child's parent change.
      bool added = !c.new_value.empty();
      e.children.push_back({added ? c.new_value : c.old_value, added});
      continue;
    } else if (auto* a = d.property == "attr" ? attribute_named(d.name) : nullptr) {
      c.field = a->field;
      if (c.field == core_field::is_private) { // as the issue's value reads: "true" or none
        c.old_value = c.old_value == "1" ? "true" : "";
        c.new_value = c.new_value == "1" ? "true" : "";
      }
      if (a->is_id) {
        auto named_as = [&](const std::string& id) {
          auto n = number(id);
          if (n == 0)
            return id;
          if (auto known = names.name(a->kind, n))
            return *known;
          return name_of(a->kind, n).value_or(id);
        };
        c.old_value = named_as(c.old_value);
        c.new_value = named_as(c.new_value);
      }
    } else {
      continue; // an attribute this adapter does not sync (project, privacy...)
    }
    e.changes.push_back(std::move(c));
  }
  return e;
}

issue read_issue_node(const node& i, const std::string& project, catalog& names,
                      const name_lookup& name_of) {
  issue out;
  out.id = std::to_string(i["id"].number());
  out.project = project;
  out.created = i["created_on"].time();
  out.updated = i["updated_on"].time();
  auto set = [&](const std::string& field, const std::string& value) {
    if (!value.empty())
      out.fields[field] = value;
  };
  for (auto field : {"subject", "description", "start_date", "due_date", "done_ratio",
                     "estimated_hours"})
    set(field, i[field].text());
  if (auto parent = i["parent"].id_of_object(); parent != 0)
    set("parent", std::to_string(parent));
  if (i["is_private"].flag())
    set(core_field::is_private, "true");
  for (auto [key, field, kind] :
       {std::tuple{"status", "status", catalog::status},
        std::tuple{"priority", "priority", catalog::priority},
        std::tuple{"tracker", "tracker", catalog::tracker},
        std::tuple{"assigned_to", "assignee", catalog::user},
        std::tuple{"category", "category", catalog::category},
        std::tuple{"fixed_version", "version", catalog::version}}) {
    auto named_node = i[key];
    if (named_node.absent())
      continue;
    auto id = named_node["id"].number();
    auto name = named_node["name"].text();
    if (kind == catalog::user) { // a login, not the display name the answer shows
      set(field, name_of(catalog::user, id).value_or(name));
    } else {
      names.put(kind, id, name);
      set(field, name);
    }
  }
  for (auto& cf : i["custom_fields"].items()) {
    auto name = cf["name"].text();
    names.put(catalog::custom_field, cf["id"].number(), name);
    if (name == alt_id_field_name)
      out.alt_id = cf["value"].text();
    else
      set(name, cf["value"].text());
  }

  std::map<std::string, attachment> files;
  for (auto& a : i["attachments"].items()) {
    attachment f{std::to_string(a["id"].number()), a["filename"].text(),
                 a["content_type"].text(), a["filesize"].number_or(0), a["description"].text()};
    files[f.id] = f;
    out.attachments.push_back(std::move(f));
  }
  for (auto& r : i["relations"].items())
    out.relations.push_back(relation_seen_from(r, out.id));
  for (auto& w : i["watchers"].items())
    if (auto login = name_of(catalog::user, w["id"].number()))
      out.watchers.push_back(*login);
  std::sort(out.watchers.begin(), out.watchers.end());

  auto journals = journals_at(i["journals"]);
  std::set<std::string> files_added_later;
  std::vector<history_entry> entries;
  for (auto& jn : journals)
    entries.push_back(entry_of(jn, names, name_of, files, files_added_later));
  std::stable_sort(entries.begin(), entries.end(),
                   [](auto& a, auto& b) { return number(a.id) < number(b.id); });

  // Redmine keeps no creation entry: the initial values are today's values
  // with every journal undone, newest first.
  field_values initial = out.fields;
  for (auto e = entries.rbegin(); e != entries.rend(); ++e)
    for (auto& c : e->changes) {
      if (c.old_value.empty())
        initial.erase(c.field);
      else
        initial[c.field] = c.old_value;
    }
  history_entry creation;
  creation.id = "issue-" + out.id;
  auto author = i["author"].id_of_object();
  creation.author = author == 0 ? "" : name_of(catalog::user, author).value_or("");
  creation.time = out.created;
  creation.is_creation = true;
  for (auto& [field, value] : initial)
    creation.changes.push_back({field, "", value});
  // Files uploaded with the issue have no journal: they belong to its creation.
  for (auto& f : out.attachments)
    if (!files_added_later.count(f.id))
      creation.attachments.push_back({f, true, ""});
  out.history.push_back(std::move(creation));
  for (auto& e : entries)
    out.history.push_back(std::move(e));
  return out;
}

} // namespace

result<json> parse_answer(std::string_view body) {
  std::string why;
  if (auto j = checked::read_json(body, why))
    return std::move(*j);
  return sync_error{error_kind::bad_answer, "", "not JSON: " + why};
}

result<std::vector<named>> named_items(const json& answer, const char* key,
                                       const char* name_field) {
  return reading([&] {
    std::vector<named> out;
    for (auto& item : node{answer, "answer"}[key].items())
      out.push_back({item["id"].number(), item[name_field].text()});
    return out;
  });
}

namespace {

result<std::vector<named>> custom_fields_of(const json& answer, const char* customized_type) {
  return reading([&] {
    std::vector<named> out;
    for (auto& cf : node{answer, "answer"}["custom_fields"].items())
      if (cf["customized_type"].text() == customized_type)
        out.push_back({cf["id"].number(), cf["name"].text()});
    return out;
  });
}

} // namespace

result<std::vector<named>> issue_custom_fields(const json& answer) {
  return custom_fields_of(answer, "issue");
}

result<std::vector<named>> time_entry_custom_fields(const json& answer) {
  return custom_fields_of(answer, "time_entry");
}

std::string hours_text(double hours) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", hours);
  std::string out = buf;
  while (out.back() == '0')
    out.pop_back();
  if (out.back() == '.')
    out.pop_back();
  return out == "-0" ? "0" : out;
}

namespace {

time_entry read_time_entry_node(const node& r, catalog& names, const name_lookup& name_of) {
  time_entry out;
  out.id = std::to_string(r["id"].number());
  auto user = r["user"];
  auto user_id = user["id"].number();
  out.user = name_of(catalog::user, user_id).value_or(user["name"].text());
  out.spent_on = r["spent_on"].text();
  out.hours = hours_text(r["hours"].decimal());
  out.activity = r["activity"]["name"].text();
  out.comments = r["comments"].text();
  for (auto& cf : r["custom_fields"].items()) {
    auto name = cf["name"].text();
    names.put(catalog::time_entry_field, cf["id"].number(), name);
    out.fields[name] = cf["value"].text();
  }
  out.updated = r["updated_on"].time_or(0);
  return out;
}

} // namespace

result<time_entry_page> time_entries_of(const json& answer, const std::string& issue_id,
                                        catalog& names, const name_lookup& name_of) {
  return reading([&] {
    node a{answer, "answer"};
    time_entry_page out;
    auto items = a["time_entries"].items();
    out.listed = items.size();
    for (auto& r : items)
      if (std::to_string(r["issue"].id_of_object()) == issue_id)
        out.rows.push_back(read_time_entry_node(r, names, name_of));
    auto total = a["total_count"].number_or(0);
    out.total = total < 0 ? 0 : static_cast<std::size_t>(total);
    return out;
  });
}

result<time_entry> time_entry_of(const json& answer, catalog& names, const name_lookup& name_of) {
  return reading([&] {
    auto r = node{answer, "answer"}["time_entry"];
    if (r.absent())
      throw bad_value{"answer.time_entry is missing"};
    return read_time_entry_node(r, names, name_of);
  });
}

result<std::string> text_in(const json& answer, const char* key, const char* field) {
  return reading([&] { return node{answer, "answer"}[key][field].text(); });
}

result<long> id_in(const json& answer, const char* key) {
  return reading([&] { return node{answer, "answer"}[key]["id"].number(); });
}

result<project_info> project_of(const json& answer) {
  return reading([&] {
    auto p = node{answer, "answer"}["project"];
    project_info out;
    out.id = p["id"].number();
    for (auto& cf : p["issue_custom_fields"].items())
      out.custom_fields.push_back({cf["id"].number(), cf["name"].text()});
    for (auto& a : p["time_entry_activities"].items())
      out.activities.push_back({a["id"].number(), a["name"].text()});
    for (auto& t : p["trackers"].items())
      out.trackers.push_back({t["id"].number(), t["name"].text()});
    return out;
  });
}

result<std::vector<field_format>> issue_field_formats(const json& answer) {
  return reading([&] {
    std::vector<field_format> out;
    for (auto& cf : node{answer, "answer"}["custom_fields"].items()) {
      if (cf["customized_type"].text() != "issue")
        continue;
      field_format f{cf["name"].text(), cf["field_format"].text(), {}, {}};
      for (auto& v : cf["possible_values"].items())
        f.values.push_back(v["value"].text());
      for (auto& t : cf["trackers"].items())
        f.trackers.push_back(t["name"].text());
      out.push_back(std::move(f));
    }
    return out;
  });
}

result<user_page> users_of(const json& answer) {
  return reading([&] {
    node a{answer, "answer"};
    user_page out;
    for (auto& u : a["users"].items())
      out.logins.push_back(u["login"].text());
    auto total = a["total_count"].number_or(0);
    out.total = total < 0 ? 0 : static_cast<std::size_t>(total);
    return out;
  });
}

result<membership_page> memberships_of(const json& answer) {
  return reading([&] {
    node a{answer, "answer"};
    membership_page out;
    for (auto& m : a["memberships"].items()) {
      ++out.listed;
      membership x;
      auto user = m["user"];
      auto group = m["group"];
      if (user.absent() && group.absent())
        continue; // neither: nothing to mail
      x.group = user.absent();
      x.principal = (x.group ? group : user)["id"].number();
      for (auto& r : m["roles"].items())
        x.roles.push_back(r["name"].text());
      out.members.push_back(std::move(x));
    }
    auto total = a["total_count"].number_or(0);
    out.total = total < 0 ? 0 : static_cast<std::size_t>(total);
    return out;
  });
}

result<user_answer> member_of(const json& answer) {
  return reading([&] {
    auto u = node{answer, "answer"}["user"];
    if (u.absent())
      throw bad_value{"answer.user is missing"};
    user_answer out;
    out.member.login = u["login"].text();
    if (out.member.login.empty())
      out.member.login = u["firstname"].text() + " " + u["lastname"].text();
    out.member.mail = u["mail"].text();
    constexpr long locked_status = 3; // Redmine's User::STATUS_LOCKED
    out.locked = u["status"].number_or(1) == locked_status;
    return out;
  });
}

result<std::vector<long>> group_users_of(const json& answer) {
  return reading([&] {
    auto g = node{answer, "answer"}["group"];
    if (g.absent())
      throw bad_value{"answer.group is missing"};
    std::vector<long> out;
    for (auto& u : g["users"].items())
      out.push_back(u["id"].number());
    return out;
  });
}

result<listing_page> listing_of(const json& answer) {
  return reading([&] {
    node a{answer, "answer"};
    listing_page out;
    for (auto& i : a["issues"].items())
      out.issues.push_back({std::to_string(i["id"].number()), i["updated_on"].time()});
    auto total = a["total_count"].number_or(0);
    out.total = total < 0 ? 0 : static_cast<std::size_t>(total);
    return out;
  });
}

result<issue> issue_of(const json& answer, const std::string& project, long project_id,
                       catalog& names, const name_lookup& name_of) {
  auto read = reading([&]() -> std::optional<issue> {
    auto i = node{answer, "answer"}["issue"];
    if (i.absent())
      throw bad_value{"answer.issue is missing"};
    if (i["project"].id_of_object() != project_id)
      return std::nullopt;
    return read_issue_node(i, project, names, name_of);
  });
  if (!read)
    return read.error();
  if (!*read)
    return sync_error{error_kind::not_found, "", "the issue is not in project " + project};
  return std::move(**read);
}

result<std::vector<std::pair<long, relation>>> relations_of(const json& answer,
                                                            const std::string& seen_from) {
  return reading([&] {
    std::vector<std::pair<long, relation>> out;
    for (auto& r : node{answer, "answer"}["relations"].items())
      out.emplace_back(r["id"].number(), relation_seen_from(r, seen_from));
    return out;
  });
}

result<upload_ticket> upload_of(const json& answer) {
  return reading([&] {
    auto u = node{answer, "answer"}["upload"];
    auto token = u["token"].text();
    if (token.empty())
      throw bad_value{"answer.upload.token is missing"};
    return upload_ticket{token, std::to_string(u["id"].number())};
  });
}

result<issue_stamp> created_of(const json& answer) {
  return reading([&] {
    auto i = node{answer, "answer"}["issue"];
    return issue_stamp{std::to_string(i["id"].number()), i["updated_on"].time_or(0)};
  });
}

result<std::vector<std::string>> issue_ids_of(const json& answer) {
  return reading([&] {
    std::vector<std::string> out;
    for (auto& i : node{answer, "answer"}["issues"].items())
      out.push_back(std::to_string(i["id"].number()));
    return out;
  });
}

std::string refusals_of(const json& answer) {
  if (!answer.is_object() || !answer.contains("errors") || !answer["errors"].is_array())
    return "";
  std::string out;
  for (auto& e : answer["errors"])
    out += (out.empty() ? "" : "; ") + (e.is_string() ? e.get<std::string>() : e.dump());
  return out;
}

} // namespace tb::redmine
