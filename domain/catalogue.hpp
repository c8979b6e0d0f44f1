#pragma once
// What a tracker's project takes, read from the tracker before a task
// writes anything: the fields its issues have, and for a field that takes
// only listed values (a status, a list custom field) those values. Live
// validation (config/online_check.hpp) checks a task's filters and mappings
// against it, so that a status the target does not have is a problem at
// start, not an error item on the hundredth issue.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tb {

struct field_catalogue {
  enum class takes {
    any,    // free text, a number, a date; or values the tracker adds on write
    listed, // only `values`
    users,  // a user's login (tracker_catalogue::users)
  };
  takes what = takes::any;
  std::set<std::string> values = {}; // takes::listed
  // A custom field only some trackers' issues have (Redmine enables each
  // for chosen trackers): those of the project's trackers that have it;
  // none: every tracker's issues.
  std::optional<std::set<std::string>> trackers = std::nullopt;
  friend bool operator==(const field_catalogue&, const field_catalogue&) = default;
};

struct tracker_catalogue {
  // "connection rm2, project beta": where every problem found against it is.
  std::string where;
  // The project's fields by name, core and custom; none: not known, and any
  // name is taken (a tracker that makes custom fields on write).
  std::optional<std::map<std::string, field_catalogue>> fields = std::nullopt;
  // Custom fields may exist beyond `fields`: the tracker did not list them
  // all (Redmine shows a project only the fields enabled for it by name, and
  // only an administrator the others). A name that is not a core field is
  // then taken.
  bool more_fields = false;
  // The logins of the tracker's users; none: not known.
  std::optional<std::set<std::string>> users = std::nullopt;
  // What could not be read, and so is not checked, worded for a person
  // ("list values of custom fields: the API key is not an administrator's").
  std::vector<std::string> unread = {};

  // The field by name; null when the fields are not known or it is not one.
  const field_catalogue* field(const std::string& name) const;
  bool has_field(const std::string& name) const;
  bool has_user(const std::string& login) const;
  friend bool operator==(const tracker_catalogue&, const tracker_catalogue&) = default;
};

} // namespace tb
