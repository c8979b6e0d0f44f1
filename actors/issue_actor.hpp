#pragma once
// The issue actor: one per synced issue pair while the pair has work. A
// pass reads the pair, plans the replay of its not-yet-synced history
// entries, and applies them to the other side strictly in order, recording
// each applied entry and the entry ids it produced in one transaction.
// Wakes that arrive during a pass start one more pass after it.

#include <algorithm>
#include <memory>
#include <optional>
#include <set>

#include "actors/task_context.hpp"

namespace tb {

struct issue_state {
  std::shared_ptr<const task_context> ctx;
  task_actor task;
  issue_ref key; // the pair's origin issue (or the issue that woke us, unmapped)
  std::uint64_t wakes = 0;
  bool running = false;
  bool dirty = false;
  bool failed_unavailable = false; // the pass failed because a tracker was unavailable
  // It failed at once on a connection's open breaker, which lets calls
  // through again in retry_after_ms (sync_error::held_back).
  bool held_back = false;
  std::int64_t retry_after_ms = -1;
  bool stopping = false;
  bool left_out = false; // the pass found the origin outside its side's filter
  // A write or step was recorded since the last pass_end (see pass_end).
  bool progressed = false;
  // What the pass wrote to the trackers (not the steps it only recorded):
  // for the synced event.
  std::size_t writes = 0;
  bool created_twin = false;

  // The pass under way.
  std::optional<std::string> twin_id;
  std::optional<issue> issues[2];
  std::set<std::string> handled[2];
  replay_plan plan;
  std::size_t next_step = 0;
  std::size_t next_file = 0; // of the step's files, the next whose bytes to fetch
  // The step's shared records (domain/replay.hpp: shared_record) as its
  // meeting left them: those it writes, those it makes (done when it
  // commits), those it passes (forgotten when it commits: both are past).
  struct meeting_state {
    std::vector<std::string> writes, made, passed;
    bool writes_key(const std::string& k) const {
      return std::find(writes.begin(), writes.end(), k) != writes.end();
    }
  } meeting;
  // Records whose other issue was read and has none left to replay.
  std::set<std::string> alone;
  // Issues of the origin's side that a step references (a parent) and that
  // were read and found outside the side's filter: the reference is not
  // written, rather than waited for.
  std::set<issue_ref> references_left_out;
  // The write an earlier attempt may have left unrecorded (storage::write_intent).
  std::optional<storage::write_intent> intent;
  // A creation whose comment an interrupted attempt did not write: written
  // as the pass's first update.
  std::optional<replay_step> creation_note;
  // The fields a creation left out (see creation_incomplete).
  std::optional<replay_step> creation_rest;

  const task_side& side_of(side s) const { return ctx->at(s); }
  std::optional<issue>& issue_at(side s) { return issues[static_cast<int>(s)]; }
  std::string id_at(side s) const;
  void reset_pass();
  void load_ledger();
  void make_plan();
  // The origin's creation is not in the ledger although the twin exists: an
  // attempt made the twin (found by its alt_id) and was interrupted.
  bool creation_unrecorded() const;
  // Records what an interrupted creation or write left on the other side
  // (domain/written.hpp), so the pass neither writes it twice nor syncs it
  // back; both need the other side read.
  void recover_creation();
  // The creation's write, planned as for an unlinked pair.
  std::optional<replay_step> creation_step() const;
  // A creation the target took only part of (write intent on the origin's
  // creation entry, main_done): its missing fields are the pass's first
  // update.
  bool creation_incomplete() const;
  void plan_creation_rest();
  // An error when more than one entry could be the interrupted write's.
  std::optional<sync_error> recover_write();
  // Before a step's write: the intent; and the part of it already written.
  void record_intent(const replay_step& step);
  void strip_written(replay_step& step) const;
  // Records one applied step: the entry it replayed, the entries it made,
  // and the new link when it created the twin. One transaction.
  void commit_step(const replay_step& step, const write_result* produced);
  // Records a write the tracker took only part of: the entries it made are
  // TrackBridge's, and the intent keeps what is left (the dropped fields),
  // so a retry writes only that. One transaction.
  void commit_partial(const replay_step& step, const write_result& produced);
  // Rewrites reference fields (parent) of a step's write to the twins' ids
  // (dropping those to issues in references_left_out); the referenced issue
  // that has no twin yet, if any.
  std::optional<issue_ref> translate_references(replay_step& step);
  // Meets the step's shared records with the other issues' records of them:
  // each issue's pass arrives at its record and waits there until the other
  // has arrived too, then one of the two steps writes the change and the
  // other only passes, so both twins get it where their originals have it.
  // waits_for: an issue to wait for (it has not arrived, or it writes);
  // check: an issue waited for before that still has not arrived, to read:
  // does it hold the record `checked_key` at all?
  struct meet_outcome {
    std::optional<issue_ref> waits_for;
    std::optional<issue_ref> check;
    std::string checked_key;
  };
  meet_outcome meet(const replay_step& step);
  void settle_meetings(storage::transaction& t, const replay_step& step);
  // Rewrites the relations the step writes (its meeting says which; all of
  // them when recovering) to the twins of the related issues, and its
  // removed files to their twins' ids. The relations whose related issue is
  // not synced are dropped (returned).
  std::vector<relation> translate_links(replay_step& step, bool recovering = false);
  // The pass's sync of the pair's time entries, after its entries
  // (domain/state_sync.hpp: plan_time_entries): both sides' rows, the links
  // as last synced, and the writes, made one after another.
  struct time_entries_state {
    std::vector<time_entry> rows[2];
    std::vector<time_entry_link> links;
    std::optional<storage::time_entry_intent> intent; // as the pass found it
    std::vector<time_entry_op> ops;
    std::size_t next = 0;
    // The first row an activity mapping refused: the pass makes the other
    // rows' writes, then fails with it.
    std::optional<sync_error> refused;
  } time;
  std::vector<time_entry>& rows_at(side s) { return time.rows[static_cast<int>(s)]; }
  // A create that an earlier attempt may have made unrecorded (its intent):
  // the row it made is the one row of the side that was not there before,
  // is linked to nothing and has the content written. Recorded as made; an
  // error when more than one row could be it.
  std::optional<sync_error> recover_time_entry();
  // Before a create: its intent, with the ids of the side's rows now.
  void record_time_entry_intent(const time_entry_op& op);
  // Records an applied op: the link as it is now (written: the row as the
  // tracker answered it), the intent dropped. One transaction.
  void commit_time_entry(const time_entry_op& op, const time_entry* written);
  // Drops queued changes that this pass's reads covered, and the error item.
  void commit_pass_done();
  void record_error(const sync_error& err, bool attempted);
  // Whether issue i of side s is one its side's filter lets in (no filter:
  // every issue is).
  bool in_filter(side s, const issue& i) const;

  static inline const char* name = "issue";
};

issue_actor::behavior_type issue_worker(issue_actor::stateful_pointer<issue_state> self,
                                        std::shared_ptr<const task_context> ctx,
                                        task_actor task, issue_ref key);

} // namespace tb
