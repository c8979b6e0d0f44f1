#pragma once
// Redmine through the adapter interface: issues and their journals become
// the common model (names, never Redmine's ids), and writes turn names back
// into ids on the target. Blocking: a connection actor worker owns one.

#include <memory>
#include <optional>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/http/http_client.hpp"
#include "adapters/redmine/redmine_catalog.hpp"
#include "adapters/redmine/redmine_payload.hpp"
#include "adapters/tracker_adapter.hpp"
#include "domain/written.hpp"

namespace tb::redmine {

struct settings {
  std::string connection; // the config's name for it
  http::endpoint endpoint;
  std::string api_key;
  bool act_as_author = true; // X-Redmine-Switch-User as the entry's author
  std::shared_ptr<http::call_tally> tally = nullptr; // the connection's; null: not counted
  std::chrono::milliseconds timeout{30000}; // one request and its answer
  std::size_t max_answer = std::size_t{64} << 20; // bytes; a larger answer is a bad_answer
  std::shared_ptr<http::tls_context> tls = nullptr; // for https; null: the system's store
  std::optional<http::proxy_route> proxy = std::nullopt; // none: straight to Redmine
};

class adapter : public tracker_adapter {
 public:
  adapter(settings s, std::shared_ptr<catalog> shared);

  const std::string& connection() const override { return settings_.connection; }
  result<std::vector<issue_stamp>> changed_since(const std::string& project, timestamp since,
                                                 std::size_t limit) override;
  // The project, its trackers and issue fields, the statuses and
  // priorities; with an administrator's key also the custom fields' list
  // values and the users (otherwise `unread` says they are not checked).
  result<tracker_catalogue> read_catalogue(const std::string& project) override;
  // Trackers, statuses, priorities, assignees and custom fields (those
  // Redmine filters by) in /issues.json's own filters; created and updated
  // as lower bounds.
  bool narrows_listings() const override { return true; }
  result<std::vector<issue_stamp>> changed_since_narrowed(const std::string& project,
                                                          timestamp since, std::size_t limit,
                                                          const listing_narrowing& only) override;
  result<timestamp> newest_change(const std::string& project) override;
  result<issue> read_issue(const std::string& project, const std::string& id) override;
  result<write_result> create_issue(const std::string& project, const replica_write& w) override;
  result<write_result> update_issue(const std::string& project, const std::string& id,
                                    const replica_write& w) override;
  result<std::optional<std::string>> find_by_alt_id(const std::string& project,
                                                    const std::string& alt_id) override;
  result<std::string> read_attachment(const std::string& file_id) override;
  // A child's parent change is journalized on the parents ("child_id").
  bool records_children() const override { return true; }
  bool has_watchers() const override { return true; }
  bool edits_file_descriptions() const override { return true; }
  bool has_time_entries() const override { return true; }
  result<std::vector<time_entry>> read_time_entries(const std::string& project,
                                                    const std::string& issue_id) override;
  result<time_entry> write_time_entry(const std::string& project, const std::string& issue_id,
                                      const time_entry_write& w) override;
  // The project's memberships with the role, groups through their users;
  // the addresses need an administrator's key. Locked accounts are left out.
  result<std::vector<project_member>> members_with_role(const std::string& project,
                                                        const std::string& role) override;

 private:
  using json = nlohmann::json;

  // One API call; the answer's JSON (null for an empty body) or a located
  // error carrying Redmine's own message.
  result<json> call(const std::string& method, const std::string& target,
                    const json& body = nullptr, const std::string& as_user = "");
  // The same for any body: a 2xx response, or the located error.
  result<http::response> exchange(http::request req, const std::string& as_user);
  std::string where(const std::string& project, const std::string& issue = "") const;
  // Names for the ids in an answer, asked of Redmine when not in the catalog.
  name_lookup names();

  result<long> project_id(const std::string& project); // from the catalog, or read
  // GET the project with these includes; an unknown identifier is named.
  result<project_info> project_answer(const std::string& project, const std::string& include);
  // GET the project: its id, and its issue fields and time entry
  // activities into the catalog.
  result<long> read_project(const std::string& project);
  result<std::string> name_of(catalog::kind k, long id);
  result<long> id_of(catalog::kind k, const std::string& name, const std::string& project);
  // id_of's ways to an id, by kind: each reads what Redmine lists for it.
  result<long> enumeration_id(catalog::kind k, const std::string& name,
                              const std::string& project); // status, priority, tracker
  result<long> user_id(const std::string& name, const std::string& project);
  result<long> custom_field_id(const std::string& name, const std::string& project);
  result<long> activity_id(const std::string& name, const std::string& project);
  result<long> time_entry_field_id(const std::string& name, const std::string& project);
  result<unit> put_fields(catalog::kind k, result<std::vector<named>> fields,
                          const std::string& project);
  result<long> listed_or_made_id(catalog::kind k, const std::string& name,
                                 const std::string& project); // category, version
  result<unit> load_enumerations();
  // changed_since's pages; `filters`: more of /issues.json's query, "" for
  // none (status_id, when given, replaces "every status").
  result<std::vector<issue_stamp>> listed(const std::string& project, timestamp since,
                                          std::size_t limit, const std::string& filters);
  // The narrowing as /issues.json filters; nullopt when no issue can meet it.
  result<std::optional<std::string>> listing_filters(const std::string& project,
                                                     const listing_narrowing& only);
  // read_catalogue's parts: the custom fields' formats and the users,
  // which only an administrator's key may list (a refusal is `unread`).
  result<unit> read_field_formats(tracker_catalogue& out);
  result<unit> read_users(tracker_catalogue& out);
  result<long> alt_id_field(const std::string& project);
  // members_with_role's parts: the ids of the users with the role (each
  // once, in the listing's order), and one user's login and address.
  result<std::vector<long>> users_with_role(const std::string& project, const std::string& role);
  result<std::optional<project_member>> active_user(const std::string& project, long id);

  result<json> to_redmine_fields(const replica_write& w, const std::string& project,
                                 const std::string& issue_id);
  result<std::string> acting_user(const std::string& author);
  std::string notes_of(const replica_write& w, bool acting);
  // Calls as the author; when Redmine has no such user (412), once more as
  // the key's user, and `as` becomes "" for the rest of the write.
  result<json> call_as(const std::string& method, const std::string& target, const json& body,
                       std::string& as);
  // The journal a relation written on another issue left on `other`, the
  // related issue (of the same project), which was `before` just before it.
  result<std::optional<std::string>> mirror_of(const std::string& project,
                                               const std::string& other, const issue& before,
                                               const std::string& user,
                                               const relation_change& reversed);
  // The parents a write moves a child between, read just before it: Redmine
  // records the child on each of them ("child added", "child removed").
  struct parent_record {
    issue before;
    child_change record;
  };
  result<std::vector<parent_record>> parents_before(const std::string& project,
                                                     const std::string& old_parent,
                                                     const std::string& new_parent,
                                                     const std::string& child);
  // Their journals of it, as TrackBridge's own (out.mirrored). One that
  // cannot be told from another is left unclaimed: the parent's sync finds
  // it is the record of a child whose change is synced, and passes it.
  void claim_parent_records(const std::string& project, std::vector<parent_record>& parents,
                            const std::string& child, const std::string& user,
                            write_result& out);
  // One listing of an issue's time entries, page after page; none when
  // the total changed between pages.
  result<std::optional<std::vector<time_entry>>> time_entries_listed(const std::string& project,
                                                                     const std::string& issue_id);
  result<unit> write_watchers(const std::string& project, const std::string& id,
                             const std::vector<watcher_change>& watchers);
  // What the target did not take of a write (`issue`: as it was before an
  // update, or as a creation made it), with what to change in Redmine.
  std::vector<dropped_change> dropped_of(const std::vector<field_change>& dropped,
                                         const issue& issue, const std::string& user,
                                         bool creating);
  // Uploads a file: {"file": the issue's uploads item, "id": the file's id}.
  result<json> upload(const attachment_change& a, std::string& as);
  result<json> uploads_of(const replica_write& w, std::string& as, write_result& out);
  // The issue's relations with their ids, from its side.
  result<std::vector<std::pair<long, relation>>> relations_of(const std::string& id);
  // Writes the relations, recording each in `made` and the related issues'
  // journals of them in `out.mirrored`.
  result<unit> write_relations(const std::string& project, const std::string& id,
                               const std::vector<relation_change>& links, std::string& as,
                               made_write& made, write_result& out);

  settings settings_;
  std::shared_ptr<catalog> catalog_;
  http::client client_;
  std::minstd_rand jitter_{std::random_device{}()}; // spreads repeated requests
  bool enumerations_loaded_ = false;
  std::optional<long> alt_id_field_; // the ALT_ID custom field, when Redmine has one
  bool alt_id_looked_up_ = false;
  std::string api_user_; // the login behind the API key
};

} // namespace tb::redmine
