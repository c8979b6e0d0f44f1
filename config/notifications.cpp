#include "config/notifications.hpp"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace tb::config {

namespace {

using nlohmann::json;
using namespace tb::checked;

constexpr std::int64_t max_interval_s = 86'400;

bool loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string address_at(report& r, const json& v, const std::string& path) {
  auto s = nonempty_string_at(r, v, path);
  if (!s)
    return {};
  if (!is_mail_address(*s)) {
    r.add(path, quote(*s) + " is not an e-mail address", "e.g. \"ops@example.org\"");
    return {};
  }
  return *s;
}

smtp_config read_smtp(report& r, report& w, const json& j, const std::string& path,
                      const std::string& base_dir) {
  smtp_config s;
  if (!is_object_at(r, j, path))
    return s;
  check_keys(r, j, path, {"host", "port", "security", "user", "password_env", "from", "ca_file"});
  if (auto* v = find(j, "host"))
    if (auto host = nonempty_string_at(r, *v, member(path, "host")))
      s.host = *host;
  if (auto* v = find(j, "port"))
    if (auto port = integer_at(r, *v, member(path, "port"), 1, 65535))
      s.port = static_cast<std::uint16_t>(*port);
  if (auto* v = find(j, "security")) // choices in the enum's order
    if (auto c = choice_at(r, *v, member(path, "security"), {"none", "starttls", "tls"}))
      s.security = static_cast<smtp_security>(*c);
  if (auto* v = find(j, "user"))
    if (auto user = nonempty_string_at(r, *v, member(path, "user")))
      s.user = *user;
  if (auto* v = find(j, "password_env"))
    if (auto env = env_name_at(r, *v, member(path, "password_env"), "password",
                               "TB_SMTP_PASSWORD"))
      s.password_env = *env;
  if (!s.user.empty() && s.password_env.empty())
    r.add(member(path, "password_env"), "is required with user",
          "name the environment variable that holds the SMTP password, e.g. "
          "\"TB_SMTP_PASSWORD\"");
  if (s.user.empty() && !s.password_env.empty())
    r.add(member(path, "user"), "is required with password_env", "the login to send as");
  if (auto* v = find(j, "from"))
    s.from = address_at(r, *v, member(path, "from"));
  else
    r.add(member(path, "from"), "is required", "the sender's address, e.g. "
                                               "\"trackbridge@example.org\"");
  if (auto* v = find(j, "ca_file"))
    if (auto file = nonempty_string_at(r, *v, member(path, "ca_file"))) {
      std::filesystem::path p{*file};
      s.ca_file = p.is_absolute() ? p.string() : (std::filesystem::path{base_dir} / p).string();
      if (s.security == smtp_security::none)
        r.add(member(path, "ca_file"), "is used only with security \"starttls\" or \"tls\"",
              "set security, or remove ca_file");
    }
  if (s.security == smtp_security::none && !s.user.empty() && !loopback_host(s.host))
    w.add(member(path, "security"),
          "\"none\" sends the SMTP password to " + quote(s.host) + " unencrypted",
          "use \"starttls\" (port 587) or \"tls\" (port 465)");
  return s;
}

std::set<notice_kind> read_events(report& r, const json& j, const std::string& path) {
  std::set<notice_kind> out;
  if (!is_array_at(r, j, path))
    return out;
  if (j.empty())
    r.add(path, "must name at least one event", "one of: " + join(notice_kind_names()));
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto at = element(path, i);
    auto name = nonempty_string_at(r, j[i], at);
    if (!name)
      continue;
    if (auto k = notice_kind_named(*name))
      out.insert(*k);
    else
      r.add(at, quote(*name) + " is not an event",
            did_you_mean(*name, notice_kind_names()) + "one of: " + join(notice_kind_names()));
  }
  return out;
}

void read_recipients(report& r, const json& j, const std::string& path, notification_rule& rule,
                     const connection_types& connections) {
  if (!is_array_at(r, j, path))
    return;
  if (j.empty())
    r.add(path, "must name at least one recipient",
          "an address, or {\"connection\": ..., \"project\": ..., \"role\": ...}");
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto at = element(path, i);
    if (j[i].is_string()) {
      if (auto a = address_at(r, j[i], at); !a.empty())
        rule.addresses.push_back(a);
      continue;
    }
    if (!j[i].is_object()) {
      r.add(at, "must be an e-mail address or a role, " + got(j[i]),
            "e.g. \"ops@example.org\" or {\"connection\": \"rm1\", \"project\": \"alpha\", "
            "\"role\": \"Manager\"}");
      continue;
    }
    check_keys(r, j[i], at, {"connection", "project", "role"});
    role_recipient role;
    role.path = at;
    for (auto [key, into] : {std::pair{"connection", &role.connection},
                             std::pair{"project", &role.project}, std::pair{"role", &role.role}}) {
      if (auto* v = find(j[i], key)) {
        if (auto s = nonempty_string_at(r, *v, member(at, key)))
          *into = *s;
      } else {
        r.add(member(at, key), "is required", "a role is named by connection, project and role");
      }
    }
    if (!role.connection.empty()) {
      auto c = std::find_if(connections.begin(), connections.end(),
                            [&](auto& x) { return x.first == role.connection; });
      if (c == connections.end())
        r.add(member(at, "connection"), "names no configured connection",
              "connections: " + join([&] {
                std::vector<std::string> names;
                for (auto& x : connections)
                  names.push_back(x.first);
                return names;
              }()));
      else if (c->second != "redmine")
        r.add(member(at, "connection"),
              quote(role.connection) + " is a " + c->second + " connection, which has no roles",
              "name a Redmine connection, whose project memberships give the role's members");
    }
    rule.roles.push_back(role);
  }
}

notification_rule read_rule(report& r, const json& j, const std::string& path,
                            const connection_types& connections,
                            const std::vector<std::string>& tasks) {
  notification_rule rule;
  if (!is_object_at(r, j, path))
    return rule;
  check_keys(r, j, path, {"events", "tasks", "to"});
  if (auto* v = find(j, "events"))
    rule.events = read_events(r, *v, member(path, "events"));
  else
    r.add(member(path, "events"), "is required", "one or more of: " + join(notice_kind_names()));
  if (auto* v = find(j, "tasks"); v && is_array_at(r, *v, member(path, "tasks"))) {
    for (std::size_t i = 0; i < v->size(); ++i) {
      auto at = element(member(path, "tasks"), i);
      auto name = nonempty_string_at(r, (*v)[i], at);
      if (!name)
        continue;
      if (std::find(tasks.begin(), tasks.end(), *name) == tasks.end())
        r.add(at, quote(*name) + " is not a configured task",
              did_you_mean(*name, tasks) + "tasks: " + join(tasks));
      else
        rule.tasks.push_back(*name);
    }
  }
  if (auto* v = find(j, "to"))
    read_recipients(r, *v, member(path, "to"), rule, connections);
  else
    r.add(member(path, "to"), "is required", "who gets these events: addresses or roles");
  return rule;
}

} // namespace

bool is_mail_address(const std::string& s) {
  auto at = s.find('@');
  if (at == std::string::npos || at == 0 || s.find('@', at + 1) != std::string::npos)
    return false;
  auto dot = s.find('.', at + 2);
  if (dot == std::string::npos || dot + 1 >= s.size())
    return false;
  return std::none_of(s.begin(), s.end(), [](unsigned char c) {
    return c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"'
           || c == '(' || c == ')' || c == '[' || c == ']' || c == '\\';
  });
}

notifications_config read_notifications(report& r, report& warnings, const json& j,
                                        const std::string& path, const std::string& base_dir,
                                        const connection_types& connections,
                                        const std::vector<std::string>& tasks) {
  notifications_config n;
  if (!is_object_at(r, j, path))
    return n;
  check_keys(r, j, path, {"smtp", "interval_s", "max_per_hour", "api_url", "rules"});
  if (auto* v = find(j, "smtp"))
    n.smtp = read_smtp(r, warnings, *v, member(path, "smtp"), base_dir);
  else
    r.add(member(path, "smtp"), "is required",
          "the server to send through, e.g. {\"host\": \"127.0.0.1\", \"port\": 25, "
          "\"security\": \"none\", \"from\": \"trackbridge@example.org\"}");
  if (auto* v = find(j, "interval_s"))
    if (auto s = integer_at(r, *v, member(path, "interval_s"), 10, max_interval_s))
      n.interval = std::chrono::seconds{*s};
  if (auto* v = find(j, "max_per_hour"))
    if (auto m = integer_at(r, *v, member(path, "max_per_hour"), 1, 1000))
      n.max_per_hour = static_cast<unsigned>(*m);
  if (auto* v = find(j, "api_url"))
    if (auto url = nonempty_string_at(r, *v, member(path, "api_url"))) {
      if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0)
        r.add(member(path, "api_url"), quote(*url) + " is not an http:// or https:// URL",
              "where readers reach this server's API, e.g. \"https://sync.example.org:8443\"");
      else
        n.api_url = url->back() == '/' ? url->substr(0, url->size() - 1) : *url;
    }
  auto rules_path = member(path, "rules");
  if (auto* v = find(j, "rules")) {
    if (is_array_at(r, *v, rules_path)) {
      if (v->empty())
        r.add(rules_path, "must have at least one rule",
              "e.g. {\"events\": [\"error\", \"parked\"], \"to\": [\"ops@example.org\"]}");
      for (std::size_t i = 0; i < v->size(); ++i)
        n.rules.push_back(read_rule(r, (*v)[i], element(rules_path, i), connections, tasks));
    }
  } else {
    r.add(rules_path, "is required", "which events go to whom");
  }
  return n;
}

} // namespace tb::config
