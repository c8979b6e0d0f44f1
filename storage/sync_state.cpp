#include "storage/sync_state.hpp"

#include <nlohmann/json.hpp>

#include "storage/record.hpp"

namespace tb::storage {

namespace {

using json = nlohmann::json;

std::string ref_key(const std::string& task, const issue_ref& r) {
  return key_of({task, to_string(r.where), r.id});
}

side side_of(std::string_view s) {
  return s == "target" ? side::target : side::source;
}

} // namespace

sync_state::sync_state(environment& env)
  : env_(env),
    mappings_(env.database("mappings")),
    files_(env.database("file_links")),
    records_(env.database("relation_records")),
    ledger_(env.database("ledger")),
    watermarks_(env.database("watermarks")),
    queue_(env.database("queue")),
    errors_(env.database("errors")),
    log_(env.database("log")),
    meta_(env.database("meta")),
    intents_(env.database("intents")),
    unlinked_(env.database("unlinked")) {
  check_format();
}

void sync_state::check_format() {
  transaction t{env_, transaction::read_write};
  auto stored = t.get(meta_, "format");
  if (!stored) {
    // A new directory, or one from before the format was recorded (the same
    // layout): from now on it says which it is.
    t.put(meta_, "format", std::to_string(format));
    t.commit();
    return;
  }
  if (*stored != std::to_string(format))
    throw storage_error("the storage directory " + env_.directory() + " holds data in format "
                        + std::string{*stored} + ", and this TrackBridge reads format "
                        + std::to_string(format)
                        + "; run the TrackBridge that wrote it, or give this one a new "
                          "directory (storage.directory or --data-dir)");
}

std::optional<twin_link> sync_state::find_twin(transaction& t, const std::string& task,
                                               const issue_ref& r) {
  auto v = t.get(mappings_, ref_key(task, r));
  if (!v)
    return std::nullopt;
  auto j = decode(*v);
  return twin_link{j.at("twin").get<std::string>(), side_of(j.at("origin").get<std::string>())};
}

void sync_state::link(transaction& t, const std::string& task, const issue_ref& origin,
                      const std::string& twin_id) {
  auto origin_side = to_string(origin.where);
  t.put(mappings_, ref_key(task, origin), encode({{"twin", twin_id}, {"origin", origin_side}}));
  t.put(mappings_, ref_key(task, issue_ref{other(origin.where), twin_id}),
        encode({{"twin", origin.id}, {"origin", origin_side}}));
}

void sync_state::unlink(transaction& t, const std::string& task, const issue_ref& origin,
                        const std::string& twin_id) {
  issue_ref twin{other(origin.where), twin_id};
  t.erase(mappings_, ref_key(task, origin));
  t.erase(mappings_, ref_key(task, twin));
  mark_unlinked(t, task, origin);
  mark_unlinked(t, task, twin);
}

void sync_state::mark_unlinked(transaction& t, const std::string& task, const issue_ref& r) {
  t.put(unlinked_, ref_key(task, r), "1");
}

bool sync_state::is_unlinked(transaction& t, const std::string& task, const issue_ref& r) {
  return t.get(unlinked_, ref_key(task, r)).has_value();
}

std::size_t sync_state::mapped_pairs(transaction& t, const std::string& task) {
  std::size_t n = 0;
  t.scan(mappings_, prefix_of({task, "source"}), [&](auto, auto) {
    ++n;
    return true;
  });
  return n;
}

std::vector<std::string> sync_state::linked(transaction& t, const std::string& task, side s) {
  std::vector<std::string> out;
  auto prefix = prefix_of({task, to_string(s)});
  t.scan(mappings_, prefix, [&](std::string_view k, std::string_view) {
    out.emplace_back(k.substr(prefix.size()));
    return true;
  });
  return out;
}

std::optional<std::string> sync_state::find_twin_file(transaction& t, const std::string& task,
                                                      side s, const std::string& file_id) {
  if (auto v = t.get(files_, ref_key(task, issue_ref{s, file_id})))
    return std::string{*v};
  return std::nullopt;
}

void sync_state::link_files(transaction& t, const std::string& task, side s,
                            const std::string& file_id, const std::string& twin_file_id) {
  t.put(files_, ref_key(task, issue_ref{s, file_id}), twin_file_id);
  t.put(files_, ref_key(task, issue_ref{other(s), twin_file_id}), file_id);
}

namespace {

sync_state::meeting meeting_at(std::optional<std::string_view> v) {
  sync_state::meeting m;
  if (!v)
    return m;
  auto j = decode(*v);
  if (j.is_string()) { // before meetings: the issue whose record came first
    m.arrived.push_back(j.get<std::string>());
    return m;
  }
  m.arrived = j.value("arrived", std::vector<std::string>{});
  m.done = j.value("done", false);
  return m;
}

} // namespace

sync_state::meeting sync_state::arrive(transaction& t, const std::string& task, side s,
                                       const std::string& key, const std::string& issue_id) {
  auto k = key_of({task, to_string(s), key});
  auto m = meeting_at(t.get(records_, k));
  m.arrived_before = std::find(m.arrived.begin(), m.arrived.end(), issue_id) != m.arrived.end();
  if (!m.arrived_before) {
    m.arrived.push_back(issue_id);
    t.put(records_, k, encode({{"arrived", m.arrived}, {"done", m.done}}));
  }
  return m;
}

void sync_state::meeting_done(transaction& t, const std::string& task, side s,
                              const std::string& key) {
  auto k = key_of({task, to_string(s), key});
  auto m = meeting_at(t.get(records_, k));
  t.put(records_, k, encode({{"arrived", m.arrived}, {"done", true}}));
}

void sync_state::forget_meeting(transaction& t, const std::string& task, side s,
                                const std::string& key) {
  t.erase(records_, key_of({task, to_string(s), key}));
}

// Kept beside the meetings: both are small per-pair records of what the
// two sides share.
std::optional<std::vector<std::string>> sync_state::synced_watchers(transaction& t,
                                                                    const std::string& task,
                                                                    const issue_ref& pair) {
  auto v = t.get(records_, key_of({task, "watchers", to_string(pair.where), pair.id}));
  if (!v)
    return std::nullopt;
  return decode(*v).get<std::vector<std::string>>();
}

void sync_state::set_synced_watchers(transaction& t, const std::string& task,
                                     const issue_ref& pair,
                                     const std::vector<std::string>& logins) {
  t.put(records_, key_of({task, "watchers", to_string(pair.where), pair.id}), encode(logins));
}

namespace {

nlohmann::json link_json(const time_entry_link& l) {
  nlohmann::json j{{"source", l.source}, {"target", l.target}};
  if (l.unfinished)
    j["unfinished"] = to_string(*l.unfinished);
  return j;
}

time_entry_link link_of(const nlohmann::json& j) {
  time_entry_link l{j.at("source").get<time_entry>(), j.at("target").get<time_entry>()};
  if (auto u = j.find("unfinished"); u != j.end())
    l.unfinished = u->get<std::string>() == "source" ? side::source : side::target;
  return l;
}

} // namespace

std::vector<time_entry_link> sync_state::time_entry_links(transaction& t,
                                                          const std::string& task,
                                                          const issue_ref& pair) {
  std::vector<time_entry_link> out;
  if (auto v = t.get(records_, key_of({task, "time_entries", to_string(pair.where), pair.id})))
    for (auto& l : decode(*v))
      out.push_back(link_of(l));
  return out;
}

void sync_state::set_time_entry_links(transaction& t, const std::string& task,
                                      const issue_ref& pair,
                                      const std::vector<time_entry_link>& links) {
  auto k = key_of({task, "time_entries", to_string(pair.where), pair.id});
  if (links.empty()) {
    t.erase(records_, k);
    return;
  }
  auto j = nlohmann::json::array();
  for (auto& l : links)
    j.push_back(link_json(l));
  t.put(records_, k, encode(j));
}

std::optional<time_entry_intent> sync_state::time_entry_intent_of(transaction& t,
                                                                  const std::string& task,
                                                                  const issue_ref& pair) {
  auto v = t.get(records_, key_of({task, "time_entry_intent", to_string(pair.where), pair.id}));
  if (!v)
    return std::nullopt;
  auto j = decode(*v);
  return time_entry_intent{j.at("to").get<std::string>() == "source" ? side::source : side::target,
                           j.at("key").get<std::string>(), link_of(j.at("after")),
                           j.at("content").get<time_entry>(),
                           j.at("before").get<std::vector<std::string>>()};
}

void sync_state::set_time_entry_intent(transaction& t, const std::string& task,
                                       const issue_ref& pair, const time_entry_intent& w) {
  t.put(records_, key_of({task, "time_entry_intent", to_string(pair.where), pair.id}),
        encode({{"to", to_string(w.to)}, {"key", w.key}, {"after", link_json(w.after)},
                {"content", w.content}, {"before", w.before}}));
}

void sync_state::clear_time_entry_intent(transaction& t, const std::string& task,
                                         const issue_ref& pair) {
  t.erase(records_, key_of({task, "time_entry_intent", to_string(pair.where), pair.id}));
}

std::optional<std::string> sync_state::synced_description(transaction& t,
                                                          const std::string& task,
                                                          const std::string& source_file_id) {
  if (auto v = t.get(records_, key_of({task, "description", source_file_id})))
    return std::string{*v};
  return std::nullopt;
}

void sync_state::set_synced_description(transaction& t, const std::string& task,
                                        const std::string& source_file_id,
                                        const std::string& description) {
  t.put(records_, key_of({task, "description", source_file_id}), description);
}

std::set<std::string> sync_state::handled(transaction& t, const std::string& task,
                                          const issue_ref& r) {
  std::set<std::string> out;
  if (auto v = t.get(ledger_, ref_key(task, r)))
    for (auto& id : decode(*v))
      out.insert(id.get<std::string>());
  return out;
}

void sync_state::add_handled(transaction& t, const std::string& task, const issue_ref& r,
                             const std::vector<std::string>& entry_ids) {
  if (entry_ids.empty())
    return;
  auto ids = handled(t, task, r);
  ids.insert(entry_ids.begin(), entry_ids.end());
  t.put(ledger_, ref_key(task, r), encode(json(ids)));
}

std::optional<write_intent> sync_state::intent(transaction& t, const std::string& task,
                                               const issue_ref& pair) {
  auto v = t.get(intents_, ref_key(task, pair));
  if (!v)
    return std::nullopt;
  auto j = decode(*v);
  return write_intent{side_of(j.at("from").get<std::string>()), j.at("entry").get<std::string>(),
                      j.value("main_done", false),
                      j.value("missing", std::vector<std::string>{})};
}

void sync_state::set_intent(transaction& t, const std::string& task, const issue_ref& pair,
                            const write_intent& w) {
  t.put(intents_, ref_key(task, pair),
        encode({{"from", to_string(w.from)},
                {"entry", w.entry_id},
                {"main_done", w.main_done},
                {"missing", w.missing}}));
}

void sync_state::clear_intent(transaction& t, const std::string& task, const issue_ref& pair) {
  t.erase(intents_, ref_key(task, pair));
}

std::optional<timestamp> sync_state::watermark(transaction& t, const std::string& task,
                                               side s) {
  auto v = t.get(watermarks_, key_of({task, to_string(s)}));
  if (!v)
    return std::nullopt;
  return static_cast<timestamp>(from_be64(*v));
}

void sync_state::set_watermark(transaction& t, const std::string& task, side s,
                               timestamp w) {
  t.put(watermarks_, key_of({task, to_string(s)}), be64(static_cast<std::uint64_t>(w)));
}

void sync_state::enqueue(transaction& t, const std::string& task, const queued_change& c) {
  auto key = ref_key(task, c.ref);
  if (auto v = t.get(queue_, key); v && static_cast<timestamp>(from_be64(*v)) >= c.updated)
    return;
  t.put(queue_, key, be64(static_cast<std::uint64_t>(c.updated)));
}

std::vector<queued_change> sync_state::queued(transaction& t, const std::string& task) {
  std::vector<queued_change> out;
  auto prefix = prefix_of({task});
  t.scan(queue_, prefix, [&](std::string_view k, std::string_view v) {
    auto rest = k.substr(prefix.size());
    auto sep = rest.find('\0');
    out.push_back({issue_ref{side_of(rest.substr(0, sep)), std::string{rest.substr(sep + 1)}},
                   static_cast<timestamp>(from_be64(v))});
    return true;
  });
  return out;
}

bool sync_state::dequeue_if_covered(transaction& t, const std::string& task,
                                    const issue_ref& r, timestamp seen) {
  auto key = ref_key(task, r);
  auto v = t.get(queue_, key);
  if (!v || static_cast<timestamp>(from_be64(*v)) > seen)
    return false;
  return t.erase(queue_, key);
}

bool sync_state::is_queued(transaction& t, const std::string& task, const issue_ref& r) {
  return t.get(queue_, ref_key(task, r)).has_value();
}

std::size_t sync_state::queue_length(transaction& t, const std::string& task) {
  std::size_t n = 0;
  t.scan(queue_, prefix_of({task}), [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

bool sync_state::record_error(transaction& t, const std::string& task, const issue_ref& r,
                              const std::string& where, const std::string& message,
                              timestamp when, bool attempted) {
  auto key = ref_key(task, r);
  std::uint64_t attempts = attempted ? 1 : 0;
  bool parked = false;
  auto v = t.get(errors_, key);
  if (v) {
    auto before = decode(*v);
    attempts += before.value("attempts", std::uint64_t{0});
    parked = before.value("parked", false);
  }
  t.put(errors_, key,
        encode({{"where", where},
                {"message", message},
                {"time", when},
                {"attempts", attempts},
                {"parked", parked}}));
  return !v;
}

void sync_state::park_error(transaction& t, const std::string& task, const issue_ref& r) {
  auto key = ref_key(task, r);
  auto v = t.get(errors_, key);
  if (!v)
    return;
  auto item = decode(*v);
  item["parked"] = true;
  t.put(errors_, key, encode(item));
}

bool sync_state::clear_error(transaction& t, const std::string& task, const issue_ref& r) {
  return t.erase(errors_, ref_key(task, r));
}

std::vector<error_item> sync_state::errors(transaction& t, const std::string& task) {
  std::vector<error_item> out;
  auto prefix = task.empty() ? std::string{} : prefix_of({task});
  t.scan(errors_, prefix, [&](std::string_view k, std::string_view v) {
    auto first = k.find('\0');
    auto second = k.find('\0', first + 1);
    auto j = decode(v);
    out.push_back({std::string{k.substr(0, first)},
                   issue_ref{side_of(k.substr(first + 1, second - first - 1)),
                             std::string{k.substr(second + 1)}},
                   j.value("where", ""), j.value("message", ""), j.value("time", timestamp{0}),
                   j.value("attempts", std::uint64_t{0}), j.value("parked", false)});
    return true;
  });
  return out;
}

const char* to_string(task_run_state s) {
  switch (s) {
    case task_run_state::paused:
      return "paused";
    case task_run_state::stopped:
      return "stopped";
    case task_run_state::running:
      break;
  }
  return "running";
}

task_run_state sync_state::run_state(transaction& t, const std::string& task) {
  auto v = t.get(meta_, key_of({"run_state", task}));
  if (v && *v == "paused")
    return task_run_state::paused;
  if (v && *v == "stopped")
    return task_run_state::stopped;
  return task_run_state::running;
}

void sync_state::set_run_state(transaction& t, const std::string& task, task_run_state s) {
  if (s == task_run_state::running)
    t.erase(meta_, key_of({"run_state", task}));
  else
    t.put(meta_, key_of({"run_state", task}), to_string(s));
}

std::uint64_t sync_state::append_log(transaction& t, log_record rec) {
  std::uint64_t seq = 1;
  if (auto v = t.get(meta_, "log_seq"))
    seq = from_be64(*v) + 1;
  t.put(meta_, "log_seq", be64(seq));
  t.put(log_, be64(seq),
        encode({{"time", rec.time}, {"level", rec.level}, {"task", rec.task},
                {"message", rec.message}}));
  return seq;
}

std::vector<log_record> sync_state::log(transaction& t, std::uint64_t after_seq,
                                        std::size_t limit) {
  std::vector<log_record> out;
  t.scan_from(log_, "", be64(after_seq + 1), [&](std::string_view k, std::string_view v) {
    auto j = decode(v);
    out.push_back({from_be64(k), j.value("time", timestamp{0}), j.value("level", ""),
                   j.value("task", ""), j.value("message", "")});
    return out.size() < limit;
  });
  return out;
}

} // namespace tb::storage
