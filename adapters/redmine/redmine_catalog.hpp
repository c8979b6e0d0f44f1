#pragma once
// What Redmine's ids mean: names of statuses, users, custom fields... Shared
// by a connection's workers (and its answer readers), so each id is asked for
// once.

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace tb::redmine {

class catalog {
 public:
  enum kind {
    status, priority, tracker, user, custom_field, category, version, project,
    activity,         // a time entry's, by project ("project\nname", as categories)
    time_entry_field, // a time entry's custom field
  };

  std::optional<std::string> name(kind k, long id) const;
  std::optional<long> id(kind k, const std::string& name) const;
  void put(kind k, long id, const std::string& name);

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<kind, long>, std::string> names_;
  std::map<std::pair<kind, std::string>, long> ids_;
};

} // namespace tb::redmine
