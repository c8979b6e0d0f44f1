#include "adapters/redmine/redmine_catalog.hpp"

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

} // namespace tb::redmine
