#pragma once
// POST /api/v1/config/reload: reads the configuration file again, as
// SIGHUP does. 200 with what changed (tasks added, changed, removed and
// kept running), or 422 with every problem when it is refused whole (the
// running configuration stays).

#include <functional>

#include "api/router.hpp"
#include "config/reload.hpp"

namespace tb::api {

// Validates and applies the file; one at a time.
using config_reloader = std::function<config::reload_result()>;

void add_config_routes(router& r, config_reloader reload);

} // namespace tb::api
