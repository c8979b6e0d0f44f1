#include "tests/support/server_process.hpp"

#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "tests/support/http_client.hpp"

namespace tb::test {

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr auto poll_interval = 20ms;

int status_of(int wait_status) {
  if (WIFEXITED(wait_status))
    return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status))
    return -WTERMSIG(wait_status);
  return -1;
}

// In the child: only async-signal-safe calls between fork and exec, because
// the parent (a test) may have other threads.
[[noreturn]] void exec_child(int log_fd, const char* path, char* const argv[], pid_t parent) {
  // A test that aborts (CAF_REQUIRE, CAF_FAIL) runs no destructor: the
  // server must still end with it, not poll forever. SIGTERM stops it cleanly.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) // the test died before prctl took effect
    _exit(1);
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  close(log_fd);
  execv(path, argv);
  static const char msg[] = "server_process: execv failed\n";
  [[maybe_unused]] auto n = write(STDERR_FILENO, msg, sizeof msg - 1);
  _exit(127);
}

} // namespace

server_process::server_process(std::vector<std::string> args, std::string log_file)
  : server_process(TRACKBRIDGE_BINARY, std::move(args), std::move(log_file)) {
}

server_process::server_process(std::string path, std::vector<std::string> args,
                               std::string log_file)
  : log_file_(std::move(log_file)) {
  std::vector<char*> argv;
  argv.push_back(path.data());
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    throw std::runtime_error("cannot open the server log " + log_file_ + ": "
                             + std::strerror(errno));
  auto parent = getpid();
  pid_ = fork();
  if (pid_ == 0)
    exec_child(log_fd, path.c_str(), argv.data(), parent);
  ::close(log_fd);
  if (pid_ < 0)
    throw std::runtime_error(std::string{"cannot fork to start "} + path + ": "
                             + std::strerror(errno));
}

server_process::~server_process() {
  if (running())
    kill9();
}

bool server_process::reap(bool wait) {
  if (exited_ || pid_ <= 0)
    return true;
  int ws = 0;
  pid_t r;
  do
    r = waitpid(pid_, &ws, wait ? 0 : WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exited_ = true;
    status_ = status_of(ws);
  } else if (r < 0) {
    exited_ = true; // not our child any more: nothing left to wait for
    status_ = -1;
  }
  return exited_;
}

bool server_process::running() {
  return !reap(false);
}

bool server_process::wait_ready(std::uint16_t port, std::chrono::seconds timeout,
                                const tls_peer* tls) {
  auto deadline = clock_type::now() + timeout;
  while (clock_type::now() < deadline) {
    if (!running())
      return false;
    try {
      auto reply = tls ? https_call(*tls, "GET", port, "/healthz")
                       : http_call("GET", port, "/healthz");
      if (reply.status == 200)
        return true;
    } catch (const std::runtime_error&) {
      // not listening yet
    }
    std::this_thread::sleep_for(poll_interval);
  }
  return false;
}

bool server_process::wait_listening(std::uint16_t port, std::chrono::seconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (clock_type::now() < deadline && running()) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s{ioc};
    boost::system::error_code ec;
    s.connect({boost::asio::ip::make_address_v4("127.0.0.1"), port}, ec);
    if (!ec)
      return true;
    std::this_thread::sleep_for(poll_interval);
  }
  return false;
}

int server_process::stop(std::chrono::seconds grace) {
  if (!running())
    return status_;
  ::kill(pid_, SIGTERM);
  auto deadline = clock_type::now() + grace;
  while (clock_type::now() < deadline) {
    if (reap(false))
      return status_;
    std::this_thread::sleep_for(poll_interval);
  }
  kill9();
  return status_;
}

void server_process::kill9() {
  if (!running())
    return;
  ::kill(pid_, SIGKILL);
  reap(true);
}

void server_process::signal(int sig) {
  if (running())
    ::kill(pid_, sig);
}

std::string server_process::log() const {
  std::ifstream in{log_file_};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace tb::test
