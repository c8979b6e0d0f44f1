#pragma once
// Replay planning: which history entries of a pair still need syncing, how
// two-way conflicts are decided, and what each write carries. Plain
// functions over the issue model, so every rule is testable without actors.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/model.hpp"
#include "domain/sync.hpp"
#include "domain/value_mapping.hpp"

namespace tb {

// Renames for one direction of a task: fields, authors (logins) and values;
// what is not named keeps its name.
struct field_rules {
  std::map<std::string, std::string> rename;
  std::map<std::string, std::string> users;
  // By the field's name on the side the writes come from: what its values
  // become on the other side.
  std::map<std::string, value_mapping> values = {};
  // Tried for a field `rename` does not name: RE2 rules with captures (no
  // table, unmapped names pass). A rule that makes an empty name leaves
  // the field its own.
  std::optional<value_mapping> rename_rules = {};
  std::string map(const std::string& field) const;
  std::string map_user(const std::string& login) const;
  // What `value` of `field` becomes; nullopt when its mapping refuses it.
  std::optional<std::string> map_value(const std::string& field, const std::string& value) const;
  // The renames of the other direction. Not the values, nor the rename
  // rules: those are not always one-to-one, so each direction's are
  // configured (or derived) on their own.
  field_rules inverted() const;
};

// A change a tracker records on two issues of one side: a relation (on
// both of them), a child's parent change (on the parent too, as "child
// added" or "removed"). Both records are replayed at one moment, once both
// issues' histories are synced up to them, so each twin has its record
// where its original has it (the issue actor's meeting, issue_actor.hpp).
struct shared_record {
  std::string other; // the other issue's id, on the recording side
  std::string key;   // names the change alike from either issue
  // Whose step makes the write: a child's parent change is written by the
  // child (its parent's record follows from it); a relation by whichever
  // record's step arrives second.
  enum class writer { this_one, the_other, the_second };
  writer writes = writer::the_second;
  std::optional<relation_change> relation = {}; // a relation's record: as the recorder sees it
};

// The records entry `e` of `recorder` shares with other issues.
// records_children: the tracker records a child's parent change on the
// parent as well (Redmine does; the embedded tracker does not).
std::vector<shared_record> shared_records(const issue& recorder, const history_entry& e,
                                          bool records_children);

// The entry of `i` that holds the record `key`, if it has one.
std::optional<std::string> entry_with_record(const issue& i, const std::string& key,
                                             bool records_children);

// One source history entry and the write it becomes on the other side.
struct replay_step {
  side from = side::source;
  std::string entry_id;
  bool creation = false; // the write creates the twin
  bool skip = false;     // nothing left to write (all of it lost conflicts)
  replica_write write;
  std::vector<shared_record> records = {};
  // Why the entry cannot be written: a value its field's mapping refuses
  // ("status: \"Rejected\" has no value mapping ..."); the pass stops there.
  std::optional<std::string> refused = {};
};

// A field both sides changed since the last sync, and who won it.
struct conflict_decision {
  std::string field; // as the source side names it
  side winner = side::source;
  std::string source_value;
  std::string target_value;
  timestamp source_time = 0;
  timestamp target_time = 0;
};

struct replay_plan {
  std::vector<replay_step> steps;
  std::vector<conflict_decision> conflicts;
};

// What one side of a pair contributes to planning.
struct side_view {
  const issue* current = nullptr;           // null: no issue on this side (yet)
  const std::set<std::string>* handled = nullptr; // ledger; null = nothing handled
  std::string connection;                  // for the twin's alt_id
  bool records_children = false;           // see shared_records
};

// Plans the writes that bring the pair in sync, in history order (two-way:
// both sides' pending entries interleaved by time, source first on ties).
// Creation entries matter only while one side has no issue: once both
// exist, their creations are history that each side already has.
// linked: the pair's twins both exist (a one-way pass need not read the
// target to know).
replay_plan plan_replay(const side_view& source, const side_view& target, bool linked,
                        bool two_way,
                        conflict_policy policy, const field_rules& to_target,
                        const field_rules& to_source);

std::string describe(const conflict_decision& d, conflict_policy policy);

} // namespace tb
