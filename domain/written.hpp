#pragma once
// Finding what an interrupted write already did. A write to a tracker and
// the ledger entry that records it cannot commit together: a crash (or a
// lost answer) between them leaves history entries on the target that no
// ledger names. Before writing again, the engine looks for them, so the
// retry neither duplicates a comment or file nor syncs its own write back.

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

} // namespace tb
