#include "app/explain.hpp"

#include <filesystem>
#include <map>
#include <ostream>

#include "app/connections.hpp"
#include "config/task_rules.hpp"
#include "domain/checked_json.hpp"
#include "domain/replay.hpp"
#include "domain/time.hpp"

namespace tb::app {

namespace {

using checked::quote;

const config::task_config* task_named(const config::config& cfg, const std::string& name) {
  for (auto& t : cfg.tasks)
    if (t.name == name)
      return &t;
  return nullptr;
}

void print_change(std::ostream& out, const field_change& c) {
  out << "      " << c.field << ": " << quote(c.old_value) << " -> " << quote(c.new_value)
      << "\n";
}

void print_write(std::ostream& out, const replica_write& w) {
  for (auto& c : w.changes)
    print_change(out, c);
  if (!w.comment.empty())
    out << "      comment: " << quote(w.comment) << "\n";
  for (auto& a : w.attachments)
    out << "      file " << (a.added ? "added: " : "removed: ") << quote(a.file.filename)
        << (a.added ? " (" + std::to_string(a.file.size) + " bytes)" : std::string{}) << "\n";
  for (auto& r : w.relations)
    out << "      relation " << (r.added ? "added: " : "removed: ") << r.link.type << " #"
        << r.link.other << " (the twin of #" << r.link.other << ")\n";
}

} // namespace

std::optional<explained_issue> parse_explained(const std::string& text, std::string& why) {
  auto first = text.find('/');
  auto last = text.rfind('/');
  if (first == std::string::npos || first == last || last + 1 == text.size() || first == 0) {
    why = "--explain takes TASK/SIDE/ID, e.g. rm1-rm2/source/12; got " + quote(text);
    return std::nullopt;
  }
  explained_issue out{text.substr(0, first), side::source, text.substr(last + 1)};
  auto s = text.substr(first + 1, last - first - 1);
  if (s != "source" && s != "target") {
    why = "--explain " + quote(text) + ": the side must be source or target, not " + quote(s);
    return std::nullopt;
  }
  out.where = s == "source" ? side::source : side::target;
  return out;
}

int explain(const config::config& cfg, const explained_issue& what, std::ostream& out,
            std::ostream& err) {
  auto* t = task_named(cfg, what.task);
  if (!t) {
    std::vector<std::string> names;
    for (auto& x : cfg.tasks)
      names.push_back(x.name);
    err << "--explain: no task named " << quote(what.task) << "; configured tasks: "
        << checked::join(names) << "\n";
    return 2;
  }
  bool from_source = what.where == side::source;
  if (!from_source && t->dir != config::direction::two_way) {
    err << "--explain: task " << t->name << " is one-way: only its source's issues are "
        << "replicated\n";
    return 2;
  }
  auto& here = from_source ? t->source : t->target;
  auto& there = from_source ? t->target : t->source;
  auto on = "connection " + here.connection + ", project " + here.project;
  opened_reader reader;
  try {
    reader = open_reader(cfg, here.connection);
  } catch (const std::exception& e) {
    err << "--explain: cannot read " << on << ": " << e.what() << "\n";
    return 1;
  }
  auto read = reader.adapter->read_issue(here.project, what.id);
  if (!read) {
    err << "--explain: " << read.error().where << ": " << read.error().message << "\n";
    return 1;
  }
  auto& i = *read;
  out << "task " << t->name << ", " << (from_source ? "source" : "target") << " issue " << i.id
      << " (" << on << "): " << quote(value_of(i, core_field::subject)) << "\n";
  if (!i.alt_id.empty())
    out << "  made by TrackBridge as the twin of " << i.alt_id << "\n";
  auto& f = from_source ? t->filter : t->target_filter;
  if (!f) {
    out << "filter: none, every issue of the project is synced\n";
  } else {
    auto verdict = f->explain(i, now_ms());
    out << "filter: " << (verdict.matches ? "matches" : "does not match") << " (" << verdict.because
        << ")\n";
    if (!verdict.matches)
      out << "  so it is not synced, and nothing is written; were it to match:\n";
  }
  auto rules = config::rules_of(*t);
  auto& to_there = rules[from_source ? 0 : 1];
  auto& to_here = rules[from_source ? 1 : 0];
  side_view origin{&i, nullptr, here.connection, reader.adapter->records_children()};
  side_view none{nullptr, nullptr, there.connection, false};
  auto plan = plan_replay(origin, none, false, false, conflict_policy::source_wins, to_there,
                          to_here);
  std::map<std::string, const history_entry*> entries;
  for (auto& e : i.history)
    entries[e.id] = &e;
  out << "its twin on connection " << there.connection << ", project " << there.project
      << " would get " << plan.steps.size() << " write(s):\n";
  std::size_t n = 0;
  for (auto& step : plan.steps) {
    auto* e = entries.at(step.entry_id);
    out << "  " << ++n << ". entry " << e->id << " of " << to_rfc3339(e->time) << " by "
        << e->author << (step.write.author != e->author ? " (written as " + step.write.author + ")"
                                                        : std::string{})
        << (step.creation ? ": creates the twin" : "") << "\n";
    if (step.refused) {
      out << "      refused: " << *step.refused
          << "; the sync stops here with an error item, and writes nothing of it\n";
      break;
    }
    if (step.skip)
      out << "      nothing to write\n";
    print_write(out, step.write);
  }
  return 0;
}

} // namespace tb::app
