#include "tests/support/smtp_sink.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"

namespace tb::test {

namespace {

// Debian's interpreter: python3-aiosmtpd is installed for it, whatever
// python3 comes first on PATH.
const char* const python = "/usr/bin/python3";

std::string script() {
  return std::string{TB_TEST_SUPPORT_DIR} + "/smtp_sink.py";
}

} // namespace

smtp_sink::smtp_sink(const std::string& dir, smtp_sink_options o) : mail_dir_(dir + "/mail") {
  std::filesystem::create_directories(dir);
  std::string last_log;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = o.port ? o.port : free_port();
    std::vector<std::string> args{script(), "--port", std::to_string(port_), "--dir", mail_dir_};
    if (!o.tls_cert.empty())
      args.insert(args.end(), {"--tls-cert", o.tls_cert, "--tls-key", o.tls_key});
    if (o.require_tls)
      args.push_back("--require-tls");
    if (!o.auth.empty())
      args.insert(args.end(), {"--auth", o.auth});
    if (!o.refuse_rcpt.empty())
      args.insert(args.end(), {"--refuse-rcpt", o.refuse_rcpt});
    if (o.defer > 0)
      args.insert(args.end(), {"--defer", std::to_string(o.defer)});
    process_ = std::make_unique<server_process>(
      python, args, dir + "/smtp-" + std::to_string(port_) + ".log");
    if (process_->wait_listening(port_, std::chrono::seconds{10}))
      return;
    last_log = process_->log();
    process_->kill9();
    if (o.port)
      break;
  }
  throw std::runtime_error("smtp_sink: the SMTP server did not listen; its log:\n" + last_log);
}

smtp_sink::~smtp_sink() {
  stop();
}

void smtp_sink::stop() {
  if (process_ && process_->running())
    process_->stop(std::chrono::seconds{5});
}

std::vector<received_mail> smtp_sink::messages() const {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator{mail_dir_, ec})
    if (e.path().extension() == ".json")
      files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<received_mail> out;
  for (auto& f : files) {
    auto j = nlohmann::json::parse(std::ifstream{f});
    received_mail m;
    m.mail_from = j.value("mail_from", "");
    for (auto& r : j["rcpt_tos"])
      m.rcpt_tos.push_back(r.get<std::string>());
    m.data = j.value("data", "");
    m.tls = j.value("tls", false);
    if (j["login"].is_string())
      m.login = j["login"].get<std::string>();
    out.push_back(std::move(m));
  }
  return out;
}

} // namespace tb::test
