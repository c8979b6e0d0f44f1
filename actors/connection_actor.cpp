#include "actors/connection_actor.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace tb {

namespace {

// An adapter call that throws (a tracker's answer of a shape it did not
// expect, or a bug) fails that one call with a located error, which puts the
// issue in the error list; the connection goes on serving the others. Let
// through, the exception would end this actor and every later call with it.
template <class F>
auto guarded(const tracker_adapter& a, const std::string& doing, F call) -> decltype(call()) {
  try {
    return call();
  } catch (const std::exception& e) {
    return sync_error{error_kind::invalid, "connection " + a.connection() + ", " + doing,
                      std::string{"the tracker's answer could not be handled: "} + e.what()};
  }
}

} // namespace

connection_actor::behavior_type
connection(connection_actor::stateful_pointer<connection_state> self,
           std::shared_ptr<tracker_adapter> adapter) {
  self->state.adapter = std::move(adapter);
  auto& a = *self->state.adapter;
  return {
    [&a](poll_atom, const std::string& project, timestamp since, std::uint32_t limit) {
      return guarded(a, "listing project " + project,
                     [&] { return a.changed_since(project, since, limit); });
    },
    [&a](read_atom, const std::string& project, const std::string& id) {
      return guarded(a, "reading issue " + id, [&] { return a.read_issue(project, id); });
    },
    [&a](create_atom, const std::string& project, const replica_write& w) {
      return guarded(a, "creating an issue in project " + project,
                     [&] { return a.create_issue(project, w); });
    },
    [&a](update_atom, const std::string& project, const std::string& id,
         const replica_write& w) {
      return guarded(a, "updating issue " + id, [&] { return a.update_issue(project, id, w); });
    },
    [&a](find_atom, const std::string& project, const std::string& alt_id) {
      return guarded(a, "looking for ALT_ID " + alt_id,
                     [&] { return a.find_by_alt_id(project, alt_id); });
    },
    [&a](download_atom, const std::string& file_id) {
      return guarded(a, "downloading file " + file_id, [&] { return a.read_attachment(file_id); });
    },
  };
}

} // namespace tb
