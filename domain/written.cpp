#include "domain/written.hpp"

#include <algorithm>

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
  if (e.is_creation || e.empty())
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
  bool main_claimed = false;
  for (auto& e : target.history) {
    if (handled.count(e.id) || !consists_of(e, w))
      continue;
    if (is_main_part(e)) {
      if (main_claimed) // one tracker call, one entry: a second is someone's own
        continue;
      main_claimed = true;
      out.attachment_ids = file_ids(e.attachments, w);
    }
    out.entry_ids.push_back(e.id);
  }
  out.main_done = main_claimed || !has_main_part(w);
  if (!main_claimed)
    out.attachment_ids.clear();
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

} // namespace tb
