#include "domain/catalogue.hpp"

#include "domain/model.hpp"

namespace tb {

const field_catalogue* tracker_catalogue::field(const std::string& name) const {
  if (!fields)
    return nullptr;
  auto i = fields->find(name);
  return i == fields->end() ? nullptr : &i->second;
}

bool tracker_catalogue::has_field(const std::string& name) const {
  return !fields || fields->count(name) > 0 || (more_fields && !is_core_field(name));
}

bool tracker_catalogue::has_user(const std::string& login) const {
  return !users || users->count(login) > 0;
}

} // namespace tb
