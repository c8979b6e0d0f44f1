#include "adapters/http/proxy.hpp"

#include <algorithm>
#include <cctype>

#include <boost/url/parse.hpp>
#include <openssl/evp.h>

namespace tb::http {

namespace {

namespace urls = boost::urls;

// curl's default when a proxy URL names no port.
constexpr std::uint16_t default_proxy_port = 1080;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string basic(const std::string& user_password) {
  std::string out(4 * ((user_password.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(user_password.data()),
                           static_cast<int>(user_password.size()));
  out.resize(static_cast<std::size_t>(n));
  return "Basic " + out;
}

sync_error invalid(const std::string& where, const std::string& message) {
  return {error_kind::invalid, where, message};
}

// A proxy URL: http://[user:password@]host[:port][/]. `where` names it in
// errors; the URL is not echoed, as it may hold a password.
result<proxy_route> parse_proxy(const std::string& url, const std::string& where,
                                bool credentials_allowed) {
  const std::string example = "e.g. \"http://proxy.corp.example:3128\"";
  auto parsed = urls::parse_uri(url);
  if (!parsed)
    return invalid(where, "not a valid proxy URL (" + parsed.error().message() + "); " + example);
  auto& u = *parsed;
  if (u.scheme_id() != urls::scheme::http)
    return invalid(where, "the proxy must be an http:// URL (the tunnel to an https tracker is "
                          "TLS end to end through it); "
                            + example);
  if (u.host_type() == urls::host_type::none || u.encoded_host().empty())
    return invalid(where, "the proxy URL names no host; " + example);
  if ((!u.encoded_path().empty() && u.encoded_path() != "/") || u.has_query()
      || u.has_fragment())
    return invalid(where, "a proxy URL has no path, query or fragment; " + example);
  proxy_route p;
  p.host = u.host_address();
  p.port = default_proxy_port;
  if (u.has_port() && !u.port().empty()) {
    p.port = u.port_number();
    if (p.port == 0)
      return invalid(where, "the proxy's port must be between 1 and 65535");
  }
  if (u.has_userinfo()) {
    if (!credentials_allowed)
      return invalid(where, "the proxy URL holds a user name or password, which would end up "
                            "in logs; put user:password in an environment variable and name "
                            "it in proxy_auth_env");
    p.authorization = basic(std::string{u.user()} + ":" + std::string{u.password()});
    p.credentials_from = where;
  }
  auto host = p.host.find(':') == std::string::npos ? p.host : "[" + p.host + "]";
  p.shown = "http://" + host + ":" + std::to_string(p.port);
  p.from = where;
  return p;
}

// The first of the variables that is set and not empty: its name and value.
std::optional<std::pair<std::string, std::string>> first_set(
  const env_reader& env, std::initializer_list<const char*> names) {
  for (auto* name : names)
    if (const char* v = env(name); v && *v)
      return std::make_pair(std::string{name}, std::string{v});
  return std::nullopt;
}

// "a.corp.example" of "corp.example", not "xcorp.example".
bool is_subdomain(const std::string& host, const std::string& domain) {
  return host.size() > domain.size()
         && host.compare(host.size() - domain.size(), domain.size(), domain) == 0
         && host[host.size() - domain.size() - 1] == '.';
}

} // namespace

bool exempt_from_proxy(const std::string& no_proxy, const std::string& host) {
  auto h = lower(host);
  std::size_t start = 0;
  while (start <= no_proxy.size()) {
    auto end = no_proxy.find(',', start);
    if (end == std::string::npos)
      end = no_proxy.size();
    auto entry = lower(no_proxy.substr(start, end - start));
    entry.erase(0, entry.find_first_not_of(" \t"));
    entry.erase(entry.find_last_not_of(" \t") + 1);
    if (!entry.empty() && entry.front() == '.')
      entry.erase(0, 1);
    if (entry == "*")
      return true;
    if (!entry.empty() && (h == entry || is_subdomain(h, entry)))
      return true;
    start = end + 1;
  }
  return false;
}

result<std::optional<proxy_route>> choose_proxy(const endpoint& target,
                                                const std::string& configured,
                                                const std::string& credentials,
                                                const std::string& credentials_env,
                                                const std::string& where,
                                                const env_reader& env) {
  if (!configured.empty()) {
    auto p = parse_proxy(configured, where + ".proxy", false);
    if (!p)
      return p.error();
    if (!credentials.empty()) {
      if (credentials.find(':') == std::string::npos)
        return invalid(where + ".proxy_auth_env",
                       "the environment variable " + credentials_env
                         + " must hold user:password for the proxy, with the colon");
      p->authorization = basic(credentials);
      p->credentials_from = credentials_env;
    }
    return std::optional<proxy_route>{*p};
  }
  auto variable = target.https() ? first_set(env, {"https_proxy", "HTTPS_PROXY"})
                                 : first_set(env, {"http_proxy", "HTTP_PROXY"});
  if (!variable)
    return std::optional<proxy_route>{};
  if (auto exempt = first_set(env, {"no_proxy", "NO_PROXY"});
      exempt && exempt_from_proxy(exempt->second, target.host))
    return std::optional<proxy_route>{};
  auto p = parse_proxy(variable->second, "the environment variable " + variable->first, true);
  if (!p)
    return p.error();
  p->from = variable->first;
  if (!p->credentials_from.empty())
    p->credentials_from = variable->first;
  return std::optional<proxy_route>{*p};
}

} // namespace tb::http
