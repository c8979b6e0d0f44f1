#pragma once
// The engine's durable state in LMDB: twin mappings, the per-issue ledger,
// watermarks, the queue of pending changes, the error list and the system
// log. Every method takes the caller's transaction so that writes which
// belong together (an applied entry and the ids it produced) commit together.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/state_sync.hpp"
#include "domain/sync.hpp"
#include "storage/lmdb.hpp"

namespace tb::storage {

// A mapped pair seen from one side: the twin's id and which side the pair
// started on (the origin, whose issue is the pair's key).
struct twin_link {
  std::string twin_id;
  side origin = side::source;
};

struct queued_change {
  issue_ref ref;
  timestamp updated = 0;
};

// The step a pair's pass is writing: recorded before the write and dropped
// with the ledger entry that records it, so a pass that finds one knows a
// write may have reached the tracker unrecorded (domain/written.hpp).
struct write_intent {
  side from = side::source;  // the side whose entry is replayed
  std::string entry_id;
  // Set once a retry found the write's main part (fields, comment, new
  // files) on the target and recorded it: only the rest is left to write.
  bool main_done = false;
  // With main_done: the fields the tracker did not take (a workflow, a
  // field permission), still to write with the rest.
  std::vector<std::string> missing = {};
};

// A time entry row being created (domain/state_sync.hpp): recorded before
// the create and dropped with the link that records its answer, so a pass
// that finds one looks for the row the create may have made unrecorded.
struct time_entry_intent {
  side to = side::target;
  std::string key;                 // the link's source row id; "" for a row new on the source
  time_entry_link after;           // as planned (the new row not yet in it)
  time_entry content;              // what was written, in `to`'s terms
  std::vector<std::string> before; // the ids of `to`'s rows just before the create
};

enum class task_run_state { running, paused, stopped };
const char* to_string(task_run_state s);

struct error_item {
  std::string task;
  issue_ref ref;
  std::string where;
  std::string message;
  timestamp time = 0;
  std::uint64_t attempts = 0;
  bool parked = false; // no more automatic retries (see task_state::failures)
};

struct log_record {
  std::uint64_t seq = 0;
  timestamp time = 0;
  std::string level; // "info", "warn", "error"
  std::string task;  // empty: not about one task
  std::string message;
};

class sync_state {
 public:
  // The layout of the data this code reads and writes; a directory records
  // its own, so one from another version is refused at start, not misread.
  static constexpr int format = 1;

  // Throws storage_error for a directory in another format.
  explicit sync_state(environment& env);
  environment& env() { return env_; }

  // --- twin mappings ---
  std::optional<twin_link> find_twin(transaction& t, const std::string& task, const issue_ref& r);
  void link(transaction& t, const std::string& task, const issue_ref& origin,
            const std::string& twin_id);
  std::size_t mapped_pairs(transaction& t, const std::string& task);
  // The ids of side s's issues that have a twin, in key order.
  std::vector<std::string> linked(transaction& t, const std::string& task, side s);
  // Forgets a pair one of whose issues is gone, and remembers both issues as
  // unlinked: their later changes are not synced (no new twin is made).
  void unlink(transaction& t, const std::string& task, const issue_ref& origin,
              const std::string& twin_id);
  void mark_unlinked(transaction& t, const std::string& task, const issue_ref& r);
  bool is_unlinked(transaction& t, const std::string& task, const issue_ref& r);

  // --- file twins: an attachment's id on the other side, both ways, so a
  // file removed on one side is removed from the other ---
  std::optional<std::string> find_twin_file(transaction& t, const std::string& task, side s,
                                            const std::string& file_id);
  void link_files(transaction& t, const std::string& task, side s, const std::string& file_id,
                  const std::string& twin_file_id);

  // --- meetings: the two records of one shared change (domain/replay.hpp:
  // shared_record) are replayed together, once both issues' passes have
  // arrived at them. `key` names the change ---
  struct meeting {
    std::vector<std::string> arrived; // issue ids, in the order they arrived
    bool done = false;                // the write is made
    bool arrived_before = false;      // (arrive) the caller had arrived already
  };
  // Registers `issue_id` as arrived, and returns the meeting as it is then.
  meeting arrive(transaction& t, const std::string& task, side s, const std::string& key,
                 const std::string& issue_id);
  void meeting_done(transaction& t, const std::string& task, side s, const std::string& key);
  void forget_meeting(transaction& t, const std::string& task, side s, const std::string& key);

  // --- watchers of a pair as last synced (domain/watchers.hpp), in the
  // source's logins; none: never synced ---
  std::optional<std::vector<std::string>> synced_watchers(transaction& t, const std::string& task,
                                                          const issue_ref& pair);
  void set_synced_watchers(transaction& t, const std::string& task, const issue_ref& pair,
                           const std::vector<std::string>& logins);

  // --- a pair's time entry rows linked to their copies, as last synced
  std::vector<time_entry_link> time_entry_links(transaction& t, const std::string& task,
                                                const issue_ref& pair);
  void set_time_entry_links(transaction& t, const std::string& task, const issue_ref& pair,
                            const std::vector<time_entry_link>& links);
  std::optional<time_entry_intent> time_entry_intent_of(transaction& t, const std::string& task,
                                                        const issue_ref& pair);
  void set_time_entry_intent(transaction& t, const std::string& task, const issue_ref& pair,
                             const time_entry_intent& w);
  void clear_time_entry_intent(transaction& t, const std::string& task, const issue_ref& pair);

  // --- a linked file's description as last synced, by the source side's
  // file id; none: not known ---
  std::optional<std::string> synced_description(transaction& t, const std::string& task,
                                                const std::string& source_file_id);
  void set_synced_description(transaction& t, const std::string& task,
                              const std::string& source_file_id, const std::string& description);

  // --- ledger: history entry ids of one issue that need no sync any more,
  // because they were applied to the twin or were written by TrackBridge ---
  std::set<std::string> handled(transaction& t, const std::string& task, const issue_ref& r);
  void add_handled(transaction& t, const std::string& task, const issue_ref& r,
                   const std::vector<std::string>& entry_ids);

  // --- write intents, one per pair (its origin's ref): at most one write of
  // a pair is in flight ---
  std::optional<write_intent> intent(transaction& t, const std::string& task,
                                     const issue_ref& pair);
  void set_intent(transaction& t, const std::string& task, const issue_ref& pair,
                  const write_intent& w);
  void clear_intent(transaction& t, const std::string& task, const issue_ref& pair);

  // --- watermarks: the newest `updated` a poller has durably queued ---
  std::optional<timestamp> watermark(transaction& t, const std::string& task, side s);
  void set_watermark(transaction& t, const std::string& task, side s, timestamp w);

  // --- queue of changes seen but not yet synced (a set per issue) ---
  void enqueue(transaction& t, const std::string& task, const queued_change& c);
  std::vector<queued_change> queued(transaction& t, const std::string& task);
  // Removes the entry if the sync that just ran read the issue at `seen` or
  // later, so a change queued meanwhile stays queued.
  bool dequeue_if_covered(transaction& t, const std::string& task, const issue_ref& r,
                          timestamp seen);
  bool is_queued(transaction& t, const std::string& task, const issue_ref& r);
  std::size_t queue_length(transaction& t, const std::string& task);

  // --- error list, one item per issue ---
  // `attempted`: the failure was a try of the issue's sync, counted in its
  // attempts (a call the breaker held back reached no tracker, and is not).
  // True when the issue had no item before: a new one.
  bool record_error(transaction& t, const std::string& task, const issue_ref& r,
                    const std::string& where, const std::string& message, timestamp when,
                    bool attempted = true);
  bool clear_error(transaction& t, const std::string& task, const issue_ref& r);
  // Marks the item parked; a later failure keeps it so, a success clears it.
  void park_error(transaction& t, const std::string& task, const issue_ref& r);
  std::vector<error_item> errors(transaction& t, const std::string& task);

  // --- a task paused or stopped by an operator stays so across restarts ---
  task_run_state run_state(transaction& t, const std::string& task);
  void set_run_state(transaction& t, const std::string& task, task_run_state s);

  // --- system log ---
  std::uint64_t append_log(transaction& t, log_record rec);
  std::vector<log_record> log(transaction& t, std::uint64_t after_seq, std::size_t limit);

 private:
  void check_format();
  environment& env_;
  MDB_dbi mappings_, files_, records_, ledger_, watermarks_, queue_, errors_, log_, meta_,
    intents_, unlinked_;
};

} // namespace tb::storage
