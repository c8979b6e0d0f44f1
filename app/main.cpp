// trackbridge: the command line. `run` starts the server, `check` validates a
// configuration, `version` prints the version.

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <openssl/rand.h>
#include <caf/actor_system.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "actors/engine.hpp"
#include "actors/system_config.hpp"
#include "app/connections.hpp"
#include "app/explain.hpp"
#include "app/online.hpp"
#include "app/reload.hpp"
#include "api/config_routes.hpp"
#include "api/notification_routes.hpp"
#include "api/http_server.hpp"
#include "api/hook_routes.hpp"
#include "api/local_routes.hpp"
#include "api/metrics_routes.hpp"
#include "api/router.hpp"
#include "api/task_routes.hpp"
#include "config/config.hpp"
#include "storage/mail_store.hpp"
#include "storage/sync_state.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_invalid_config = 2;

enum class warnings_to { terminal, log };

std::optional<tb::config::config> load_config(const std::string& path, warnings_to warnings) {
  auto loaded = tb::config::load_file(path);
  for (auto& p : loaded.problems)
    std::cerr << path << ": " << tb::config::format(p) << "\n";
  for (auto& w : loaded.warnings)
    if (warnings == warnings_to::log)
      spdlog::warn("{}: {}", path, tb::config::format(w));
    else
      std::cerr << path << ": warning: " << tb::config::format(w) << "\n";
  if (!loaded.problems.empty())
    std::cerr << loaded.problems.size() << " problem(s); nothing was started\n";
  return loaded.cfg;
}

std::optional<tb::api::tls_files> server_tls(const tb::config::server_config& s) {
  if (!s.tls)
    return std::nullopt;
  return tb::api::tls_files{s.tls->cert_file, s.tls->key_file};
}

// The TLS files the configuration names (server.tls, and each https
// connection's), read as `run` reads them: a file `run` would refuse makes
// the configuration invalid, reported like the file's other problems, all
// at once. An expired server certificate is a warning here for `check`;
// `run` logs it once it serves.
bool usable_files(const tb::config::config& cfg, const std::string& path,
                  warnings_to warnings) {
  std::vector<std::string> problems;
  if (auto files = server_tls(cfg.server)) {
    auto checked = tb::api::http_server::check_certificate(*files);
    if (checked.expired && warnings == warnings_to::terminal)
      std::cerr << path << ": warning: $.server.tls.cert_file: the certificate "
                << checked.summary
                << " has expired: clients will refuse it (hint: renew it; a running server "
                   "takes the new one on SIGHUP)\n";
    if (checked.problem)
      problems.push_back("$." + *checked.problem);
  }
  for (auto& p : tb::app::check_connection_files(cfg))
    problems.push_back(p);
  if (cfg.notifications && !cfg.notifications->smtp.ca_file.empty()) {
    auto& file = cfg.notifications->smtp.ca_file;
    std::ifstream in{file};
    if (!in)
      problems.push_back("$.notifications.smtp.ca_file: cannot use " + file + ": "
                         + std::strerror(errno));
  }
  for (auto& p : problems)
    std::cerr << path << ": " << p << "\n";
  if (!problems.empty())
    std::cerr << problems.size() << " problem(s); nothing was started\n";
  return problems.empty();
}

// Each task's rules against what its trackers take, and the roles
// notifications go to, read from the trackers (app/online.hpp): every
// problem and warning, and whether there was no problem.
bool online_checks(const tb::config::config& cfg, const std::string& path) {
  auto findings = tb::app::check_tasks_online(cfg);
  auto roles = tb::app::check_roles_online(cfg);
  findings.problems.insert(findings.problems.end(), roles.problems.begin(), roles.problems.end());
  findings.warnings.insert(findings.warnings.end(), roles.warnings.begin(), roles.warnings.end());
  for (auto& p : findings.problems)
    std::cerr << path << ": " << tb::config::format(p) << "\n";
  for (auto& w : findings.warnings)
    std::cerr << path << ": warning: " << tb::config::format(w) << "\n";
  if (!findings.problems.empty())
    std::cerr << findings.problems.size() << " problem(s) against the trackers\n";
  return findings.problems.empty();
}

// explain: TASK/SIDE/ID, or "" for none.
int check(const std::string& path, bool online, const std::string& explain) {
  std::optional<tb::app::explained_issue> explained;
  if (!explain.empty()) {
    std::string why;
    explained = tb::app::parse_explained(explain, why);
    if (!explained) {
      std::cerr << why << "\n";
      return exit_invalid_config;
    }
  }
  auto cfg = load_config(path, warnings_to::terminal);
  if (!cfg || !usable_files(*cfg, path, warnings_to::terminal))
    return exit_invalid_config;
  bool fits = !online || online_checks(*cfg, path);
  if (explained) {
    // Explained also when the check found problems: they may be why.
    if (auto code = tb::app::explain(*cfg, *explained, std::cout, std::cerr); code != exit_ok)
      return code;
  }
  if (!fits)
    return exit_invalid_config;
  std::cout << path << ": valid (" << cfg->connections.size() << " connection(s), "
            << cfg->tasks.size() << " task(s)" << (online ? ", checked against the trackers" : "")
            << ")\n";
  return exit_ok;
}

struct token_source {
  std::string value;
  std::string where; // for the 401's hint: a path or a variable, never the token
};

// The API token: from the configured variable, or the token file, which is
// created with a random token at the first start. Errors are logged.
std::optional<token_source> api_token(const tb::config::server_config& s) {
  if (!s.auth_token_env.empty()) {
    const char* v = std::getenv(s.auth_token_env.c_str());
    if (!v || !*v) {
      spdlog::error("the environment variable {} (named by server.auth_token_env) is not set; "
                    "export the API token in it",
                    s.auth_token_env);
      return std::nullopt;
    }
    return token_source{v, "$" + s.auth_token_env};
  }
  auto& path = s.auth_token_file;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
      spdlog::error("cannot make an API token: no randomness from OpenSSL");
      return std::nullopt;
    }
    static const char* hex = "0123456789abcdef";
    std::string made;
    for (auto b : bytes)
      made.append(1, hex[b >> 4]).append(1, hex[b & 15]);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    // Readable by its owner only, from the moment it exists.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ::write(fd, made.data(), made.size()) != static_cast<ssize_t>(made.size())) {
      spdlog::error("cannot write the API token file {}: {} (set server.auth_token_file to a "
                    "writable place)",
                    path, std::strerror(errno));
      if (fd >= 0)
        ::close(fd);
      return std::nullopt;
    }
    ::close(fd);
    spdlog::info("API token created in {} (send it as Authorization: Bearer <token>)", path);
  }
  std::ifstream in{path};
  std::string value;
  std::getline(in, value);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
    value.pop_back();
  if (!in.good() && value.empty()) {
    spdlog::error("the API token file {} cannot be read or is empty (server.auth_token_file); "
                  "put the token in it, or delete it to get a new one",
                  path);
    return std::nullopt;
  }
  return token_source{value, path};
}

// The signals main() blocks in every thread, so that they reach sigwait
// only: SIGINT and SIGTERM stop the server, SIGHUP reads its certificate
// and its configuration again.
sigset_t handled_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

void warn_if_expired(const tb::api::http_server& server) {
  if (server.certificate_expired())
    spdlog::warn("the server's certificate {} has expired: clients will refuse it; renew it, "
                 "then send SIGHUP",
                 server.certificate());
}

void reload_certificate(tb::api::http_server& server) {
  if (!server.https())
    return;
  if (auto problem = server.reload_certificate()) {
    spdlog::error("SIGHUP received: the new certificate is refused, connections keep getting "
                  "the one in use: {} (fix the files, then send SIGHUP again)",
                  *problem);
    return;
  }
  spdlog::info("SIGHUP received: serving the certificate {} to new connections",
               server.certificate());
  warn_if_expired(server);
}

// Serves until SIGINT or SIGTERM, which it returns. SIGHUP reads the
// certificate and the configuration again; the reload logs what it did.
int serve_until_stopped(tb::api::http_server& server, tb::app::reloader& reloader) {
  auto signals = handled_signals();
  for (;;) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != SIGHUP)
      return sig;
    reload_certificate(server);
    spdlog::info("SIGHUP received: reading the configuration again");
    reloader.reload();
  }
}

// The SMTP server as the mailer reaches it, the password from its
// variable; none, logged, when that is not set.
std::optional<tb::smtp::server_settings> smtp_settings(const tb::config::notifications_config& n) {
  tb::smtp::server_settings s;
  s.host = n.smtp.host;
  s.port = n.smtp.port;
  s.tls = n.smtp.security;
  s.user = n.smtp.user;
  s.from = n.smtp.from;
  s.ca_file = n.smtp.ca_file;
  if (!n.smtp.password_env.empty()) {
    const char* v = std::getenv(n.smtp.password_env.c_str());
    if (!v || !*v) {
      spdlog::error("the environment variable {} (named by notifications.smtp.password_env) is "
                    "not set; export the SMTP password in it",
                    n.smtp.password_env);
      return std::nullopt;
    }
    s.password = v;
  }
  return s;
}

// Where the messages' API paths point: notifications.api_url, or the
// server as it listens (a wildcard address as this machine).
std::string api_base(const tb::config::config& cfg) {
  if (!cfg.notifications->api_url.empty())
    return cfg.notifications->api_url;
  auto host = cfg.server.listen;
  if (host == "0.0.0.0" || host == "::")
    host = "127.0.0.1";
  if (host.find(':') != std::string::npos)
    host = "[" + host + "]";
  return std::string{cfg.server.tls ? "https" : "http"} + "://" + host + ":"
         + std::to_string(cfg.server.port);
}

// What the task routes may ask of the engine, each with its timeout.
tb::api::task_engine task_control(tb::engine& engine) {
  tb::api::task_engine control;
  control.status = [&engine] {
    std::map<std::string, tb::task_status> out;
    for (auto& s : engine.status(std::chrono::seconds{2}))
      out[s.name] = s;
    return out;
  };
  control.push = [&engine](const std::string& task, tb::side s,
                           const std::vector<std::string>& ids) { engine.push(task, s, ids); };
  control.skip = [&engine](const std::string& task, tb::side s, const std::string& id) {
    return engine.skip(task, tb::issue_ref{s, id}, std::chrono::seconds{2});
  };
  control.command = [&engine](const std::string& task, const std::string& name) {
    using c = tb::engine::command;
    auto which = name == "start" ? c::start : name == "stop" ? c::stop
                 : name == "pause" ? c::pause : c::resume;
    return engine.control(task, which, std::chrono::seconds{2});
  };
  control.resync = [&engine](const std::string& task, tb::timestamp since) {
    return engine.resync(task, since, std::chrono::seconds{2});
  };
  return control;
}

int run(const std::string& path, const std::string& data_dir) {
  auto cfg = load_config(path, warnings_to::log);
  if (!cfg || !usable_files(*cfg, path, warnings_to::log))
    return exit_invalid_config;
  if (!data_dir.empty())
    cfg->storage.directory = data_dir;
  spdlog::set_level(spdlog::level::from_str(cfg->log.level));


  tb::storage::environment env{{cfg->storage.directory, cfg->storage.map_size_mb << 20, 32}};
  tb::storage::sync_state store{env};
  // Before the actor system: the mailer uses it until the system has ended.
  tb::storage::mail_store mail{env};
  auto trackers = tb::app::open_local_trackers(*cfg, env);

  if (cfg->server.auth_token_env.empty() && cfg->server.auth_token_file.empty())
    cfg->server.auth_token_file = cfg->storage.directory + "/api-token";
  auto token = api_token(cfg->server);
  if (!token)
    return exit_failure;

  std::vector<tb::config::problem> secrets_missing;
  auto hooks = tb::app::webhook_tasks(*cfg, secrets_missing);
  for (auto& p : secrets_missing)
    spdlog::error("{}: {}", path, tb::config::format(p));
  if (!secrets_missing.empty())
    return exit_failure;

  std::optional<tb::smtp::server_settings> smtp;
  if (cfg->notifications) {
    smtp = smtp_settings(*cfg->notifications);
    if (!smtp)
      return exit_failure;
  }

  tb::system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  tb::engine engine{sys, store};
  auto tallies = tb::app::add_connections(engine, *cfg, trackers);
  if (smtp) {
    engine.add_mailer(*cfg->notifications, *smtp, mail, api_base(*cfg));
    spdlog::info("notifications: {} rule(s), sent through {}:{}", cfg->notifications->rules.size(),
                 smtp->host, smtp->port);
  }
  for (auto& t : cfg->tasks)
    engine.add_task(t);

  tb::api::router router;
  router.require_bearer({"/api/", "/metrics"}, token->value, token->where);
  std::map<std::string, tb::local::tracker*> served;
  for (auto& [name, t] : trackers)
    served.emplace(name, t.get());
  tb::api::add_local_routes(router, served);
  auto control = task_control(engine);
  control.problem = [tallies](const std::string& connection) {
    auto t = tallies.find(connection);
    return t == tallies.end() ? std::string{} : t->second->problem();
  };
  auto tasks = std::make_shared<tb::api::live_tasks>(cfg->tasks);
  auto hook_tasks = std::make_shared<tb::api::live_hooks>(std::move(hooks));
  tb::api::add_metrics_route(router, tasks, store, control.status, std::move(tallies));
  tb::api::add_task_routes(router, tasks, store, std::move(control));
  tb::api::add_hook_routes(router, hook_tasks,
                           [&engine](const std::string& task, tb::side s,
                                     const std::vector<std::string>& ids) {
                             engine.push(task, s, ids);
                           });
  tb::api::add_notification_routes(router, mail, [&engine] {
    return engine.send_test_mail(std::chrono::seconds{5});
  });
  tb::app::reloader reloader{path, *cfg, engine, tasks, hook_tasks};
  tb::api::add_config_routes(router, [&reloader] { return reloader.reload(); });
  tb::api::http_server server{router, cfg->server.listen, cfg->server.port, 2,
                              server_tls(cfg->server)};
  try {
    server.start();
  } catch (const tb::api::certificate_error& e) { // changed since it was checked
    spdlog::error("{} (fix server.tls in {})", e.what(), path);
    engine.stop(std::chrono::seconds{5});
    return exit_failure;
  } catch (const std::exception& e) {
    spdlog::error("{} (set server.listen or server.port in {})", e.what(), path);
    engine.stop(std::chrono::seconds{5});
    return exit_failure;
  }
  if (server.https())
    spdlog::info("serving https with the certificate {}", server.certificate());
  warn_if_expired(server);
  spdlog::info("listening on {}://{}:{} with {} task(s); data in {}",
               server.https() ? "https" : "http", cfg->server.listen, server.port(),
               cfg->tasks.size(), cfg->storage.directory);

  int sig = serve_until_stopped(server, reloader);
  spdlog::info("{} received: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
  server.stop();
  bool clean = engine.stop(std::chrono::seconds{20});
  spdlog::info("stopped{}", clean ? "" : " (some work stays queued for the next start)");
  return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  // Blocked before any thread starts, so every thread inherits the mask and
  // the signals reach only serve_until_stopped().
  auto signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // The log goes to stderr, every line at once: stdout into a file is
  // buffered, and a log that arrives late (or never, after a crash) misleads.
  spdlog::set_default_logger(spdlog::stderr_color_mt("trackbridge"));
  spdlog::flush_on(spdlog::level::trace);

  CLI::App app{"TrackBridge: keeps issues in sync between issue trackers"};
  app.require_subcommand(1);
  std::string config_path, data_dir;
  auto* run_cmd = app.add_subcommand("run", "run the sync server");
  run_cmd->add_option("--config,-c", config_path, "configuration file (JSON)")->required();
  run_cmd->add_option("--data-dir", data_dir, "storage directory (overrides storage.directory)");
  auto* check_cmd = app.add_subcommand("check", "validate a configuration; exit 2 if invalid");
  check_cmd->add_option("--config,-c", config_path, "configuration file (JSON)")->required();
  bool online = false;
  auto* online_flag = check_cmd->add_flag(
    "--online", online,
    "also read each tracker's project and check the filters and mappings against it");
  std::string explain;
  check_cmd
    ->add_option("--explain", explain,
                 "TASK/SIDE/ID: whether the issue is in its filter, and what its twin would get "
                 "(nothing is written)")
    ->needs(online_flag);
  auto* version_cmd = app.add_subcommand("version", "print the version");
  CLI11_PARSE(app, argc, argv);

  try {
    if (*version_cmd) {
      std::cout << "trackbridge " << TRACKBRIDGE_VERSION << "\n";
      return exit_ok;
    }
    if (*check_cmd)
      return check(config_path, online, explain);
    return run(config_path, data_dir);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return exit_failure;
  }
}
