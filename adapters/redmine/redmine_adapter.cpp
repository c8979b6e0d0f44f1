#include "adapters/redmine/redmine_adapter.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <thread>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "adapters/http/retry.hpp"
#include "domain/time.hpp"

namespace tb::redmine {

using json = nlohmann::json;

namespace {

std::string encode(const std::string& s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

std::string seconds_utc(timestamp t) {
  auto s = to_rfc3339(t - (t % 1000 + 1000) % 1000); // "...:SS.000Z"
  return s.substr(0, 19) + "Z";
}

// "GET /issues/7.json", without the query: how errors name a request.
std::string request_named(const std::string& method, const std::string& target) {
  return method + " " + target.substr(0, target.find('?'));
}

// A reader's bad_answer located: where, and the request it answered.
template <class T>
result<T> located(result<T> r, const std::string& where, const std::string& request) {
  if (r || r.error().kind != error_kind::bad_answer)
    return r;
  auto err = r.error();
  err.where = where;
  err.message = "Redmine's answer to " + request + " could not be read: " + err.message;
  return err;
}

// At most `n` bytes of a body for a message, never cutting a UTF-8 character.
std::string excerpt(const std::string& body, std::size_t n) {
  if (body.size() <= n)
    return body;
  while (n > 0 && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80)
    --n;
  return body.substr(0, n) + "...";
}

} // namespace

// --- calls -----------------------------------------------------------------------

adapter::adapter(settings s, std::shared_ptr<catalog> shared)
  : settings_(std::move(s)),
    catalog_(std::move(shared)),
    client_(settings_.endpoint, "connection " + settings_.connection,
            http::client_options{.request_timeout = settings_.timeout,
                                 .max_body = settings_.max_answer,
                                 .tally = settings_.tally,
                                 .tls = settings_.tls,
                                 .proxy = settings_.proxy}) {
}

std::string adapter::where(const std::string& project, const std::string& issue) const {
  auto out = "connection " + settings_.connection;
  if (!project.empty())
    out += ", project " + project;
  if (!issue.empty())
    out += ", issue " + issue;
  return out;
}

result<json> adapter::call(const std::string& method, const std::string& target,
                           const json& body, const std::string& as_user) {
  http::request req;
  req.method = method;
  req.target = target;
  if (!body.is_null())
    req.body = body.dump();
  auto res = exchange(std::move(req), as_user);
  if (!res)
    return res.error();
  if (res->body.empty())
    return json{};
  return located(parse_answer(res->body), where(""), request_named(method, target));
}

result<http::response> adapter::exchange(http::request req, const std::string& as_user) {
  req.headers["X-Redmine-API-Key"] = settings_.api_key;
  if (!as_user.empty())
    req.headers["X-Redmine-Switch-User"] = as_user;
  auto res = http::send_repeating(
    req, [this](const http::request& r) { return client_.send(r); }, http::retry_policy{},
    [](std::chrono::milliseconds wait) { std::this_thread::sleep_for(wait); },
    [this] { return std::uniform_real_distribution<double>{0.0, 1.0}(jitter_); });
  if (!res)
    return res.error();
  auto what = request_named(req.method, req.target);
  auto kind = error_kind::internal;
  std::string message;
  switch (res->status) {
    case 200:
    case 201:
    case 204:
      return res;
    case 401:
      kind = error_kind::invalid;
      message = "Redmine refused the API key (401): check the key in the connection's "
                "api_key_env variable and that Redmine's REST API is enabled";
      break;
    case 403:
      kind = error_kind::invalid;
      message = "forbidden (403): the API key's user may not do " + what;
      break;
    case 404:
      kind = error_kind::not_found;
      message = what + ": not found (404)";
      break;
    case 412:
      kind = error_kind::conflict;
      message = "Redmine has no active user " + as_user + " to act as (412)";
      break;
    case 422:
      kind = error_kind::invalid;
      message = "Redmine refused it (422): ";
      if (auto parsed = parse_answer(res->body); parsed && !refusals_of(*parsed).empty())
        message += refusals_of(*parsed);
      else
        message += excerpt(res->body, 500);
      break;
    default:
      kind = res->status == 429 || res->status >= 500 ? error_kind::unavailable
                                                      : error_kind::internal;
      message = what + " answered " + std::to_string(res->status);
  }
  sync_error err{kind, where(""), message};
  if (auto wait = http::retry_after_of(*res, now_ms())) {
    err.retry_after_ms = wait->count();
    err.message += " (it asks to wait " + std::to_string(wait->count() / 1000) + " s)";
  }
  return err;
}

// --- names and ids ----------------------------------------------------------------

name_lookup adapter::names() {
  return [this](catalog::kind k, long n) -> std::optional<std::string> {
    auto name = name_of(k, n);
    return name ? std::optional<std::string>{*name} : std::nullopt;
  };
}

result<unit> adapter::load_enumerations() {
  if (enumerations_loaded_)
    return unit{};
  struct listing {
    const char* target;
    const char* key;
    catalog::kind kind;
  };
  for (auto l : {listing{"/issue_statuses.json", "issue_statuses", catalog::status},
                 listing{"/trackers.json", "trackers", catalog::tracker},
                 listing{"/enumerations/issue_priorities.json", "issue_priorities",
                         catalog::priority}}) {
    auto j = call("GET", l.target);
    if (!j)
      return j.error();
    auto items = located(named_items(*j, l.key), where(""), request_named("GET", l.target));
    if (!items)
      return items.error();
    for (auto& item : *items)
      catalog_->put(l.kind, item.id, item.name);
  }
  enumerations_loaded_ = true;
  return unit{};
}

result<project_info> adapter::project_answer(const std::string& project,
                                            const std::string& include) {
  auto target = "/projects/" + encode(project) + ".json?include=" + include;
  auto j = call("GET", target);
  if (!j) {
    auto err = j.error();
    err.where = where(project);
    if (err.kind == error_kind::not_found)
      err.message = "Redmine has no project with the identifier " + project;
    return err;
  }
  return located(project_of(*j), where(project), request_named("GET", target));
}

result<tracker_catalogue> adapter::read_catalogue(const std::string& project) {
  auto p = project_answer(project, "trackers,issue_custom_fields,time_entry_activities");
  if (!p)
    return p.error();
  using takes = field_catalogue::takes;
  tracker_catalogue out{where(project)};
  auto& fields = out.fields.emplace();
  for (auto& name : core_fields())
    fields[name] = {};
  // Categories and versions are made when a write needs them.
  fields[core_field::assignee] = {takes::users, {}};
  auto& trackers = fields[core_field::tracker] = {takes::listed, {}};
  for (auto& t : p->trackers)
    trackers.values.insert(t.name);
  // Not an issue field: the time entries' activities, which value_mappings
  // may map under "activity".
  auto& activities = fields["activity"] = {takes::listed, {}};
  for (auto& a : p->activities)
    activities.values.insert(a.name);
  struct listing {
    const char* target;
    const char* key;
    const char* field;
  };
  for (auto l : {listing{"/issue_statuses.json", "issue_statuses", core_field::status},
                 listing{"/enumerations/issue_priorities.json", "issue_priorities",
                         core_field::priority}}) {
    auto answer = call("GET", l.target);
    if (!answer)
      return answer.error();
    auto items = located(named_items(*answer, l.key), where(project),
                         request_named("GET", l.target));
    if (!items)
      return items.error();
    auto& f = fields[l.field] = {takes::listed, {}};
    for (auto& item : *items)
      f.values.insert(item.name);
  }
  for (auto& cf : p->custom_fields)
    if (cf.name != alt_id_field_name)
      fields[cf.name] = {};
  if (auto read = read_field_formats(out); !read)
    return read.error();
  if (auto read = read_users(out); !read)
    return read.error();
  return out;
}

result<unit> adapter::read_field_formats(tracker_catalogue& out) {
  auto answer = call("GET", "/custom_fields.json");
  if (!answer && answer.error().kind == error_kind::unavailable)
    return answer.error();
  if (!answer) {
    out.more_fields = true; // those enabled for all projects are not in the project's list
    out.unread.push_back("the custom fields and their list values, which only an "
                         "administrator's API key may read: " + answer.error().message);
    return unit{};
  }
  auto formats = located(issue_field_formats(*answer), out.where, "GET /custom_fields.json");
  if (!formats)
    return formats.error();
  using takes = field_catalogue::takes;
  // Every issue field counts as the project's: the API does not tell those
  // enabled for all projects from those of other projects.
  const auto& project_trackers = out.fields->at(core_field::tracker).values;
  for (auto& f : *formats) {
    if (f.name == alt_id_field_name)
      continue;
    auto i = out.fields->try_emplace(f.name).first;
    if (f.format == "list")
      i->second = {takes::listed, {f.values.begin(), f.values.end()}};
    else if (f.format == "user")
      i->second = {takes::users, {}};
    std::set<std::string> has_it;
    for (auto& t : f.trackers)
      if (project_trackers.count(t))
        has_it.insert(t);
    if (has_it.size() < project_trackers.size())
      i->second.trackers = std::move(has_it);
  }
  return unit{};
}

result<unit> adapter::read_users(tracker_catalogue& out) {
  // Bounded: a page per 100 users, up to 100,000 users.
  constexpr std::size_t page = 100, most_pages = 1000;
  std::set<std::string> logins;
  for (std::size_t n = 0; n < most_pages; ++n) {
    auto target = "/users.json?limit=" + std::to_string(page) + "&offset="
                  + std::to_string(n * page);
    auto answer = call("GET", target);
    if (!answer && answer.error().kind == error_kind::unavailable)
      return answer.error();
    if (!answer) {
      out.unread.push_back("the users, which only an administrator's API key may list: "
                           + answer.error().message);
      return unit{};
    }
    auto users = located(users_of(*answer), out.where, request_named("GET", target));
    if (!users)
      return users.error();
    logins.insert(users->logins.begin(), users->logins.end());
    if (users->logins.empty() || (n + 1) * page >= users->total) {
      out.users = std::move(logins);
      return unit{};
    }
  }
  out.unread.push_back("the users: more than " + std::to_string(page * most_pages));
  return unit{};
}

result<long> adapter::project_id(const std::string& project) {
  if (auto id = catalog_->id(catalog::project, project))
    return *id;
  return read_project(project);
}

result<long> adapter::read_project(const std::string& project) {
  auto p = project_answer(project, "issue_custom_fields,time_entry_activities");
  if (!p)
    return p.error();
  for (auto& cf : p->custom_fields)
    catalog_->put(catalog::custom_field, cf.id, cf.name);
  for (auto& a : p->activities)
    catalog_->put(catalog::activity, a.id, project + "\n" + a.name);
  catalog_->put(catalog::project, p->id, project);
  return p->id;
}

result<std::string> adapter::name_of(catalog::kind k, long id) {
  if (id == 0)
    return std::string{};
  if (auto n = catalog_->name(k, id))
    return *n;
  std::string target, key, field = "name";
  switch (k) {
    case catalog::user:
      target = "/users/" + std::to_string(id) + ".json", key = "user", field = "login";
      break;
    case catalog::category:
      target = "/issue_categories/" + std::to_string(id) + ".json", key = "issue_category";
      break;
    case catalog::version:
      target = "/versions/" + std::to_string(id) + ".json", key = "version";
      break;
    default:
      if (auto loaded = load_enumerations(); !loaded)
        return loaded.error();
      if (auto n = catalog_->name(k, id))
        return *n;
      return std::to_string(id); // deleted since: its id is all that is left
  }
  auto j = call("GET", target);
  if (!j)
    return std::to_string(id); // deleted, or not visible to this key
  auto name = located(text_in(*j, key.c_str(), field.c_str()), where(""),
                      request_named("GET", target));
  if (!name)
    return name.error();
  catalog_->put(k, id, *name);
  return *name;
}

result<long> adapter::id_of(catalog::kind k, const std::string& name,
                            const std::string& project) {
  auto scoped = (k == catalog::category || k == catalog::version || k == catalog::activity)
                  ? project + "\n" + name
                  : name;
  if (auto id = catalog_->id(k, scoped))
    return *id;
  switch (k) {
    case catalog::status:
    case catalog::priority:
    case catalog::tracker:
      return enumeration_id(k, name, project);
    case catalog::user:
      return user_id(name, project);
    case catalog::custom_field:
      return custom_field_id(name, project);
    case catalog::activity:
      return activity_id(name, project);
    case catalog::time_entry_field:
      return time_entry_field_id(name, project);
    case catalog::category:
    case catalog::version:
      return listed_or_made_id(k, name, project);
    case catalog::project:
      break;
  }
  return project_id(name);
}

result<long> adapter::enumeration_id(catalog::kind k, const std::string& name,
                                     const std::string& project) {
  auto at = [&](const char* field) { return where(project) + ", field " + field; };
  if (auto loaded = load_enumerations(); !loaded)
    return loaded.error();
  if (auto id = catalog_->id(k, name))
    return *id;
  const char* field = k == catalog::status ? "status" : k == catalog::priority ? "priority"
                                                                                : "tracker";
  return sync_error{error_kind::invalid, at(field),
                    std::string{"Redmine has no "} + field + " named \"" + name
                      + "\": add it in Redmine's administration, or map the value"};
}

result<long> adapter::user_id(const std::string& name, const std::string& project) {
  auto at = [&](const char* field) { return where(project) + ", field " + field; };
  auto j = call("GET", "/users.json?name=" + encode(name) + "&limit=100");
  // A key that may not list users (403) finds none: the error says so.
  if (!j && (j.error().kind == error_kind::unavailable
             || j.error().kind == error_kind::bad_answer))
    return j.error();
  auto users = j ? located(named_items(*j, "users", "login"), at("assignee"),
                           "GET /users.json")
                 : result<std::vector<named>>{std::vector<named>{}};
  if (!users)
    return users.error();
  for (auto& u : *users)
    if (u.name == name) {
      catalog_->put(catalog::user, u.id, name);
      return u.id;
    }
  return sync_error{error_kind::invalid, at("assignee"),
                    "Redmine has no active user with the login \"" + name + "\""};
}

// The fields read from /custom_fields.json, put into the catalog as k.
result<unit> adapter::put_fields(catalog::kind k, result<std::vector<named>> fields,
                                 const std::string& project) {
  auto read = located(std::move(fields), where(project), "GET /custom_fields.json");
  if (!read)
    return read.error();
  for (auto& cf : *read)
    catalog_->put(k, cf.id, cf.name);
  return unit{};
}

result<long> adapter::custom_field_id(const std::string& name, const std::string& project) {
  auto k = catalog::custom_field;
  if (auto pid = project_id(project); !pid)
    return pid.error();
  if (auto id = catalog_->id(k, name))
    return *id;
  // A project lists only the fields enabled for it one by one; fields
  // "for all projects" are in the global list (admin keys only).
  if (auto all = call("GET", "/custom_fields.json"))
    if (auto put = put_fields(k, issue_custom_fields(*all), project); !put)
      return put.error();
  if (auto id = catalog_->id(k, name))
    return *id;
  return sync_error{error_kind::invalid, where(project) + ", field " + name,
                    "project " + project + " has no custom field named \"" + name
                      + "\": enable it for the project, or map the field to another name"};
}

result<long> adapter::activity_id(const std::string& name, const std::string& project) {
  auto at = [&](const char* field) { return where(project) + ", field " + field; };
  auto k = catalog::activity;
  auto scoped = project + "\n" + name;
  if (auto pid = project_id(project); !pid)
    return pid.error();
  if (auto id = catalog_->id(k, scoped))
    return *id;
  // Activated since the project was first read? Read it again.
  if (auto pid = read_project(project); !pid)
    return pid.error();
  if (auto id = catalog_->id(k, scoped))
    return *id;
  return sync_error{error_kind::invalid, at("activity"),
                    "project " + project + " has no time entry activity named \"" + name
                      + "\": add it in Redmine (Administration, Enumerations, Activities"
                        " (time tracking)) or activate it in the project's settings"};
}

result<long> adapter::time_entry_field_id(const std::string& name,
                                          const std::string& project) {
  auto k = catalog::time_entry_field;
  // Only the global list has them (an administrator's key).
  auto all = call("GET", "/custom_fields.json");
  if (!all && all.error().kind != error_kind::unavailable)
    return sync_error{all.error().kind, where(project) + ", time entry field " + name,
                      "the key cannot list custom fields (" + all.error().message
                        + "): time entries' custom fields need an administrator's key"};
  if (!all)
    return all.error();
  if (auto put = put_fields(k, time_entry_custom_fields(*all), project); !put)
    return put.error();
  if (auto id = catalog_->id(k, name))
    return *id;
  return sync_error{error_kind::invalid, where(project) + ", time entry field " + name,
                    "Redmine has no time entry custom field named \"" + name
                      + "\": add it (Administration, Custom fields, Spent time), or map"
                        " the field to another name"};
}

// Categories and versions are listed per project; one that is missing is
// created right now, just before the write that needs it.
result<long> adapter::listed_or_made_id(catalog::kind k, const std::string& name,
                                        const std::string& project) {
  auto at = [&](const char* field) { return where(project) + ", field " + field; };
  auto scoped = project + "\n" + name;
  bool category = k == catalog::category;
  auto base = "/projects/" + encode(project) + (category ? "/issue_categories.json"
                                                         : "/versions.json");
  auto listed = [&]() -> result<std::optional<long>> {
    auto j = call("GET", base);
    if (!j)
      return j.error();
    auto items = located(named_items(*j, category ? "issue_categories" : "versions"),
                         where(project), "GET " + base);
    if (!items)
      return items.error();
    for (auto& item : *items) {
      catalog_->put(k, item.id, item.name);
      catalog_->put(k, item.id, project + "\n" + item.name);
    }
    return catalog_->id(k, scoped);
  };
  auto found = listed();
  if (!found)
    return found.error();
  if (*found)
    return **found;
  auto key = category ? "issue_category" : "version";
  auto made = call("POST", base, json{{key, {{"name", name}}}});
  if (!made) {
    // Another worker of this connection may have just made the same one.
    if (auto again = listed(); again && *again)
      return **again;
    auto err = made.error();
    err.where = at(category ? "category" : "version");
    return err;
  }
  auto made_id = located(id_in(*made, key), at(category ? "category" : "version"),
                         "POST " + base);
  if (!made_id)
    return made_id.error();
  auto id = *made_id;
  catalog_->put(k, id, name);
  catalog_->put(k, id, scoped);
  return id;
}

result<long> adapter::alt_id_field(const std::string& project) {
  if (alt_id_looked_up_)
    return alt_id_field_.value_or(0);
  auto id = id_of(catalog::custom_field, alt_id_field_name, project);
  if (!id && id.error().kind != error_kind::invalid)
    return id.error(); // could not look; ask again next time
  alt_id_looked_up_ = true;
  if (id)
    alt_id_field_ = *id;
  return alt_id_field_.value_or(0);
}

// --- reading ------------------------------------------------------------------------

result<std::vector<issue_stamp>> adapter::changed_since(const std::string& project,
                                                        timestamp since, std::size_t limit) {
  return listed(project, since, limit, "");
}

result<std::vector<issue_stamp>> adapter::changed_since_narrowed(const std::string& project,
                                                                 timestamp since,
                                                                 std::size_t limit,
                                                                 const listing_narrowing& only) {
  auto filters = listing_filters(project, only);
  if (!filters)
    return filters.error();
  if (!*filters)
    return std::vector<issue_stamp>{};
  if (only.updated_from)
    since = std::max(since, *only.updated_from);
  return listed(project, since, limit, **filters);
}

// Each condition as Redmine's short filter "field==v1|v2" ("=" first, so a
// value that begins like an operator is read as a value). A name Redmine
// has no id for is left out: the listing is then wider, never narrower.
result<std::optional<std::string>> adapter::listing_filters(const std::string& project,
                                                            const listing_narrowing& only) {
  std::string out;
  for (auto& [field, values] : only.any_of) {
    if (values.empty())
      return std::optional<std::string>{}; // nothing can meet it
    std::string param;
    std::vector<std::string> ids;
    auto by_id = [&](catalog::kind k) -> std::optional<sync_error> {
      for (auto& v : values) {
        auto id = id_of(k, v, project);
        if (!id && id.error().kind == error_kind::unavailable)
          return id.error();
        if (!id)
          return std::nullopt; // unknown here: not narrowed by this field
        ids.push_back(std::to_string(*id));
      }
      return std::nullopt;
    };
    std::optional<sync_error> err;
    if (field == core_field::status)
      param = "status_id", err = by_id(catalog::status);
    else if (field == core_field::tracker)
      param = "tracker_id", err = by_id(catalog::tracker);
    else if (field == core_field::priority)
      param = "priority_id", err = by_id(catalog::priority);
    else if (field == core_field::assignee)
      param = "assigned_to_id", err = by_id(catalog::user);
    else if (!is_core_field(field)) {
      auto cf = id_of(catalog::custom_field, field, project);
      if (!cf && cf.error().kind == error_kind::unavailable)
        return cf.error();
      if (cf) {
        param = "cf_" + std::to_string(*cf);
        for (auto& v : values)
          if (v.find('|') == std::string::npos)
            ids.push_back(v);
        if (ids.size() != values.size())
          ids.clear(); // a value with the separator in it: not narrowed by this field
      }
    }
    if (err)
      return *err;
    if (param.empty() || ids.size() != values.size())
      continue;
    std::string joined;
    for (auto& v : ids)
      joined += (joined.empty() ? "" : "|") + v;
    out += "&" + param + "=" + encode("=" + joined);
  }
  if (only.created_from)
    out += "&created_on=" + encode(">=" + seconds_utc(*only.created_from));
  return std::optional<std::string>{out};
}

result<timestamp> adapter::newest_change(const std::string& project) {
  auto pid = project_id(project);
  if (!pid)
    return pid.error();
  auto j = call("GET", "/issues.json?project_id=" + std::to_string(*pid)
                         + "&subproject_id=!*&status_id=*&sort=updated_on:desc,id:desc&limit=1");
  if (!j)
    return j.error();
  auto page = located(listing_of(*j), where(project), "GET /issues.json");
  if (!page)
    return page.error();
  return page->issues.empty() ? timestamp{0} : page->issues.front().updated;
}

result<std::vector<issue_stamp>> adapter::listed(const std::string& project, timestamp since,
                                                 std::size_t limit, const std::string& filters) {
  auto pid = project_id(project);
  if (!pid)
    return pid.error();
  // Every status, unless the filters name some.
  auto statuses = filters.find("&status_id=") == std::string::npos ? "&status_id=*" : "";
  // Redmine's updated_on has whole seconds: ask from the second `since` is in.
  std::vector<issue_stamp> out;
  for (std::size_t offset = 0; out.size() < limit;) {
    auto page = std::min<std::size_t>(100, limit - out.size());
    auto j = call("GET", "/issues.json?project_id=" + std::to_string(*pid) + "&subproject_id=!*"
                           + statuses + filters + "&updated_on=%3E%3D"
                           + encode(seconds_utc(since)) + "&sort=updated_on,id&limit="
                           + std::to_string(page) + "&offset=" + std::to_string(offset));
    if (!j)
      return j.error();
    auto listed = located(listing_of(*j), where(project), "GET /issues.json");
    if (!listed)
      return listed.error();
    auto& issues = listed->issues;
    out.insert(out.end(), issues.begin(), issues.end());
    offset += issues.size();
    if (issues.size() < page || offset >= listed->total)
      break;
  }
  return out;
}

result<issue> adapter::read_issue(const std::string& project, const std::string& id) {
  auto pid = project_id(project);
  if (!pid)
    return pid.error();
  auto target = "/issues/" + encode(id) + ".json?include=journals,attachments,relations,watchers";
  auto j = call("GET", target);
  if (!j) {
    auto err = j.error();
    err.where = where(project, id);
    return err;
  }
  auto read = located(issue_of(*j, project, *pid, *catalog_, names()), where(project, id),
                      request_named("GET", target));
  if (!read && read.error().kind == error_kind::not_found)
    return sync_error{error_kind::not_found, where(project, id),
                      "issue " + id + " is not in project " + project};
  return read;
}

// --- writing ------------------------------------------------------------------------

result<json> adapter::to_redmine_fields(const replica_write& w, const std::string& project,
                                        const std::string& issue_id) {
  json fields = json::object();
  json custom = json::array();
  for (auto& c : w.changes) {
    auto& v = c.new_value;
    auto as_id = [&](catalog::kind k, const char* key) -> std::optional<sync_error> {
      if (v.empty()) {
        fields[key] = "";
        return std::nullopt;
      }
      auto id = id_of(k, v, project);
      if (!id) {
        auto err = id.error();
        if (!issue_id.empty())
          err.where = where(project, issue_id) + ", field " + c.field;
        return err;
      }
      fields[key] = *id;
      return std::nullopt;
    };
    std::optional<sync_error> err;
    if (c.field == "status")
      err = as_id(catalog::status, "status_id");
    else if (c.field == "priority")
      err = as_id(catalog::priority, "priority_id");
    else if (c.field == "tracker")
      err = as_id(catalog::tracker, "tracker_id");
    else if (c.field == "assignee")
      err = as_id(catalog::user, "assigned_to_id");
    else if (c.field == "category")
      err = as_id(catalog::category, "category_id");
    else if (c.field == "version")
      err = as_id(catalog::version, "fixed_version_id");
    else if (c.field == "parent")
      fields["parent_issue_id"] = v; // already the twin's id here
    else if (c.field == core_field::is_private)
      fields["is_private"] = v == "true" || v == "1";
    else if (is_core_field(c.field))
      fields[c.field] = v; // subject, description, dates, done_ratio, estimated_hours
    else if (auto id = id_of(catalog::custom_field, c.field, project); id)
      custom.push_back({{"id", *id}, {"value", v}});
    else
      err = id.error();
    if (err)
      return *err;
  }
  if (!w.alt_id.empty())
    if (auto field = alt_id_field(project); field && *field != 0)
      custom.push_back({{"id", *field}, {"value", w.alt_id}});
  if (!custom.empty())
    fields["custom_fields"] = custom;
  return fields;
}

result<std::string> adapter::acting_user(const std::string& author) {
  if (settings_.act_as_author && !author.empty())
    return author;
  if (api_user_.empty()) {
    auto j = call("GET", "/users/current.json");
    if (!j)
      return j.error();
    auto login = located(text_in(*j, "user", "login"), where(""), "GET /users/current.json");
    if (!login)
      return login.error();
    api_user_ = *login;
  }
  return std::string{};
}

std::string adapter::notes_of(const replica_write& w, bool acting) {
  if (acting || w.author.empty())
    return w.comment;
  // Written as the API key's user: the entry's author goes into the notes.
  return "_(by " + w.author + ")_" + (w.comment.empty() ? "" : "\n\n" + w.comment);
}

namespace {

// The value a write gives the field, or `otherwise` when it leaves it alone.
std::string written_value(const replica_write& w, const std::string& field,
                          const std::string& otherwise) {
  for (auto& c : w.changes)
    if (c.field == field)
      return c.new_value;
  return otherwise;
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (auto& id : ids)
    out += (out.empty() ? "" : ", ") + id;
  return out;
}

} // namespace

result<std::optional<std::string>> adapter::mirror_of(const std::string& project,
                                                      const std::string& other,
                                                      const issue& before, const std::string& user,
                                                      const relation_change& reversed) {
  auto after = read_issue(project, other);
  if (!after)
    return after.error();
  auto record = attribute_relation_record(before, *after, user, reversed);
  if (!record.ambiguous.empty())
    return sync_error{error_kind::conflict, where(project, other),
                      "journals " + joined(record.ambiguous) + " could each be Redmine's record "
                        "of the " + reversed.link.type + " relation TrackBridge just wrote; none "
                        "is taken for TrackBridge's, and the sync is tried again"};
  if (record.entry_ids.empty())
    return std::optional<std::string>{};
  return std::optional<std::string>{record.entry_ids.front()};
}

std::vector<dropped_change> adapter::dropped_of(const std::vector<field_change>& dropped,
                                                const issue& issue, const std::string& user,
                                                bool creating) {
  auto value = [&](const char* field) {
    auto v = issue.fields.find(field);
    return v == issue.fields.end() ? std::string{} : v->second;
  };
  auto roles = "the roles of " + user + " in project " + issue.project;
  std::vector<dropped_change> out;
  for (auto& c : dropped) {
    std::string hint;
    if (c.field == core_field::status && creating)
      hint = roles + " may not create issues of tracker " + value(core_field::tracker)
             + " with status " + c.new_value
             + ": allow it in Redmine (Administration -> Workflow -> Status transitions, the "
               "row for new issues), or map the status";
    else if (c.field == core_field::status)
      hint = roles + " have no workflow transition from " + c.old_value + " to " + c.new_value
             + " for tracker " + value(core_field::tracker)
             + ": allow it in Redmine (Administration -> Workflow -> Status transitions), or "
               "map the status";
    else
      hint = "the field is read-only for " + roles + " (tracker " + value(core_field::tracker)
             + ", status " + value(core_field::status)
             + "): make it writable in Redmine (Administration -> Workflow -> Fields "
               "permissions), or enable it for the tracker";
    if (c.field == core_field::priority || c.field == core_field::done_ratio
        || c.field == core_field::start_date || c.field == core_field::due_date)
      hint += "; on a parent task, Redmine derives it from the subtasks unless Administration "
              "-> Settings -> Issue tracking -> Parent tasks attributes says independent";
    out.push_back({c, user, hint});
  }
  return out;
}

result<json> adapter::call_as(const std::string& method, const std::string& target,
                              const json& body, std::string& as) {
  auto r = call(method, target, body, as);
  if (!r && r.error().kind == error_kind::conflict && !as.empty()) {
    as.clear(); // no such user here: the key's user does it
    r = call(method, target, body);
  }
  return r;
}

result<std::vector<std::pair<long, relation>>> adapter::relations_of(const std::string& id) {
  auto j = call("GET", "/issues/" + encode(id) + "/relations.json");
  if (!j)
    return j.error();
  return located(tb::redmine::relations_of(*j, id), where("", id),
                 "GET /issues/" + id + "/relations.json");
}

result<std::vector<adapter::parent_record>> adapter::parents_before(
  const std::string& project, const std::string& old_parent, const std::string& new_parent,
  const std::string& child) {
  std::vector<parent_record> out;
  if (old_parent == new_parent)
    return out;
  for (auto [id, added] : {std::pair{old_parent, false}, std::pair{new_parent, true}}) {
    if (id.empty())
      continue;
    auto before = read_issue(project, id);
    if (!before) {
      if (before.error().kind == error_kind::not_found)
        continue; // not in the project: nothing of it is synced
      return before.error();
    }
    out.push_back({std::move(*before), {child, added}});
  }
  return out;
}

void adapter::claim_parent_records(const std::string& project,
                                   std::vector<parent_record>& parents, const std::string& child,
                                   const std::string& user, write_result& out) {
  for (auto& p : parents) {
    p.record.child = child; // a creation knows its id only now
    auto after = read_issue(project, p.before.id);
    if (!after)
      continue; // unclaimed: see the header
    auto record = attribute_child_record(p.before, *after, user, p.record);
    if (record.entry_ids.size() == 1)
      out.mirrored.push_back({p.before.id, record.entry_ids.front()});
  }
}

result<unit> adapter::write_relations(const std::string& project, const std::string& id,
                                      const std::vector<relation_change>& links, std::string& as,
                                      made_write& made, write_result& out) {
  if (links.empty())
    return unit{};
  auto listed = relations_of(id);
  if (!listed)
    return listed.error();
  auto find = [](const std::vector<std::pair<long, relation>>& in, const relation& r) {
    return std::find_if(in.begin(), in.end(), [&](auto& x) { return x.second == r; });
  };
  for (auto& r : links) {
    auto at = [&](sync_error err) {
      err.where = where("", id) + ", relation " + r.link.type + " " + r.link.other;
      return err;
    };
    auto have = find(*listed, r.link);
    if (r.added == (have != listed->end()))
      continue; // already so: the related issue's record of it came first
    // The related issue records the relation too: its journals just before,
    // so its record is told from the journals others add meanwhile.
    auto other_before = read_issue(project, r.link.other);
    if (!other_before)
      return at(other_before.error());
    if (r.added) {
      json body{{"issue_to_id", std::atol(r.link.other.c_str())},
                {"relation_type", r.link.type}};
      if (r.link.type == "precedes" || r.link.type == "follows")
        body["delay"] = r.link.delay;
      auto made_it = call_as("POST", "/issues/" + encode(id) + "/relations.json",
                             json{{"relation", body}}, as);
      if (!made_it) {
        // Made meanwhile by the related issue's own sync: done.
        if (auto again = relations_of(id); again && find(*again, r.link) != again->end())
          continue;
        return at(made_it.error());
      }
    } else {
      auto gone = call_as("DELETE", "/relations/" + std::to_string(have->first) + ".json",
                          nullptr, as);
      if (!gone && gone.error().kind == error_kind::not_found)
        continue;
      if (!gone)
        return at(gone.error());
    }
    made.relations.push_back(r);
    // That journal is TrackBridge's as well, never to be synced back.
    auto mirror = mirror_of(project, r.link.other, *other_before, as.empty() ? api_user_ : as,
                            {{reverse_relation(r.link.type), id}, r.added});
    if (!mirror)
      return at(mirror.error());
    if (*mirror)
      out.mirrored.push_back({r.link.other, **mirror});
  }
  return unit{};
}

result<std::string> adapter::read_attachment(const std::string& file_id) {
  http::request req;
  req.target = "/attachments/download/" + encode(file_id);
  auto res = exchange(std::move(req), "");
  if (!res) {
    auto err = res.error();
    err.where = where("") + ", file " + file_id;
    if (err.kind == error_kind::not_found)
      err.message = "Redmine has no file " + file_id + " any more";
    return err;
  }
  return std::move(res->body);
}

result<json> adapter::upload(const attachment_change& a, std::string& as) {
  auto send = [&] {
    http::request req;
    req.method = "POST";
    req.target = "/uploads.json?filename=" + encode(a.file.filename);
    req.content_type = "application/octet-stream";
    req.body = a.content;
    return exchange(std::move(req), as);
  };
  auto res = send();
  if (!res && res.error().kind == error_kind::conflict && !as.empty()) {
    as.clear(); // no such user here: the key's user uploads it
    res = send();
  }
  if (!res) {
    auto err = res.error();
    err.where = where("") + ", file " + a.file.filename;
    return err;
  }
  auto at = where("") + ", file " + a.file.filename;
  auto up = located(parse_answer(res->body), at, "POST /uploads.json");
  if (!up)
    return up.error();
  auto ticket = located(upload_of(*up), at, "POST /uploads.json");
  if (!ticket)
    return ticket.error();
  json file = {{"token", ticket->token}, {"filename", a.file.filename}};
  if (!a.file.content_type.empty())
    file["content_type"] = a.file.content_type;
  if (!a.file.description.empty())
    file["description"] = a.file.description;
  // The upload is already the attachment: its id is the file's id.
  return json{{"file", file}, {"id", ticket->id}};
}

result<json> adapter::uploads_of(const replica_write& w, std::string& as, write_result& out) {
  json uploads = json::array();
  for (auto& a : w.attachments) {
    if (!a.added)
      continue;
    auto up = upload(a, as);
    if (!up)
      return up.error();
    uploads.push_back((*up)["file"]);
    out.attachment_ids.push_back((*up)["id"].get<std::string>());
  }
  return uploads;
}

result<write_result> adapter::create_issue(const std::string& project, const replica_write& w) {
  auto pid = project_id(project);
  if (!pid)
    return pid.error();
  auto fields = to_redmine_fields(w, project, "");
  if (!fields)
    return fields.error();
  (*fields)["project_id"] = *pid;
  auto as = acting_user(w.author);
  if (!as)
    return as.error();
  if (api_user_.empty()) // a fallback below writes as the key's user
    if (auto me = acting_user(""); !me)
      return me.error();
  write_result out;
  auto uploads = uploads_of(w, *as, out);
  if (!uploads)
    return uploads.error();
  if (!uploads->empty())
    (*fields)["uploads"] = *uploads;
  auto parents = parents_before(project, "", written_value(w, core_field::parent, ""), "");
  if (!parents)
    return parents.error();
  auto made = call("POST", "/issues.json", json{{"issue", *fields}}, *as);
  if (!made && made.error().kind == error_kind::conflict && !as->empty()) {
    as = std::string{}; // no such user here: write as the key's user
    made = call("POST", "/issues.json", json{{"issue", *fields}});
  }
  if (!made) {
    auto err = made.error();
    err.where = where(project);
    return err;
  }
  auto created = located(created_of(*made), where(project), "POST /issues.json");
  if (!created)
    return created.error();
  out.issue_id = created->id;
  out.updated = created->updated;
  out.entry_ids.push_back("issue-" + out.issue_id);
  // The answer is the new issue: what it lacks of the write, Redmine dropped.
  auto as_made = located(issue_of(*made, project, *pid, *catalog_, names()),
                         where(project, out.issue_id), "POST /issues.json");
  if (!as_made)
    return as_made.error();
  out.dropped = dropped_of(not_created(*as_made, w.changes), *as_made,
                           as->empty() ? api_user_ : *as, true);
  claim_parent_records(project, *parents, out.issue_id, as->empty() ? api_user_ : *as, out);
  if (w.comment.empty())
    return out;
  // Redmine's creation has no comment: it follows as the first journal.
  replica_write note{w.author, {}, w.comment, "", {}, {}};
  auto noted = update_issue(project, out.issue_id, note);
  if (!noted)
    return noted.error();
  out.entry_ids.insert(out.entry_ids.end(), noted->entry_ids.begin(), noted->entry_ids.end());
  return out;
}

result<unit> adapter::write_watchers(const std::string& project, const std::string& id,
                                     const std::vector<watcher_change>& watchers) {
  for (auto& w : watchers) {
    auto user = id_of(catalog::user, w.login, project);
    if (!user) {
      auto err = user.error();
      err.where = where(project, id) + ", watcher " + w.login;
      if (err.kind == error_kind::invalid)
        err.message += ": add the user in Redmine, or map the login (user_mappings)";
      return err;
    }
    // Both calls are idempotent: a watcher already there (or gone) is done.
    auto done = w.added ? call("POST", "/issues/" + encode(id) + "/watchers.json",
                               json{{"user_id", *user}})
                        : call("DELETE", "/issues/" + encode(id) + "/watchers/"
                                           + std::to_string(*user) + ".json");
    if (!done && !(done.error().kind == error_kind::not_found && !w.added)) {
      auto err = done.error();
      err.where = where(project, id) + ", watcher " + w.login;
      return err;
    }
  }
  return unit{};
}

result<std::vector<time_entry>> adapter::read_time_entries(const std::string& project,
                                                           const std::string& issue_id) {
  // Pages of 100 (Redmine's most) until the listing is through; a page
  // with nothing on it ends the loop whatever the total says. A row logged
  // or deleted between two pages shifts the later ones (a row read twice,
  // or one missed and then taken for deleted), so a listing whose total
  // changed is read again from the start.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto rows = time_entries_listed(project, issue_id);
    if (!rows || *rows)
      return rows ? std::move(**rows) : result<std::vector<time_entry>>{rows.error()};
  }
  return sync_error{error_kind::unavailable, where(project, issue_id),
                    "the issue's time entries changed while they were being listed, three"
                    " times in a row; tried again later"};
}

result<std::optional<std::vector<time_entry>>>
adapter::time_entries_listed(const std::string& project, const std::string& issue_id) {
  std::vector<time_entry> out;
  std::set<std::string> seen;
  std::optional<std::size_t> total;
  for (std::size_t offset = 0;;) {
    auto target = "/time_entries.json?issue_id=" + encode(issue_id)
                  + "&limit=100&offset=" + std::to_string(offset);
    auto j = call("GET", target);
    if (!j) {
      auto err = j.error();
      err.where = where(project, issue_id);
      if (err.kind != error_kind::unavailable && err.kind != error_kind::bad_answer)
        err.message += " (the project needs the Time tracking module, and the key's user"
                       " \"View spent time\")";
      return err;
    }
    auto page = located(time_entries_of(*j, issue_id, *catalog_, names()),
                        where(project, issue_id), request_named("GET", target));
    if (!page)
      return page.error();
    if (total && *total != page->total)
      return std::optional<std::vector<time_entry>>{};
    total = page->total;
    for (auto& r : page->rows)
      if (seen.insert(r.id).second)
        out.push_back(std::move(r));
    offset += page->listed;
    if (page->listed == 0 || offset >= page->total)
      break;
  }
  auto number = [](const std::string& id) { return std::strtol(id.c_str(), nullptr, 10); };
  std::sort(out.begin(), out.end(),
            [&](auto& x, auto& y) { return number(x.id) < number(y.id); });
  return std::optional<std::vector<time_entry>>{std::move(out)};
}

result<time_entry> adapter::write_time_entry(const std::string& project,
                                             const std::string& issue_id,
                                             const time_entry_write& w) {
  auto at = where(project, issue_id) + ", time entry " + (w.id.empty() ? "(new)" : w.id);
  auto relocated = [&](sync_error err) {
    err.where = at;
    return err;
  };
  auto path = "/time_entries/" + encode(w.id) + ".json";
  if (!w.content) {
    auto done = call("DELETE", path);
    if (!done && done.error().kind != error_kind::not_found)
      return relocated(done.error());
    return time_entry{};
  }
  auto& row = *w.content;
  char* end = nullptr;
  double hours = std::strtod(row.hours.c_str(), &end);
  if (row.hours.empty() || *end != '\0')
    return sync_error{error_kind::invalid, at, "hours \"" + row.hours + "\" is not a number"};
  auto user = id_of(catalog::user, row.user, project);
  if (!user) {
    auto err = relocated(user.error());
    if (err.kind == error_kind::invalid)
      err.message += ": add the user in Redmine, or map the login (user_mappings)";
    return err;
  }
  auto activity = id_of(catalog::activity, row.activity, project);
  if (!activity)
    return relocated(activity.error());
  json body{{"spent_on", row.spent_on}, {"hours", hours},   {"activity_id", *activity},
            {"comments", row.comments}, {"user_id", *user}};
  if (w.id.empty())
    body["issue_id"] = std::strtol(issue_id.c_str(), nullptr, 10);
  json custom = json::array();
  for (auto& [name, value] : row.fields) {
    auto field = id_of(catalog::time_entry_field, name, project);
    if (!field)
      return relocated(field.error());
    custom.push_back({{"id", *field}, {"value", value}});
  }
  if (!custom.empty())
    body["custom_fields"] = custom;
  auto as = acting_user(row.user);
  if (!as)
    return as.error();
  // Written as the row's user (act_as_author), so Redmine records them as
  // its author too; user_id says whom the time is for either way.
  auto made = w.id.empty() ? call_as("POST", "/time_entries.json", json{{"time_entry", body}}, *as)
                           : call_as("PUT", path, json{{"time_entry", body}}, *as);
  if (!made)
    return relocated(made.error());
  // A PUT answers nothing: the row is read back, to compare with the write.
  auto kept = w.id.empty() ? std::move(made) : call("GET", path);
  if (!kept)
    return relocated(kept.error());
  return located(time_entry_of(*kept, *catalog_, names()), at,
                 request_named(w.id.empty() ? "POST" : "GET", w.id.empty() ? "/time_entries.json" : path));
}

result<write_result> adapter::update_issue(const std::string& project, const std::string& id,
                                           const replica_write& w) {
  // Watchers and file descriptions have no journal: a write of only them
  // needs no reads around it.
  if (!w.watchers.empty() || !w.descriptions.empty()) {
    if (auto set = write_watchers(project, id, w.watchers); !set)
      return set.error();
    for (auto& f : w.descriptions) {
      auto done = call("PATCH", "/attachments/" + encode(f.id) + ".json",
                       json{{"attachment", {{"description", f.description}}}});
      if (!done) {
        auto err = done.error();
        err.where = where(project, id) + ", file " + f.filename;
        return err;
      }
    }
    auto rest = w;
    rest.watchers.clear();
    rest.descriptions.clear();
    if (rest.empty())
      return write_result{id, {}, 0, {}, {}};
    return update_issue(project, id, rest);
  }
  auto fields = to_redmine_fields(w, project, id);
  if (!fields)
    return fields.error();
  auto as = acting_user(w.author);
  if (!as)
    return as.error();
  if (api_user_.empty()) // a fallback below writes as the key's user
    if (auto me = acting_user(""); !me)
      return me.error();
  auto located = [&](sync_error err) {
    err.where = where(project, id);
    return err;
  };
  // Redmine answers 204 without naming the journals a write made: the
  // issue just before it tells which journals are not the write's, and
  // the values it changes.
  auto before = read_issue(project, id);
  if (!before)
    return before.error();
  write_result out{id, {}, 0, {}, {}};
  auto parent_before = value_of(*before, core_field::parent);
  auto parents = parents_before(project, parent_before,
                                written_value(w, core_field::parent, parent_before), id);
  if (!parents)
    return parents.error();
  auto uploads = uploads_of(w, *as, out);
  if (!uploads)
    return uploads.error();
  made_write made{"", std::nullopt, w.changes, out.attachment_ids, {}, {}};
  // Relations first: a "precedes" relation moves the following issue's dates
  // in the relation's own journal, as on the source, and then the entry's
  // date changes are already made.
  if (auto linked = write_relations(project, id, w.relations, *as, made, out); !linked)
    return located(linked.error());
  if (!w.relations.empty() && (fields->contains("start_date") || fields->contains("due_date"))) {
    auto now = read_issue(project, id);
    if (!now)
      return now.error();
    for (auto* date : {core_field::start_date, core_field::due_date})
      if (fields->contains(date)
          && same_value(value_of(*now, date), written_value(w, date, "")))
        fields->erase(date);
  }

  // Fields, comment and new files: one PUT, one journal. A write of only
  // removals or relations needs none.
  if (!fields->empty() || !uploads->empty() || !w.comment.empty()) {
    if (!uploads->empty())
      (*fields)["uploads"] = *uploads;
    auto put = [&] {
      (*fields)["notes"] = notes_of(w, !as->empty());
      return call("PUT", "/issues/" + encode(id) + ".json", json{{"issue", *fields}}, *as);
    };
    auto done = put();
    if (!done && done.error().kind == error_kind::conflict && !as->empty()) {
      as->clear();
      done = put();
    }
    if (!done)
      return located(done.error());
    made.comment = (*fields)["notes"].get<std::string>();
  }
  for (auto& a : w.attachments) {
    if (a.added)
      continue;
    auto gone = call_as("DELETE", "/attachments/" + encode(a.file.id) + ".json", nullptr, *as);
    if (!gone && gone.error().kind != error_kind::not_found) // already gone is done
      return located(gone.error());
    if (gone)
      made.removed_files.push_back(a.file.id);
  }
  made.author = as->empty() ? api_user_ : *as;
  claim_parent_records(project, *parents, id, made.author, out);
  auto after = read_issue(project, id);
  if (!after)
    return after.error();
  auto who = attribute_write(*before, *after, made);
  if (!who.ambiguous.empty())
    return located({error_kind::conflict, "",
                    "journals " + joined(who.ambiguous) + " could each be the journal of "
                      "TrackBridge's write as " + made.author + " (someone made the same change "
                      "at the same moment): none is taken for TrackBridge's, and the sync is "
                      "tried again"});
  out.entry_ids = std::move(who.entry_ids);
  out.updated = after->updated;
  out.dropped = dropped_of(who.dropped, *before, made.author, false);
  return out;
}

// --- the members of a role (notifications) --------------------------------------

namespace {

// What an administrator's key is needed for, added to a refusal's message.
sync_error needs_admin(sync_error err, const std::string& where, const std::string& what) {
  err.where = where;
  if (err.kind != error_kind::unavailable && err.kind != error_kind::bad_answer)
    err.message += " (" + what + " needs an administrator's API key)";
  return err;
}

} // namespace

result<std::vector<project_member>> adapter::members_with_role(const std::string& project,
                                                               const std::string& role) {
  auto ids = users_with_role(project, role);
  if (!ids)
    return ids.error();
  std::vector<project_member> out;
  for (auto id : *ids) {
    auto user = active_user(project, id);
    if (!user)
      return user.error();
    if (*user)
      out.push_back(std::move(**user));
  }
  return out;
}

result<std::vector<long>> adapter::users_with_role(const std::string& project,
                                                   const std::string& role) {
  std::vector<long> out;
  std::set<long> seen;
  auto add = [&](long id) {
    if (seen.insert(id).second)
      out.push_back(id);
  };
  // Bounded: pages of 100 (Redmine's most), up to 100,000 memberships; a
  // page with nothing on it ends the loop whatever the total says.
  constexpr std::size_t page = 100, most_pages = 1000;
  std::size_t offset = 0;
  for (std::size_t n = 0; n < most_pages; ++n) {
    auto target = "/projects/" + encode(project) + "/memberships.json?limit="
                  + std::to_string(page) + "&offset=" + std::to_string(offset);
    auto answer = call("GET", target);
    if (!answer) {
      auto err = answer.error();
      err.where = where(project);
      return err;
    }
    auto listed = located(memberships_of(*answer), where(project), request_named("GET", target));
    if (!listed)
      return listed.error();
    for (auto& m : listed->members) {
      if (std::find(m.roles.begin(), m.roles.end(), role) == m.roles.end())
        continue;
      if (!m.group) {
        add(m.principal);
        continue;
      }
      // Redmine lists a group's users as members of their own too (the
      // role inherited); the group's own list is read as well, so a user
      // reaches the role through the group whichever way Redmine lists it.
      auto group = "/groups/" + std::to_string(m.principal) + ".json?include=users";
      auto users = call("GET", group);
      if (!users)
        return needs_admin(users.error(), where(project), "reading the users of a group");
      auto ids = located(group_users_of(*users), where(project), request_named("GET", group));
      if (!ids)
        return ids.error();
      for (auto id : *ids)
        add(id);
    }
    offset += listed->listed;
    if (listed->listed == 0 || offset >= listed->total)
      return out;
  }
  return sync_error{error_kind::internal, where(project),
                    "more than " + std::to_string(page * most_pages) + " memberships"};
}

result<std::optional<project_member>> adapter::active_user(const std::string& project, long id) {
  auto target = "/users/" + std::to_string(id) + ".json";
  auto answer = call("GET", target);
  if (!answer && answer.error().kind == error_kind::not_found)
    return std::optional<project_member>{}; // deleted since it was listed
  if (!answer)
    return needs_admin(answer.error(), where(project), "reading a user's address");
  auto user = located(member_of(*answer), where(project), request_named("GET", target));
  if (!user)
    return user.error();
  if (user->locked)
    return std::optional<project_member>{};
  return std::optional<project_member>{std::move(user->member)};
}

result<std::optional<std::string>> adapter::find_by_alt_id(const std::string& project,
                                                           const std::string& alt_id) {
  auto pid = project_id(project);
  if (!pid)
    return pid.error();
  auto field = alt_id_field(project);
  if (!field)
    return field.error();
  if (*field == 0) // no ALT_ID custom field: nothing to search by
    return std::optional<std::string>{};
  auto j = call("GET", "/issues.json?project_id=" + std::to_string(*pid)
                         + "&subproject_id=!*&status_id=*&cf_" + std::to_string(*field) + "="
                         + encode(alt_id) + "&limit=2");
  if (!j)
    return j.error();
  auto ids = located(issue_ids_of(*j), where(project), "GET /issues.json");
  if (!ids)
    return ids.error();
  if (ids->empty())
    return std::optional<std::string>{};
  return std::optional<std::string>{ids->front()};
}

} // namespace tb::redmine
