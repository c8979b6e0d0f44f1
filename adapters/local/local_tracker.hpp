#pragma once
// The embedded tracker: projects, issues and their history kept in
// TrackBridge's own LMDB store. Thread-safe: the HTTP API and the sync engine
// call it at once, and LMDB serialises the writes.

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/local/local_settings.hpp"
#include "domain/catalogue.hpp"
#include "domain/result.hpp"
#include "storage/lmdb.hpp"

namespace tb::local {

// Files added carry their bytes (file.id is assigned by the tracker); a file
// removed is named by its id. content_type defaults to
// application/octet-stream.
struct new_issue {
  std::string author;
  field_values fields; // must include a non-empty subject
  std::string comment; // optional text on the creation entry
  std::string alt_id;  // set by TrackBridge when it creates a replica
  std::vector<attachment_change> attachments = {}; // additions only
};

struct issue_update {
  std::string author;
  field_values fields; // new values; "" clears a field
  std::string comment;
  std::vector<attachment_change> attachments = {};
  // At most one relation joins two issues; adding it records an entry on the
  // other issue too, from that issue's side.
  std::vector<relation_change> relations = {};
};

// The largest file the embedded tracker keeps.
inline constexpr std::size_t max_file_size = std::size_t{64} << 20;

// How a write treats list values its project does not define yet: a person
// gets an error, a sync adds the value (metadata created when it is needed).
enum class list_values { strict, add_missing };

// What a project takes (domain/catalogue.hpp): its fields, each taking any
// value, since a sync adds the list values a project lacks.
tracker_catalogue catalogue_of(const project& p, const std::string& connection);

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
  // mirrored: receives the entries the update recorded on related issues.
  result<issue> update_issue(const std::string& id, const issue_update& u,
                             list_values lv = list_values::strict,
                             std::vector<entry_ref>* mirrored = nullptr);
  result<issue> get_issue(const std::string& id);
  // A file's bytes; not_found once it is removed from its issue.
  result<std::string> file_content(const std::string& file_id);

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
  // Stores the files a write adds (ids assigned here) and drops removed ones;
  // the entry and the issue's file list follow.
  std::optional<sync_error> apply_files(storage::transaction& t, issue& i, history_entry& e,
                                        const std::vector<attachment_change>& files,
                                        const std::string& where);
  // Adds or removes relations on i and records the other side's entries.
  std::optional<sync_error> apply_relations(storage::transaction& t, issue& i,
                                            history_entry& e,
                                            const std::vector<relation_change>& links,
                                            const std::string& where,
                                            std::vector<entry_ref>* mirrored);
  // Saves the issue at its new updated time, moving its by_updated key.
  void touch(storage::transaction& t, issue& i, timestamp previous);
  std::vector<issue_stamp> scan_changed(storage::transaction& t, const std::string& project,
                                        timestamp since, std::size_t limit);
  // The next value of a per-connection counter ("issue", "entry").
  std::uint64_t next_number(storage::transaction& t, const char* counter);
  // The time of a write: now, but strictly after the previous write's.
  timestamp next_write_time(storage::transaction& t);

  storage::environment& env_;
  std::string name_;
  MDB_dbi projects_, issues_, history_, by_updated_, by_alt_id_, counters_, files_;
};

} // namespace tb::local
