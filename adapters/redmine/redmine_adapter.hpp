#pragma once
// Redmine through the adapter interface: issues and their journals become
// the common model (names, never Redmine's ids), and writes turn names back
// into ids on the target. Blocking: a connection actor worker owns one.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/http/http_client.hpp"
#include "adapters/tracker_adapter.hpp"

namespace tb::redmine {

struct settings {
  std::string connection; // the config's name for it
  http::endpoint endpoint;
  std::string api_key;
  bool act_as_author = true; // X-Redmine-Switch-User as the entry's author
};

// What Redmine's ids mean: names of statuses, users, custom fields...
// Shared by a connection's workers, so each id is asked for once.
class catalog {
 public:
  enum kind { status, priority, tracker, user, custom_field, category, version, project };

  std::optional<std::string> name(kind k, long id) const;
  std::optional<long> id(kind k, const std::string& name) const;
  void put(kind k, long id, const std::string& name);

  // The newest journal id known per issue: a write's own journal is the one
  // after it (Redmine's PUT answers 204 without the journal's id).
  std::optional<long> newest_journal(const std::string& issue) const;
  void saw_journal(const std::string& issue, long journal_id);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, long> newest_journal_;
  std::map<std::pair<kind, long>, std::string> names_;
  std::map<std::pair<kind, std::string>, long> ids_;
};

class adapter : public tracker_adapter {
 public:
  adapter(settings s, std::shared_ptr<catalog> shared);

  const std::string& connection() const override { return settings_.connection; }
  result<std::vector<issue_stamp>> changed_since(const std::string& project, timestamp since,
                                                 std::size_t limit) override;
  result<issue> read_issue(const std::string& project, const std::string& id) override;
  result<write_result> create_issue(const std::string& project, const replica_write& w) override;
  result<write_result> update_issue(const std::string& project, const std::string& id,
                                    const replica_write& w) override;
  result<std::optional<std::string>> find_by_alt_id(const std::string& project,
                                                    const std::string& alt_id) override;

 private:
  using json = nlohmann::json;

  // One API call; the answer's JSON (null for an empty body) or a located
  // error carrying Redmine's own message.
  result<json> call(const std::string& method, const std::string& target,
                    const json& body = nullptr, const std::string& as_user = "");
  std::string where(const std::string& project, const std::string& issue = "") const;

  result<long> project_id(const std::string& project);
  result<std::string> name_of(catalog::kind k, long id);
  result<long> id_of(catalog::kind k, const std::string& name, const std::string& project);
  result<unit> load_enumerations();
  result<long> alt_id_field(const std::string& project);

  result<issue> to_issue(const json& j, const std::string& project);
  result<json> to_redmine_fields(const replica_write& w, const std::string& project,
                                 const std::string& issue_id);
  result<std::string> acting_user(const std::string& author);
  std::string notes_of(const replica_write& w, bool acting);
  result<long> newest_journal(const std::string& project, const std::string& id);
  result<std::vector<std::string>> journal_written(const std::string& project,
                                                   const std::string& id, long after,
                                                   const std::string& notes,
                                                   const std::string& user);

  settings settings_;
  std::shared_ptr<catalog> catalog_;
  http::client client_;
  bool enumerations_loaded_ = false;
  std::optional<long> alt_id_field_; // the ALT_ID custom field, when Redmine has one
  bool alt_id_looked_up_ = false;
  std::string api_user_; // the login behind the API key
};

} // namespace tb::redmine
