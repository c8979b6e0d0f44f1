#pragma once
// An in-memory tracker for deterministic actor tests: issues with history,
// every write counted, and a switch to make the next write fail.

#include <map>
#include <optional>
#include <set>

#include "adapters/tracker_adapter.hpp"

namespace tb::test {

class memory_adapter : public tracker_adapter {
 public:
  explicit memory_adapter(std::string name) : name_(std::move(name)) {}

  // A person's edits, as a tracker's own UI would make them.
  issue& add(const std::string& project, const std::string& author, field_values fields,
             const std::string& comment = "");
  issue& edit(const std::string& id, const std::string& author, field_values fields,
              const std::string& comment = "");

  // Files and relations, as a person adds them; a relation is recorded on
  // both issues.
  issue& attach(const std::string& id, const std::string& author, const std::string& filename,
                const std::string& bytes);
  issue& detach(const std::string& id, const std::string& author, const std::string& file_id);
  issue& relate(const std::string& id, const std::string& author, const std::string& type,
                const std::string& other, bool added = true);

  std::map<std::string, issue> issues;
  std::map<std::string, std::string> files; // file id -> bytes
  std::size_t uploads = 0;   // files written by the engine
  std::size_t downloads = 0; // files read by the engine
  std::size_t creates = 0;
  std::size_t updates = 0;
  std::optional<sync_error> fail_next_write;
  std::optional<sync_error> fail_writes; // every write, while set
  // While set, every second write fails with it (a flaky tracker): each
  // pass gets one write through, then fails.
  std::optional<sync_error> fail_every_second_write;
  std::optional<sync_error> fail_next_poll;
  std::optional<sync_error> fail_reads; // every read, while set
  std::size_t reads = 0;                // read_issue calls that reached the tracker
  // The next write is made, but its answer is lost (a crash or a dropped
  // connection after the tracker did it): the caller gets this error.
  std::optional<sync_error> lose_next_answer;
  // The next read throws this, as an adapter does on an answer it cannot read.
  std::optional<std::string> throw_on_next_read;
  bool stores_alt_id = true; // false: like a Redmine without an ALT_ID field
  // Fields whose values a create or update accepts and ignores, as a
  // Redmine does without the workflow transition or with a read-only field:
  // reported in the write's `dropped`.
  std::set<std::string> ignores;
  // Like Redmine: a child's parent change is recorded on the parents too, as
  // entries of their own by the same author ("child added", "removed").
  bool records_children_on_parents = false;
  bool records_children() const override { return records_children_on_parents; }
  bool with_watchers = false; // issues have watchers, kept by updates
  bool has_watchers() const override { return with_watchers; }
  std::size_t watcher_writes = 0;
  bool with_file_descriptions = false; // updates may change a file's description
  std::size_t description_writes = 0;
  bool edits_file_descriptions() const override { return with_file_descriptions; }
  // Rows of logged time, by issue id; a person logs one with log_time.
  bool with_time_entries = false;
  bool has_time_entries() const override { return with_time_entries; }
  std::map<std::string, std::vector<time_entry>> time_entries;
  time_entry& log_time(const std::string& issue_id, time_entry row);
  std::size_t time_entry_writes = 0;
  // As a Redmine does: fields it adds to every row written (ones the other
  // side lacks), and fields it accepts and does not keep.
  field_values time_entry_extra_fields;
  std::set<std::string> time_entry_fields_not_kept;
  std::size_t time_entry_reads = 0;
  result<std::vector<time_entry>> read_time_entries(const std::string& project,
                                                    const std::string& issue_id) override;
  result<time_entry> write_time_entry(const std::string& project, const std::string& issue_id,
                                      const time_entry_write& w) override;

  // Like Redmine: listings narrowed by a filter's conditions, and the
  // newest change told; each narrowed listing asked for is kept.
  bool narrows = false;
  bool narrows_listings() const override { return narrows; }
  std::vector<listing_narrowing> narrowed_listings;
  result<std::vector<issue_stamp>> changed_since_narrowed(const std::string& project,
                                                          timestamp since, std::size_t limit,
                                                          const listing_narrowing& only) override;
  result<timestamp> newest_change(const std::string& project) override;

  // Who has which role in which project ({project, role}); while
  // fail_members is set, asking fails with it.
  std::map<std::pair<std::string, std::string>, std::vector<project_member>> members;
  std::optional<sync_error> fail_members;
  std::size_t members_asked = 0;
  result<std::vector<project_member>> members_with_role(const std::string& project,
                                                        const std::string& role) override {
    ++members_asked;
    if (fail_members)
      return *fail_members;
    auto m = members.find({project, role});
    return m == members.end() ? std::vector<project_member>{} : m->second;
  }

  const std::string& connection() const override { return name_; }
  result<std::vector<issue_stamp>> changed_since(const std::string& project, timestamp since,
                                                 std::size_t limit) override;
  result<issue> read_issue(const std::string& project, const std::string& id) override;
  result<write_result> create_issue(const std::string& project, const replica_write& w) override;
  result<write_result> update_issue(const std::string& project, const std::string& id,
                                    const replica_write& w) override;
  result<std::optional<std::string>> find_by_alt_id(const std::string& project,
                                                    const std::string& alt_id) override;
  result<std::string> read_attachment(const std::string& file_id) override;

 private:
  write_result create_now(const std::string& project, const replica_write& w);
  write_result update_now(const std::string& id, const replica_write& w);
  history_entry& append(issue& i, const std::string& author, const field_values& fields,
                        const std::string& comment, bool creation);
  // Applies files and relations to i and its entry e (the last of i's
  // history); the entries recorded on related issues.
  std::vector<entry_ref> apply(issue& i, const std::vector<attachment_change>& changes,
                               const std::vector<relation_change>& links);
  // The entries the last append recorded on parents (records_children).
  std::vector<entry_ref> recorded_on_parents_;
  std::string name_;
  // The write's failure as the switches above say, if any.
  std::optional<sync_error> write_refused();
  std::size_t writes_tried_ = 0;
  int next_file_ = 1;
  int next_issue_ = 1;
  int next_entry_ = 1;
  int next_time_entry_ = 1;
  // One clock for all trackers in a test, so "newer" means the same on both.
  static inline timestamp clock_ = 1000;

 public:
  // The next write's time is after t (a test that needs writes "just now").
  static void set_clock(timestamp t) { clock_ = t; }
};

} // namespace tb::test
