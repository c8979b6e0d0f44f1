#define CAF_SUITE local_api
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <memory>

#include "adapters/local/local_tracker.hpp"
#include "api/http_server.hpp"
#include "api/local_routes.hpp"
#include "api/request_body.hpp"
#include "api/router.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tb;
using json = nlohmann::json;
using tb::test::http_call;
using tb::test::http_reply;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The server runs in-process over real HTTP, on two local connections in
// one store: "a" has project DEMO, "b" has none.
struct fixture {
  test::temp_dir dir;
  storage::environment env{storage::environment_options{dir.path()}};
  local::tracker a{env, "a"};
  local::tracker b{env, "b"};
  api::router routes;
  std::unique_ptr<api::http_server> server;

  fixture() {
    CAF_REQUIRE(a.ensure_project({"DEMO", {{"Severity", "list", {"Low", "High"}}}}).ok());
    api::add_local_routes(routes, {{"a", &a}, {"b", &b}});
    server = std::make_unique<api::http_server>(routes, "127.0.0.1", 0, 2);
    server->start();
  }

  ~fixture() {
    server->stop();
  }

  http_reply call(const std::string& method, const std::string& target,
                  const std::string& body = "") {
    return http_call(method, server->port(), target, body);
  }

  http_reply get(const std::string& path) {
    return call("GET", "/api/v1/local/a" + path);
  }

  http_reply post(const std::string& path, const json& body) {
    return call("POST", "/api/v1/local/a" + path, body.dump());
  }

  http_reply put(const std::string& path, const json& body) {
    return call("PUT", "/api/v1/local/a" + path, body.dump());
  }

  json create(const std::string& subject, json more = json::object()) {
    more["subject"] = subject;
    auto r = post("/projects/DEMO/issues", {{"author", "alice"}, {"fields", more}});
    CAF_REQUIRE_EQUAL(r.status, 201);
    return r.json();
  }

  json update(const std::string& id, json fields, const std::string& comment = "") {
    auto r = put("/issues/" + id, {{"author", "bob"}, {"fields", fields}, {"comment", comment}});
    if (r.status != 200)
      CAF_FAIL("update of issue " << id << " answered " << r.status << ": " << r.body);
    return r.json();
  }

  // Copies, not references: CAF's check macros keep references to their
  // arguments, which must not point into temporaries.
  static std::string where_of(const http_reply& r) {
    return r.json().at("error").at("where").get<std::string>();
  }

  static std::string message_of(const http_reply& r) {
    return r.json().at("error").at("message").get<std::string>();
  }

  static int error_status_of(const http_reply& r) {
    return r.json().at("error").at("status").get<int>();
  }
};

std::vector<std::string> ids_of(const json& list) {
  std::vector<std::string> out;
  for (auto& i : list.at("issues"))
    out.push_back(i.at("id").get<std::string>());
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(local_api_tests, fixture)

CAF_TEST(healthz_answers_ok) {
  auto r = call("GET", "/healthz");
  CAF_CHECK_EQUAL(r.status, 200);
  CAF_CHECK_EQUAL(r.json(), json({{"status", "ok"}}));
  CAF_CHECK_EQUAL(r.headers["content-type"], "application/json");
}

CAF_TEST(a_created_issue_comes_back_with_its_creation_entry) {
  auto r = post("/projects/DEMO/issues",
                {{"author", "alice"},
                 {"fields", {{"subject", "Crash"}, {"status", "New"}, {"Severity", "High"}}},
                 {"comment", "seen twice"}});
  CAF_REQUIRE_EQUAL(r.status, 201);
  auto i = r.json();
  CAF_CHECK_EQUAL(i.at("id"), "1");
  CAF_CHECK_EQUAL(r.headers["location"], "/api/v1/local/a/issues/1");
  CAF_CHECK_EQUAL(i.at("project"), "DEMO");
  CAF_CHECK_EQUAL(i.at("fields").at("Severity"), "High");
  CAF_REQUIRE_EQUAL(i.at("history").size(), 1u);
  auto& e = i.at("history")[0];
  CAF_CHECK_EQUAL(e.at("creation"), true);
  CAF_CHECK_EQUAL(e.at("author"), "alice");
  CAF_CHECK_EQUAL(e.at("comment"), "seen twice");
  CAF_CHECK_EQUAL(e.at("changes").size(), 3u);
  CAF_CHECK_EQUAL(e.at("changes")[0], json({{"field", "Severity"}, {"old", ""}, {"new", "High"}}));
  auto read = get("/issues/1");
  CAF_CHECK_EQUAL(read.status, 200);
  CAF_CHECK_EQUAL(read.json(), i);
}

CAF_TEST(an_update_records_one_history_entry_with_old_and_new_values) {
  auto i = create("Crash", {{"status", "New"}});
  auto id = i.at("id").get<std::string>();
  update(id, {{"status", "In Progress"}, {"Severity", "Low"}}, "looking");
  auto u = update(id, {{"status", "Done"}});
  auto read = get("/issues/" + id).json();
  CAF_CHECK_EQUAL(read, u);
  auto& h = read.at("history");
  CAF_REQUIRE_EQUAL(h.size(), 3u);
  CAF_CHECK_EQUAL(h[1].at("author"), "bob");
  CAF_CHECK_EQUAL(h[1].at("comment"), "looking");
  CAF_CHECK_EQUAL(h[1].at("creation"), false);
  CAF_CHECK_EQUAL(h[1].at("changes"),
                  json::parse(R"([{"field":"Severity","old":"","new":"Low"},)"
                              R"({"field":"status","old":"New","new":"In Progress"}])"));
  CAF_CHECK_EQUAL(h[2].at("changes"),
                  json::parse(R"([{"field":"status","old":"In Progress","new":"Done"}])"));
  CAF_CHECK_EQUAL(read.at("fields").at("status"), "Done");
  CAF_CHECK_EQUAL(read.at("updated"), h[2].at("time"));
}

CAF_TEST(a_write_without_an_author_is_attributed_to_anonymous) {
  auto r = post("/projects/DEMO/issues", {{"fields", {{"subject", "x"}}}});
  CAF_REQUIRE_EQUAL(r.status, 201);
  auto u = put("/issues/1", {{"comment", "hello"}});
  CAF_REQUIRE_EQUAL(u.status, 200);
  auto history = u.json().at("history");
  CAF_CHECK_EQUAL(history[0].at("author"), "anonymous");
  CAF_CHECK_EQUAL(history[1].at("author"), "anonymous");
}

CAF_TEST(an_update_that_changes_nothing_is_refused_with_422) {
  auto id = create("Crash", {{"status", "New"}}).at("id").get<std::string>();
  auto r = put("/issues/" + id, {{"fields", {{"status", "New"}}}});
  CAF_CHECK_EQUAL(r.status, 422);
  CAF_CHECK(has(message_of(r), "nothing would change"));
  CAF_CHECK_EQUAL(where_of(r), "connection a, issue " + id);
  CAF_CHECK_EQUAL(get("/issues/" + id).json().at("history").size(), 1u);
}

CAF_TEST(a_list_value_the_project_lacks_is_refused_naming_the_allowed_values) {
  auto r = post("/projects/DEMO/issues", {{"fields", {{"subject", "x"}, {"Severity", "Urgent"}}}});
  CAF_CHECK_EQUAL(r.status, 422);
  CAF_CHECK_EQUAL(error_status_of(r), 422);
  CAF_CHECK_EQUAL(where_of(r), "connection a, project DEMO, field Severity");
  CAF_CHECK(has(message_of(r), "Low, High"));
  CAF_CHECK_EQUAL(get("/projects/DEMO").json().at("custom_fields")[0].at("values").size(), 2u);
  CAF_CHECK_EQUAL(get("/issues/1").status, 404);
}

CAF_TEST(an_unknown_field_is_refused_naming_the_project_fields) {
  auto id = create("Crash").at("id").get<std::string>();
  auto r = put("/issues/" + id, {{"fields", {{"Colour", "red"}}}});
  CAF_CHECK_EQUAL(r.status, 422);
  CAF_CHECK_EQUAL(where_of(r), "connection a, issue " + id + ", field Colour");
  CAF_CHECK(has(message_of(r), "subject, description, status, priority, assignee, tracker, category, version, start_date, due_date, done_ratio, estimated_hours, parent, private, Severity"));
}

CAF_TEST(unknown_projects_issues_and_connections_answer_404_with_located_messages) {
  auto project = post("/projects/NOPE/issues", {{"fields", {{"subject", "x"}}}});
  CAF_CHECK_EQUAL(project.status, 404);
  CAF_CHECK_EQUAL(where_of(project), "connection a, project NOPE");
  CAF_CHECK_EQUAL(get("/projects/NOPE").status, 404);
  CAF_CHECK_EQUAL(get("/projects/NOPE/issues").status, 404);
  auto issue = get("/issues/42");
  CAF_CHECK_EQUAL(issue.status, 404);
  CAF_CHECK_EQUAL(where_of(issue), "connection a, issue 42");
  auto connection = call("GET", "/api/v1/local/zed/issues/1");
  CAF_CHECK_EQUAL(connection.status, 404);
  CAF_CHECK_EQUAL(where_of(connection), "connection zed");
  CAF_CHECK(has(message_of(connection), "zed"));
  CAF_CHECK(has(message_of(connection), "a, b"));
  CAF_CHECK_EQUAL(call("GET", "/api/v1/nothing/here").status, 404);
}

CAF_TEST(connections_do_not_see_each_others_issues) {
  create("in a");
  CAF_CHECK_EQUAL(get("/issues/1").status, 200);
  CAF_CHECK_EQUAL(call("GET", "/api/v1/local/b/issues/1").status, 404);
  CAF_CHECK_EQUAL(call("GET", "/api/v1/local/b/projects").json(),
                  json::parse(R"({"projects":[]})"));
}

CAF_TEST(malformed_json_answers_400_with_the_parser_message) {
  auto r = call("POST", "/api/v1/local/a/projects/DEMO/issues", "{\"fields\": ");
  CAF_CHECK_EQUAL(r.status, 400);
  CAF_CHECK_EQUAL(where_of(r), "request body");
  CAF_CHECK(has(message_of(r), "parse error"));
  auto not_object = call("PUT", "/api/v1/local/a/issues/1", "[1, 2]");
  CAF_CHECK_EQUAL(not_object.status, 400);
  CAF_CHECK(has(message_of(not_object), "object"));
  // Found by the webhook fuzz target: nlohmann throws out_of_range, not a
  // parse_error, for a number too large for a double.
  auto huge = call("PUT", "/api/v1/local/a/issues/1", "{\"comment\": 1e999999}");
  CAF_CHECK_EQUAL(huge.status, 400);
  CAF_CHECK(has(message_of(huge), "number overflow"));
}

CAF_TEST(bodies_are_read_like_the_configuration_duplicate_keys_and_deep_nesting_refused) {
  // The checked JSON reader (domain/checked_json) reads bodies too: the
  // place of a syntax error in bytes, no raw bytes echoed, a key given twice
  // refused at its place instead of the last one silently winning.
  auto cut = call("POST", "/api/v1/local/a/projects/DEMO/issues", "{\"fields\": ");
  // nlohmann counts the end of the text as the byte after it.
  std::string cut_start = "malformed JSON: parse error at byte 12 of 11, syntax error";
  CAF_CHECK_EQUAL(message_of(cut).substr(0, cut_start.size()), cut_start);
  auto twice = call("POST", "/api/v1/local/a/projects/DEMO/issues",
                    R"({"fields": {"subject": "x", "subject": "y"}})");
  CAF_CHECK_EQUAL(twice.status, 400);
  CAF_CHECK_EQUAL(where_of(twice), "request body, key fields, key subject");
  CAF_CHECK(has(message_of(twice), "duplicate key \"subject\""));
  auto deep = call("PUT", "/api/v1/local/a/issues/1",
                   "{\"comment\": " + std::string(40, '[') + std::string(40, ']') + "}");
  CAF_CHECK_EQUAL(deep.status, 400);
  CAF_CHECK_EQUAL(where_of(deep), "request body");
  CAF_CHECK(has(message_of(deep), "nested deeper than 16 levels"));
  auto bad_utf8 = call("POST", "/api/v1/local/a/projects/DEMO/issues", "{\"fields\": \"\xff\"}");
  CAF_CHECK_EQUAL(bad_utf8.status, 400);
  CAF_CHECK(has(message_of(bad_utf8), "ill-formed UTF-8 byte"));
  CAF_CHECK(!has(bad_utf8.body, "\xff"));
  CAF_CHECK(get("/projects/DEMO/issues").json().at("issues").empty());
}

CAF_TEST(a_misspelt_key_or_query_parameter_gets_the_configurations_did_you_mean) {
  auto key = post("/projects/DEMO/issues", {{"feilds", {{"subject", "x"}}}});
  CAF_CHECK_EQUAL(key.status, 400);
  CAF_CHECK_EQUAL(message_of(key),
                  "unknown key feilds; did you mean \"fields\"? allowed keys: author, fields, "
                  "comment");
  auto far = post("/projects/DEMO/issues", {{"notify", true}, {"fields", {{"subject", "x"}}}});
  CAF_CHECK_EQUAL(message_of(far), "unknown key notify; allowed keys: author, fields, comment");
  auto id = create("x")["id"].get<std::string>();
  auto query = call("POST", "/api/v1/local/a/issues/" + id + "/files?filname=a", "abc");
  CAF_CHECK_EQUAL(query.status, 400);
  CAF_CHECK(has(message_of(query), "did you mean \"filename\"? allowed: filename, author"));
  CAF_CHECK(get("/projects/DEMO/issues").json().at("issues").size() == 1u);
}

CAF_TEST(a_json_path_reads_as_the_api_says_where) {
  CAF_CHECK_EQUAL(api::request_where("$"), "request body");
  CAF_CHECK_EQUAL(api::request_where("$.custom_fields[0].kind"),
                  "request body, key custom_fields, item 0, key kind");
  CAF_CHECK_EQUAL(api::request_where("$.fields[\"the field\"]"),
                  "request body, key fields, key the field");
  CAF_CHECK_EQUAL(api::request_where("$[\"a.b\"][2]"), "request body, key a.b, item 2");
  // A control character in a key is shown escaped, not sent raw.
  CAF_CHECK_EQUAL(api::request_where("$[\"a\\u001bb\"]"), "request body, key a\\x1Bb");
}

CAF_TEST(unknown_keys_and_wrong_types_in_a_body_answer_400_naming_the_key) {
  auto unknown = post("/projects/DEMO/issues", {{"fields", {{"subject", "x"}}}, {"titel", "y"}});
  CAF_CHECK_EQUAL(unknown.status, 400);
  CAF_CHECK_EQUAL(where_of(unknown), "request body, key titel");
  CAF_CHECK(has(message_of(unknown), "author, fields, comment"));
  auto fields = post("/projects/DEMO/issues", {{"fields", "subject"}});
  CAF_CHECK_EQUAL(fields.status, 400);
  CAF_CHECK_EQUAL(where_of(fields), "request body, key fields");
  auto value = post("/projects/DEMO/issues", {{"fields", {{"subject", 7}}}});
  CAF_CHECK_EQUAL(value.status, 400);
  CAF_CHECK(has(where_of(value), "field subject"));
  auto author = post("/projects/DEMO/issues", {{"author", true}, {"fields", {{"subject", "x"}}}});
  CAF_CHECK_EQUAL(author.status, 400);
  CAF_CHECK_EQUAL(where_of(author), "request body, key author");
  CAF_CHECK(get("/projects/DEMO/issues").json().at("issues").empty());
}

CAF_TEST(a_wrong_method_answers_405_with_the_allowed_ones) {
  auto r = call("DELETE", "/api/v1/local/a/issues/1");
  CAF_CHECK_EQUAL(r.status, 405);
  CAF_CHECK_EQUAL(r.headers["allow"], "GET, PUT");
  CAF_CHECK_EQUAL(error_status_of(r), 405);
  CAF_CHECK_EQUAL(call("POST", "/healthz").status, 405);
}

CAF_TEST(a_body_over_one_mebibyte_answers_413) {
  std::string big = R"({"comment":")" + std::string(2 * 1024 * 1024, 'x') + R"("})";
  auto r = call("POST", "/api/v1/local/a/projects/DEMO/issues", big);
  CAF_CHECK_EQUAL(r.status, 413);
  CAF_CHECK(has(message_of(r), "1 MiB"));
  // The server goes on serving.
  CAF_CHECK_EQUAL(call("GET", "/healthz").status, 200);
}

CAF_TEST(listing_changed_issues_filters_by_time_oldest_first) {
  auto one = create("one");
  auto two = create("two");
  auto three = create("three");
  auto moved = update(one.at("id").get<std::string>(), {{"status", "Done"}});
  auto all = get("/projects/DEMO/issues");
  CAF_REQUIRE_EQUAL(all.status, 200);
  auto listed = all.json();
  CAF_CHECK_EQUAL(ids_of(listed), (std::vector<std::string>{"2", "3", "1"}));
  CAF_CHECK(!listed.at("issues")[0].contains("history"));
  CAF_CHECK_EQUAL(listed.at("issues")[2].at("fields").at("status"), "Done");
  auto since = three.at("updated").get<std::string>();
  auto later = get("/projects/DEMO/issues?updated_since=" + since);
  CAF_CHECK_EQUAL(ids_of(later.json()), (std::vector<std::string>{"3", "1"}));
  auto newest = get("/projects/DEMO/issues?updated_since=" + moved.at("updated").get<std::string>());
  CAF_CHECK_EQUAL(ids_of(newest.json()), (std::vector<std::string>{"1"}));
  auto limited = get("/projects/DEMO/issues?limit=1");
  CAF_CHECK_EQUAL(ids_of(limited.json()), (std::vector<std::string>{"2"}));
}

CAF_TEST(bad_list_parameters_answer_400_naming_the_parameter) {
  auto time = get("/projects/DEMO/issues?updated_since=yesterday");
  CAF_CHECK_EQUAL(time.status, 400);
  CAF_CHECK_EQUAL(where_of(time), "query parameter updated_since");
  for (auto bad : {"0", "1001", "ten", "-1", ""}) {
    auto limit = get(std::string{"/projects/DEMO/issues?limit="} + bad);
    CAF_CHECK_EQUAL(limit.status, 400);
    CAF_CHECK_EQUAL(where_of(limit), "query parameter limit");
  }
  CAF_CHECK_EQUAL(get("/projects/DEMO/issues?limit=1000").status, 200);
  CAF_CHECK_EQUAL(get("/projects/DEMO/issues?since=x").status, 400);
  CAF_CHECK_EQUAL(
    get("/projects/DEMO/issues?updated_since=2026-01-01T00:00:00%2B01:00").status, 200);
}

CAF_TEST(projects_are_created_extended_and_listed) {
  auto created = post("/projects", json::parse(R"({"key":"OPS","custom_fields":[
      {"name":"Area","type":"list","values":["Net"]},{"name":"Owner"}]})"));
  CAF_REQUIRE_EQUAL(created.status, 201);
  CAF_CHECK_EQUAL(created.json(), json::parse(R"({"key":"OPS","custom_fields":[
      {"name":"Area","type":"list","values":["Net"]},
      {"name":"Owner","type":"string","values":[]}]})"));
  auto extended = post("/projects", json::parse(
    R"({"key":"OPS","custom_fields":[{"name":"Area","type":"list","values":["Disk"]}]})"));
  CAF_CHECK_EQUAL(extended.status, 200);
  auto extended_project = extended.json();
  CAF_CHECK_EQUAL(extended_project.at("custom_fields")[0].at("values"),
                  json::parse(R"(["Net","Disk"])"));
  CAF_CHECK_EQUAL(get("/projects/OPS").json(), extended.json());
  auto list = get("/projects").json().at("projects");
  CAF_REQUIRE_EQUAL(list.size(), 2u);
  CAF_CHECK_EQUAL(list[0].at("key"), "DEMO");
  CAF_CHECK_EQUAL(list[1].at("key"), "OPS");
  auto bad_key = post("/projects", {{"key", "no spaces"}});
  CAF_CHECK_EQUAL(bad_key.status, 422);
  auto bad_field = post("/projects", json::parse(R"({"key":"X","custom_fields":[{"nom":"A"}]})"));
  CAF_CHECK_EQUAL(bad_field.status, 400);
  CAF_CHECK(has(where_of(bad_field), "key nom"));
  auto core = post("/projects", json::parse(R"({"key":"X","custom_fields":[{"name":"status"}]})"));
  CAF_CHECK_EQUAL(core.status, 422);
  auto retype = post("/projects", json::parse(
    R"({"key":"OPS","custom_fields":[{"name":"Owner","type":"list","values":["x"]}]})"));
  CAF_CHECK_EQUAL(retype.status, 409);
  auto no_values = post("/projects", json::parse(
    R"({"key":"X","custom_fields":[{"name":"Y","type":"list"}]})"));
  CAF_CHECK_EQUAL(no_values.status, 422);
  auto twice = post("/projects", json::parse(
    R"({"key":"X","custom_fields":[{"name":"Y","type":"list","values":["a","a"]}]})"));
  CAF_CHECK_EQUAL(twice.status, 422);
  auto field_twice = post("/projects", json::parse(
    R"({"key":"X","custom_fields":[{"name":"W"},{"name":"W"}]})"));
  CAF_CHECK_EQUAL(field_twice.status, 422);
  CAF_CHECK(has(field_twice.json().dump(), "defined twice"));
  CAF_CHECK_EQUAL(get("/projects/X").status, 404); // nothing of a refused request was kept
}

CAF_TEST(head_answers_like_get_without_a_body) {
  auto head = call("HEAD", "/healthz");
  auto full = call("GET", "/healthz");
  CAF_CHECK_EQUAL(head.status, 200);
  CAF_CHECK(head.body.empty());
  CAF_CHECK_EQUAL(head.headers["content-length"], std::to_string(full.body.size()));
}

CAF_TEST(the_server_refuses_a_port_in_use_naming_it) {
  api::http_server second{routes, "127.0.0.1", server->port()};
  std::string message;
  try {
    second.start();
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  CAF_CHECK(has(message, "127.0.0.1:" + std::to_string(server->port())));
  CAF_CHECK_EQUAL(call("GET", "/healthz").status, 200);
}

CAF_TEST(a_stopped_server_closes_and_stops_again_harmlessly) {
  auto port = server->port();
  server->stop();
  server->stop();
  bool refused = false;
  try {
    http_call("GET", port, "/healthz");
  } catch (const std::runtime_error&) {
    refused = true;
  }
  CAF_CHECK(refused);
}

CAF_TEST(a_file_is_uploaded_as_the_request_body_and_served_byte_for_byte) {
  auto id = create("with a file")["id"].get<std::string>();
  std::string bytes{"\x89PNG\r\n\x1a\n\0\xff", 10};
  auto up = http_call("POST", server->port(),
                      "/api/v1/local/a/issues/" + id
                        + "/files?filename=shot.png&author=bob&description=the%20screen",
                      bytes, {{"Content-Type", "image/png"}});
  CAF_REQUIRE_EQUAL(up.status, 201);
  auto issue = up.json();
  CAF_REQUIRE_EQUAL(issue["attachments"].size(), 1u);
  auto file = issue["attachments"][0];
  CAF_CHECK_EQUAL(file["filename"], "shot.png");
  CAF_CHECK_EQUAL(file["content_type"], "image/png");
  CAF_CHECK_EQUAL(file["size"], 10);
  CAF_CHECK_EQUAL(file["description"], "the screen");
  auto entry = issue["history"].back();
  CAF_CHECK_EQUAL(entry["author"], "bob");
  CAF_CHECK_EQUAL(entry["attachments"][0]["action"], "added");
  CAF_CHECK_EQUAL(entry["attachments"][0]["file"], file);
  auto file_id = file["id"].get<std::string>();
  auto down = get("/files/" + file_id);
  CAF_CHECK_EQUAL(down.status, 200);
  CAF_CHECK(down.body == bytes);
  auto gone = call("DELETE", "/api/v1/local/a/issues/" + id + "/files/" + file_id + "?author=carol");
  CAF_REQUIRE_EQUAL(gone.status, 200);
  auto after = gone.json(); // bound: CAF's checks keep references
  CAF_CHECK(after["attachments"].empty());
  CAF_CHECK_EQUAL(after["history"].back()["attachments"][0]["action"], "removed");
  CAF_CHECK_EQUAL(get("/files/" + file_id).status, 404);
  auto again = call("DELETE", "/api/v1/local/a/issues/" + id + "/files/" + file_id);
  CAF_CHECK_EQUAL(again.status, 404);
  CAF_CHECK(has(where_of(again), "file " + file_id));
}

CAF_TEST(a_file_upload_without_a_filename_or_with_unknown_parameters_answers_400) {
  auto id = create("x")["id"].get<std::string>();
  auto none = call("POST", "/api/v1/local/a/issues/" + id + "/files", "bytes");
  CAF_CHECK_EQUAL(none.status, 400);
  CAF_CHECK_EQUAL(where_of(none), "query parameter filename");
  auto odd = call("POST", "/api/v1/local/a/issues/" + id + "/files?filename=a&size=3", "abc");
  CAF_CHECK_EQUAL(odd.status, 400);
  CAF_CHECK(has(message_of(odd), "allowed: filename, author, description"));
  CAF_CHECK_EQUAL(call("POST", "/api/v1/local/a/issues/99/files?filename=a", "x").status, 404);
}

CAF_TEST(a_relation_shows_on_both_issues_and_is_removed_from_either) {
  auto x = create("x")["id"].get<std::string>();
  auto y = create("y")["id"].get<std::string>();
  auto r = post("/issues/" + x + "/relations", {{"author", "bob"}, {"type", "blocks"}, {"issue", y}});
  CAF_REQUIRE_EQUAL(r.status, 201);
  auto made = r.json(); // bound: CAF's checks keep references
  auto expected = json::array({{{"type", "blocks"}, {"issue", y}}});
  CAF_CHECK_EQUAL(made["relations"], expected);
  auto other = get("/issues/" + y).json();
  auto reverse = json::array({{{"type", "blocked"}, {"issue", x}}});
  CAF_CHECK_EQUAL(other["relations"], reverse);
  CAF_CHECK_EQUAL(other["history"].back()["relations"][0]["type"], "blocked");
  CAF_CHECK_EQUAL(other["history"].back()["author"], "bob");
  auto twice = post("/issues/" + y + "/relations", {{"type", "relates"}, {"issue", x}});
  CAF_CHECK_EQUAL(twice.status, 409);
  auto unknown = post("/issues/" + x + "/relations", {{"type", "causes"}, {"issue", y}});
  CAF_CHECK_EQUAL(unknown.status, 422);
  CAF_CHECK(has(message_of(unknown), "unknown relation type 'causes'"));
  auto removed = call("DELETE", "/api/v1/local/a/issues/" + y + "/relations/" + x + "?author=carol");
  CAF_REQUIRE_EQUAL(removed.status, 200);
  CAF_CHECK(removed.json()["relations"].empty());
  CAF_CHECK(get("/issues/" + x).json()["relations"].empty());
  auto again = call("DELETE", "/api/v1/local/a/issues/" + y + "/relations/" + x);
  CAF_CHECK_EQUAL(again.status, 404);
  CAF_CHECK(has(message_of(again), "has no relation to issue " + x));
}

CAF_TEST_FIXTURE_SCOPE_END()
