#pragma once
// The configured tracker connections, made real: the embedded trackers
// opened in the store, and each connection's actors added to the engine
// with its type's adapter.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/engine.hpp"
#include "adapters/http/call_tally.hpp"
#include "adapters/local/local_tracker.hpp"
#include "config/config.hpp"
#include "storage/lmdb.hpp"

namespace tb::app {

using local_trackers = std::map<std::string, std::unique_ptr<local::tracker>>;
using call_tallies = std::map<std::string, std::shared_ptr<http::call_tally>>;

// The configured embedded trackers, with their projects created. Throws,
// naming the connection and project, when a project cannot be.
local_trackers open_local_trackers(const config::config& cfg, storage::environment& env);

// The TLS files of every https connection (ca_file, client certificate and
// key), read as `run` reads them: each problem as "$.connections.X.KEY:
// cannot use FILE: why", none when all can be used. For `check`, which
// opens nothing else.
std::vector<std::string> check_connection_files(const config::config& cfg);

// What each task side's project takes (domain/catalogue.hpp), read as
// `check --online` needs it: an embedded tracker's from its configured
// projects, a Redmine's over HTTP; once per connection and project. A side
// that cannot be read (Redmine down, an API key not in the environment)
// holds the error.
using catalogues = std::map<std::pair<std::string, std::string>, result<tracker_catalogue>>;
catalogues read_catalogues(const config::config& cfg);

// One connection's adapter for reading outside the server (`check
// --explain`), with what it reads from: an embedded tracker's data
// directory, opened as the server opens it. Throws, naming what is
// missing (the data directory, an API key not in the environment).
struct opened_reader {
  std::unique_ptr<storage::environment> env;
  std::unique_ptr<local::tracker> local;
  std::shared_ptr<tracker_adapter> adapter;
};
opened_reader open_reader(const config::config& cfg, const std::string& connection);

// Every configured connection gets its connection actor(s); those that
// speak HTTP count their calls in a tally (for /metrics). Throws, naming the
// connection, when one cannot be made (an API key not in the environment).
call_tallies add_connections(engine& e, const config::config& cfg, const local_trackers& local);

} // namespace tb::app
