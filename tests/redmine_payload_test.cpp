#define CAF_SUITE redmine_payload
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "adapters/redmine/redmine_payload.hpp"

using namespace tb;
using namespace tb::redmine;

namespace {

// An answer of the shape Redmine 5 gives for
// GET /issues/7.json?include=journals,attachments,relations.
const char* issue_answer = R"({"issue":{
  "id":7,"project":{"id":1,"name":"Alpha"},"tracker":{"id":1,"name":"Bug"},
  "status":{"id":2,"name":"In Progress","is_closed":false},"priority":{"id":2,"name":"Normal"},
  "author":{"id":5,"name":"Alice A"},"assigned_to":{"id":6,"name":"Bob B"},
  "subject":"Crash on save","description":"It crashes","start_date":"2026-11-30",
  "due_date":null,"done_ratio":30,"is_private":false,"estimated_hours":2.5,
  "custom_fields":[{"id":3,"name":"Severity","value":"High"},
                   {"id":4,"name":"ALT_ID","value":"rm2/9"},
                   {"id":5,"name":"Platforms","multiple":true,"value":["Linux","Mac"]}],
  "created_on":"2026-11-30T10:00:00Z","updated_on":"2026-11-30T12:00:00Z","closed_on":null,
  "attachments":[
    {"id":11,"filename":"log.txt","filesize":12,"content_type":"text/plain",
     "description":"the log","author":{"id":5,"name":"Alice A"}},
    {"id":12,"filename":"shot.png","filesize":400,"content_type":"image/png","description":""}],
  "relations":[{"id":1,"issue_id":7,"issue_to_id":8,"relation_type":"blocks","delay":null},
               {"id":2,"issue_id":3,"issue_to_id":7,"relation_type":"precedes","delay":0}],
  "journals":[
    {"id":22,"user":{"id":5,"name":"Alice A"},"notes":"secret","private_notes":true,
     "created_on":"2026-11-30T11:30:00Z","details":[
       {"property":"attr","name":"done_ratio","old_value":"0","new_value":"30"},
       {"property":"attr","name":"project_id","old_value":"2","new_value":"1"},
       {"property":"relation","name":"blocks","old_value":null,"new_value":"8"}]},
    {"id":21,"user":{"id":6,"name":"Bob B"},"notes":"Looking","private_notes":false,
     "created_on":"2026-11-30T11:00:00Z","details":[
       {"property":"attr","name":"status_id","old_value":"1","new_value":"2"},
       {"property":"cf","name":"3","old_value":"Low","new_value":"High"},
       {"property":"attachment","name":"12","old_value":null,"new_value":"shot.png"},
       {"property":"watchers","name":"x","old_value":null,"new_value":"y"}]}]
}})";

// Names as Redmine would give them; what was asked is kept.
struct fake_names {
  std::vector<std::pair<catalog::kind, long>> asked;
  name_lookup lookup() {
    return [this](catalog::kind k, long id) -> std::optional<std::string> {
      asked.emplace_back(k, id);
      if (k == catalog::user)
        return id == 5 ? "alice" : id == 6 ? "bob" : std::optional<std::string>{};
      if (k == catalog::status && id == 1)
        return "New";
      return std::nullopt;
    };
  }
};

json parsed(const std::string& body) {
  auto j = parse_answer(body);
  CAF_REQUIRE(j.ok());
  return *j;
}

// The issue answer with one value replaced: `path` is a JSON pointer.
json with(const std::string& pointer, json value) {
  auto j = parsed(issue_answer);
  j[json::json_pointer{pointer}] = std::move(value);
  return j;
}

sync_error read_error(const json& answer) {
  catalog names;
  fake_names fake;
  auto r = issue_of(answer, "alpha", 1, names, fake.lookup());
  CAF_REQUIRE(!r.ok());
  return r.error();
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

CAF_TEST(an_issue_answer_reads_as_current_values_files_relations_and_a_rebuilt_history) {
  catalog names;
  fake_names fake;
  auto r = issue_of(parsed(issue_answer), "alpha", 1, names, fake.lookup());
  CAF_REQUIRE(r.ok());
  auto& i = *r;
  CAF_CHECK_EQUAL(i.id, "7");
  CAF_CHECK_EQUAL(i.alt_id, "rm2/9");
  CAF_CHECK_EQUAL(i.fields.at("status"), "In Progress");
  CAF_CHECK_EQUAL(i.fields.at("assignee"), "bob"); // the login, not the display name
  CAF_CHECK_EQUAL(i.fields.at("done_ratio"), "30");
  CAF_CHECK_EQUAL(i.fields.at("estimated_hours"), "2.5");
  CAF_CHECK_EQUAL(i.fields.at("Platforms"), "Linux, Mac");
  CAF_CHECK_EQUAL(i.fields.count("due_date"), 0u); // null: not set
  CAF_CHECK_EQUAL(i.fields.count("ALT_ID"), 0u);
  CAF_REQUIRE_EQUAL(i.attachments.size(), 2u);
  CAF_CHECK_EQUAL(i.attachments[0].description, "the log");
  CAF_CHECK_EQUAL(i.attachments[1].size, 400);
  CAF_REQUIRE_EQUAL(i.relations.size(), 2u);
  CAF_CHECK(i.relations[0] == (relation{"blocks", "8"}));
  CAF_CHECK(i.relations[1] == (relation{"follows", "3"})); // 3 precedes 7

  CAF_REQUIRE_EQUAL(i.history.size(), 3u);
  auto& creation = i.history[0];
  CAF_CHECK(creation.is_creation);
  CAF_CHECK_EQUAL(creation.author, "alice");
  field_values initial;
  for (auto& c : creation.changes)
    initial[c.field] = c.new_value;
  CAF_CHECK_EQUAL(initial.at("status"), "New");
  CAF_CHECK_EQUAL(initial.at("Severity"), "Low");
  CAF_CHECK_EQUAL(initial.at("done_ratio"), "0");
  CAF_REQUIRE_EQUAL(creation.attachments.size(), 1u); // shot.png came with journal 21
  CAF_CHECK_EQUAL(creation.attachments[0].file.filename, "log.txt");

  auto& first = i.history[1]; // sorted by id: 21 before 22
  CAF_CHECK_EQUAL(first.id, "21");
  CAF_CHECK_EQUAL(first.author, "bob");
  CAF_CHECK_EQUAL(first.comment, "Looking");
  CAF_REQUIRE_EQUAL(first.changes.size(), 2u); // watchers: not synced
  CAF_CHECK(first.changes[0] == (field_change{"status", "New", "In Progress"}));
  CAF_CHECK(first.changes[1] == (field_change{"Severity", "Low", "High"}));
  CAF_REQUIRE_EQUAL(first.attachments.size(), 1u);
  CAF_CHECK_EQUAL(first.attachments[0].file.id, "12");

  auto& second = i.history[2];
  CAF_CHECK_EQUAL(second.comment, ""); // private notes stay where they were written
  CAF_REQUIRE_EQUAL(second.changes.size(), 1u); // project_id: not synced
  CAF_CHECK_EQUAL(second.changes[0].field, "done_ratio");
  CAF_REQUIRE_EQUAL(second.relations.size(), 1u);
  CAF_CHECK(second.relations[0].added);

  CAF_CHECK_EQUAL(names.name(catalog::status, 2).value_or(""), "In Progress");
}

CAF_TEST(an_answer_recorded_from_a_real_redmine_5_reads_too) {
  // tests/fuzz/seeds/redmine/real_*.json were answered by Debian's Redmine
  // 5.0 (scripts/redmine): an issue with a file, UTF-8 text, a custom field
  // change, a private note, a journal for a subtask and one for a relation.
  std::ifstream in{TB_SOURCE_DIR "/tests/fuzz/seeds/redmine/real_issue.json"};
  std::stringstream body;
  body << in.rdbuf();
  catalog names;
  fake_names fake;
  auto r = issue_of(parsed(body.str()), "alpha", 1, names, fake.lookup());
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->fields.at("description"), "Grüße, naïve café ☕");
  CAF_CHECK_EQUAL(r->fields.at("Severity"), "High");
  CAF_CHECK_EQUAL(r->alt_id, ""); // its ALT_ID is null: an original
  CAF_CHECK_EQUAL(r->fields.count("ALT_ID"), 0u);
  CAF_REQUIRE_EQUAL(r->history.size(), 5u);
  field_values initial;
  for (auto& c : r->history[0].changes)
    initial[c.field] = c.new_value;
  CAF_CHECK_EQUAL(initial.at("Severity"), "Low");
  CAF_CHECK_EQUAL(initial.at("status"), "New");
  CAF_CHECK_EQUAL(initial.count("estimated_hours"), 0u);
  CAF_CHECK_EQUAL(r->history[0].attachments.size(), 1u);
  // child_id: Redmine's record of a subtask made; where it sits is kept.
  CAF_CHECK(r->history[1].changes.empty());
  CAF_CHECK(r->history[1].children == (std::vector<child_change>{{"2", true}}));
  CAF_CHECK_EQUAL(r->history[2].comment, "Looking into it");
  CAF_CHECK_EQUAL(r->history[2].changes.size(), 3u);
  CAF_CHECK(r->history[3].empty()); // a private note, nothing else
  CAF_REQUIRE_EQUAL(r->history[4].relations.size(), 1u);
  CAF_CHECK(r->history[4].relations[0].link == (relation{"blocks", "3"}));
  CAF_CHECK(r->relations == (std::vector<relation>{{"blocks", "3"}}));
}

CAF_TEST(the_private_flag_reads_as_true_or_not_set_in_values_and_journals) {
  auto answer = with("/issue/is_private", true);
  answer["issue"]["journals"][1]["details"].push_back(
    {{"property", "attr"}, {"name", "is_private"}, {"old_value", "0"}, {"new_value", "1"}});
  catalog names;
  fake_names fake;
  auto i = issue_of(answer, "alpha", 1, names, fake.lookup());
  CAF_REQUIRE(i.ok());
  CAF_CHECK_EQUAL(i->fields.at("private"), "true");
  auto& made_private = i->history[1]; // journal 21, the older
  auto c = std::find_if(made_private.changes.begin(), made_private.changes.end(),
                        [](auto& x) { return x.field == "private"; });
  CAF_REQUIRE(c != made_private.changes.end());
  CAF_CHECK_EQUAL(c->old_value, "");
  CAF_CHECK_EQUAL(c->new_value, "true");
  CAF_CHECK_EQUAL(i->history[0].changes.end(),
                  std::find_if(i->history[0].changes.begin(), i->history[0].changes.end(),
                               [](auto& x) { return x.field == "private"; }));
  auto public_one = issue_of(parsed(issue_answer), "alpha", 1, names, fake.lookup());
  CAF_REQUIRE(public_one.ok());
  CAF_CHECK_EQUAL(public_one->fields.count("private"), 0u);
}

CAF_TEST(an_issue_of_another_project_is_not_found) {
  catalog names;
  fake_names fake;
  auto r = issue_of(parsed(issue_answer), "beta", 2, names, fake.lookup());
  CAF_REQUIRE(!r.ok());
  CAF_CHECK(r.error().kind == error_kind::not_found);
}

CAF_TEST(a_value_of_the_wrong_type_names_its_place_in_the_answer) {
  struct wrong {
    const char* pointer;
    json value;
    const char* message;
  };
  for (auto& w : std::vector<wrong>{
         {"/issue/id", "7", "answer.issue.id is a string where a whole number belongs"},
         {"/issue/journals/1/id", 21.5,
          "answer.issue.journals[1].id is a fraction where a whole number belongs"},
         {"/issue/journals/0/details", json::object(),
          "answer.issue.journals[0].details is an object where an array belongs"},
         {"/issue/subject", json{{"text", "x"}},
          "answer.issue.subject is an object where a text belongs"},
         {"/issue/custom_fields/2/value", json::array({json::array({"Linux"})}),
          "answer.issue.custom_fields[2].value[0] is an array where a value of a list belongs"},
         {"/issue/journals/0/private_notes", "yes",
          "answer.issue.journals[0].private_notes is a string where true or false belongs"},
         {"/issue/status", "In Progress",
          "answer.issue.status is a string where an object belongs"},
         {"/issue/attachments/0/id", nullptr, "answer.issue.attachments[0].id is missing"},
         {"/issue/updated_on", "yesterday",
          "answer.issue.updated_on is not a time (\"yesterday\")"},
         {"/issue/relations/0/issue_to_id", std::uint64_t{1} << 63,
          "answer.issue.relations[0].issue_to_id is out of range (9223372036854775808)"},
       }) {
    auto err = read_error(with(w.pointer, w.value));
    CAF_CHECK(err.kind == error_kind::bad_answer);
    CAF_CHECK_EQUAL(err.message, w.message);
  }
  CAF_CHECK_EQUAL(read_error(json{{"issues", json::array()}}).message,
                  "answer.issue is missing");
  CAF_CHECK_EQUAL(read_error(json::array()).message,
                  "answer is an array where an object belongs");
}

CAF_TEST(unknown_fields_and_detail_kinds_are_passed_over) {
  auto j = with("/issue/spent_hours", 3.0);
  j["issue"]["journals"][0]["details"].push_back(
    {{"property", "attr"}, {"name", "story_points"}, {"old_value", "0"}, {"new_value", "1"}});
  j["issue"]["journals"][0]["details"].push_back(
    {{"property", "relation"}, {"name", "nonsense"}, {"old_value", nullptr}, {"new_value", "9"}});
  j["issue"]["something_new"] = {{"nested", {1, 2, 3}}};
  catalog names;
  fake_names fake;
  auto r = issue_of(j, "alpha", 1, names, fake.lookup());
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->history.size(), 3u);
  CAF_CHECK_EQUAL(r->history[2].changes.size(), 1u);
  CAF_CHECK_EQUAL(r->history[2].relations.size(), 1u);
}

CAF_TEST(a_body_that_is_not_json_says_at_which_byte_and_why) {
  std::string whole = issue_answer;
  auto cut = parse_answer(whole.substr(0, 100));
  CAF_REQUIRE(!cut.ok());
  CAF_CHECK(cut.error().kind == error_kind::bad_answer);
  CAF_CHECK(has(cut.error().message, "not JSON: at byte 101 of 100"));

  auto html = parse_answer("<html><body>502 Bad Gateway</body></html>");
  CAF_REQUIRE(!html.ok());
  CAF_CHECK(has(html.error().message, "not JSON: at byte 1 of 41, syntax error"));

  // Invalid UTF-8 in a string: refused, and the message does not repeat the
  // bytes (it must stay valid UTF-8 for the log and the API).
  auto bad = whole;
  bad.replace(bad.find("Crash"), 5, "Cr\xff\xfeh");
  auto r = parse_answer(bad);
  CAF_REQUIRE(!r.ok());
  CAF_CHECK(has(r.error().message, "ill-formed UTF-8 byte"));
  CAF_CHECK(!has(r.error().message, "\xff"));
  CAF_CHECK_EQUAL(json(r.error().message).dump().empty(), false); // dump would throw otherwise
}

CAF_TEST(the_other_answers_read_strictly_too) {
  auto listing = listing_of(parsed(R"({"issues":[{"id":3,"updated_on":"2026-11-30T10:00:00Z"},
    {"id":4,"updated_on":"2026-11-30T10:00:01Z"}],"total_count":7,"offset":0,"limit":2})"));
  CAF_REQUIRE(listing.ok());
  CAF_CHECK_EQUAL(listing->issues.size(), 2u);
  CAF_CHECK_EQUAL(listing->issues[1].id, "4");
  CAF_CHECK_EQUAL(listing->total, 7u);
  auto no_time = listing_of(parsed(R"({"issues":[{"id":3}],"total_count":1})"));
  CAF_REQUIRE(!no_time.ok());
  CAF_CHECK_EQUAL(no_time.error().message, "answer.issues[0].updated_on is not a time (missing)");

  auto statuses = named_items(parsed(R"({"issue_statuses":[{"id":1,"name":"New"}]})"),
                              "issue_statuses");
  CAF_REQUIRE(statuses.ok());
  CAF_CHECK(statuses->at(0) == (named{1, "New"}));
  auto fields = issue_custom_fields(parsed(R"({"custom_fields":[
    {"id":1,"name":"Severity","customized_type":"issue"},
    {"id":2,"name":"Phone","customized_type":"user"}]})"));
  CAF_REQUIRE(fields.ok());
  CAF_CHECK_EQUAL(fields->size(), 1u);

  auto project = project_of(parsed(R"({"project":{"id":"1"}})"));
  CAF_REQUIRE(!project.ok());
  CAF_CHECK_EQUAL(project.error().message,
                  "answer.project.id is a string where a whole number belongs");

  auto rels = relations_of(parsed(R"({"relations":[
    {"id":5,"issue_id":3,"issue_to_id":7,"relation_type":"blocks"}]})"), "7");
  CAF_REQUIRE(rels.ok());
  CAF_CHECK_EQUAL(rels->at(0).first, 5);
  CAF_CHECK(rels->at(0).second == (relation{"blocked", "3"}));

  auto ticket = upload_of(parsed(R"({"upload":{"id":31,"token":"31.abc"}})"));
  CAF_REQUIRE(ticket.ok());
  CAF_CHECK_EQUAL(ticket->token, "31.abc");
  CAF_CHECK_EQUAL(ticket->id, "31");
  auto no_token = upload_of(parsed(R"({"upload":{"id":31}})"));
  CAF_REQUIRE(!no_token.ok());
  CAF_CHECK_EQUAL(no_token.error().message, "answer.upload.token is missing");

  auto made = created_of(parsed(R"({"issue":{"id":40,"updated_on":"2026-11-30T10:00:00Z"}})"));
  CAF_REQUIRE(made.ok());
  CAF_CHECK_EQUAL(made->id, "40");
  auto ids = issue_ids_of(parsed(R"({"issues":[{"id":40},{"id":"41"}]})"));
  CAF_REQUIRE(!ids.ok());
  CAF_CHECK_EQUAL(ids.error().message,
                  "answer.issues[1].id is a string where a whole number belongs");

  CAF_CHECK_EQUAL(refusals_of(parsed(R"({"errors":["Subject cannot be blank",3]})")),
                  "Subject cannot be blank; 3");
  CAF_CHECK_EQUAL(refusals_of(parsed(R"({"errors":"no"})")), "");
}

CAF_TEST(what_a_project_takes_reads_from_its_trackers_the_field_formats_and_the_users) {
  auto project = project_of(parsed(R"({"project":{"id":4,
    "trackers":[{"id":1,"name":"Bug"},{"id":2,"name":"Feature"}],
    "issue_custom_fields":[{"id":2,"name":"Severity"}]}})"));
  CAF_REQUIRE(project.ok());
  CAF_REQUIRE_EQUAL(project->trackers.size(), 2u);
  CAF_CHECK_EQUAL(project->trackers[1].name, "Feature");
  CAF_CHECK_EQUAL(project->custom_fields.at(0).name, "Severity");

  auto formats = issue_field_formats(parsed(R"({"custom_fields":[
    {"id":2,"name":"Severity","customized_type":"issue","field_format":"list",
     "possible_values":[{"value":"Low","label":"Low"},{"value":"High","label":"High"}],
     "trackers":[{"id":1,"name":"Bug"},{"id":3,"name":"Support"}]},
    {"id":5,"name":"Owner","customized_type":"issue","field_format":"user"},
    {"id":6,"name":"Hours kind","customized_type":"time_entry","field_format":"list",
     "possible_values":[{"value":"x"}]}]})"));
  CAF_REQUIRE(formats.ok());
  CAF_REQUIRE_EQUAL(formats->size(), 2u); // a time entry's field is not an issue's
  CAF_CHECK_EQUAL(formats->at(0).format, "list");
  CAF_CHECK(formats->at(0).values == (std::vector<std::string>{"Low", "High"}));
  CAF_CHECK(formats->at(0).trackers == (std::vector<std::string>{"Bug", "Support"}));
  CAF_CHECK_EQUAL(formats->at(1).format, "user");
  CAF_CHECK(formats->at(1).trackers.empty()); // for no tracker
  auto bad = issue_field_formats(parsed(R"({"custom_fields":[
    {"name":"S","customized_type":"issue","possible_values":[{"value":{"no":1}}]}]})"));
  CAF_REQUIRE(!bad.ok());
  CAF_CHECK_EQUAL(bad.error().message,
                  "answer.custom_fields[0].possible_values[0].value is an object where a text "
                  "belongs");

  auto users = users_of(parsed(R"({"users":[{"id":1,"login":"admin"},{"id":5,"login":"alice"}],
    "total_count":230,"offset":0,"limit":100})"));
  CAF_REQUIRE(users.ok());
  CAF_CHECK(users->logins == (std::vector<std::string>{"admin", "alice"}));
  CAF_CHECK_EQUAL(users->total, 230u);
}

CAF_TEST(time_entries_read_as_an_issues_own_rows_by_login_with_hours_as_redmine_shows_them) {
  // GET /time_entries.json?issue_id=7 as Redmine 5 answers it (issue 8's
  // row stands for one Redmine would list under "~7", a child's).
  auto answer = parsed(R"({"time_entries":[
    {"id":31,"project":{"id":1,"name":"Alpha"},"issue":{"id":7},
     "user":{"id":5,"name":"Alice A"},"activity":{"id":8,"name":"Design"},"hours":1.33,
     "comments":"review ","spent_on":"2026-11-30","created_on":"2026-12-01T10:00:00Z",
     "updated_on":"2026-12-01T11:00:00Z",
     "custom_fields":[{"id":4,"name":"Invoice","value":"INV-1"}]},
    {"id":32,"project":{"id":1,"name":"Alpha"},"issue":{"id":8},
     "user":{"id":6,"name":"Bob B"},"activity":{"id":9,"name":"Development"},"hours":2.0,
     "comments":"","spent_on":"2026-11-29","created_on":"2026-12-01T10:00:00Z",
     "updated_on":"2026-12-01T10:00:00Z"},
    {"id":33,"project":{"id":1,"name":"Alpha"},"issue":{"id":7},
     "user":{"id":6,"name":"Bob B"},"activity":{"id":9,"name":"Development"},"hours":2.0,
     "comments":"","spent_on":"2026-11-29","created_on":"2026-12-01T10:00:00Z",
     "updated_on":"2026-12-01T10:00:00Z"}],
    "total_count":3,"offset":0,"limit":100})");
  catalog names;
  fake_names fake;
  auto page = time_entries_of(answer, "7", names, fake.lookup());
  CAF_REQUIRE(page.ok());
  CAF_CHECK_EQUAL(page->listed, 3u);
  CAF_CHECK_EQUAL(page->total, 3u);
  CAF_REQUIRE_EQUAL(page->rows.size(), 2u);
  auto& first = page->rows[0];
  CAF_CHECK_EQUAL(first.id, "31");
  CAF_CHECK_EQUAL(first.user, "alice");
  CAF_CHECK_EQUAL(first.hours, "1.33");
  CAF_CHECK_EQUAL(first.activity, "Design");
  CAF_CHECK_EQUAL(first.comments, "review ");
  CAF_CHECK_EQUAL(first.spent_on, "2026-11-30");
  CAF_CHECK_EQUAL(first.fields, (field_values{{"Invoice", "INV-1"}}));
  CAF_CHECK_EQUAL(names.id(catalog::time_entry_field, "Invoice"), std::optional<long>{4});
  CAF_CHECK_EQUAL(page->rows[1].id, "33");
  CAF_CHECK_EQUAL(page->rows[1].hours, "2");
  CAF_CHECK_EQUAL(hours_text(0.25), "0.25");
  CAF_CHECK_EQUAL(hours_text(1.5), "1.5");
  CAF_CHECK_EQUAL(hours_text(10.0), "10");
  // Strict as the other readers: a wrong type names its place.
  answer["time_entries"][2]["hours"] = "2h";
  auto bad = time_entries_of(answer, "7", names, fake.lookup());
  CAF_REQUIRE(!bad.ok());
  CAF_CHECK_EQUAL(bad.error().kind, error_kind::bad_answer);
  CAF_CHECK_EQUAL(bad.error().message,
                  "answer.time_entries[2].hours is a string where a number belongs");
  auto one = time_entry_of(parsed(R"({"time_entry":{"id":40,"issue":{"id":7},
    "user":{"id":6,"name":"Bob B"},"activity":{"id":8,"name":"Design"},"hours":0.5,
    "comments":"call","spent_on":"2026-11-28"}})"), names, fake.lookup());
  CAF_REQUIRE(one.ok());
  CAF_CHECK_EQUAL(one->user, "bob");
  CAF_CHECK_EQUAL(one->hours, "0.5");
}

CAF_TEST(who_has_a_role_reads_from_memberships_groups_and_users) {
  // As Redmine 5 lists a group's membership: the group with its role, and
  // each of its users again with the role inherited.
  auto page = memberships_of(parsed(R"({"memberships":[
    {"id":5,"project":{"id":3,"name":"p"},"user":{"id":5,"name":"Alice Example"},
     "roles":[{"id":4,"name":"Developer"}]},
    {"id":7,"project":{"id":3,"name":"p"},"group":{"id":8,"name":"night"},
     "roles":[{"id":5,"name":"Reporter"},{"id":4,"name":"Developer"}]},
    {"id":8,"project":{"id":3,"name":"p"},"user":{"id":7,"name":"Carol Example"},
     "roles":[{"id":5,"name":"Reporter","inherited":true}]}],
    "total_count":4,"offset":0,"limit":3})"));
  CAF_REQUIRE(page.ok());
  CAF_CHECK_EQUAL(page->listed, 3u);
  CAF_CHECK_EQUAL(page->total, 4u);
  CAF_REQUIRE_EQUAL(page->members.size(), 3u);
  CAF_CHECK(!page->members[0].group);
  CAF_CHECK_EQUAL(page->members[0].principal, 5);
  CAF_CHECK(page->members[1].group);
  CAF_CHECK_EQUAL(page->members[1].principal, 8);
  CAF_CHECK(page->members[1].roles == (std::vector<std::string>{"Reporter", "Developer"}));
  CAF_CHECK(!memberships_of(parsed(R"({"memberships":[{"user":{"name":"no id"}}]})")).ok());

  auto admin_view = member_of(parsed(R"({"user":{"id":5,"login":"alice","firstname":"Alice",
    "lastname":"Example","mail":"alice@example.invalid","status":1}})"));
  CAF_REQUIRE(admin_view.ok());
  CAF_CHECK_EQUAL(admin_view->member.login, "alice");
  CAF_CHECK_EQUAL(admin_view->member.mail, "alice@example.invalid");
  CAF_CHECK(!admin_view->locked);
  // Without an administrator's key: no login, no status, the address only
  // if the user shows it.
  auto user_view = member_of(parsed(R"({"user":{"id":6,"firstname":"Bob","lastname":"Example"}})"));
  CAF_REQUIRE(user_view.ok());
  CAF_CHECK_EQUAL(user_view->member.login, "Bob Example");
  CAF_CHECK_EQUAL(user_view->member.mail, "");
  auto locked = member_of(parsed(R"({"user":{"id":7,"login":"carol","status":3}})"));
  CAF_REQUIRE(locked.ok());
  CAF_CHECK(locked->locked);
  CAF_CHECK(!member_of(parsed(R"({"group":{}})")).ok());

  auto group = group_users_of(parsed(R"({"group":{"id":8,"name":"night",
    "users":[{"id":7,"name":"Carol Example"},{"id":9,"name":"Dan"}]}})"));
  CAF_REQUIRE(group.ok());
  CAF_CHECK(*group == (std::vector<long>{7, 9}));
}
