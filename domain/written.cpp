#include "domain/written.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace tb {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// An entry's comment is the write's when it is the write's comment, alone or
// after a prefix naming the author; or, for a write without one, when it is
// nothing but a one-line attribution.
bool comment_is_the_writes(const std::string& comment, const replica_write& w) {
  if (comment == w.comment)
    return true;
  auto names_author = [&](const std::string& prefix) {
    return !w.author.empty() && prefix.find(w.author) != std::string::npos;
  };
  if (w.comment.empty())
    return comment.find('\n') == std::string::npos && names_author(comment);
  return ends_with(comment, w.comment)
         && names_author(comment.substr(0, comment.size() - w.comment.size()));
}

bool writes_change(const replica_write& w, const field_change& c) {
  return std::any_of(w.changes.begin(), w.changes.end(), [&](const field_change& x) {
    return x.field == c.field && x.new_value == c.new_value;
  });
}

bool writes_file(const replica_write& w, const attachment_change& a) {
  return std::any_of(w.attachments.begin(), w.attachments.end(), [&](const attachment_change& x) {
    return x.added == a.added
           && (a.added ? x.file.filename == a.file.filename : x.file.id == a.file.id);
  });
}

bool writes_relation(const replica_write& w, const relation_change& r) {
  return std::any_of(w.relations.begin(), w.relations.end(), [&](const relation_change& x) {
    return x.added == r.added && x.link == r.link;
  });
}

bool has_main_part(const replica_write& w) {
  return !w.changes.empty() || !w.comment.empty()
         || std::any_of(w.attachments.begin(), w.attachments.end(),
                        [](const attachment_change& a) { return a.added; });
}

bool is_main_part(const history_entry& e) {
  return !e.changes.empty() || !e.comment.empty()
         || std::any_of(e.attachments.begin(), e.attachments.end(),
                        [](const attachment_change& a) { return a.added; });
}

// Everything the entry records is something the write does.
bool consists_of(const history_entry& e, const replica_write& w) {
  // A parent's record of a child is never the write's own entry.
  if (e.is_creation || e.empty() || !e.children.empty())
    return false;
  if (!e.comment.empty() && !comment_is_the_writes(e.comment, w))
    return false;
  // The comment travels in the same call as the fields and new files.
  if (e.comment.empty() && !w.comment.empty() && is_main_part(e))
    return false;
  return std::all_of(e.changes.begin(), e.changes.end(),
                     [&](const field_change& c) { return writes_change(w, c); })
         && std::all_of(e.attachments.begin(), e.attachments.end(),
                        [&](const attachment_change& a) { return writes_file(w, a); })
         && std::all_of(e.relations.begin(), e.relations.end(),
                        [&](const relation_change& r) { return writes_relation(w, r); });
}

// The target's ids of the write's added files, matched by name in order.
std::vector<std::string> file_ids(const std::vector<attachment_change>& recorded,
                                  const replica_write& w) {
  std::vector<std::string> out;
  std::vector<bool> used(recorded.size(), false);
  for (auto& a : w.attachments) {
    if (!a.added)
      continue;
    std::string id;
    for (std::size_t k = 0; k < recorded.size(); ++k)
      if (!used[k] && recorded[k].added && recorded[k].file.filename == a.file.filename) {
        used[k] = true;
        id = recorded[k].file.id;
        break;
      }
    out.push_back(id);
  }
  return out;
}

} // namespace

found_write find_written(const issue& target, const std::set<std::string>& handled,
                         const replica_write& w) {
  found_write out;
  std::vector<const history_entry*> main_parts;
  for (auto& e : target.history) {
    if (handled.count(e.id) || !consists_of(e, w))
      continue;
    if (is_main_part(e))
      main_parts.push_back(&e);
    else
      out.entry_ids.push_back(e.id);
  }
  // One tracker call, one entry: with two candidates, one is someone's own
  // edit that happens to look the same, and nothing tells which.
  if (main_parts.size() > 1) {
    for (auto* e : main_parts)
      out.ambiguous.push_back(e->id);
    return out;
  }
  if (main_parts.size() == 1) {
    out.entry_ids.push_back(main_parts.front()->id);
    out.attachment_ids = file_ids(main_parts.front()->attachments, w);
  }
  out.main_done = !main_parts.empty() || !has_main_part(w);
  return out;
}

found_write find_created(const issue& twin, const std::set<std::string>& handled,
                         const replica_write& w) {
  found_write out;
  if (twin.history.empty() || !twin.history.front().is_creation)
    return out;
  auto& creation = twin.history.front();
  if (!handled.count(creation.id))
    out.entry_ids.push_back(creation.id);
  out.attachment_ids = file_ids(creation.attachments, w);
  // Trackers whose creation has no comment add it as the first update.
  out.main_done = w.comment.empty() || comment_is_the_writes(creation.comment, w);
  if (out.main_done)
    return out;
  replica_write note{w.author, {}, w.comment, "", {}, {}};
  for (auto& e : twin.history)
    if (!handled.count(e.id) && e.changes.empty() && !e.comment.empty()
        && consists_of(e, note)) {
      out.entry_ids.push_back(e.id);
      out.main_done = true;
      break;
    }
  return out;
}

replica_write remaining_write(const replica_write& w, const found_write& found) {
  if (!found.main_done)
    return w;
  replica_write rest{w.author, {}, "", "", {}, w.relations};
  for (auto& a : w.attachments)
    if (!a.added)
      rest.attachments.push_back(a);
  return rest;
}

// --- attributing a write that just returned --------------------------------

namespace {

std::string with_newlines(const std::string& s) {
  std::string out;
  for (std::size_t k = 0; k < s.size(); ++k) {
    if (s[k] == '\r') {
      out += '\n';
      if (k + 1 < s.size() && s[k + 1] == '\n')
        ++k;
    } else {
      out += s[k];
    }
  }
  return out;
}

std::optional<double> as_number(const std::string& s) {
  if (s.empty() || s.size() > 40)
    return std::nullopt;
  std::size_t used = 0;
  try {
    auto d = std::stod(s, &used);
    return used == s.size() ? std::optional<double>{d} : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool is_new(const history_entry& e, const std::set<std::string>& before) {
  return !e.is_creation && !before.count(e.id);
}

std::set<std::string> entry_ids_of(const issue& i) {
  std::set<std::string> out;
  for (auto& e : i.history)
    out.insert(e.id);
  return out;
}

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

bool sets_to(const history_entry& e, const field_change& c) {
  return std::any_of(e.changes.begin(), e.changes.end(), [&](const field_change& x) {
    return x.field == c.field && same_value(x.new_value, c.new_value);
  });
}

// The entry of the call that carried the comment, fields and new files;
// `meant`: the changes whose value differed before the write.
bool is_main_call(const history_entry& e, const made_write& w,
                  const std::vector<field_change>& meant) {
  if (!w.comment || e.comment != *w.comment || !e.relations.empty() || !e.children.empty())
    return false;
  bool files_ours = std::all_of(e.attachments.begin(), e.attachments.end(), [&](auto& a) {
    return a.added && contains(w.added_files, a.file.id);
  });
  if (!files_ours)
    return false;
  // A change of a field the write set, to another value, is someone else's.
  for (auto& c : e.changes)
    for (auto& x : w.changes)
      if (x.field == c.field && !same_value(x.new_value, c.new_value))
        return false;
  // Without a comment or a file, only the fields say whose entry it is: one
  // the write changed must be in it.
  if (w.comment->empty() && e.attachments.empty())
    return std::any_of(meant.begin(), meant.end(),
                       [&](const field_change& c) { return sets_to(e, c); });
  return true;
}

// A file removal's entry: that removal and nothing else.
bool is_removal_of(const history_entry& e, const std::string& file_id) {
  return e.comment.empty() && e.changes.empty() && e.relations.empty() && e.children.empty()
         && e.attachments.size() == 1 && !e.attachments[0].added
         && e.attachments[0].file.id == file_id;
}

// A relation's entry: the relation, and the dates it moved (Redmine moves a
// following issue's dates in the journal of a "precedes" relation).
bool is_relation_entry(const history_entry& e, const relation_change& r) {
  if (!e.comment.empty() || !e.attachments.empty() || e.relations.size() != 1
      || !e.children.empty())
    return false;
  auto& x = e.relations[0];
  if (x.added != r.added || !(x.link == r.link))
    return false;
  return std::all_of(e.changes.begin(), e.changes.end(), [](const field_change& c) {
    return c.field == core_field::start_date || c.field == core_field::due_date;
  });
}

// A parent's record of a child: that child, and the values a parent may
// derive from its children (Redmine recomputes them as the child arrives).
bool is_child_entry(const history_entry& e, const child_change& c) {
  if (!e.comment.empty() || !e.attachments.empty() || !e.relations.empty()
      || e.children.size() != 1 || !(e.children[0] == c))
    return false;
  return std::all_of(e.changes.begin(), e.changes.end(), [](const field_change& x) {
    for (auto* derived : {core_field::start_date, core_field::due_date, core_field::done_ratio,
                          core_field::priority, core_field::estimated_hours})
      if (x.field == derived)
        return true;
    return false;
  });
}

// Claims the one new entry by the author that `is_it` accepts; two are
// ambiguous, none is nothing claimed.
template <class Pred>
const history_entry* claim(const issue& after, const std::set<std::string>& before,
                           const std::string& author, Pred is_it, attribution& out) {
  std::vector<const history_entry*> found;
  for (auto& e : after.history)
    if (is_new(e, before) && e.author == author && is_it(e))
      found.push_back(&e);
  if (found.size() > 1) {
    for (auto* e : found)
      out.ambiguous.push_back(e->id);
    return nullptr;
  }
  if (found.empty())
    return nullptr;
  out.entry_ids.push_back(found.front()->id);
  return found.front();
}

} // namespace

bool same_value(const std::string& a, const std::string& b) {
  if (a == b)
    return true;
  if (with_newlines(a) == with_newlines(b))
    return true;
  auto x = as_number(a), y = as_number(b);
  return x && y && *x == *y;
}

attribution attribute_write(const issue& before, const issue& after, const made_write& w) {
  attribution out;
  auto existing = entry_ids_of(before);
  std::vector<field_change> meant;
  for (auto& c : w.changes)
    if (auto was = value_of(before, c.field); !same_value(was, c.new_value))
      meant.push_back({c.field, was, c.new_value});
  const history_entry* main = nullptr;
  if (w.comment)
    main = claim(
      after, existing, w.author, [&](auto& e) { return is_main_call(e, w, meant); }, out);
  for (auto& id : w.removed_files)
    claim(after, existing, w.author, [&](auto& e) { return is_removal_of(e, id); }, out);
  for (auto& r : w.relations)
    claim(after, existing, w.author, [&](auto& e) { return is_relation_entry(e, r); }, out);
  if (!out.ambiguous.empty()) {
    out.entry_ids.clear();
    return out;
  }
  for (auto& c : meant)
    if (!(main && sets_to(*main, c)) && !same_value(value_of(after, c.field), c.new_value))
      out.dropped.push_back(c);
  return out;
}

attribution attribute_relation_record(const issue& before, const issue& after,
                                      const std::string& author,
                                      const relation_change& reversed) {
  attribution out;
  claim(after, entry_ids_of(before), author,
        [&](auto& e) { return is_relation_entry(e, reversed); }, out);
  return out;
}

attribution attribute_child_record(const issue& before, const issue& after,
                                   const std::string& author, const child_change& child) {
  attribution out;
  claim(after, entry_ids_of(before), author, [&](auto& e) { return is_child_entry(e, child); },
        out);
  return out;
}

std::vector<field_change> not_created(const issue& created,
                                      const std::vector<field_change>& changes) {
  std::vector<field_change> out;
  for (auto& c : changes)
    if (auto now = value_of(created, c.field); !same_value(now, c.new_value))
      out.push_back({c.field, now, c.new_value});
  return out;
}

} // namespace tb
