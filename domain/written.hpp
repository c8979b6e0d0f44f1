#pragma once
// Finding what an interrupted write already did. A write to a tracker and
// the ledger entry that records it cannot commit together: a crash (or a
// lost answer) between them leaves history entries on the target that no
// ledger names. Before writing again, the engine looks for them, so the
// retry neither duplicates a comment or file nor syncs its own write back.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/model.hpp"

namespace tb {

struct found_write {
  // The target's entries the write made that the ledger does not name yet.
  std::vector<std::string> entry_ids;
  // Its field changes, comment and added files are there (one tracker call
  // writes them together): only the relations and file removals, which
  // trackers accept again harmlessly, may still be missing.
  bool main_done = false;
  // The target's ids of the files the write adds, in the write's order;
  // empty where the file was not found.
  std::vector<std::string> attachment_ids;
  // Entries that could each be the write's one tracker call: none of them
  // is claimed (main_done stays false), and the pass fails rather than
  // write again or pick one.
  std::vector<std::string> ambiguous = {};
};

// Looks among `target`'s history entries not in `handled` for those that
// consist only of what `w` writes: its field values, its comment (alone or
// after a line naming its author, as trackers that cannot act as the author
// record it), its files, its relations. An entry with anything else is
// someone else's and never claimed.
found_write find_written(const issue& target, const std::set<std::string>& handled,
                         const replica_write& w);

// The same for a creation found by its alt_id: the twin's creation entry
// is the write's, and so are entries holding the creation's comment.
found_write find_created(const issue& twin, const std::set<std::string>& handled,
                         const replica_write& w);

// What is left to write once `found` is recorded: the write without the
// parts already on the target.
replica_write remaining_write(const replica_write& w, const found_write& found);

// --- attributing a write that just returned --------------------------------
// A tracker that answers a write without naming the entries it made (Redmine:
// 204) is read before and after it. The entries the write made are among the
// new ones, but so may be others: a child's creation, a relation or a person
// can add entries by the same user at the same moment. An entry is the
// write's only when everything in it is something this write did.

// The write as the adapter made it: the user it acted as, the comment exactly
// as sent, the files by the ids the tracker gave them.
struct made_write {
  std::string author;                 // the login the calls were made as
  std::optional<std::string> comment; // sent with the fields; none: no such call
  std::vector<field_change> changes;  // as sent (new_value)
  std::vector<std::string> added_files;
  std::vector<std::string> removed_files;
  std::vector<relation_change> relations;
};

struct attribution {
  std::vector<std::string> entry_ids; // the write's entries
  // Entries that could each be one part of the write: none is claimed, so
  // the caller fails and tries again rather than pick one.
  std::vector<std::string> ambiguous;
  // Changes the write meant (the value before differed) that the tracker did
  // not take: neither the write's entry nor the value after has them.
  std::vector<field_change> dropped; // old_value: the value before
};

attribution attribute_write(const issue& before, const issue& after, const made_write& w);

// The entry a relation written on one issue left on the related issue (read
// just before and after the write): its record of the relation, `reversed`
// as that issue sees it.
attribution attribute_relation_record(const issue& before, const issue& after,
                                      const std::string& author,
                                      const relation_change& reversed);

// The entry a child's parent change left on the parent (read just before and
// after the write): its record of the child added or removed.
attribution attribute_child_record(const issue& before, const issue& after,
                                   const std::string& author, const child_change& child);

// The changes a creation meant that the new issue does not have (a tracker
// that ignores a status or a read-only field when it creates an issue);
// old_value: the value the issue got instead.
std::vector<field_change> not_created(const issue& created,
                                      const std::vector<field_change>& changes);

// Two values of one field are the same to a tracker: equal once line ends
// are alike ("\r\n" is how Redmine stores "\n"), or equal numbers ("2" and
// "2.0").
bool same_value(const std::string& a, const std::string& b);

} // namespace tb
