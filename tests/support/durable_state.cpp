#include "tests/support/durable_state.hpp"

#include "storage/sync_state.hpp"

namespace tb::test {

std::size_t queued_changes(const std::string& data_dir, const std::string& task) {
  storage::environment env{{data_dir, std::uint64_t{1} << 30, 32}};
  storage::sync_state store{env};
  storage::transaction t{env, storage::transaction::read_only};
  return store.queue_length(t, task);
}

} // namespace tb::test
