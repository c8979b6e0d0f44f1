#pragma once
// A real Redmine started by scripts/redmine (CTest fixture `redmine`): reads
// the instance's url and admin API key from $TB_REDMINE_DIR/<name>/ and makes
// authenticated calls through http_call.

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"

namespace tb::test {

// $TB_REDMINE_DIR, or /tmp/trackbridge-redmine (scripts/redmine's default).
std::string redmine_dir();

class redmine_instance {
 public:
  // Throws std::runtime_error naming the missing file and how to start the
  // instance when $TB_REDMINE_DIR/<name>/url or api_key is missing.
  explicit redmine_instance(std::string name);

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; } // http://127.0.0.1:PORT
  std::uint16_t port() const { return port_; }
  const std::string& api_key() const { return api_key_; } // admin's
  // The key of a fixture user (alice, bob): <dir>/<login>.api_key.
  std::string user_key(const std::string& login) const;

  // A call with the admin key (header X-Redmine-API-Key); as_user adds
  // X-Redmine-Switch-User, so Redmine acts as that login. A non-null body
  // is sent as JSON.
  http_reply call(const std::string& method, const std::string& target,
                  const nlohmann::json& body = nullptr, const std::string& as_user = "") const;
  // A call with an explicit key (another user's, or a wrong one).
  http_reply call_with_key(const std::string& key, const std::string& method,
                           const std::string& target, const nlohmann::json& body = nullptr,
                           std::map<std::string, std::string> headers = {}) const;

  // GET as admin; throws std::runtime_error unless the answer is 200.
  nlohmann::json get_json(const std::string& target) const;
  // POST /issues.json as admin (or as_user); the new issue's id. Throws
  // unless 201.
  int create_issue(const nlohmann::json& issue, const std::string& as_user = "") const;
  // POST /uploads.json with the bytes as the body; the token an issue's
  // "uploads" names. Throws unless 201.
  std::string upload(const std::string& bytes, const std::string& filename,
                     const std::string& as_user = "") const;
  // A file's bytes (GET /attachments/download/ID); throws unless 200.
  std::string download(const std::string& file_id) const;
  // The instance's own log of the requests it served (log/production.log).
  std::string request_log() const;
  // The id of the issue custom field with this name (GET /custom_fields.json,
  // admin only); throws if there is none.
  int custom_field_id(const std::string& field_name) const;

 private:
  std::string hint(int status) const; // for error messages

  std::string name_;
  std::string dir_;
  std::string url_;
  std::uint16_t port_ = 0;
  std::string api_key_;
};

} // namespace tb::test
