#pragma once
// The common issue model every adapter speaks: an issue is its current field
// values plus its history, and history entry 0 is the creation.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tb {

// Milliseconds since the Unix epoch, UTC.
using timestamp = std::int64_t;

// Field names live in one namespace: the core names below, and any other name
// is a custom field of the issue's project.
namespace core_field {
inline constexpr const char* subject = "subject";
inline constexpr const char* description = "description";
inline constexpr const char* status = "status";
inline constexpr const char* priority = "priority";
inline constexpr const char* assignee = "assignee"; // a login
inline constexpr const char* tracker = "tracker";   // the issue's type: Bug, Feature...
inline constexpr const char* category = "category";
inline constexpr const char* version = "version"; // the target version
inline constexpr const char* start_date = "start_date"; // YYYY-MM-DD
inline constexpr const char* due_date = "due_date";
inline constexpr const char* done_ratio = "done_ratio"; // 0..100
inline constexpr const char* estimated_hours = "estimated_hours";
inline constexpr const char* parent = "parent"; // an issue id of the same tracker
// "true": only people allowed to see private issues see it; not set: public.
inline constexpr const char* is_private = "private";
} // namespace core_field

bool is_core_field(const std::string& name);

// A field whose values are issue ids of the issue's own tracker: synced as
// the id of the referenced issue's twin, so that issue is synced first.
bool is_reference_field(const std::string& name);
const std::vector<std::string>& core_fields();

using field_values = std::map<std::string, std::string>;

struct field_change {
  std::string field;
  std::string old_value; // empty: the field was not set
  std::string new_value; // empty: the field is cleared
  friend bool operator==(const field_change&, const field_change&) = default;
};

// A file attached to an issue.
struct attachment {
  std::string id; // the tracker's id for the file
  std::string filename;
  std::string content_type;
  std::int64_t size = 0;
  std::string description;
  friend bool operator==(const attachment&, const attachment&) = default;
};

// A file added to or removed from an issue. In a write that adds it, content
// holds its bytes; history entries leave content empty (bytes are read on
// demand, so planning never holds them).
struct attachment_change {
  attachment file;
  bool added = true;
  std::string content;
  friend bool operator==(const attachment_change&, const attachment_change&) = default;
};

// A link between two issues of one tracker, seen from one of them: "blocks"
// on one issue is "blocked" on the other.
struct relation {
  std::string type; // relates, blocks, blocked, precedes, follows, duplicates,
                    // duplicated, copied_to, copied_from
  std::string other; // the related issue's id
  // Days between the end of the preceding issue and the start of the
  // following one (precedes and follows only). A property of the link, not
  // its identity: a relation is the same relation whatever its delay, and
  // trackers record none in history (Redmine cannot change it either).
  int delay = 0;
  friend bool operator==(const relation& a, const relation& b) {
    return a.type == b.type && a.other == b.other;
  }
};

struct relation_change {
  relation link;
  bool added = true;
  friend bool operator==(const relation_change&, const relation_change&) = default;
};

// Every relation type, and how the other issue sees it.
const std::vector<std::string>& relation_types();
bool is_relation_type(const std::string& type);
std::string reverse_relation(const std::string& type);

// A child added to or removed from an issue, as a tracker records it on the
// parent when the child's parent field changes (Redmine: "child_id"). The
// child's own entry holds the change; this record only marks where in the
// parent's history it happened.
struct child_change {
  std::string child; // the child issue's id
  bool added = true;
  friend bool operator==(const child_change&, const child_change&) = default;
};

struct history_entry {
  std::string id;  // unique within the tracker connection
  std::string author;
  timestamp time = 0;
  std::vector<field_change> changes;
  std::string comment;
  bool is_creation = false; // entry 0: changes are the initial values
  std::vector<attachment_change> attachments = {};
  // A relation is recorded on both issues, each from its own side.
  std::vector<relation_change> relations = {};
  std::vector<child_change> children = {}; // on a parent
  bool empty() const {
    return changes.empty() && comment.empty() && attachments.empty() && relations.empty()
           && children.empty();
  }
  friend bool operator==(const history_entry&, const history_entry&) = default;
};

// A watcher added to or removed from an issue (a login).
struct watcher_change {
  std::string login;
  bool added = true;
  friend bool operator==(const watcher_change&, const watcher_change&) = default;
};

struct issue {
  std::string id;
  std::string project;
  field_values fields; // current values; core and custom
  std::string alt_id;  // common id across trackers; empty on an original
  timestamp created = 0;
  timestamp updated = 0;
  std::vector<attachment> attachments; // current files
  std::vector<relation> relations;     // current links, from this issue's side
  std::vector<std::string> watchers;   // logins, sorted (where the tracker has watchers)
  std::vector<history_entry> history; // oldest first; [0] is the creation
  friend bool operator==(const issue&, const issue&) = default;
};

// A field's current value; "" when it is not set.
std::string value_of(const issue& i, const std::string& field);

// An issue's common id: the alt_id it was stamped with when TrackBridge made
// it, or its own "connection/id" when it is an original.
std::string common_id(const std::string& connection, const issue& i);

// A row of time logged on an issue (Redmine: a time entry). Trackers keep
// no history of rows: they are synced by their content
// (domain/state_sync.hpp), each side's rows read on their own.
struct time_entry {
  std::string id;       // the tracker's, for this row
  std::string user;     // the login the time is logged for
  std::string spent_on; // YYYY-MM-DD
  std::string hours;    // as the tracker shows it: "1.5", "2"
  std::string activity; // by name
  std::string comments;
  field_values fields = {}; // the row's own custom fields, by name
  timestamp updated = 0;    // when the tracker last changed it
  // The same content: everything but the id and the time.
  bool same_content(const time_entry& o) const {
    return user == o.user && spent_on == o.spent_on && hours == o.hours
           && activity == o.activity && comments == o.comments && fields == o.fields;
  }
  friend bool operator==(const time_entry&, const time_entry&) = default;
};

// What of a row written the tracker did not keep, as the tracker answered
// it ("hours \"1\" became \"2\"; ..."), "" when it kept all: the same values
// and each field written (a tracker adds its other fields).
std::string not_kept(const time_entry& written, const time_entry& kept);

// One write of a row: id empty creates it, content none deletes the row id.
struct time_entry_write {
  std::string id;
  std::optional<time_entry> content;
  friend bool operator==(const time_entry_write&, const time_entry_write&) = default;
};

// What an adapter lists when asked for changed issues.
struct issue_stamp {
  std::string id;
  timestamp updated = 0;
  friend bool operator==(const issue_stamp&, const issue_stamp&) = default;
};

// A write to a target: a creation (initial values and comment) or an update.
// Files and relations name the target's ids: removed files by their id on the
// target, relations by the twin of the related issue.
struct replica_write {
  std::string author;
  std::vector<field_change> changes; // old_value is informative only
  std::string comment;
  std::string alt_id; // creations only
  std::vector<attachment_change> attachments = {};
  std::vector<relation_change> relations = {}; // updates only
  std::vector<watcher_change> watchers = {};   // updates only; no history entry
  // Files (by the written side's ids) whose description becomes this one;
  // updates only, no history entry.
  std::vector<attachment> descriptions = {};
  bool empty() const {
    return changes.empty() && comment.empty() && attachments.empty() && relations.empty()
           && watchers.empty() && descriptions.empty();
  }
  friend bool operator==(const replica_write&, const replica_write&) = default;
};

// A history entry a write recorded on another issue than the one written: a
// relation is recorded on both of its issues.
struct entry_ref {
  std::string issue_id;
  std::string entry_id;
  friend bool operator==(const entry_ref&, const entry_ref&) = default;
};

// A change a tracker accepted the call for but did not make.
struct dropped_change {
  field_change change; // old_value: the value the issue kept
  std::string author;  // the user the tracker recorded the write as
  std::string hint;    // what to change in the tracker so it takes, in its terms
  friend bool operator==(const dropped_change&, const dropped_change&) = default;
};

// What a write produced on the target: its issue id and the history entry
// ids it recorded there (TrackBridge's own writes, never synced back).
struct write_result {
  std::string issue_id;
  std::vector<std::string> entry_ids;
  timestamp updated = 0;
  // The target's ids of the files the write added, in the write's order.
  std::vector<std::string> attachment_ids = {};
  std::vector<entry_ref> mirrored = {};
  // Changes the write meant that the tracker did not take (Redmine ignores
  // a status without a workflow transition, a read-only field): the entries
  // above are still the write's, the rest of it is left to write.
  std::vector<dropped_change> dropped = {};
  friend bool operator==(const write_result&, const write_result&) = default;
};

enum class error_kind {
  invalid,     // the request or value is wrong: fix the input or the mapping
  not_found,   // the issue, project or field does not exist
  conflict,    // refused because of the current state
  unavailable, // the tracker could not be reached or failed: retry later
  internal,
  // The tracker answered, but with something that cannot be read (not JSON,
  // a wrong type, a body over the limit): not an outage, so it neither opens
  // the connection's breaker nor escapes parking.
  bad_answer,
};

// An error an adapter or the engine reports, located for the user.
struct sync_error {
  error_kind kind = error_kind::internal;
  std::string where; // e.g. "connection b, issue 12, field Severity"
  std::string message;
  // How long the tracker asked to be left alone (HTTP Retry-After); -1: it
  // did not say.
  std::int64_t retry_after_ms = -1;
  // A problem only the configuration (or the tracker's operator) can fix,
  // such as a certificate this connection does not trust. Of kind
  // unavailable, so it is retried at the breaker's pace and parks nothing;
  // logged when it starts and when it ends, not per call.
  bool misconfigured = false;
  // The connection's open breaker failed the call at once: nothing reached
  // the tracker, so it is no attempt of the pass, and retry_after_ms says
  // when the breaker lets a call through again.
  bool held_back = false;
  bool retryable() const { return kind == error_kind::unavailable; }
  friend bool operator==(const sync_error&, const sync_error&) = default;
};

// A member of a tracker project who has a role: where notifications to
// that role go. mail is empty when the connection's key may not read it.
struct project_member {
  std::string login;
  std::string mail;
  friend bool operator==(const project_member&, const project_member&) = default;
};

// JSON forms, as the HTTP API and the LMDB records show them.
void to_json(nlohmann::json& j, const attachment& a);
void from_json(const nlohmann::json& j, attachment& a);
void to_json(nlohmann::json& j, const relation& r);
void from_json(const nlohmann::json& j, relation& r);
void to_json(nlohmann::json& j, const field_change& c);
void from_json(const nlohmann::json& j, field_change& c);
void to_json(nlohmann::json& j, const history_entry& e);
void from_json(const nlohmann::json& j, history_entry& e);
void to_json(nlohmann::json& j, const issue& i);
void to_json(nlohmann::json& j, const time_entry& e);
void from_json(const nlohmann::json& j, time_entry& e);
void from_json(const nlohmann::json& j, issue& i);

} // namespace tb
