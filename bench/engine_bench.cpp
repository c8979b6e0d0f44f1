// The engine on the embedded tracker (docs/benchmarks.md#engine): issues
// with their history are written to connection a straight through the
// embedded tracker (the baseline: its own write rate, in this run, with
// this data), then a one-way task a -> b syncs them all, from the task's
// start to the end of its initial sync. Every twin is then read back and
// must have the original's number of entries, or the run fails.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/engine.hpp"
#include "actors/system_config.hpp"
#include "app/connections.hpp"
#include "bench/figures.hpp"
#include "config/config.hpp"
#include "storage/lmdb.hpp"
#include "storage/sync_state.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  unsigned issues = 2000;
  unsigned entries = 10;  // per issue, its creation included
  unsigned comments = 0;  // instead: this many comments spread over the issues
  unsigned writers = 2;   // threads writing the baseline
  std::string dir;
  std::string name = "engine";
};

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

// Issue n's updates: field changes with a comment, or comments only.
unsigned updates_of(const options& o, unsigned n) {
  if (o.comments == 0)
    return o.entries - 1;
  return o.comments / o.issues + (n < o.comments % o.issues ? 1 : 0);
}

tb::local::issue_update update(const options& o, unsigned n, unsigned k) {
  static const char* statuses[] = {"New", "In Progress", "Resolved", "Feedback"};
  static const char* priorities[] = {"Low", "Normal", "High"};
  tb::local::issue_update u;
  u.author = k % 2 ? "bob" : "alice";
  u.comment = "Comment " + std::to_string(k) + " on issue " + std::to_string(n);
  if (o.comments == 0)
    u.fields = {{"status", statuses[(k + 1) % 4]}, {"priority", priorities[k % 3]}};
  return u;
}

// The baseline: the issues written to `into` by o.writers threads, each
// its share; the entries written.
std::uint64_t write_issues(const options& o, tb::local::tracker& into) {
  std::atomic<std::uint64_t> written{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < o.writers; ++w)
    threads.emplace_back([&, w] {
      for (unsigned n = w; n < o.issues && !failed; n += o.writers) {
        tb::local::new_issue i;
        i.author = "alice";
        i.fields = {{"subject", "Issue " + std::to_string(n)},
                    {"description", "What happened to issue " + std::to_string(n)},
                    {"status", "New"},
                    {"priority", "Normal"}};
        auto made = into.create_issue("DEMO", i);
        if (!made) {
          std::cerr << "engine_bench: " << made.error().message << "\n";
          failed = true;
          return;
        }
        ++written;
        for (unsigned k = 0; k < updates_of(o, n); ++k) {
          if (auto r = into.update_issue(made->id, update(o, n, k)); !r) {
            std::cerr << "engine_bench: " << r.error().message << "\n";
            failed = true;
            return;
          }
          ++written;
        }
      }
    });
  for (auto& t : threads)
    t.join();
  if (failed)
    std::exit(1);
  return written;
}

std::string config_text(const options& o) {
  nlohmann::json project = {{"key", "DEMO"}};
  nlohmann::json cfg = {
    {"storage", {{"directory", o.dir}, {"map_size_mb", 8192}}},
    {"log", {{"level", "warn"}}},
    {"connections",
     {{"a", {{"type", "local"}, {"projects", {project}}}},
      {"b", {{"type", "local"}, {"projects", {project}}}}}},
    {"tasks",
     {{"t",
       {{"source", {{"connection", "a"}, {"project", "DEMO"}}},
        {"target", {{"connection", "b"}, {"project", "DEMO"}}},
        {"direction", "one-way"}}}}}};
  return cfg.dump();
}

// The task's initial sync, waited for (bounded): its progress when done.
std::optional<tb::sync_progress> wait_for_initial_sync(tb::engine& e, double limit_s) {
  auto started = clock_type::now();
  while (seconds_since(started) < limit_s) {
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
    for (auto& s : e.status(std::chrono::seconds{5}))
      if (s.name == "t" && s.progress && s.progress->kind == "initial sync"
          && s.progress->finished != 0)
        return s.progress;
  }
  return std::nullopt;
}

// Every issue of a has its twin in b with as many entries.
bool twins_complete(tb::local::tracker& a, tb::local::tracker& b, const options& o) {
  auto originals = a.changed_since("DEMO", 0, o.issues + 1);
  auto twins = b.changed_since("DEMO", 0, o.issues + 1);
  if (twins.size() != originals.size() || twins.size() != o.issues) {
    std::cerr << "engine_bench: " << twins.size() << " twins of " << originals.size()
              << " issues\n";
    return false;
  }
  std::uint64_t in_a = 0, in_b = 0;
  for (auto& s : originals)
    in_a += a.get_issue(s.id)->history.size();
  for (auto& s : twins)
    in_b += b.get_issue(s.id)->history.size();
  if (in_a != in_b)
    std::cerr << "engine_bench: the twins have " << in_b << " entries, the originals " << in_a
              << "\n";
  return in_a == in_b;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App cli{"The engine on the embedded tracker: its sync rate against the tracker's own "
               "write rate"};
  cli.add_option("--issues", o.issues, "issues to sync")->check(CLI::Range(1u, 10'000'000u));
  cli.add_option("--entries", o.entries, "history entries per issue, its creation included")
    ->check(CLI::Range(1u, 10'000u));
  cli.add_option("--comments", o.comments,
                 "instead of --entries: this many comments spread over the issues");
  cli.add_option("--writers", o.writers, "threads writing the baseline")
    ->check(CLI::Range(1u, 64u));
  cli.add_option("--name", o.name, "the benchmark's name in the table");
  cli.add_option("--dir", o.dir, "an empty directory for the LMDB store (default: a new one "
                                 "under the system's temporary directory)");
  CLI11_PARSE(cli, argc, argv);
  bool own_dir = o.dir.empty();
  if (own_dir)
    o.dir = (std::filesystem::temp_directory_path()
             / ("tb-bench-" + std::to_string(::getpid())))
              .string();
  std::filesystem::create_directories(o.dir);
  spdlog::set_level(spdlog::level::warn);

  auto loaded = tb::config::parse(config_text(o), o.dir);
  if (!loaded.cfg) {
    for (auto& p : loaded.problems)
      std::cerr << "engine_bench: " << tb::config::format(p) << "\n";
    return 1;
  }
  auto& cfg = *loaded.cfg;
  int rc = 0;
  {
    tb::storage::environment env{{o.dir, cfg.storage.map_size_mb << 20, 32}};
    tb::storage::sync_state store{env};
    auto trackers = tb::app::open_local_trackers(cfg, env);

    auto write_start = clock_type::now();
    auto entries = write_issues(o, *trackers.at("a"));
    auto write_s = seconds_since(write_start);

    tb::system_config sys_cfg;
    caf::actor_system sys{sys_cfg};
    tb::engine e{sys, store};
    tb::app::add_connections(e, cfg, trackers);
    auto sync_start = clock_type::now();
    e.add_task(cfg.tasks.at(0));
    auto done = wait_for_initial_sync(e, 3600);
    auto sync_s = seconds_since(sync_start);
    e.stop(std::chrono::seconds{30});
    if (!done) {
      std::cerr << "engine_bench: the initial sync did not end within an hour\n";
      rc = 1;
    } else if (!twins_complete(*trackers.at("a"), *trackers.at("b"), o) || done->failed != 0) {
      rc = 1;
    } else {
      using tb::bench::better;
      auto issues_per_s = o.issues / sync_s;
      auto entries_per_s = entries / sync_s;
      auto baseline = entries / write_s;
      tb::bench::figure(o.name, "issues", o.issues, "");
      tb::bench::figure(o.name, "entries", static_cast<double>(entries), "");
      tb::bench::figure(o.name, "baseline: the tracker's own writes", baseline, "entries/s");
      tb::bench::figure(o.name, "sync time", sync_s, "s", better::lower, o.comments ? 10 : -1);
      tb::bench::figure(o.name, "issues synced", issues_per_s, "issues/s", better::higher,
                        o.comments ? -1 : 2000);
      tb::bench::figure(o.name, "entries synced", entries_per_s, "entries/s", better::higher,
                        o.comments ? -1 : 20000);
      tb::bench::figure(o.name, "ratio to the baseline", entries_per_s / baseline, "",
                        better::higher, 0.9);
    }
  }
  if (own_dir)
    std::filesystem::remove_all(o.dir);
  return rc;
}
