#include "api/config_routes.hpp"

#include <nlohmann/json.hpp>

#include "api/route_support.hpp"

namespace tb::api {

namespace {

using json = nlohmann::json;

json problems_json(const std::vector<config::problem>& all) {
  json out = json::array();
  for (auto& p : all)
    out.push_back({{"path", p.path}, {"message", p.message}, {"hint", p.hint}});
  return out;
}

http_response answer(const config::reload_result& r) {
  if (!r.applied) {
    auto message = std::to_string(r.problems.size())
                   + " problem(s); nothing was changed, the running configuration stays";
    json error = {{"status", 422}, {"where", r.file}, {"message", message}};
    return json_response(422, {{"error", error},
                               {"problems", problems_json(r.problems)},
                               {"warnings", problems_json(r.warnings)}});
  }
  return json_response(200, {{"reloaded", r.file},
                             {"added", r.plan.added},
                             {"changed", r.plan.changed},
                             {"removed", r.plan.removed},
                             {"unchanged", r.plan.unchanged},
                             {"warnings", problems_json(r.warnings)}});
}

} // namespace

void add_config_routes(router& r, config_reloader reload) {
  r.add("POST", "/api/v1/config/reload",
        answering([reload = std::move(reload)](const http_request&, const route_params& p) {
          only_query(p, {});
          return answer(reload());
        }));
}

} // namespace tb::api
