// Every reader of Redmine's answers on arbitrary bytes: each gives a value or
// a bad_answer naming where, never a crash, a hang, an exception or an error
// message that is not valid UTF-8 (the log and the API must be able to show it).

#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/redmine/redmine_payload.hpp"

namespace {

using namespace tb;
using namespace tb::redmine;

template <class T>
void check(const result<T>& r) {
  if (r)
    return;
  auto& e = r.error();
  if (e.kind != error_kind::bad_answer || e.message.empty())
    __builtin_trap();
  (void) json(e.message).dump(); // throws (and fails the run) on invalid UTF-8
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto answer = parse_answer(std::string_view(reinterpret_cast<const char*>(data), size));
  check(answer);
  if (!answer)
    return 0;
  auto& j = *answer;
  catalog names;
  auto made_up = [](catalog::kind k, long id) -> std::optional<std::string> {
    if (id % 3 == 0)
      return std::nullopt; // a lookup that failed
    return "name-" + std::to_string(static_cast<int>(k)) + "-" + std::to_string(id);
  };
  auto i = issue_of(j, "alpha", 1, names, made_up);
  if (i) {
    if (i->history.empty() || !i->history[0].is_creation)
      __builtin_trap(); // every issue read has its creation entry first
  } else if (i.error().kind != error_kind::not_found) {
    check(i);
  }
  check(listing_of(j));
  check(relations_of(j, "7"));
  check(time_entries_of(j, "7", names, made_up));
  check(time_entry_of(j, names, made_up));
  check(time_entry_custom_fields(j));
  check(upload_of(j));
  check(created_of(j));
  check(issue_ids_of(j));
  check(named_items(j, "issue_statuses"));
  check(named_items(j, "users", "login"));
  check(issue_custom_fields(j));
  check(project_of(j));
  check(issue_field_formats(j));
  check(users_of(j));
  check(memberships_of(j));
  check(member_of(j));
  check(group_users_of(j));
  check(text_in(j, "user", "login"));
  check(id_in(j, "version"));
  (void) refusals_of(j);
  return 0;
}
