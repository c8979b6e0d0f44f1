#define CAF_SUITE messages
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

// Every message type of the type-ID block (actors/messages.hpp) written with
// CAF's binary serialiser and read back, field by field: each sample sets
// every member to something other than its default, so a member an inspect
// leaves out comes back default and the comparison fails.

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>

#include "actors/fwd.hpp"
#include "actors/system_config.hpp"

using namespace tb;

namespace {

// One sample per type in the block; a type added to the block without one
// fails to link (sample<T> is declared for all, defined for these).
template <class T>
T sample();

attachment a_file() { return {"77", "log.txt", "text/plain", 1234, "the server's log"}; }

history_entry an_entry() {
  history_entry e{"j9", "alice", 1700000000123, {{"status", "New", "Closed"}}, "done", true};
  e.attachments = {{a_file(), false, std::string("bytes\0with a zero", 16)}};
  e.relations = {{{"precedes", "12", 3}, false}};
  e.children = {{"13", false}};
  return e;
}

time_entry a_row() {
  return {"5", "bob", "2026-11-30", "1.5", "Design", "review", {{"Billable", "1"}}, 1700000000456};
}

template <>
side sample<side>() {
  return side::target;
}
template <>
issue_ref sample<issue_ref>() {
  return {side::target, "42"};
}
template <>
issue_stamp sample<issue_stamp>() {
  return {"42", 1700000000789};
}
template <>
std::vector<issue_stamp> sample<std::vector<issue_stamp>>() {
  return {{"1", 10}, {"2", 20}};
}
template <>
replica_write sample<replica_write>() {
  replica_write w{"carol", {{"priority", "Low", "High"}}, "a comment", "rm1/7"};
  w.attachments = {{a_file(), true, "content"}};
  w.relations = {{{"blocks", "8", 0}, true}};
  w.watchers = {{"dave", false}};
  w.descriptions = {a_file()};
  return w;
}
template <>
stamps_result sample<stamps_result>() {
  return sample<std::vector<issue_stamp>>();
}
template <>
issue_result sample<issue_result>() {
  issue i;
  i.id = "42";
  i.project = "alpha";
  i.fields = {{"subject", "S"}, {"Severity", "S1"}};
  i.alt_id = "rm1/3";
  i.created = 1000;
  i.updated = 2000;
  i.attachments = {a_file()};
  i.relations = {{"follows", "40", 2}};
  i.watchers = {"erin"};
  i.history = {an_entry(), an_entry()};
  return i;
}
template <>
write_outcome sample<write_outcome>() {
  write_result r{"43", {"j1", "j2"}, 3000, {"a1"}, {{"40", "j7"}}};
  r.dropped = {{{"status", "New", "Closed"}, "alice", "add a workflow transition"}};
  return r;
}
template <>
find_result sample<find_result>() {
  return std::optional<std::string>{"43"};
}
template <>
content_result sample<content_result>() {
  return std::string("\x00\xff\x01 bytes", 9);
}
template <>
time_entry_write sample<time_entry_write>() {
  return {"5", a_row()};
}
template <>
time_entries_result sample<time_entries_result>() {
  return std::vector<time_entry>{a_row(), a_row()};
}
template <>
time_entry_result sample<time_entry_result>() {
  // An error, so results' error branch is covered too.
  return sync_error{error_kind::conflict, "connection b, issue 12", "refused", 30000, true};
}
template <>
log_level sample<log_level>() {
  return log_level::warn;
}
template <>
task_status sample<task_status>() {
  task_status s;
  s.name = "t1";
  s.state = "paused";
  s.received[0] = 3;
  s.received[1] = 4;
  s.synced = 5;
  s.failed = 6;
  s.active = 7;
  s.latency.observe(0.02);
  s.latency.observe(400);
  s.progress = sync_progress{"resync", 100, 200, true, 10, 8, 1};
  s.problems = {{"$.tasks.t1.value_mappings.status", "no status \"Done\"", "its values: ..."}};
  s.warnings = {{"$.tasks.t1", "not checked: the users", ""}};
  return s;
}
template <>
pass_end sample<pass_end>() {
  return {{side::target, "9"}, 4, pass_outcome::unavailable};
}
template <>
listing_page sample<listing_page>() {
  return {side::target, listing_kind::resync, {{"1", 10}}, true};
}

template <>
catalogue_result sample<catalogue_result>() {
  tracker_catalogue c{"connection rm2, project beta"};
  c.fields = std::map<std::string, field_catalogue>{
    {"status", {field_catalogue::takes::listed, {"Open", "Done"}}},
    {"assignee", {field_catalogue::takes::users, {}}},
    {"subject", {}}};
  c.users = std::set<std::string>{"alice", "bob"};
  c.more_fields = true;
  c.unread = {"the list values of custom fields"};
  return c;
}

template <>
listing_narrowing sample<listing_narrowing>() {
  return {{{"status", {"New", "Open"}}, {"tracker", {"Bug"}}}, 1000, std::nullopt};
}
template <>
newest_result sample<newest_result>() {
  return timestamp{1764763200000};
}
template <>
notice sample<notice>() {
  return {notice_kind::parked, "a-b", "rm2", "target", "12", "parked after 10 attempts",
          1764763200000};
}
template <>
smtp::mail sample<smtp::mail>() {
  return {{"ops@example.org", "lead@example.org"}, "TrackBridge: 2 events", "body\n",
          "<tb.1@trackbridge>"};
}
template <>
smtp::send_result sample<smtp::send_result>() {
  return {smtp::outcome::refused, 550, "550 5.1.1 no such mailbox"};
}

template <>
members_result sample<members_result>() {
  return std::vector<project_member>{{"alice", "alice@example.invalid"}, {"carol", ""}};
}

template <class T>
T round_trip(caf::actor_system& sys, const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto copy = x;
  if (auto err = sink(copy))
    CAF_FAIL("serialising " << std::string{caf::type_name<T>::value} << ": " << sys.render(err));
  T back{};
  caf::binary_deserializer source{sys, buf};
  if (auto err = source(back))
    CAF_FAIL("reading back " << std::string{caf::type_name<T>::value} << ": "
                             << sys.render(err));
  CAF_CHECK_EQUAL(source.remaining(), 0u);
  return back;
}

template <class T>
void check_round_trip(caf::actor_system& sys) {
  std::string name = caf::type_name<T>::value;
  auto x = sample<T>();
  if (x == T{})
    CAF_ERROR(name << ": its sample is the default");
  auto back = round_trip(sys, x);
  CAF_CHECK(back == x);
  if (!(back == x))
    CAF_ERROR(name << " came back different: " << caf::deep_to_string(back) << " instead of "
                   << caf::deep_to_string(x));
}

template <long... Is>
void check_block(caf::actor_system& sys, caf::detail::int_list<Is...>) {
  (check_round_trip<typename caf::type_by_id<Is>::type>(sys), ...);
}

struct fixture {
  system_config cfg;
  caf::actor_system sys{cfg};
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(messages_tests, fixture)

CAF_TEST(every type of the block comes back as it was written) {
  using block = caf::id_block::trackbridge;
  check_block(sys, typename caf::detail::il_range<block::begin, block::end>::type{});
}

CAF_TEST(what equality leaves out comes back too) {
  // A relation is the same relation whatever its delay, so == ignores it.
  auto back = round_trip(sys, sample<issue_result>());
  CAF_REQUIRE(back.ok());
  CAF_CHECK_EQUAL(back->relations.at(0).delay, 2);
  CAF_CHECK_EQUAL(back->history.at(0).relations.at(0).link.delay, 3);
  // A content with a zero byte keeps all of its bytes.
  CAF_CHECK_EQUAL(back->history.at(0).attachments.at(0).content.size(), 16u);
}

CAF_TEST(optional values come back absent as absent) {
  find_result none = std::optional<std::string>{};
  auto back = round_trip(sys, none);
  CAF_REQUIRE(back.ok());
  CAF_CHECK(!back->has_value());
  time_entry_write deletion{"5", std::nullopt};
  CAF_CHECK(!round_trip(sys, deletion).content.has_value());
  task_status idle;
  idle.name = "t1";
  CAF_CHECK(!round_trip(sys, idle).progress.has_value());
}

CAF_TEST(a message crosses as its registered types) {
  // What the middleman does with a message between nodes: the type names
  // are written, and the reading side builds the values from its registry.
  auto msg = caf::make_message(done_atom_v, sample<pass_end>());
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  if (auto err = sink(msg))
    CAF_FAIL("serialising the message: " << sys.render(err));
  caf::message back;
  caf::binary_deserializer source{sys, buf};
  if (auto err = source(back))
    CAF_FAIL("reading the message back: " << sys.render(err));
  CAF_REQUIRE((back.match_elements<done_atom, pass_end>()));
  CAF_CHECK(back.get_as<pass_end>(1) == sample<pass_end>());
}

CAF_TEST(a result whose flag and value disagree is refused) {
  // ok, then no value and no error: a corrupt or foreign byte stream.
  std::vector<char> buf{1, 0, 0};
  caf::binary_deserializer source{sys, buf};
  issue_result back;
  CAF_CHECK(static_cast<bool>(source(back)));
}

CAF_TEST_FIXTURE_SCOPE_END()
