#include "tests/support/fake_redmine.hpp"

#include <algorithm>

#include "api/http_server.hpp"
#include "api/router.hpp"
#include "domain/model.hpp"

namespace tb::test {

using json = nlohmann::json;

namespace {

const std::map<long, std::string> statuses{{1, "New"}, {2, "In Progress"}, {3, "Resolved"}};
const std::map<long, std::string> priorities{{2, "Normal"}, {3, "High"}};
const std::map<long, std::string> users{{1, "admin"}, {2, "alice"}, {3, "bob"}};

long user_id(const std::string& login) {
  for (auto& [id, name] : users)
    if (name == login)
      return id;
  return 0;
}

json named(long id, const std::map<long, std::string>& names) {
  return {{"id", id}, {"name", names.at(id)}};
}

json listing(const std::map<long, std::string>& names) {
  json out = json::array();
  for (auto& [id, name] : names)
    out.push_back({{"id", id}, {"name", name}});
  return out;
}

json null_if_empty(const std::string& s) {
  return s.empty() ? json{} : json{s};
}

// "8.json" -> 8; 0 for anything else.
long id_in(const std::string& file) {
  try {
    std::size_t used = 0;
    auto id = std::stol(file, &used);
    return file.substr(used) == ".json" ? id : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

api::http_response empty(int status) {
  return api::http_response{status, "application/json", "", {}};
}

} // namespace

struct fake_redmine::impl {
  struct relation {
    long id, from, to;
    std::string type;
  };

  mutable std::recursive_mutex mutex;
  std::map<long, issue> issues;
  std::vector<relation> relations;
  std::set<std::tuple<std::string, long, long>> forbidden;
  std::function<void(fake_redmine&, long)> hook;
  long next_issue = 1, next_journal = 1, next_relation = 1;
  std::size_t writes = 0;
  api::router routes;
  std::unique_ptr<api::http_server> server;

  // The acting user: the Switch-User login, or the key's (admin); "" for a
  // login this Redmine has none of (412).
  static std::string acting(const api::http_request& r) {
    auto h = r.headers.find("x-redmine-switch-user");
    if (h == r.headers.end())
      return "admin";
    return user_id(h->second) ? h->second : "";
  }

  json journal_json(const journal& j) const {
    json details = json::array();
    for (auto& d : j.details)
      details.push_back({{"property", d.property},
                         {"name", d.name},
                         {"old_value", null_if_empty(d.old_value)},
                         {"new_value", null_if_empty(d.new_value)}});
    return {{"id", j.id},
            {"user", {{"id", user_id(j.user)}, {"name", j.user}}},
            {"notes", j.notes},
            {"created_on", "2026-12-01T10:00:00Z"},
            {"private_notes", false},
            {"details", details}};
  }

  json issue_json(const issue& i) const {
    json journals = json::array(), links = json::array();
    for (auto& j : i.journals)
      journals.push_back(journal_json(j));
    for (auto& r : relations)
      if (r.from == i.id || r.to == i.id)
        links.push_back({{"id", r.id}, {"issue_id", r.from}, {"issue_to_id", r.to},
                         {"relation_type", r.type}, {"delay", nullptr}});
    json out = {{"id", i.id},
                {"project", {{"id", 1}, {"name", "P"}}},
                {"tracker", {{"id", 1}, {"name", "Bug"}}},
                {"status", named(i.status, statuses)},
                {"priority", named(i.priority, priorities)},
                {"author", {{"id", 2}, {"name", "alice"}}},
                {"subject", i.subject},
                {"description", ""},
                {"start_date", nullptr},
                {"due_date", nullptr},
                {"done_ratio", 0},
                {"estimated_hours", nullptr},
                {"custom_fields", json::array()},
                {"created_on", "2026-12-01T09:00:00Z"},
                {"updated_on", "2026-12-01T10:00:00Z"},
                {"journals", journals},
                {"attachments", json::array()},
                {"relations", links}};
    if (i.parent)
      out["parent"] = {{"id", i.parent}};
    return out;
  }

  api::http_response get_issue(const api::route_params& p) {
    std::lock_guard guard{mutex};
    auto i = issues.find(id_in(p.path.at("file")));
    if (i == issues.end())
      return empty(404);
    return api::json_response(200, {{"issue", issue_json(i->second)}});
  }

  // Redmine's PUT: each field that changes is a detail, unless the user's
  // workflow has no such transition (then the status is left alone, and
  // the answer is 204 all the same).
  api::http_response put_issue(fake_redmine& self, const api::http_request& r,
                               const api::route_params& p) {
    std::lock_guard guard{mutex};
    auto id = id_in(p.path.at("file"));
    if (!issues.count(id))
      return empty(404);
    auto user = acting(r);
    if (user.empty())
      return empty(412);
    if (hook)
      hook(self, id);
    ++writes;
    auto& i = issues.at(id);
    auto fields = json::parse(r.body).at("issue");
    journal j{0, user, fields.value("notes", ""), {}};
    auto status = fields.value("status_id", i.status);
    if (status != i.status && !forbidden.count({user, i.status, status})) {
      j.details.push_back({"attr", "status_id", std::to_string(i.status), std::to_string(status)});
      i.status = status;
    }
    auto priority = fields.value("priority_id", i.priority);
    if (priority != i.priority) {
      j.details.push_back(
        {"attr", "priority_id", std::to_string(i.priority), std::to_string(priority)});
      i.priority = priority;
    }
    if (auto subject = fields.value("subject", i.subject); subject != i.subject) {
      j.details.push_back({"attr", "subject", i.subject, subject});
      i.subject = subject;
    }
    if (auto v = fields.find("parent_issue_id"); v != fields.end()) {
      long parent = v->is_number()                              ? v->get<long>()
                    : v->is_string() && !v->get<std::string>().empty() ? std::stol(v->get<std::string>())
                                                                       : 0;
      if (parent != i.parent) {
        auto named = [](long n) { return n ? std::to_string(n) : std::string{}; };
        j.details.push_back({"attr", "parent_id", named(i.parent), named(parent)});
        // Redmine's own journals on both parents, as the writing user.
        if (i.parent)
          self.add_journal(i.parent, user, "", {{"attr", "child_id", std::to_string(id), ""}});
        if (parent)
          self.add_journal(parent, user, "", {{"attr", "child_id", "", std::to_string(id)}});
        i.parent = parent;
      }
    }
    if (!j.details.empty() || !j.notes.empty()) {
      j.id = next_journal++;
      i.journals.push_back(std::move(j));
    }
    return empty(204);
  }

  api::http_response post_relation(fake_redmine& self, const api::http_request& r,
                                   const api::route_params& p) {
    std::lock_guard guard{mutex};
    auto from = std::stol(p.path.at("id"));
    auto body = json::parse(r.body).at("relation");
    auto to = body.at("issue_to_id").get<long>();
    auto type = body.at("relation_type").get<std::string>();
    auto user = acting(r);
    if (!issues.count(from) || !issues.count(to))
      return empty(404);
    if (hook)
      hook(self, from);
    ++writes;
    relations.push_back({next_relation++, from, to, type});
    // Recorded on both issues, each from its own side.
    self.add_journal(from, user, "", {{"relation", type, "", std::to_string(to)}});
    self.add_journal(to, user, "", {{"relation", reverse_relation(type), "", std::to_string(from)}});
    return api::json_response(201, {{"relation", {{"id", relations.back().id}}}});
  }

  api::http_response get_relations(const api::route_params& p) {
    std::lock_guard guard{mutex};
    auto id = std::stol(p.path.at("id"));
    json links = json::array();
    for (auto& r : relations)
      if (r.from == id || r.to == id)
        links.push_back({{"id", r.id}, {"issue_id", r.from}, {"issue_to_id", r.to},
                         {"relation_type", r.type}, {"delay", nullptr}});
    return api::json_response(200, {{"relations", links}});
  }

  api::http_response get_user(const api::route_params& p) {
    auto file = p.path.at("file");
    auto id = file == "current.json" ? 1 : id_in(file);
    if (!users.count(id))
      return empty(404);
    return api::json_response(200, {{"user", {{"id", id}, {"login", users.at(id)}}}});
  }
};

fake_redmine::fake_redmine() : impl_(std::make_unique<impl>()) {
  auto& r = impl_->routes;
  auto* i = impl_.get();
  r.add("GET", "/projects/{file}", [](auto&, auto&) {
    return api::json_response(200, {{"project", {{"id", 1}, {"issue_custom_fields", json::array()}}}});
  });
  r.add("GET", "/issue_statuses.json",
        [](auto&, auto&) { return api::json_response(200, {{"issue_statuses", listing(statuses)}}); });
  r.add("GET", "/enumerations/issue_priorities.json", [](auto&, auto&) {
    return api::json_response(200, {{"issue_priorities", listing(priorities)}});
  });
  r.add("GET", "/trackers.json", [](auto&, auto&) {
    return api::json_response(200, {{"trackers", listing({{1, "Bug"}})}});
  });
  r.add("GET", "/custom_fields.json",
        [](auto&, auto&) { return api::json_response(200, {{"custom_fields", json::array()}}); });
  r.add("GET", "/users/{file}", [i](auto&, auto& p) { return i->get_user(p); });
  r.add("GET", "/issues/{id}/relations.json", [i](auto&, auto& p) { return i->get_relations(p); });
  r.add("POST", "/issues/{id}/relations.json",
        [this, i](auto& req, auto& p) { return i->post_relation(*this, req, p); });
  r.add("GET", "/issues/{file}", [i](auto&, auto& p) { return i->get_issue(p); });
  r.add("PUT", "/issues/{file}",
        [this, i](auto& req, auto& p) { return i->put_issue(*this, req, p); });
  impl_->server = std::make_unique<api::http_server>(r, "127.0.0.1", 0);
  impl_->server->start();
}

fake_redmine::~fake_redmine() {
  impl_->server->stop();
}

std::string fake_redmine::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->server->port());
}

long fake_redmine::add_issue(const std::string& subject, const std::string& author,
                             long parent) {
  std::lock_guard guard{impl_->mutex};
  auto id = impl_->next_issue++;
  impl_->issues[id] = issue{id, subject, 1, 2, parent, {}};
  if (parent) // Redmine's own journal on the parent, as the child's author
    add_journal(parent, author, "", {{"attr", "child_id", "", std::to_string(id)}});
  return id;
}

long fake_redmine::add_journal(long issue, const std::string& user, const std::string& notes,
                               std::vector<detail> details) {
  std::lock_guard guard{impl_->mutex};
  auto id = impl_->next_journal++;
  impl_->issues.at(issue).journals.push_back({id, user, notes, std::move(details)});
  return id;
}

fake_redmine::issue fake_redmine::issue_now(long id) const {
  std::lock_guard guard{impl_->mutex};
  return impl_->issues.at(id);
}

void fake_redmine::set_status(long issue, long status) {
  std::lock_guard guard{impl_->mutex};
  impl_->issues.at(issue).status = status;
}

void fake_redmine::forbid_transition(const std::string& user, long from, long to) {
  std::lock_guard guard{impl_->mutex};
  impl_->forbidden.insert({user, from, to});
}

void fake_redmine::before_write(std::function<void(fake_redmine&, long)> hook) {
  std::lock_guard guard{impl_->mutex};
  impl_->hook = std::move(hook);
}

std::size_t fake_redmine::writes() const {
  std::lock_guard guard{impl_->mutex};
  return impl_->writes;
}

} // namespace tb::test
