#pragma once
// End-to-end fixture: the real trackbridge binary on a free loopback port,
// two embedded trackers `a` and `b`, driven over HTTP like a user would.

#include <caf/test/dsl.hpp>

#include <sys/wait.h>

#include <cstdio>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace tb::test {

struct cli_outcome {
  int exit_code = -1;
  std::string output; // stdout and stderr
};

// The trackbridge binary run once with these arguments (a shell's words),
// in the test's environment.
inline cli_outcome run_cli(const std::string& args) {
  cli_outcome out;
  auto cmd = std::string{TRACKBRIDGE_BINARY} + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe)
    return out;
  char buf[4096];
  while (auto n = fread(buf, 1, sizeof buf, pipe))
    out.output.append(buf, n);
  int status = pclose(pipe);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

} // namespace tb::test

struct e2e_fixture {
  using json = nlohmann::json;

  tb::test::temp_dir dir;
  std::uint16_t port = tb::test::free_port();
  std::unique_ptr<tb::test::server_process> server;
  int starts = 0;
  // Set when the config gives server.tls: every call then goes over https,
  // trusting this CA.
  std::optional<tb::test::tls_peer> https;

  // A config with trackers a and b (project DEMO in both) and one task;
  // task_keys are added to the task's.
  void write_config(const std::string& direction, int poll_ms = 200,
                    const json& task_keys = json::object()) {
    auto project = json{{"key", "DEMO"},
                        {"custom_fields",
                         {{{"name", "Severity"}, {"type", "list"}, {"values", {"Low", "High"}}},
                          {{"name", "Customer"}, {"type", "string"}}}}};
    json cfg = {
      {"server", {{"listen", "127.0.0.1"}, {"port", port}}},
      {"storage", {{"directory", dir.file("data")}}},
      {"connections",
       {{"a", {{"type", "local"}, {"projects", {project}}}},
        {"b", {{"type", "local"}, {"projects", {project}}}}}},
      {"tasks",
       {{"a-b",
         {{"source", {{"connection", "a"}, {"project", "DEMO"}}},
          {"target", {{"connection", "b"}, {"project", "DEMO"}}},
          {"direction", direction},
          {"poll_interval_ms", poll_ms},
          {"poll_overlap_ms", 1000}}}}}};
    cfg["tasks"]["a-b"].update(task_keys);
    std::ofstream{dir.file("config.json")} << cfg.dump(2);
  }

  // Trackers a (DEMO with a Customer field) and b (DEMO without it) and a
  // one-way task a-b: an issue with a Customer is an error item.
  json config_with_a_missing_field() {
    auto field = [](const char* name) { return json{{"name", name}, {"type", "string"}}; };
    return {
      {"server", {{"listen", "127.0.0.1"}, {"port", port}}},
      {"storage", {{"directory", dir.file("data")}}},
      {"connections",
       {{"a", {{"type", "local"},
               {"projects", {{{"key", "DEMO"}, {"custom_fields", {field("Customer")}}}}}}},
        {"b", {{"type", "local"}, {"projects", {{{"key", "DEMO"}}}}}}}},
      {"tasks",
       {{"a-b",
         {{"source", {{"connection", "a"}, {"project", "DEMO"}}},
          {"target", {{"connection", "b"}, {"project", "DEMO"}}},
          {"poll_interval_ms", 200}}}}}};
  }

  void start() {
    auto log = dir.file("server-" + std::to_string(++starts) + ".log");
    server = std::make_unique<tb::test::server_process>(
      std::vector<std::string>{"run", "--config", dir.file("config.json")}, log);
    if (!server->wait_ready(port, std::chrono::seconds{30}, https ? &*https : nullptr))
      CAF_FAIL("the server did not become ready; its log:\n" << server->log());
  }

  int stop() {
    auto code = server->stop();
    return code;
  }

  std::string base(const std::string& tracker) { return "/api/v1/local/" + tracker; }

  // The API token the server made at its first start (server.auth_token_file's
  // default, next to the data).
  std::string token() {
    std::ifstream in{dir.file("data") + "/api-token"};
    std::string t;
    std::getline(in, t);
    return t;
  }

  // A call to /api/..., with the token.
  tb::test::http_reply api_call(const std::string& method, const std::string& target,
                                const std::string& body = "",
                                std::map<std::string, std::string> headers = {}) {
    headers["Authorization"] = "Bearer " + token();
    return server_call(method, target, body, std::move(headers));
  }

  // A call to the server as it listens: http, or https when `https` is set.
  tb::test::http_reply server_call(const std::string& method, const std::string& target,
                                   const std::string& body = "",
                                   std::map<std::string, std::string> headers = {}) {
    if (https)
      return tb::test::https_call(*https, method, port, target, body, std::move(headers));
    return tb::test::http_call(method, port, target, body, std::move(headers));
  }

  json call(const std::string& method, const std::string& target, const json& body = nullptr) {
    auto reply = api_call(method, target, body.is_null() ? "" : body.dump());
    if (reply.status >= 300)
      CAF_FAIL(method << " " << target << " answered " << reply.status << ": " << reply.body);
    return reply.json();
  }

  std::string create(const std::string& tracker, const std::string& author, json fields,
                     const std::string& comment = "") {
    json body = {{"author", author}, {"fields", std::move(fields)}};
    if (!comment.empty())
      body["comment"] = comment;
    return call("POST", base(tracker) + "/projects/DEMO/issues", body)["id"].get<std::string>();
  }

  void update(const std::string& tracker, const std::string& id, const std::string& author,
              json fields, const std::string& comment = "") {
    json body = {{"author", author}, {"fields", std::move(fields)}};
    if (!comment.empty())
      body["comment"] = comment;
    call("PUT", base(tracker) + "/issues/" + id, body);
  }

  json get(const std::string& tracker, const std::string& id) {
    return call("GET", base(tracker) + "/issues/" + id);
  }

  json list(const std::string& tracker) {
    return call("GET", base(tracker) + "/projects/DEMO/issues?limit=1000")["issues"];
  }

  // The twin in `tracker` of the issue whose common id is alt ("a/3"), or "".
  std::string twin_of(const std::string& tracker, const std::string& alt) {
    for (auto& i : list(tracker))
      if (i["alt_id"] == alt)
        return i["id"].get<std::string>();
    return "";
  }

  // How often part occurs in text (a log line, logged once or not at all).
  static std::size_t occurrences(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
      ++n;
    return n;
  }

  // What a person sees of a history: who, which values, which comment.
  static std::vector<std::string> shape(const json& issue) {
    std::vector<std::string> out;
    for (auto& e : issue["history"]) {
      std::string line = e["author"].get<std::string>() + ":";
      // Appended piece by piece: GCC 12 at -O2 warns falsely (-Wrestrict, its
      // bug 105329) on "literal" + std::string temporaries.
      for (auto& c : e["changes"])
        line.append(" ").append(c["field"].get<std::string>()).append("=").append(
          c["new"].get<std::string>());
      line.append(" |").append(e["comment"].get<std::string>());
      out.push_back(line);
    }
    return out;
  }

  // Polls (bounded) until cond() holds; sync is asynchronous by design.
  // `every` spaces the checks: a single-threaded tracker (Redmine on WEBrick)
  // that the test polls too often leaves the sync under test no time.
  template <class Cond>
  bool eventually(Cond cond, std::chrono::seconds limit = std::chrono::seconds{20},
                  std::chrono::milliseconds every = std::chrono::milliseconds{50}) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (cond())
        return true;
      std::this_thread::sleep_for(every);
    }
    return cond();
  }

  // True when every issue of a has a twin in b with the same history.
  bool b_mirrors_a() {
    auto issues = list("a");
    if (list("b").size() != issues.size())
      return false;
    for (auto& i : issues) {
      auto id = i["id"].get<std::string>();
      auto twin = twin_of("b", "a/" + id);
      if (twin.empty() || shape(get("a", id)) != shape(get("b", twin)))
        return false;
    }
    return true;
  }

  ~e2e_fixture() {
    if (server && server->running())
      server->stop();
  }
};
