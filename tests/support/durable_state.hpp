#pragma once
// What a stopped (or killed) server left in its data directory, read the
// way the server reads it: how tests tell that a kill interrupted work.

#include <cstddef>
#include <string>

namespace tb::test {

// Changes of `task` seen but not yet synced. The server must not be running.
std::size_t queued_changes(const std::string& data_dir, const std::string& task);

} // namespace tb::test
