#include "actors/connection_actor.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace tb {

connection_actor::behavior_type
connection(connection_actor::stateful_pointer<connection_state> self,
           std::shared_ptr<tracker_adapter> adapter) {
  self->state.adapter = std::move(adapter);
  auto& a = *self->state.adapter;
  return {
    [&a](poll_atom, const std::string& project, timestamp since, std::uint32_t limit) {
      return a.changed_since(project, since, limit);
    },
    [&a](read_atom, const std::string& project, const std::string& id) {
      return a.read_issue(project, id);
    },
    [&a](create_atom, const std::string& project, const replica_write& w) {
      return a.create_issue(project, w);
    },
    [&a](update_atom, const std::string& project, const std::string& id,
         const replica_write& w) { return a.update_issue(project, id, w); },
    [&a](find_atom, const std::string& project, const std::string& alt_id) {
      return a.find_by_alt_id(project, alt_id);
    },
    [&a](download_atom, const std::string& file_id) { return a.read_attachment(file_id); },
  };
}

} // namespace tb
