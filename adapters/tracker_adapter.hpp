#pragma once
// What the sync engine needs from a tracker, in the common issue model. An
// adapter is plain C++ and may block; the connection actor that owns it runs
// it off the scheduler's threads.

#include <optional>
#include <string>
#include <vector>

#include "domain/catalogue.hpp"
#include "domain/filter.hpp"
#include "domain/model.hpp"
#include "domain/result.hpp"

namespace tb {

class tracker_adapter {
 public:
  virtual ~tracker_adapter() = default;

  // The connection's name, as the config calls it; replicas' alt_ids use it.
  virtual const std::string& connection() const = 0;

  // Issues of the project updated at or after `since`, oldest first; at most
  // `limit`, so a poller pages by asking again from the last one's time.
  virtual result<std::vector<issue_stamp>> changed_since(const std::string& project,
                                                         timestamp since, std::size_t limit)
    = 0;

  // Whether the tracker can be asked to list only the issues that meet a
  // filter's narrowing (changed_since_narrowed), and tell its newest change
  // (newest_change): an initial sync then reads only what may match.
  virtual bool narrows_listings() const { return false; }
  // As changed_since, leaving out issues that do not meet `only` where the
  // tracker can tell; the rest is the filter's to decide.
  virtual result<std::vector<issue_stamp>> changed_since_narrowed(const std::string& project,
                                                                  timestamp since,
                                                                  std::size_t limit,
                                                                  const listing_narrowing&) {
    return changed_since(project, since, limit);
  }
  // The newest update time of the project's issues; 0 when it has none.
  virtual result<timestamp> newest_change(const std::string& project) {
    return sync_error{error_kind::internal, "connection " + connection() + ", project " + project,
                      "this tracker cannot tell its newest change"};
  }

  // What the project takes (domain/catalogue.hpp), read before a task
  // writes anything; not_found when the tracker has no such project. The
  // default knows nothing, so nothing is checked against it.
  virtual result<tracker_catalogue> read_catalogue(const std::string& project) {
    return tracker_catalogue{"connection " + connection() + ", project " + project};
  }

  // The issue with its whole history; not_found if it is not in the project.
  virtual result<issue> read_issue(const std::string& project, const std::string& id) = 0;

  virtual result<write_result> create_issue(const std::string& project,
                                            const replica_write& w) = 0;

  virtual result<write_result> update_issue(const std::string& project, const std::string& id,
                                            const replica_write& w) = 0;

  // The bytes of a file attached to an issue; not_found once it is removed.
  virtual result<std::string> read_attachment(const std::string& file_id) = 0;

  // Whether the tracker records a child's parent change on the parent as
  // well, as an entry of its own (domain/model.hpp: child_change).
  virtual bool records_children() const { return false; }

  // Whether issues have watchers (issue::watchers), which an update's
  // replica_write::watchers then adds and removes.
  virtual bool has_watchers() const { return false; }
  // Whether a file's description can be changed after its upload
  // (replica_write::descriptions).
  virtual bool edits_file_descriptions() const { return false; }

  // Whether issues carry rows of logged time (time_entry), which the two
  // calls below read and write.
  virtual bool has_time_entries() const { return false; }
  // The issue's rows, oldest first.
  virtual result<std::vector<time_entry>> read_time_entries(const std::string& project,
                                                            const std::string& issue_id) {
    return no_time_entries(project, issue_id);
  }
  // Writes one row, as its user where the tracker lets the key act for
  // others, and answers the row as the tracker now has it (deleted: an
  // empty row). A row already deleted is not an error.
  virtual result<time_entry> write_time_entry(const std::string& project,
                                              const std::string& issue_id,
                                              const time_entry_write&) {
    return no_time_entries(project, issue_id);
  }

  // The project's members who have the role (by its name), each once,
  // whether they have it themselves or through a group: who gets the
  // notifications sent to that role. not_found when the tracker has no
  // such project; the default has no roles.
  virtual result<std::vector<project_member>> members_with_role(const std::string& project,
                                                                const std::string& role) {
    return sync_error{error_kind::internal, "connection " + connection() + ", project " + project,
                      "this tracker has no roles (role " + role + ")"};
  }

  // The project's issue stamped with this alt_id: how a retried create finds
  // the issue it already made.
  virtual result<std::optional<std::string>> find_by_alt_id(const std::string& project,
                                                            const std::string& alt_id) = 0;

 protected:
  // What the time entry calls answer on a tracker without them.
  sync_error no_time_entries(const std::string& project, const std::string& issue_id) const {
    return {error_kind::internal,
            "connection " + connection() + ", project " + project + ", issue " + issue_id,
            "this tracker has no time entries"};
  }
};

} // namespace tb
