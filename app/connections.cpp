#include "app/connections.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <utility>
#include <variant>

#include <spdlog/spdlog.h>

#include "adapters/http/proxy.hpp"
#include "adapters/local/local_adapter.hpp"
#include "adapters/redmine/redmine_adapter.hpp"

namespace tb::app {

namespace {

// The proxy a connection goes through, from its settings or the
// environment; logged, so which way it goes is never a guess.
std::optional<http::proxy_route> proxy_for(const std::string& name, const http::endpoint& ep,
                                           const http::connection_settings& c) {
  auto path = "$.connections." + name;
  std::string credentials;
  if (!c.proxy_auth_env.empty()) {
    const char* value = std::getenv(c.proxy_auth_env.c_str());
    if (!value || !*value)
      throw std::runtime_error("connection " + name + ": the environment variable "
                               + c.proxy_auth_env + " (named by " + path
                               + ".proxy_auth_env) is not set; export user:password for the "
                                 "proxy in it");
    credentials = value;
  }
  auto route = http::choose_proxy(ep, c.proxy, credentials, c.proxy_auth_env, path,
                                  [](const char* v) { return std::getenv(v); });
  if (!route)
    throw std::runtime_error(route.error().where + ": " + route.error().message);
  if (*route)
    spdlog::info("connection {}: through the proxy {} (from {}{})", name, (*route)->shown,
                 (*route)->from, (*route)->authorization.empty() ? "" : ", with credentials");
  return *route;
}

// A Redmine connection's adapter settings; its API key comes from the
// environment.
redmine::settings redmine_settings(const std::string& name,
                                   const redmine::connection_settings& c) {
  auto path = "$.connections." + name;
  auto ep = http::parse_endpoint(c.http.url, path + ".url");
  if (!ep)
    throw std::runtime_error(ep.error().where + ": " + ep.error().message);
  const char* key = std::getenv(c.api_key_env.c_str());
  if (!key || !*key)
    throw std::runtime_error("connection " + name + ": the environment variable "
                             + c.api_key_env + " (named by " + path
                             + ".api_key_env) is not set; export the Redmine API key in it");
  redmine::settings out{name, *ep, key, c.act_as_author, nullptr, c.http.timeout,
                        c.http.max_answer_mib << 20};
  out.proxy = proxy_for(name, *ep, c.http);
  if (ep->https()) {
    // Loaded once here, so a file that cannot be used stops the start with
    // its config path, and the connection's workers share it.
    auto tls = http::load_tls(c.http.tls, path);
    if (!tls)
      throw std::runtime_error(tls.error().where + ": " + tls.error().message);
    out.tls = *tls;
  }
  return out;
}

// Each tracker type's adapter factory, found by its settings' type: a type
// in tracker_settings without one here does not compile.
struct adapter_maker {
  const std::string& name;
  const local_trackers& local;
  call_tallies& tallies;

  struct made {
    engine::adapter_factory make;
    unsigned workers; // the connection's requests in flight
  };

  made operator()(const local::connection_settings&) const {
    auto* t = local.at(name).get();
    // Several writes in flight: LMDB takes one at a time, but those that
    // come together share one commit and one sync to disk.
    constexpr unsigned local_workers = 4;
    return {[t] { return std::make_shared<local::adapter>(*t); }, local_workers};
  }

  made operator()(const redmine::connection_settings& c) const {
    auto settings = redmine_settings(name, c);
    settings.tally = tallies[name] = std::make_shared<http::call_tally>();
    auto shared = std::make_shared<redmine::catalog>();
    return {[=] { return std::make_shared<redmine::adapter>(settings, shared); },
            c.http.max_in_flight};
  }
};

} // namespace

local_trackers open_local_trackers(const config::config& cfg, storage::environment& env) {
  local_trackers out;
  for (auto& c : cfg.connections) {
    auto* settings = std::get_if<local::connection_settings>(&c.settings);
    if (!settings)
      continue;
    auto t = std::make_unique<local::tracker>(env, c.name);
    for (auto& p : settings->projects)
      if (auto r = t->ensure_project(p); !r)
        throw std::runtime_error("connection " + c.name + ", project " + p.key + ": "
                                 + r.error().message);
    out.emplace(c.name, std::move(t));
  }
  return out;
}

std::vector<std::string> check_connection_files(const config::config& cfg) {
  std::vector<std::string> problems;
  for (auto& c : cfg.connections) {
    auto* settings = std::get_if<redmine::connection_settings>(&c.settings);
    if (!settings)
      continue;
    auto path = "$.connections." + c.name;
    auto ep = http::parse_endpoint(settings->http.url, path + ".url");
    if (!ep || !ep->https())
      continue;
    if (auto tls = http::load_tls(settings->http.tls, path); !tls)
      problems.push_back(tls.error().where + ": " + tls.error().message);
  }
  return problems;
}

namespace {

result<tracker_catalogue> catalogue_of(const config::connection_config& c,
                                       const std::string& project) {
  auto where = "connection " + c.name + ", project " + project;
  if (auto* local = std::get_if<local::connection_settings>(&c.settings)) {
    for (auto& p : local->projects)
      if (p.key == project)
        return local::catalogue_of(p, c.name);
    return sync_error{error_kind::not_found, where, "the connection declares no such project"};
  }
  auto& settings = std::get<redmine::connection_settings>(c.settings);
  try {
    redmine::adapter a{redmine_settings(c.name, settings), std::make_shared<redmine::catalog>()};
    return a.read_catalogue(project);
  } catch (const std::exception& e) {
    return sync_error{error_kind::invalid, where, e.what()};
  }
}

} // namespace

opened_reader open_reader(const config::config& cfg, const std::string& connection) {
  auto& c = *cfg.find_connection(connection);
  opened_reader out;
  if (auto* redmine = std::get_if<redmine::connection_settings>(&c.settings)) {
    out.adapter = std::make_shared<redmine::adapter>(redmine_settings(c.name, *redmine),
                                                     std::make_shared<redmine::catalog>());
    return out;
  }
  auto& dir = cfg.storage.directory;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw std::runtime_error("the embedded tracker keeps its issues in the data directory " + dir
                             + ", which does not exist: run the server first (or give "
                               "storage.directory)");
  out.env = std::make_unique<storage::environment>(
    storage::environment_options{dir, cfg.storage.map_size_mb << 20, 32});
  out.local = std::make_unique<local::tracker>(*out.env, c.name);
  out.adapter = std::make_shared<local::adapter>(*out.local);
  return out;
}

catalogues read_catalogues(const config::config& cfg) {
  catalogues out;
  for (auto& t : cfg.tasks)
    for (auto* s : {&t.source, &t.target}) {
      auto key = std::pair{s->connection, s->project};
      if (!out.count(key))
        out.emplace(key, catalogue_of(*cfg.find_connection(s->connection), s->project));
    }
  return out;
}

call_tallies add_connections(engine& e, const config::config& cfg, const local_trackers& local) {
  call_tallies tallies;
  for (auto& c : cfg.connections) {
    auto made = std::visit(adapter_maker{c.name, local, tallies}, c.settings);
    e.add_connection(c.name, made.make, made.workers);
  }
  return tallies;
}

} // namespace tb::app
