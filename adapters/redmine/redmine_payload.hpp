#pragma once
// Redmine's JSON answers read into the common model. Pure: no HTTP, names of
// ids come from a catalog or an injected lookup, so each reader is unit
// tested and fuzzed (tests/fuzz) on its own. Readers are strict about types:
// a value of the wrong type or a missing id is a bad_answer error naming its
// place in the answer ("issue.journals[2].id is a string where a whole number
// belongs"), never a silent zero, a wrong sync or an exception.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/redmine/redmine_catalog.hpp"
#include "domain/model.hpp"
#include "domain/result.hpp"

namespace tb::redmine {

using json = nlohmann::json;

// The name of the issue custom field that carries the common id (ALT_ID).
inline constexpr const char* alt_id_field_name = "ALT_ID";

// A body as JSON. Not JSON (cut short, invalid UTF-8, an HTML error page):
// bad_answer naming the byte where it goes wrong and why.
result<json> parse_answer(std::string_view body);

// An id and its name, as Redmine lists statuses, users, fields...
struct named {
  long id = 0;
  std::string name;
  friend bool operator==(const named&, const named&) = default;
};

// answer[key][*]: each item's id and its `name_field` ("name", or "login"
// for users). custom_fields.json: only the issues' fields (customized_type).
result<std::vector<named>> named_items(const json& answer, const char* key,
                                       const char* name_field = "name");
result<std::vector<named>> issue_custom_fields(const json& answer);
result<std::vector<named>> time_entry_custom_fields(const json& answer);

// answer[key][field] as text: /users/current.json's user.login, say.
result<std::string> text_in(const json& answer, const char* key, const char* field);
// answer[key].id: what a POST made.
result<long> id_in(const json& answer, const char* key);

struct project_info {
  long id = 0;
  std::vector<named> custom_fields; // the issue fields enabled for it
  std::vector<named> activities;    // its time entry activities (include=time_entry_activities)
  std::vector<named> trackers;      // the trackers enabled for it (include=trackers)
};
result<project_info> project_of(const json& answer);

// /custom_fields.json (an administrator's): each issue field's format
// ("list", "user", "string"...) and, for a list, the values it takes.
struct field_format {
  std::string name;
  std::string format;
  std::vector<std::string> values;
  std::vector<std::string> trackers; // the trackers whose issues have it
};
result<std::vector<field_format>> issue_field_formats(const json& answer);

// /users.json: one page of logins, and how many users there are in all.
struct user_page {
  std::vector<std::string> logins;
  std::size_t total = 0;
};
result<user_page> users_of(const json& answer);

// /projects/X/memberships.json: one page of who has which roles, users
// and groups apart (a group's users also show as members of their own,
// their roles marked inherited).
struct membership {
  long principal = 0;
  bool group = false;
  std::vector<std::string> roles;
};
struct membership_page {
  std::vector<membership> members;
  std::size_t listed = 0;
  std::size_t total = 0;
};
result<membership_page> memberships_of(const json& answer);
// /users/N.json: the login (for an administrator's key; else the name) and
// the address (an administrator's key, or a user who shows it; else ""),
// and whether the account is locked (which only an administrator sees).
struct user_answer {
  project_member member;
  bool locked = false;
};
result<user_answer> member_of(const json& answer);
// /groups/N.json?include=users: the ids of its users.
result<std::vector<long>> group_users_of(const json& answer);

// /issues.json: one page of a listing, and how many the listing has in all.
struct listing_page {
  std::vector<issue_stamp> issues;
  std::size_t total = 0;
};
result<listing_page> listing_of(const json& answer);

// A name for an id Redmine gave (a user's login, a status's name...), or
// none when it cannot be had; the adapter asks Redmine, tests and fuzzers
// make names up.
using name_lookup = std::function<std::optional<std::string>(catalog::kind, long)>;

// /issues/N.json with journals, attachments and relations, as the common
// model: current values, files, relations, and the history rebuilt (a
// creation entry with the values before every journal, then one entry a
// journal). Names it meets are put into the catalog. An issue of another
// project is not_found.
result<issue> issue_of(const json& answer, const std::string& project, long project_id,
                       catalog& names, const name_lookup& name_of);

// /issues/N/relations.json: each relation's id and the relation as the
// issue `seen_from` sees it.
result<std::vector<std::pair<long, relation>>> relations_of(const json& answer,
                                                            const std::string& seen_from);

// /uploads.json: the token to attach the upload with, and its file id.
struct upload_ticket {
  std::string token;
  std::string id;
};
result<upload_ticket> upload_of(const json& answer);

// POST /issues.json: the new issue's id and update time.
result<issue_stamp> created_of(const json& answer);

// /issues.json: the ids listed.
result<std::vector<std::string>> issue_ids_of(const json& answer);

// /time_entries.json: one page of an issue's rows (those of other issues,
// say its children's, are left out), and how many the listing has in all.
// /time_entries/N.json and a POST's answer: that one row. Users by login,
// hours as hours_text shows them, the row's custom fields by name.
struct time_entry_page {
  std::vector<time_entry> rows;
  std::size_t listed = 0; // on the page, the other issues' rows included
  std::size_t total = 0;
};
result<time_entry_page> time_entries_of(const json& answer, const std::string& issue_id,
                                        catalog& names, const name_lookup& name_of);
result<time_entry> time_entry_of(const json& answer, catalog& names, const name_lookup& name_of);
// Hours as Redmine shows them, to two decimals without trailing zeros: "1.5".
std::string hours_text(double hours);

// A 422's "errors" joined ("Subject cannot be blank; ..."), or "" if the
// answer has none.
std::string refusals_of(const json& answer);

} // namespace tb::redmine
