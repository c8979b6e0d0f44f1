#pragma once
// The real trackbridge binary (TRACKBRIDGE_BINARY) as a child process, for
// tests that start, stop and kill the server as an operator would; or
// another real program the tests run beside it (a TLS terminator).

#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include "tests/support/http_client.hpp"

namespace tb::test {

class server_process {
 public:
  // Starts the binary with args; its stdout and stderr go to log_file.
  // Throws std::runtime_error if it cannot be started.
  server_process(std::vector<std::string> args, std::string log_file);
  // The same for another program, by its path.
  server_process(std::string program, std::vector<std::string> args, std::string log_file);
  ~server_process(); // kills the child if it still runs
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  // Polls GET /healthz until it answers 200 (over https when tls is given);
  // false if the child exited or the time ran out.
  bool wait_ready(std::uint16_t port, std::chrono::seconds timeout,
                  const tls_peer* tls = nullptr);
  // Polls until 127.0.0.1:port accepts a TCP connection (a program that
  // speaks no plain HTTP, such as a TLS terminator); false if the child
  // exited or the time ran out.
  bool wait_listening(std::uint16_t port, std::chrono::seconds timeout);

  // SIGTERM, then SIGKILL after the grace; the exit status, or -signal.
  int stop(std::chrono::seconds grace = std::chrono::seconds(10));

  void kill9();
  // Sends sig (SIGHUP: read the certificate again).
  void signal(int sig);
  bool running();
  pid_t pid() const { return pid_; }

  // What the child wrote so far, for failure messages.
  std::string log() const;

 private:
  bool reap(bool wait); // true once the child has exited (status_ is set)

  std::string log_file_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0; // exit code, or -signal
};

} // namespace tb::test
