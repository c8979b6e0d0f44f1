#include "adapters/redmine/redmine_catalog.hpp"

#include <algorithm>

namespace tb::redmine {

std::optional<std::string> catalog::name(kind k, long id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = names_.find({k, id});
  if (i == names_.end())
    return std::nullopt;
  return i->second;
}

std::optional<long> catalog::id(kind k, const std::string& name) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = ids_.find({k, name});
  if (i == ids_.end())
    return std::nullopt;
  return i->second;
}

void catalog::put(kind k, long id, const std::string& name) {
  std::lock_guard<std::mutex> guard{mutex_};
  names_[{k, id}] = name;
  ids_[{k, name}] = id;
}

std::optional<long> catalog::newest_journal(const std::string& issue) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = newest_journal_.find(issue);
  if (i == newest_journal_.end())
    return std::nullopt;
  return i->second;
}

void catalog::saw_journal(const std::string& issue, long journal_id) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& newest = newest_journal_[issue];
  newest = std::max(newest, journal_id);
}

} // namespace tb::redmine
