// The server with nothing to do (docs/benchmarks.md#idle-and-start): the
// real binary with `tasks` tasks over two embedded connections, each side
// polled at the configured interval, none with an issue. Measures the time
// from its start to its first answer on /healthz, and the CPU it uses over
// `seconds` once its tasks' initial syncs (of nothing) are over.

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench/figures.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

// utime + stime of the process, in clock ticks (proc(5): fields 14 and 15).
long cpu_ticks(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string stat{std::istreambuf_iterator<char>{in}, {}};
  std::istringstream fields{stat.substr(stat.rfind(')') + 2)}; // after the name
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14)
      utime = std::stol(field);
    if (i == 15)
      stime = std::stol(field);
  }
  return utime + stime;
}

} // namespace

int main(int argc, char** argv) {
  unsigned tasks = 10;
  unsigned poll_ms = 0; // 0: the configuration's default
  double seconds = 10;
  CLI::App cli{"The server with nothing to do: its start-up time and idle CPU"};
  cli.add_option("--tasks", tasks, "tasks, each two-way between its own projects")
    ->check(CLI::Range(1u, 1000u));
  cli.add_option("--poll-ms", poll_ms, "each side's poll interval (default: the default)");
  cli.add_option("--seconds", seconds, "how long the CPU is measured")
    ->check(CLI::Range(1.0, 3600.0));
  CLI11_PARSE(cli, argc, argv);

  tb::test::temp_dir dir;
  auto port = tb::test::free_port();
  nlohmann::json projects = nlohmann::json::array(), task_list = nlohmann::json::object();
  for (unsigned i = 0; i < tasks; ++i) {
    auto key = "P" + std::to_string(i);
    projects.push_back({{"key", key}});
    nlohmann::json t = {{"source", {{"connection", "a"}, {"project", key}}},
                        {"target", {{"connection", "b"}, {"project", key}}},
                        {"direction", "two-way"}};
    if (poll_ms)
      t["poll_interval_ms"] = poll_ms;
    task_list["t" + std::to_string(i)] = t;
  }
  nlohmann::json cfg = {{"server", {{"listen", "127.0.0.1"}, {"port", port}}},
                        {"storage", {{"directory", dir.file("data")}}},
                        {"log", {{"level", "warn"}}},
                        {"connections",
                         {{"a", {{"type", "local"}, {"projects", projects}}},
                          {"b", {{"type", "local"}, {"projects", projects}}}}},
                        {"tasks", task_list}};
  std::ofstream{dir.file("config.json")} << cfg.dump(2);

  auto started = std::chrono::steady_clock::now();
  tb::test::server_process server{{"run", "--config", dir.file("config.json")},
                                  dir.file("server.log")};
  if (!server.wait_ready(port, std::chrono::seconds{60})) {
    std::cerr << "idle_bench: the server did not answer /healthz:\n" << server.log();
    return 1;
  }
  auto ready_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now()
                                                            - started)
                    .count();
  std::this_thread::sleep_for(std::chrono::seconds{2}); // the initial syncs of nothing
  auto ticks_per_s = static_cast<double>(::sysconf(_SC_CLK_TCK));
  auto before = cpu_ticks(server.pid());
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>{seconds});
  auto used = (cpu_ticks(server.pid()) - before) / ticks_per_s;
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (server.stop() != 0) {
    std::cerr << "idle_bench: the server did not stop cleanly:\n" << server.log();
    return 1;
  }
  using tb::bench::better;
  tb::bench::figure("idle", "tasks", tasks, "");
  tb::bench::figure("idle", "start-up, empty state", ready_ms, "ms");
  tb::bench::figure("idle", "CPU with nothing to do", 100 * used / elapsed, "% of a core",
                    better::lower, 1);
  return 0;
}
