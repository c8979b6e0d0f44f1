#pragma once
// The embedded tracker: projects, issues and their history kept in
// TrackBridge's own LMDB store. Thread-safe: the HTTP API and the sync engine
// call it at once, and LMDB serialises the writes.

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "domain/result.hpp"
#include "storage/lmdb.hpp"

namespace tb::local {

struct custom_field_def {
  std::string name;
  std::string type = "string";     // "string" or "list"
  std::vector<std::string> values; // a list field's allowed values
};

struct project {
  std::string key;
  std::vector<custom_field_def> custom_fields;
};

struct new_issue {
  std::string author;
  field_values fields; // must include a non-empty subject
  std::string comment; // optional text on the creation entry
  std::string alt_id;  // set by TrackBridge when it creates a replica
};

struct issue_update {
  std::string author;
  field_values fields; // new values; "" clears a field
  std::string comment;
};

// How a write treats list values its project does not define yet: a person
// gets an error, a sync adds the value (metadata created when it is needed).
enum class list_values { strict, add_missing };

class tracker {
 public:
  // name: the connection's name, used in every error's location.
  tracker(storage::environment& env, std::string name);

  const std::string& name() const { return name_; }

  // Creates the project or, if it exists, adds custom fields and list values
  // it lacks; nothing is removed.
  result<project> ensure_project(const project& p);
  result<project> get_project(const std::string& key);
  std::vector<project> projects();

  // Each create or update is one history entry: the creation entry holds the
  // initial values ("" -> value); an update holds only the fields it changed.
  result<issue> create_issue(const std::string& project, const new_issue& n,
                             list_values lv = list_values::strict);
  // An update that changes nothing and has no comment is refused (invalid).
  result<issue> update_issue(const std::string& id, const issue_update& u,
                             list_values lv = list_values::strict);
  result<issue> get_issue(const std::string& id);

  // Issues of the project whose `updated` is >= since, oldest first, at most
  // limit of them.
  std::vector<issue_stamp> changed_since(const std::string& project, timestamp since,
                                         std::size_t limit);
  // The same issues with their fields (history left empty), read in one
  // snapshot; not_found for an unknown project. What the REST list shows.
  result<std::vector<issue>> changed_issues(const std::string& project, timestamp since,
                                            std::size_t limit);

  // The project's issue stamped with this alt_id, if any.
  std::optional<std::string> find_by_alt_id(const std::string& project,
                                            const std::string& alt_id);

 private:
  // Records read and written inside the caller's transaction; an issue
  // record holds no history (its entries are keyed apart, oldest first).
  std::optional<project> load_project(storage::transaction& t, const std::string& key);
  void save_project(storage::transaction& t, const project& p);
  std::optional<issue> load_issue(storage::transaction& t, const std::string& id);
  void save_issue(storage::transaction& t, const issue& i);
  std::vector<history_entry> load_history(storage::transaction& t, const std::string& id);
  void save_entry(storage::transaction& t, const std::string& issue_id,
                  const history_entry& e);
  std::vector<issue_stamp> scan_changed(storage::transaction& t, const std::string& project,
                                        timestamp since, std::size_t limit);
  // The next value of a per-connection counter ("issue", "entry").
  std::uint64_t next_number(storage::transaction& t, const char* counter);
  // The time of a write: now, but strictly after the previous write's.
  timestamp next_write_time(storage::transaction& t);

  storage::environment& env_;
  std::string name_;
  MDB_dbi projects_, issues_, history_, by_updated_, by_alt_id_, counters_;
};

} // namespace tb::local
