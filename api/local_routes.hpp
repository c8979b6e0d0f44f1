#pragma once
// The embedded tracker's REST API, under /api/v1/local/{connection}.

#include <map>
#include <string>

#include "adapters/local/local_tracker.hpp"
#include "api/router.hpp"

namespace tb::api {

// trackers: the configured local connections by name; they must outlive r.
void add_local_routes(router& r, std::map<std::string, tb::local::tracker*> trackers);

} // namespace tb::api
