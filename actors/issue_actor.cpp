#include "actors/issue_actor.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "domain/time.hpp"
#include "domain/state_sync.hpp"
#include "domain/written.hpp"

namespace tb {

// --- state: the pass's bookkeeping, no messaging ---------------------------

std::string issue_state::id_at(side s) const {
  return s == key.where ? key.id : twin_id.value_or("");
}

void issue_state::reset_pass() {
  twin_id.reset();
  issues[0].reset();
  issues[1].reset();
  handled[0].clear();
  handled[1].clear();
  plan = {};
  next_step = 0;
  next_file = 0;
  intent.reset();
  creation_note.reset();
  creation_rest.reset();
  meeting = {};
  alone.clear();
  references_left_out.clear();
  left_out = false;
  time = {};
}

void issue_state::load_ledger() {
  storage::transaction t{ctx->store->env(), storage::transaction::read_only};
  for (auto s : {side::source, side::target})
    if (auto id = id_at(s); !id.empty())
      handled[static_cast<int>(s)] = ctx->store->handled(t, ctx->name, issue_ref{s, id});
}

void issue_state::make_plan() {
  auto view = [&](side s) {
    auto& i = issue_at(s);
    return side_view{i ? &*i : nullptr, &handled[static_cast<int>(s)], side_of(s).connection,
                     side_of(s).records_children};
  };
  plan = plan_replay(view(side::source), view(side::target), twin_id.has_value(), ctx->two_way,
                     ctx->policy, side_of(side::source).rules, side_of(side::target).rules);
}

bool issue_state::creation_unrecorded() const {
  auto& origin = issues[static_cast<int>(key.where)];
  return twin_id && origin && !origin->history.empty() && origin->history.front().is_creation
         && !handled[static_cast<int>(key.where)].count(origin->history.front().id);
}

namespace {

bool is_intended(const std::optional<storage::write_intent>& intent, const replay_step& step) {
  return intent && intent->from == step.from && intent->entry_id == step.entry_id;
}

// Pairs the files a write added with the ids the other side gave them.
void link_added_files(storage::sync_state& store, storage::transaction& t,
                      const std::string& task, const replay_step& step,
                      const std::vector<std::string>& twin_ids) {
  std::size_t k = 0;
  for (auto& a : step.write.attachments)
    if (a.added && k < twin_ids.size())
      if (auto& id = twin_ids[k++]; !id.empty()) {
        store.link_files(t, task, step.from, a.file.id, id);
        // Both copies have this description now (sync_descriptions).
        store.set_synced_description(t, task, step.from == side::source ? a.file.id : id,
                                     a.file.description);
      }
}

} // namespace

std::optional<replay_step> issue_state::creation_step() const {
  auto from = key.where;
  auto to = other(from);
  // The creation's write as an unlinked pass plans it.
  side_view none{nullptr, nullptr, side_of(to).connection};
  side_view origin{&*issues[static_cast<int>(from)], &handled[static_cast<int>(from)],
                   side_of(from).connection};
  auto& to_target = side_of(side::source).rules;
  auto& to_source = side_of(side::target).rules;
  auto fresh = from == side::source
                 ? plan_replay(origin, none, false, ctx->two_way, ctx->policy, to_target, to_source)
                 : plan_replay(none, origin, false, true, ctx->policy, to_target, to_source);
  if (fresh.steps.empty() || !fresh.steps.front().creation)
    return std::nullopt;
  return fresh.steps.front();
}

bool issue_state::creation_incomplete() const {
  auto& origin = issues[static_cast<int>(key.where)];
  return intent && intent->main_done && origin && !origin->history.empty()
         && intent->from == key.where && intent->entry_id == origin->history.front().id;
}

void issue_state::plan_creation_rest() {
  auto made = creation_step();
  if (!made)
    return;
  // An update of the creation's entry: strip_written leaves only the fields
  // the intent names as missing.
  creation_rest = replay_step{made->from, made->entry_id, false, false,
                              replica_write{made->write.author, made->write.changes, "", "", {}, {}}};
}

void issue_state::recover_creation() {
  auto from = key.where;
  auto to = other(from);
  auto& twin = issue_at(to);
  if (!twin)
    return;
  auto made = creation_step();
  if (!made)
    return;
  auto& step = *made;
  auto found = find_created(*twin, handled[static_cast<int>(to)], step.write);
  storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
    ctx->store->add_handled(t, ctx->name, issue_ref{to, twin->id}, found.entry_ids);
    link_added_files(*ctx->store, t, ctx->name, step, found.attachment_ids);
    if (found.main_done)
      ctx->store->add_handled(t, ctx->name, key, {step.entry_id});
  });
  if (!found.main_done)
    creation_note = replay_step{from, step.entry_id, false, false,
                                replica_write{step.write.author, {}, step.write.comment, "", {}, {}}};
}

std::optional<sync_error> issue_state::recover_write() {
  auto i = std::find_if(plan.steps.begin(), plan.steps.end(),
                        [&](const replay_step& s) { return is_intended(intent, s); });
  auto to = other(intent->from);
  std::optional<found_write> found;
  if (i != plan.steps.end() && !i->creation && issue_at(to)) {
    auto step = *i; // translated as its write was, before the write
    if (!translate_references(step)) {
      translate_links(step, true);
      found = find_written(*issue_at(to), handled[static_cast<int>(to)], step.write);
    }
    if (found && !found->ambiguous.empty()) {
      std::string ids;
      for (auto& id : found->ambiguous)
        ids += (ids.empty() ? "" : ", ") + id;
      auto& at = side_of(to);
      return sync_error{
        error_kind::conflict,
        "connection " + at.connection + ", project " + at.project + ", issue " + id_at(to),
        "entries " + ids + " could each be the write of entry " + i->entry_id
          + " that an earlier attempt made and did not record (a person made the same change "
            "too); TrackBridge neither picks one nor writes it again. Compare them in the "
            "tracker, and retry once only one still looks like the write (a person's notes "
            "edited, say)"};
    }
    if (found) {
      storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
        ctx->store->add_handled(t, ctx->name, issue_ref{to, id_at(to)}, found->entry_ids);
        if (found->main_done) {
          link_added_files(*ctx->store, t, ctx->name, step, found->attachment_ids);
          intent->main_done = true;
          ctx->store->set_intent(t, ctx->name, key, *intent);
        }
      });
      return std::nullopt;
    }
  }
  if (i == plan.steps.end()) { // recorded meanwhile, or gone: nothing to look for
    storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
      ctx->store->clear_intent(t, ctx->name, key);
    });
    intent.reset();
  }
  return std::nullopt;
}

void issue_state::record_intent(const replay_step& step) {
  if (is_intended(intent, step))
    return; // kept as a recovery left it
  intent = storage::write_intent{step.from, step.entry_id, false};
  storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
    ctx->store->set_intent(t, ctx->name, key, *intent);
  });
}

void issue_state::strip_written(replay_step& step) const {
  if (!is_intended(intent, step) || !intent->main_done)
    return;
  auto changes = step.write.changes;
  step.write = remaining_write(step.write, found_write{{}, true, {}});
  for (auto& c : changes) // what the tracker did not take the last time
    if (std::find(intent->missing.begin(), intent->missing.end(), c.field) != intent->missing.end())
      step.write.changes.push_back(c);
}

void issue_state::commit_partial(const replay_step& step, const write_result& produced) {
  storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
    auto to = other(step.from);
    if (step.creation)
      ctx->store->link(t, ctx->name, issue_ref{step.from, id_at(step.from)}, produced.issue_id);
    ctx->store->add_handled(t, ctx->name, issue_ref{to, produced.issue_id}, produced.entry_ids);
    for (auto& m : produced.mirrored)
      ctx->store->add_handled(t, ctx->name, issue_ref{to, m.issue_id}, {m.entry_id});
    settle_meetings(t, step);
    link_added_files(*ctx->store, t, ctx->name, step, produced.attachment_ids);
    intent = storage::write_intent{step.from, step.entry_id, true, {}};
    for (auto& d : produced.dropped)
      intent->missing.push_back(d.change.field);
    ctx->store->set_intent(t, ctx->name, key, *intent);
  });
  // Only what it made is progress: a field the target drops on every retry
  // must still count toward parking.
  if (!produced.entry_ids.empty() || step.creation) {
    progressed = true;
    ++writes;
    created_twin = created_twin || step.creation;
  }
}

void issue_state::commit_step(const replay_step& step, const write_result* produced) {
  bool intended = storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
    issue_ref from{step.from, id_at(step.from)};
    ctx->store->add_handled(t, ctx->name, from, {step.entry_id});
    settle_meetings(t, step);
    bool ends_intent = is_intended(intent, step);
    if (ends_intent)
      ctx->store->clear_intent(t, ctx->name, key);
    if (produced) {
      auto to = other(step.from);
      ctx->store->add_handled(t, ctx->name, issue_ref{to, produced->issue_id},
                              produced->entry_ids);
      for (auto& m : produced->mirrored)
        ctx->store->add_handled(t, ctx->name, issue_ref{to, m.issue_id}, {m.entry_id});
      if (step.creation)
        ctx->store->link(t, ctx->name, from, produced->issue_id);
      // Files added pair with the ids the target gave them, in order.
      link_added_files(*ctx->store, t, ctx->name, step, produced->attachment_ids);
    }
    return ends_intent;
  });
  progressed = true;
  if (produced) {
    ++writes;
    created_twin = created_twin || step.creation;
  }
  if (intended)
    intent.reset();
}

std::optional<issue_ref> issue_state::translate_references(replay_step& step) {
  storage::transaction t{ctx->store->env(), storage::transaction::read_only};
  auto& changes = step.write.changes;
  for (auto c = changes.begin(); c != changes.end();) {
    if (!is_reference_field(c->field) || c->new_value.empty()) {
      ++c;
      continue;
    }
    issue_ref referenced{step.from, c->new_value};
    auto link = ctx->store->find_twin(t, ctx->name, referenced);
    // An issue that never gets a twin (outside the filter, or unlinked for
    // good): the twin gets no parent rather than a stale one, and is not
    // made to wait forever.
    if (!link
        && (references_left_out.count(referenced)
            || ctx->store->is_unlinked(t, ctx->name, referenced))) {
      c->new_value.clear();
      c->old_value.clear();
      ++c;
      continue;
    }
    if (!link)
      return referenced;
    c->new_value = link->twin_id;
    c->old_value.clear(); // the old reference is informative only
    ++c;
  }
  return std::nullopt;
}

void issue_state::settle_meetings(storage::transaction& t, const replay_step& step) {
  if (step.records.empty())
    return;
  for (auto& key : meeting.made)
    ctx->store->meeting_done(t, ctx->name, step.from, key);
  for (auto& key : meeting.passed)
    ctx->store->forget_meeting(t, ctx->name, step.from, key);
}

issue_state::meet_outcome issue_state::meet(const replay_step& step) {
  using writer = shared_record::writer;
  meeting = {};
  meet_outcome out;
  if (step.records.empty())
    return out;
  auto me = id_at(step.from);
  storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
    for (auto& r : step.records) {
      auto m = ctx->store->arrive(t, ctx->name, step.from, r.key, me);
      if (m.done) { // the other's step wrote it: this one has only to pass
        meeting.passed.push_back(r.key);
        continue;
      }
      if (alone.count(r.key)) { // the other has no record of it left to replay
        if (r.writes != writer::the_other)
          meeting.writes.push_back(r.key);
        meeting.passed.push_back(r.key);
        continue;
      }
      bool other_here = std::find(m.arrived.begin(), m.arrived.end(), r.other) != m.arrived.end();
      if (!other_here) {
        if (m.arrived_before) {
          // Back at a record the other never came to: whether it has one at
          // all is read, rather than waited for forever.
          out.check = issue_ref{step.from, r.other};
          out.checked_key = r.key;
        } else {
          out.waits_for = issue_ref{step.from, r.other};
        }
        continue;
      }
      bool mine = r.writes == writer::this_one
                  || (r.writes == writer::the_second && m.arrived.size() > 1
                      && m.arrived[1] == me);
      if (!mine) {
        out.waits_for = issue_ref{step.from, r.other};
        continue;
      }
      meeting.writes.push_back(r.key);
      meeting.made.push_back(r.key);
    }
  });
  return out;
}

std::vector<relation> issue_state::translate_links(replay_step& step, bool recovering) {
  std::vector<relation> dropped;
  if (!step.records.empty() || !step.write.relations.empty()) {
    // The relations this step writes: those whose meeting it makes (all of
    // them when finding what an interrupted attempt wrote).
    std::vector<relation_change> links;
    storage::transaction t{ctx->store->env(), storage::transaction::read_only};
    for (auto& r : step.records) {
      if (!r.relation || !(recovering || meeting.writes_key(r.key)))
        continue;
      auto twin = ctx->store->find_twin(t, ctx->name, issue_ref{step.from, r.other});
      if (!twin) { // the related issue is not synced
        dropped.push_back(r.relation->link);
        continue;
      }
      relation link{r.relation->link.type, twin->twin_id};
      // History records no delay: the relation as it is now has it.
      auto& now = issue_at(step.from)->relations;
      if (auto i = std::find(now.begin(), now.end(), r.relation->link); i != now.end())
        link.delay = i->delay;
      links.push_back({link, r.relation->added});
    }
    step.write.relations = std::move(links);
  }
  bool removes_files = std::any_of(step.write.attachments.begin(), step.write.attachments.end(),
                                   [](auto& a) { return !a.added; });
  if (!removes_files)
    return dropped; // most steps: no storage access at all
  storage::transaction t{ctx->store->env(), storage::transaction::read_only};
  std::vector<attachment_change> files;
  for (auto& a : step.write.attachments) {
    if (a.added) {
      files.push_back(a);
    } else if (auto twin = ctx->store->find_twin_file(t, ctx->name, step.from, a.file.id)) {
      files.push_back(a);
      files.back().file.id = *twin;
    } // else: never copied, so nothing to remove
  }
  step.write.attachments = std::move(files);
  return dropped;
}

namespace {

time_entry& row_of(time_entry_link& l, side s) { return s == side::source ? l.source : l.target; }

// The link an op leaves, with the row it wrote.
void apply_time_entry_op(std::vector<time_entry_link>& links, const time_entry_op& op,
                         const time_entry* written) {
  if (!op.key.empty())
    std::erase_if(links, [&](auto& l) { return l.source.id == op.key; });
  if (op.unlink)
    return;
  links.push_back(op.after);
  if (op.to && written)
    row_of(links.back(), *op.to) = *written;
}

} // namespace

std::optional<sync_error> issue_state::recover_time_entry() {
  auto& w = time.intent;
  if (!w)
    return std::nullopt;
  std::set<std::string> taken{w->before.begin(), w->before.end()};
  for (auto& l : time.links)
    taken.insert(row_of(l, w->to).id);
  std::vector<const time_entry*> candidates;
  for (auto& r : rows_at(w->to))
    if (!taken.count(r.id) && not_kept(w->content, r).empty())
      candidates.push_back(&r);
  if (candidates.size() > 1) {
    std::string ids;
    for (auto* c : candidates)
      ids += (ids.empty() ? "" : ", ") + c->id;
    auto& s = side_of(w->to);
    return sync_error{error_kind::conflict,
                      "connection " + s.connection + ", issue " + id_at(w->to)
                        + ", time entries " + ids,
                      "an interrupted copy of a time entry (" + w->content.hours + " h on "
                        + w->content.spent_on + " by " + w->content.user
                        + ") was made while someone logged the very same row, so TrackBridge "
                          "cannot tell which is its copy: delete one of them in the tracker"};
  }
  time_entry_op op{w->key, w->to, {"", w->content}, w->after, false};
  storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
    if (candidates.size() == 1) { // made: linked, as the create's answer would have
      apply_time_entry_op(time.links, op, candidates.front());
      ctx->store->set_time_entry_links(t, ctx->name, key, time.links);
    } // none: the create did not happen, and the plan makes it
    ctx->store->clear_time_entry_intent(t, ctx->name, key);
  });
  w.reset();
  return std::nullopt;
}

void issue_state::record_time_entry_intent(const time_entry_op& op) {
  storage::time_entry_intent w{*op.to, op.key, op.after, *op.write.content, {}};
  for (auto& r : rows_at(*op.to))
    w.before.push_back(r.id);
  storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
    ctx->store->set_time_entry_intent(t, ctx->name, key, w);
  });
}

void issue_state::commit_time_entry(const time_entry_op& op, const time_entry* written) {
  apply_time_entry_op(time.links, op, written);
  storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
    ctx->store->set_time_entry_links(t, ctx->name, key, time.links);
    if (op.to && op.write.id.empty() && op.write.content)
      ctx->store->clear_time_entry_intent(t, ctx->name, key);
  });
  progressed = true;
  if (op.to && written)
    ++writes;
}

void issue_state::commit_pass_done() {
  storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
    for (auto s : {side::source, side::target})
      if (auto& i = issue_at(s))
        ctx->store->dequeue_if_covered(t, ctx->name, issue_ref{s, i->id}, i->updated);
    ctx->store->clear_error(t, ctx->name, key);
  });
}

bool issue_state::in_filter(side s, const issue& i) const {
  auto& f = side_of(s).filter;
  return !f || f->matches(i, now_ms());
}

void issue_state::record_error(const sync_error& err, bool attempted) {
  auto now = now_ms();
  bool fresh = storage::write_transaction(ctx->store->env(), [&](storage::transaction& t) {
    return ctx->store->record_error(t, ctx->name, key, err.where, err.message, now, attempted);
  });
  // A new item is news; its later failures are in the list, not in mail.
  if (fresh && ctx->mailer)
    caf::anon_send(*ctx->mailer, notice_atom_v,
                   notice{notice_kind::error_item, ctx->name, "", to_string(key.where), key.id,
                          err.where + ": " + err.message, now});
}

// --- the pass: reads, plan, one write after another ------------------------

namespace {

using self_ptr = issue_actor::stateful_pointer<issue_state>;

// A line of the system log, under the task's name.
void log(self_ptr self, log_level level, std::string message) {
  self->send(self->state.ctx->log, log_atom_v, level, self->state.ctx->name,
             std::move(message));
}

void start_pass(self_ptr self);
void on_gone(self_ptr self, side gone);
void outside_filter(self_ptr self);
void run_next_step(self_ptr self);
void fetch_next_file(self_ptr self);
void write_step(self_ptr self);
void check_record(self_ptr self, const issue_ref& other, const std::string& key);
void sync_watchers(self_ptr self);
void sync_descriptions(self_ptr self);
void sync_time_entries(self_ptr self);
void plan_time_entry_ops(self_ptr self);
void run_next_time_entry_op(self_ptr self);

std::string describe_key(const issue_state& st) {
  auto& s = st.side_of(st.key.where);
  return "connection " + s.connection + ", project " + s.project + ", issue " + st.key.id;
}

void finish_pass(self_ptr self, bool ok) {
  auto& st = self->state;
  st.running = false;
  if (st.stopping) {
    self->quit();
    return;
  }
  if (st.dirty) {
    start_pass(self);
    return;
  }
  auto outcome = ok && st.left_out       ? pass_outcome::left_out
                 : ok                    ? pass_outcome::synced
                 : st.held_back          ? pass_outcome::held_back
                 : st.failed_unavailable ? pass_outcome::unavailable
                                         : pass_outcome::failed;
  if (ok && st.writes > 0 && st.ctx->mails_synced && st.ctx->mailer)
    self->send(*st.ctx->mailer, notice_atom_v,
               notice{notice_kind::synced, st.ctx->name, "", to_string(st.key.where), st.key.id,
                      st.created_twin ? "twin created" : "changes written", now_ms()});
  st.writes = 0;
  st.created_twin = false;
  self->send(st.task, done_atom_v,
             pass_end{st.key, st.wakes, outcome, st.progressed, ok ? -1 : st.retry_after_ms});
  st.progressed = false;
}

void fail(self_ptr self, const sync_error& err) {
  auto& st = self->state;
  st.failed_unavailable = err.kind == error_kind::unavailable;
  st.held_back = err.held_back;
  st.retry_after_ms = err.retry_after_ms;
  auto where = err.where.empty() ? describe_key(st) : err.where;
  try {
    st.record_error(sync_error{err.kind, where, err.message}, !err.held_back);
  } catch (const std::exception& e) {
    log(self, log_level::error, std::string{"cannot record an error item: "} + e.what());
  }
  // A configuration problem is logged by its connection, once, not per pass.
  if (!err.misconfigured)
    log(self, log_level::error,
        "sync of " + to_string(st.key) + " failed: " + where + ": " + err.message
          + (err.held_back ? " (kept in the error list; tried again when the connection lets "
                             "calls through)"
                           : " (kept in the error list; tried again after a backoff)"));
  finish_pass(self, false);
}

sync_error request_failed(const issue_state& st, side s, const caf::error& e) {
  return {error_kind::unavailable, "connection " + st.side_of(s).connection,
          "no answer from the connection: " + to_string(e)};
}

// Runs f, turning an exception (a storage failure) into a failed pass.
template <class F>
void guarded(self_ptr self, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    fail(self, sync_error{error_kind::internal, "", e.what()});
  }
}

// Reads one issue of the pair into the pass, then continues with next().
template <class Next>
void read_issue(self_ptr self, side s, const std::string& id, Next next) {
  auto& st = self->state;
  self->request(st.side_of(s).conn, st.ctx->request_timeout, read_atom_v,
                st.side_of(s).project, id)
    .then(
      [self, s, next](issue_result& r) {
        if (!r && r.error().kind == error_kind::not_found) {
          on_gone(self, s);
          return;
        }
        if (!r) {
          fail(self, r.error());
          return;
        }
        self->state.issue_at(s) = std::move(*r);
        guarded(self, next);
      },
      [self, s](caf::error& e) { fail(self, request_failed(self->state, s, e)); });
}

void plan_and_apply(self_ptr self) {
  auto& st = self->state;
  st.load_ledger();
  if (st.creation_incomplete()) {
    st.plan_creation_rest();
  } else if (st.creation_unrecorded()) {
    st.recover_creation();
    st.load_ledger();
  }
  st.make_plan();
  if (st.intent && !st.intent->main_done) {
    if (auto unclear = st.recover_write()) {
      fail(self, *unclear);
      return;
    }
    st.load_ledger();
    st.make_plan();
  }
  for (auto* first : {&st.creation_note, &st.creation_rest})
    if (*first)
      st.plan.steps.insert(st.plan.steps.begin(), **first);
  if (!st.twin_id && !st.plan.steps.empty() && !st.plan.steps.front().creation) {
    fail(self, {error_kind::conflict, describe_key(st),
                "the issue has no twin but its creation was already synced (was the twin "
                "deleted?)"});
    return;
  }
  for (auto& c : st.plan.conflicts)
    log(self, log_level::warn, to_string(st.key) + ": " + describe(c, st.ctx->policy));
  run_next_step(self);
}

// Once linked, a two-way pass also reads the twin: its own new entries are
// synced back, and conflicts need both sides. So does a pass that finds an
// earlier attempt's write possibly unrecorded.
void read_twin_then_plan(self_ptr self) {
  auto& st = self->state;
  auto twin_side = other(st.key.where);
  st.load_ledger();
  if (st.ctx->two_way || st.intent || st.creation_unrecorded())
    read_issue(self, twin_side, *st.twin_id, [self] { plan_and_apply(self); });
  else
    plan_and_apply(self);
}

// An unlinked issue may be a twin that TrackBridge made earlier: a retried
// create finds it by its alt_id instead of making another. One outside its
// side's filter is left alone: no twin is looked for, none is made.
void find_twin_by_alt_id(self_ptr self) {
  auto& st = self->state;
  if (!st.in_filter(st.key.where, *st.issue_at(st.key.where))) {
    outside_filter(self);
    return;
  }
  auto twin_side = other(st.key.where);
  auto alt = common_id(st.side_of(st.key.where).connection, *st.issue_at(st.key.where));
  self->request(st.side_of(twin_side).conn, st.ctx->request_timeout, find_atom_v,
                st.side_of(twin_side).project, alt)
    .then(
      [self](find_result& r) {
        if (!r) {
          fail(self, r.error());
          return;
        }
        guarded(self, [self, &r] {
          auto& st = self->state;
          if (!*r) {
            plan_and_apply(self);
            return;
          }
          st.twin_id = **r;
          storage::write_transaction(st.ctx->store->env(), [&](storage::transaction& t) {
            st.ctx->store->link(t, st.ctx->name, st.key, *st.twin_id);
          });
          log(self, log_level::info,
              to_string(st.key) + ": linked to its existing twin " + *st.twin_id);
          read_twin_then_plan(self);
        });
      },
      [self, twin_side](caf::error& e) {
        fail(self, request_failed(self->state, twin_side, e));
      });
}

// A two-way task polls both sides, so it sees the twins it creates; such an
// issue's alt_id names its origin on the other side, whose actor owns the pair.
void resolve_unlinked(self_ptr self) {
  auto& st = self->state;
  auto twin_side = other(st.key.where);
  auto& i = *st.issue_at(st.key.where);
  auto prefix = st.side_of(twin_side).connection + "/";
  if (!st.ctx->two_way || i.alt_id.rfind(prefix, 0) != 0) {
    find_twin_by_alt_id(self);
    return;
  }
  auto origin_id = i.alt_id.substr(prefix.size());
  self->request(st.side_of(twin_side).conn, st.ctx->request_timeout, read_atom_v,
                st.side_of(twin_side).project, origin_id)
    .then(
      [self, twin_side, origin_id](issue_result& r) {
        auto& st = self->state;
        if (!r) { // not in the task's other project: an original here
          find_twin_by_alt_id(self);
          return;
        }
        st.running = false;
        self->send(st.task, alias_atom_v, st.key, issue_ref{twin_side, origin_id});
      },
      [self, twin_side](caf::error& e) {
        fail(self, request_failed(self->state, twin_side, e));
      });
}

// What a tracker accepted the write for but did not make: one error item
// naming the issue, each field and value, the user and what to do.
sync_error not_taken(const issue_state& st, const replay_step& step,
                     const write_result& produced) {
  auto& at = st.side_of(other(step.from));
  std::string where = "connection " + at.connection + ", project " + at.project + ", issue "
                      + produced.issue_id + ", field";
  std::string message;
  auto& dropped = produced.dropped;
  for (auto& d : dropped) {
    where += (&d == &dropped.front() ? " " : ", ") + d.change.field;
    message += (message.empty() ? "" : "; ") + d.change.field + " \"" + d.change.old_value
               + "\" -> \"" + d.change.new_value + "\" written as " + d.author
               + " did not take: " + d.hint;
  }
  return {error_kind::conflict, where,
          message + ". The rest of entry " + step.entry_id + " of " + to_string(step.from)
            + " issue " + st.id_at(step.from)
            + " is written; a retry writes only what is missing"};
}

void on_written(self_ptr self, write_outcome& r) {
  auto& st = self->state;
  if (!r && r.error().kind == error_kind::not_found && !st.plan.steps[st.next_step].creation) {
    // "Not found" may name a value, not the issue: the issue is gone only
    // if reading it says so too.
    auto to = other(st.plan.steps[st.next_step].from);
    auto err = r.error();
    read_issue(self, to, st.id_at(to), [self, err] { fail(self, err); });
    return;
  }
  if (!r) {
    fail(self, r.error());
    return;
  }
  guarded(self, [self, &r] {
    auto& st = self->state;
    auto& step = st.plan.steps[st.next_step];
    if (!r->dropped.empty()) {
      st.commit_partial(step, *r);
      fail(self, not_taken(st, step, *r));
      return;
    }
    st.commit_step(step, &*r);
    for (auto& a : step.write.attachments)
      std::string{}.swap(a.content); // written: the bytes are not needed any more
    if (step.creation)
      st.twin_id = r->issue_id;
    ++st.next_step;
    run_next_step(self);
  });
}

// A value a value mapping refuses: nothing of the entry is written, and the
// pass stops before it, so that the history stays in order.
sync_error refused_value(const issue_state& st, const replay_step& step) {
  auto& at = st.side_of(step.from);
  return {error_kind::invalid,
          "connection " + at.connection + ", project " + at.project + ", issue "
            + st.id_at(step.from) + ", entry " + step.entry_id,
          *step.refused
            + ". Map the value in the task's "
            + (step.from == side::source ? "value_mappings" : "reverse_value_mappings")
            + " (by the source's field name), or let unmapped values pass or get a default; "
              "then retry"};
}

// Waits for an issue this pass needs synced first; the task wakes the pair
// when that issue's pass is done.
void wait_for(self_ptr self, const issue_ref& needed) {
  self->send(self->state.task, waits_atom_v, self->state.key, needed);
  finish_pass(self, true);
}

// A referenced issue without a twin, on a side with a filter: one the
// filter leaves out never gets a twin, so the reference is not written
// (rather than waited for forever); any other is waited for.
void check_reference(self_ptr self, const issue_ref& referenced) {
  auto& st = self->state;
  auto& at = st.side_of(referenced.where);
  self->request(at.conn, st.ctx->request_timeout, read_atom_v, at.project, referenced.id)
    .then(
      [self, referenced](issue_result& r) {
        auto& st = self->state;
        if (!r && r.error().kind != error_kind::not_found) {
          fail(self, r.error());
          return;
        }
        if (r && st.in_filter(referenced.where, *r)) {
          wait_for(self, referenced);
          return;
        }
        st.references_left_out.insert(referenced);
        log(self, log_level::info,
            to_string(st.key) + ": the reference to issue " + referenced.id
              + " is not synced: that issue is "
              + (r ? "outside the filter" : "not in the project"));
        run_next_step(self);
      },
      [self, s = referenced.where](caf::error& e) {
        fail(self, request_failed(self->state, s, e));
      });
}

void run_next_step(self_ptr self) {
  auto& st = self->state;
  // Skipped steps only need their ledger entry.
  while (st.next_step < st.plan.steps.size() && st.plan.steps[st.next_step].skip) {
    st.commit_step(st.plan.steps[st.next_step], nullptr);
    ++st.next_step;
  }
  if (st.stopping) { // kept: the queue still holds the change for the next start
    finish_pass(self, true);
    return;
  }
  if (st.next_step == st.plan.steps.size()) {
    sync_watchers(self);
    return;
  }
  auto& step = st.plan.steps[st.next_step];
  if (step.refused) {
    fail(self, refused_value(st, step));
    return;
  }
  // A change recorded on two issues waits until both are there (meet).
  auto met = st.meet(step);
  if (met.check) {
    check_record(self, *met.check, met.checked_key);
    return;
  }
  if (met.waits_for) {
    self->send(st.task, waits_atom_v, st.key, *met.waits_for);
    finish_pass(self, true);
    return;
  }
  // Parents first: a step that names an issue without a twin waits for it;
  // the task syncs that issue and wakes this pair when it is done.
  if (auto missing = st.translate_references(step)) {
    if (st.side_of(missing->where).filter)
      check_reference(self, *missing);
    else
      wait_for(self, *missing);
    return;
  }
  for (auto& r : st.translate_links(step))
    log(self, log_level::debug,
        to_string(issue_ref{step.from, st.id_at(step.from)}) + ": relation " + r.type
          + " " + r.other + " is not synced: issue " + r.other + " has no twin");
  st.strip_written(step);
  if (!step.creation && step.write.empty()) {
    st.commit_step(step, nullptr);
    ++st.next_step;
    run_next_step(self);
    return;
  }
  st.next_file = 0;
  fetch_next_file(self);
}

// Writes what has no history entry (watchers, file descriptions) to one
// side, then goes on with next().
template <class Next>
void write_state(self_ptr self, side to, replica_write w, Next next) {
  auto& st = self->state;
  if (w.empty()) {
    guarded(self, next);
    return;
  }
  self
    ->request(st.side_of(to).conn, st.ctx->request_timeout, update_atom_v,
              st.side_of(to).project, st.id_at(to), std::move(w))
    .then(
      [self, next](write_outcome& r) {
        if (!r) {
          fail(self, r.error());
          return;
        }
        guarded(self, next);
      },
      [self, to](caf::error& e) { fail(self, request_failed(self->state, to, e)); });
}

// Watchers have no history: once the entries are replayed, each side's
// changes to them since the last sync are made on the other side (both
// calls are idempotent, so a pass interrupted before it records the new set
// only makes them again), then the set is recorded and the pass is done.
void sync_watchers(self_ptr self) {
  auto& st = self->state;
  auto done = [self] { sync_descriptions(self); };
  auto& source = st.issue_at(side::source);
  auto& target = st.issue_at(side::target);
  if (!st.side_of(side::source).has_watchers || !st.side_of(side::target).has_watchers
      || !st.twin_id || !source) {
    done();
    return;
  }
  std::optional<std::vector<std::string>> last;
  {
    storage::transaction t{st.ctx->store->env(), storage::transaction::read_only};
    last = st.ctx->store->synced_watchers(t, st.ctx->name, st.key);
  }
  // A one-way pass does not read the target; nor does the pass that made it.
  auto plan = plan_watchers(source->watchers,
                            st.ctx->two_way && target ? &target->watchers : nullptr, last,
                            st.side_of(side::source).rules, st.side_of(side::target).rules);
  replica_write to_target, to_source;
  to_target.watchers = std::move(plan.to_target);
  to_source.watchers = std::move(plan.to_source);
  auto record = [self, done, synced = std::move(plan.synced), last] {
    auto& st = self->state;
    if (last != synced) {
      storage::write_transaction(st.ctx->store->env(), [&](storage::transaction& t) {
        st.ctx->store->set_synced_watchers(t, st.ctx->name, st.key, synced);
      });
    }
    done();
  };
  write_state(self, side::target, std::move(to_target),
              [self, to_source, record] { write_state(self, side::source, to_source, record); });
}

// The same for the descriptions of the pair's linked files. One write per
// side carries every file's new description.
void sync_descriptions(self_ptr self) {
  auto& st = self->state;
  auto done = [self] { sync_time_entries(self); };
  auto& source = st.issue_at(side::source);
  auto& target = st.issue_at(side::target);
  if (!st.side_of(side::source).edits_file_descriptions
      || !st.side_of(side::target).edits_file_descriptions || !st.twin_id || !source
      || source->attachments.empty()) {
    done();
    return;
  }
  replica_write to_target, to_source;
  std::vector<std::pair<std::string, std::string>> synced; // source file id, description
  {
    storage::transaction t{st.ctx->store->env(), storage::transaction::read_only};
    for (auto& f : source->attachments) {
      auto twin = st.ctx->store->find_twin_file(t, st.ctx->name, side::source, f.id);
      if (!twin)
        continue; // not copied (yet)
      const std::string* theirs = nullptr;
      if (st.ctx->two_way && target)
        for (auto& g : target->attachments)
          if (g.id == *twin)
            theirs = &g.description;
      auto last = st.ctx->store->synced_description(t, st.ctx->name, f.id);
      auto plan = plan_description(f.description, theirs, last, st.ctx->policy);
      if (plan.to_target)
        to_target.descriptions.push_back({*twin, f.filename, "", 0, *plan.to_target});
      if (plan.to_source)
        to_source.descriptions.push_back({f.id, f.filename, "", 0, *plan.to_source});
      if (last != plan.synced)
        synced.emplace_back(f.id, plan.synced);
    }
  }
  auto record = [self, done, synced] {
    auto& st = self->state;
    if (!synced.empty()) {
      storage::write_transaction(st.ctx->store->env(), [&](storage::transaction& t) {
        for (auto& [id, description] : synced)
          st.ctx->store->set_synced_description(t, st.ctx->name, id, description);
      });
    }
    done();
  };
  write_state(self, side::target, std::move(to_target),
              [self, to_source, record] { write_state(self, side::source, to_source, record); });
}

// Reads one side's rows of the pair into the pass, then continues with next().
template <class Next>
void read_time_entries(self_ptr self, side s, Next next) {
  auto& st = self->state;
  self
    ->request(st.side_of(s).conn, st.ctx->request_timeout, time_atom_v,
              st.side_of(s).project, st.id_at(s))
    .then(
      [self, s, next](time_entries_result& r) {
        if (!r) {
          fail(self, r.error());
          return;
        }
        self->state.rows_at(s) = std::move(*r);
        guarded(self, next);
      },
      [self, s](caf::error& e) { fail(self, request_failed(self->state, s, e)); });
}

// Time entries have no history either: both sides' rows are read, and
// each row is created, changed or deleted as its original was since the
// last sync (domain/state_sync.hpp), one write after another, each recorded
// as it is made. Then the pass is done.
void sync_time_entries(self_ptr self) {
  auto& st = self->state;
  if (!st.side_of(side::source).has_time_entries || !st.side_of(side::target).has_time_entries
      || !st.twin_id || !st.issue_at(side::source)) {
    st.commit_pass_done();
    finish_pass(self, true);
    return;
  }
  {
    storage::transaction t{st.ctx->store->env(), storage::transaction::read_only};
    st.time.links = st.ctx->store->time_entry_links(t, st.ctx->name, st.key);
    st.time.intent = st.ctx->store->time_entry_intent_of(t, st.ctx->name, st.key);
  }
  read_time_entries(self, side::source, [self] {
    auto& st = self->state;
    // One-way, the target's rows matter only for a write: if, with its
    // copies as last synced, there is nothing to write (and no create is
    // pending), one read is enough. Each read saved is a call less that can
    // fail and make the whole pass go again.
    if (!st.ctx->two_way && !st.time.intent) {
      std::vector<time_entry> copies;
      for (auto& l : st.time.links)
        if (!l.target.id.empty())
          copies.push_back(l.target);
      if (plan_time_entries(st.rows_at(side::source), copies, st.time.links, false,
                            st.ctx->policy, st.side_of(side::source).rules,
                            st.side_of(side::target).rules)
            .empty()) {
        st.commit_pass_done();
        finish_pass(self, true);
        return;
      }
    }
    read_time_entries(self, side::target, [self] { plan_time_entry_ops(self); });
  });
}

// Both sides' rows read: what an interrupted create left is recorded, then
// the ops are planned and made.
void plan_time_entry_ops(self_ptr self) {
  auto& st = self->state;
  if (auto err = st.recover_time_entry()) {
    fail(self, *err);
    return;
  }
  st.time.ops = plan_time_entries(st.rows_at(side::source), st.rows_at(side::target),
                                  st.time.links, st.ctx->two_way, st.ctx->policy,
                                  st.side_of(side::source).rules,
                                  st.side_of(side::target).rules);
  st.time.next = 0;
  st.time.refused.reset();
  run_next_time_entry_op(self);
}

void run_next_time_entry_op(self_ptr self) {
  auto& st = self->state;
  if (st.stopping) { // kept: the queue still holds the change for the next start
    finish_pass(self, true);
    return;
  }
  if (st.time.next == st.time.ops.size()) {
    if (st.time.refused) {
      fail(self, *st.time.refused);
      return;
    }
    st.commit_pass_done();
    finish_pass(self, true);
    return;
  }
  auto& op = st.time.ops[st.time.next];
  if (!op.to) {
    guarded(self, [self, &op] {
      self->state.commit_time_entry(op, nullptr);
      ++self->state.time.next;
      run_next_time_entry_op(self);
    });
    return;
  }
  auto to = *op.to;
  if (!op.refused.empty()) {
    auto& s = st.side_of(other(to));
    if (!st.time.refused)
      st.time.refused = sync_error{
        error_kind::invalid,
        "connection " + s.connection + ", issue " + st.id_at(other(to)) + ", time entry "
          + (to == side::target ? op.after.source.id : op.after.target.id),
        op.refused + " (map it in value_mappings.activity, or let unmapped values pass)"};
    ++st.time.next;
    run_next_time_entry_op(self);
    return;
  }
  if (op.write.id.empty() && op.write.content)
    st.record_time_entry_intent(op);
  self
    ->request(st.side_of(to).conn, st.ctx->request_timeout, time_atom_v,
              st.side_of(to).project, st.id_at(to), op.write)
    .then(
      [self, to](time_entry_result& r) {
        if (!r) {
          fail(self, r.error());
          return;
        }
        guarded(self, [self, to, &r] {
          auto& st = self->state;
          auto& op = st.time.ops[st.time.next];
          auto lost = op.write.content ? not_kept(*op.write.content, *r) : std::string{};
          // What the tracker kept is recorded (a made row is linked, never
          // made twice); a write it did not keep all of is made again on
          // every pass, an error each time, until the tracker takes it.
          if (!lost.empty())
            op.after.unfinished = to;
          st.commit_time_entry(op, op.write.content ? &*r : nullptr);
          if (op.write.content) {
            if (!lost.empty()) {
              auto& s = st.side_of(to);
              fail(self, {error_kind::invalid,
                          "connection " + s.connection + ", issue " + st.id_at(to)
                            + ", time entry " + r->id,
                          "the tracker did not keep all of the time entry written: " + lost
                            + " (check the activity, the user's permission to log time and"
                              " the row's custom fields in the tracker)"});
              return;
            }
          }
          ++st.time.next;
          run_next_time_entry_op(self);
        });
      },
      [self, to](caf::error& e) { fail(self, request_failed(self->state, to, e)); });
}

// Reads the other issue of a shared record that this pair waited for and
// that still has not arrived: if it holds no such record left to replay (it
// is gone, out of the task, or it passed it before meetings existed), this
// step goes on alone; otherwise it waits once more (that issue's next pass
// reads it after this read, so it sees the record).
void check_record(self_ptr self, const issue_ref& other, const std::string& key) {
  auto& st = self->state;
  self->request(st.side_of(other.where).conn, st.ctx->request_timeout, read_atom_v,
                st.side_of(other.where).project, other.id)
    .then(
      [self, other, key](issue_result& r) {
        auto& st = self->state;
        if (!r && r.error().kind != error_kind::not_found) {
          fail(self, r.error());
          return;
        }
        guarded(self, [&] {
          bool pending = false;
          if (r)
            if (auto e = entry_with_record(*r, key, st.side_of(other.where).records_children)) {
              storage::transaction t{st.ctx->store->env(), storage::transaction::read_only};
              pending = !st.ctx->store->handled(t, st.ctx->name, other).count(*e);
              // Left out by its side's filter (as an original, or a pair held
              // by on_filter_exit stop), or unlinked for good, it replays
              // nothing now: not waited for.
              auto link = st.ctx->store->find_twin(t, st.ctx->name, other);
              if (st.ctx->store->is_unlinked(t, st.ctx->name, other))
                pending = false;
              else if (pending && (!link || link->origin == other.where))
                pending = st.in_filter(other.where, *r);
            }
          if (pending) {
            self->send(st.task, waits_atom_v, st.key, other);
            finish_pass(self, true);
            return;
          }
          st.alone.insert(key);
          run_next_step(self);
        });
      },
      [self, s = other.where](caf::error& e) { fail(self, request_failed(self->state, s, e)); });
}

// Files travel as bytes: each file the step adds is read from its side just
// before the write, one at a time, so a pass holds one step's files at most.
void fetch_next_file(self_ptr self) {
  auto& st = self->state;
  auto& step = st.plan.steps[st.next_step];
  auto& files = step.write.attachments;
  while (st.next_file < files.size() && !files[st.next_file].added)
    ++st.next_file;
  if (st.next_file == files.size()) {
    write_step(self);
    return;
  }
  auto& source = st.side_of(step.from);
  self->request(source.conn, st.ctx->request_timeout, download_atom_v,
                files[st.next_file].file.id)
    .then(
      [self](content_result& r) {
        auto& st = self->state;
        auto& step = st.plan.steps[st.next_step];
        auto& files = step.write.attachments;
        if (r) {
          files[st.next_file++].content = std::move(*r);
        } else if (r.error().kind == error_kind::not_found) {
          // Removed since this entry added it: there is nothing left to copy.
          log(self, log_level::info,
              to_string(issue_ref{step.from, st.id_at(step.from)}) + ": file "
                + files[st.next_file].file.filename
                + " is gone from the issue; not copied");
          files.erase(files.begin() + static_cast<std::ptrdiff_t>(st.next_file));
        } else {
          fail(self, r.error());
          return;
        }
        guarded(self, [self] { fetch_next_file(self); });
      },
      [self, from = step.from](caf::error& e) {
        fail(self, request_failed(self->state, from, e));
      });
}

void write_step(self_ptr self) {
  auto& st = self->state;
  auto& step = st.plan.steps[st.next_step];
  if (!step.creation && step.write.empty()) { // every file was gone
    st.commit_step(step, nullptr);
    ++st.next_step;
    run_next_step(self);
    return;
  }
  auto to = other(step.from);
  auto& target = st.side_of(to);
  auto on_error = [self, to](caf::error& e) { fail(self, request_failed(self->state, to, e)); };
  if (step.creation) {
    // The task holds the twin's own change events until the link is recorded.
    self->send(st.task, creating_atom_v, st.key, to);
    // By value: the pass may end (and the actor quit) before this runs.
    auto created = [self, task = st.task, key = st.key] {
      self->send(task, created_atom_v, key);
    };
    self
      ->request(target.conn, st.ctx->request_timeout, create_atom_v, target.project,
                step.write)
      .then(
        [self, created](write_outcome& r) {
          on_written(self, r);
          created();
        },
        [self, to, created](caf::error& e) {
          fail(self, request_failed(self->state, to, e));
          created();
        });
  } else {
    st.record_intent(step);
    self
      ->request(target.conn, st.ctx->request_timeout, update_atom_v, target.project,
                st.id_at(to), step.write)
      .then([self](write_outcome& r) { on_written(self, r); }, on_error);
  }
}

std::string describe_issue(const issue_state& st, side s) {
  auto& at = st.side_of(s);
  return "issue " + st.id_at(s) + " of connection " + at.connection + " (project " + at.project
         + ")";
}

// Forgets the pair for good, so neither issue is synced again (no new twin
// is made for the one left), drops what was queued or failed for it, and
// logs `what` as a warning.
void unlink_pair(self_ptr self, const std::string& what) {
  guarded(self, [self, &what] {
    auto& st = self->state;
    constexpr auto any_time = std::numeric_limits<timestamp>::max();
    storage::write_transaction(st.ctx->store->env(), [&](storage::transaction& t) {
      if (st.twin_id)
        st.ctx->store->unlink(t, st.ctx->name, st.key, *st.twin_id);
      for (auto s : {side::source, side::target})
        if (auto id = st.id_at(s); !id.empty())
          st.ctx->store->dequeue_if_covered(t, st.ctx->name, issue_ref{s, id}, any_time);
      st.ctx->store->clear_error(t, st.ctx->name, st.key);
      st.ctx->store->clear_intent(t, st.ctx->name, st.key);
    });
    log(self, log_level::warn, what);
    finish_pass(self, true);
  });
}

void unlink_gone(self_ptr self, side gone) {
  auto& st = self->state;
  auto kept = other(gone);
  std::string what = "the pair of " + to_string(st.key) + ": " + describe_issue(st, gone)
                     + " was deleted or left the project; ";
  if (!st.twin_id)
    what += "it was never synced, so there is nothing to do";
  else if (st.ctx->close_twin_on_delete && (st.ctx->two_way || kept == side::target))
    what += describe_issue(st, kept) + " is closed (status " + st.ctx->closed_status
            + ") and unlinked, and no longer synced (on_deleted: close-twin)";
  else
    what += describe_issue(st, kept) + " is unlinked and no longer synced (on_deleted: unlink)";
  if (st.twin_id && st.ctx->mailer)
    self->send(*st.ctx->mailer, notice_atom_v,
               notice{notice_kind::deleted, st.ctx->name, "", to_string(gone), st.id_at(gone),
                      what, now_ms()});
  unlink_pair(self, what);
}

// Sets the issue of side `at` to the task's closed_status with a comment
// saying why, then goes on with next().
template <class Next>
void close_issue(self_ptr self, side at, std::string comment, Next next) {
  auto& st = self->state;
  replica_write close{"", {{core_field::status, "", st.ctx->closed_status}}, std::move(comment),
                      "", {}, {}};
  auto& to = st.side_of(at);
  self->request(to.conn, st.ctx->request_timeout, update_atom_v, to.project, st.id_at(at),
                std::move(close))
    .then(
      [self, next](write_outcome& r) {
        // Gone already: there is nothing left to close.
        if (!r && r.error().kind != error_kind::not_found)
          fail(self, r.error());
        else
          next();
      },
      [self, at](caf::error& e) { fail(self, request_failed(self->state, at, e)); });
}

void on_gone(self_ptr self, side gone) {
  auto& st = self->state;
  auto kept = other(gone);
  // A one-way task never writes to its source, not even to close it.
  if (!st.ctx->close_twin_on_delete || !st.twin_id
      || (!st.ctx->two_way && kept == side::source)) {
    unlink_gone(self, gone);
    return;
  }
  close_issue(self, kept,
              "The linked " + describe_issue(st, gone)
                + " was deleted or left the project; TrackBridge no longer syncs this issue.",
              [self, gone] { unlink_gone(self, gone); });
}

// The pair's origin does not match its side's filter (docs/filters.md).
// Without a twin it is simply not synced; with one, on_filter_exit decides.
// Either way the queued changes this read covered are dropped: the ledger,
// not the queue, says what a later pass replays once it matches again.
void outside_filter(self_ptr self) {
  auto& st = self->state;
  st.left_out = true;
  auto origin = st.key.where;
  auto why = st.side_of(origin).filter->explain(*st.issue_at(origin), now_ms()).because;
  using exit = task_context::filter_exit;
  if (st.twin_id && st.ctx->on_filter_exit != exit::stop) {
    auto twin = other(origin);
    std::string what = to_string(st.key) + ": " + describe_issue(st, origin)
                       + " left the task's filter (" + why + "); " + describe_issue(st, twin);
    if (st.ctx->on_filter_exit == exit::unlink) {
      unlink_pair(self, what + " is unlinked, and neither is synced again (on_filter_exit: "
                               "unlink)");
      return;
    }
    what += " is closed (status " + st.ctx->closed_status
            + ") and unlinked, and neither is synced again (on_filter_exit: close-twin)";
    close_issue(self, twin,
                "The linked " + describe_issue(st, origin)
                  + " no longer matches the task's filter; TrackBridge no longer syncs this "
                    "issue.",
                [self, what] { unlink_pair(self, what); });
    return;
  }
  guarded(self, [self, &why] {
    auto& st = self->state;
    auto& origin = *st.issue_at(st.key.where);
    storage::write_transaction(st.ctx->store->env(), [&](storage::transaction& t) {
      st.ctx->store->dequeue_if_covered(t, st.ctx->name, st.key, origin.updated);
      if (st.twin_id)
        st.ctx->store->dequeue_if_covered(t, st.ctx->name,
                                          issue_ref{other(st.key.where), *st.twin_id},
                                          std::numeric_limits<timestamp>::max());
      st.ctx->store->clear_error(t, st.ctx->name, st.key);
    });
    if (st.twin_id)
      log(self, log_level::info,
          to_string(st.key) + ": not synced: outside the task's filter (" + why
            + "); the pair stays linked and syncs again once it matches (on_filter_exit: "
              "stop)");
    else
      log(self, log_level::debug,
          to_string(st.key) + ": not synced: outside the task's filter (" + why + ")");
    finish_pass(self, true);
  });
}

void start_pass(self_ptr self) {
  auto& st = self->state;
  st.running = true;
  st.dirty = false;
  st.reset_pass();
  guarded(self, [self] {
    auto& st = self->state;
    bool unlinked = false;
    {
      storage::transaction t{st.ctx->store->env(), storage::transaction::read_only};
      if (auto link = st.ctx->store->find_twin(t, st.ctx->name, st.key))
        st.twin_id = link->twin_id;
      st.intent = st.ctx->store->intent(t, st.ctx->name, st.key);
      unlinked = st.ctx->store->is_unlinked(t, st.ctx->name, st.key);
    }
    if (unlinked) { // its twin is gone: its changes are not synced any more
      storage::write_transaction(st.ctx->store->env(), [&](storage::transaction& t) {
        st.ctx->store->dequeue_if_covered(t, st.ctx->name, st.key,
                                          std::numeric_limits<timestamp>::max());
      });
      finish_pass(self, true);
      return;
    }
    read_issue(self, st.key.where, st.key.id, [self] {
      auto& st = self->state;
      if (!st.twin_id)
        resolve_unlinked(self);
      else if (!st.in_filter(st.key.where, *st.issue_at(st.key.where)))
        outside_filter(self);
      else
        read_twin_then_plan(self);
    });
  });
}

} // namespace

issue_actor::behavior_type issue_worker(issue_actor::stateful_pointer<issue_state> self,
                                        std::shared_ptr<const task_context> ctx,
                                        task_actor task, issue_ref key) {
  self->state.ctx = std::move(ctx);
  self->state.task = std::move(task);
  self->state.key = std::move(key);
  return {
    [self](wake_atom, const issue_ref&, timestamp) {
      auto& st = self->state;
      ++st.wakes;
      if (st.running)
        st.dirty = true;
      else
        start_pass(self);
    },
    [self](stop_atom) {
      self->state.stopping = true;
      if (!self->state.running)
        self->quit();
    },
  };
}

} // namespace tb
