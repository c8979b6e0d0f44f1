#include "tests/support/redmine_instance.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tb::test {

namespace {

std::string trim(std::string s) {
  auto end = s.find_last_not_of(" \t\r\n");
  s.erase(end == std::string::npos ? 0 : end + 1);
  auto begin = s.find_first_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string{} : s.substr(begin);
}

std::string read_trimmed(const std::string& file, const std::string& instance) {
  std::ifstream in{file};
  std::ostringstream text;
  if (in)
    text << in.rdbuf();
  auto value = trim(text.str());
  if (value.empty())
    throw std::runtime_error("Redmine instance '" + instance + "': no " + file
                             + " (run `scripts/redmine start " + instance
                             + " PORT`, or `ctest -L redmine`, which starts rm1 and rm2)");
  return value;
}

std::uint16_t port_of(const std::string& url) {
  auto colon = url.rfind(':');
  auto scheme = url.find("://");
  if (colon == std::string::npos || scheme == std::string::npos || colon < scheme + 3)
    throw std::runtime_error("Redmine url without a port: '" + url + "'");
  auto digits = url.substr(colon + 1);
  if (auto slash = digits.find('/'); slash != std::string::npos)
    digits.erase(slash);
  int port = std::atoi(digits.c_str());
  if (port <= 0 || port > 65535)
    throw std::runtime_error("Redmine url with a bad port: '" + url + "'");
  return static_cast<std::uint16_t>(port);
}

} // namespace

std::string redmine_dir() {
  const char* dir = std::getenv("TB_REDMINE_DIR");
  return dir && *dir ? dir : "/tmp/trackbridge-redmine";
}

redmine_instance::redmine_instance(std::string name)
  : name_(std::move(name)), dir_(redmine_dir() + "/" + name_) {
  url_ = read_trimmed(dir_ + "/url", name_);
  port_ = port_of(url_);
  api_key_ = read_trimmed(dir_ + "/api_key", name_);
}

std::string redmine_instance::user_key(const std::string& login) const {
  return read_trimmed(dir_ + "/" + login + ".api_key", name_);
}

http_reply redmine_instance::call(const std::string& method, const std::string& target,
                                  const nlohmann::json& body, const std::string& as_user) const {
  std::map<std::string, std::string> headers;
  if (!as_user.empty())
    headers["X-Redmine-Switch-User"] = as_user;
  return call_with_key(api_key_, method, target, body, std::move(headers));
}

http_reply redmine_instance::call_with_key(const std::string& key, const std::string& method,
                                           const std::string& target, const nlohmann::json& body,
                                           std::map<std::string, std::string> headers) const {
  headers["X-Redmine-API-Key"] = key;
  return http_call(method, port_, target, body.is_null() ? std::string{} : body.dump(),
                   std::move(headers));
}

nlohmann::json redmine_instance::get_json(const std::string& target) const {
  auto reply = call("GET", target);
  if (reply.status != 200)
    throw std::runtime_error(name_ + ": GET " + target + " answered "
                             + std::to_string(reply.status) + ": " + reply.body + hint(reply.status));
  return reply.json();
}

int redmine_instance::create_issue(const nlohmann::json& issue, const std::string& as_user) const {
  auto reply = call("POST", "/issues.json", {{"issue", issue}}, as_user);
  if (reply.status != 201)
    throw std::runtime_error(name_ + ": POST /issues.json answered " + std::to_string(reply.status)
                             + ": " + reply.body + hint(reply.status));
  return reply.json().at("issue").at("id").get<int>();
}

std::string redmine_instance::upload(const std::string& bytes, const std::string& filename,
                                     const std::string& as_user) const {
  std::map<std::string, std::string> headers{{"X-Redmine-API-Key", api_key_},
                                             {"Content-Type", "application/octet-stream"}};
  if (!as_user.empty())
    headers["X-Redmine-Switch-User"] = as_user;
  auto reply = http_call("POST", port_, "/uploads.json?filename=" + filename, bytes, headers);
  if (reply.status != 201)
    throw std::runtime_error(name_ + ": POST /uploads.json answered "
                             + std::to_string(reply.status) + ": " + reply.body);
  return reply.json().at("upload").at("token").get<std::string>();
}

std::string redmine_instance::download(const std::string& file_id) const {
  auto reply = call("GET", "/attachments/download/" + file_id);
  if (reply.status != 200)
    throw std::runtime_error(name_ + ": GET /attachments/download/" + file_id + " answered "
                             + std::to_string(reply.status));
  return reply.body;
}

std::string redmine_instance::hint(int status) const {
  if (status != 401)
    return {};
  return " (the key in " + dir_ + "/api_key is not this server's: is $TB_REDMINE_DIR the one the"
         " instance was started with?)";
}

int redmine_instance::custom_field_id(const std::string& field_name) const {
  auto fields = get_json("/custom_fields.json"); // a named value: the loop borrows from it
  for (auto& field : fields.at("custom_fields"))
    if (field.value("customized_type", "") == "issue" && field.value("name", "") == field_name)
      return field.at("id").get<int>();
  throw std::runtime_error(name_ + ": no issue custom field named '" + field_name + "'");
}

std::string redmine_instance::request_log() const {
  std::ifstream in{dir_ + "/log/production.log"};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

} // namespace tb::test
