#pragma once
// A deterministic actor system (test coordinator) with two in-memory
// trackers behind real connection actors, real LMDB state and a logger.

#include <caf/test/dsl.hpp>

#include "actors/connection_actor.hpp"
#include "actors/issue_actor.hpp"
#include "actors/logger_actor.hpp"
#include "actors/poller_actor.hpp"
#include "actors/system_config.hpp"
#include "storage/sync_state.hpp"
#include "tests/support/memory_adapter.hpp"
#include "tests/support/temp_dir.hpp"

namespace tb::test {

// A mailer stand-in that keeps the notices it gets, for the actors that
// report events (tasks, issues, connections).
inline mailer_actor::behavior_type notices_to(mailer_actor::pointer, std::vector<notice>* got) {
  return {
    [got](notice_atom, const notice& n) { got->push_back(n); },
    [](mail_atom, const std::string&) {},
    [](retry_atom, std::uint64_t) {},
    [](members_atom, const std::string&) {},
    [](send_atom, const std::vector<std::string>&) { return std::uint64_t{0}; },
  };
}

} // namespace tb::test

struct actor_fixture : test_coordinator_fixture<tb::system_config> {
  tb::test::temp_dir dir;
  tb::storage::environment env{{dir.path(), std::uint64_t{64} << 20, 32}};
  tb::storage::sync_state store{env};
  std::shared_ptr<tb::test::memory_adapter> a = std::make_shared<tb::test::memory_adapter>("a");
  std::shared_ptr<tb::test::memory_adapter> b = std::make_shared<tb::test::memory_adapter>("b");
  tb::logger_actor log = sys.spawn(tb::logger, &store);
  // The connections' breakers run on this clock, moved by hand.
  tb::timestamp now = 1000;
  std::shared_ptr<tb::connection_health> health_a = make_health("a");
  std::shared_ptr<tb::connection_health> health_b = make_health("b");
  tb::connection_actor conn_a = sys.spawn(tb::connection, a, health_a, log);
  tb::connection_actor conn_b = sys.spawn(tb::connection, b, health_b, log);

  std::shared_ptr<tb::connection_health> make_health(const std::string& name) {
    auto h = std::make_shared<tb::connection_health>(name, 5, std::chrono::seconds{10});
    h->clock = [this] { return now; };
    return h;
  }

  std::set<std::string> handled(tb::side s, const std::string& id) {
    tb::storage::transaction t{env, tb::storage::transaction::read_only};
    return store.handled(t, "t", tb::issue_ref{s, id});
  }

  std::shared_ptr<tb::task_context> make_context(bool two_way) {
    auto ctx = std::make_shared<tb::task_context>();
    ctx->name = "t";
    ctx->sides[0] = {"a", "P", conn_a, {}};
    ctx->sides[1] = {"b", "Q", conn_b, {}};
    ctx->sides[0].records_children = a->records_children();
    ctx->sides[1].records_children = b->records_children();
    ctx->sides[0].has_watchers = a->has_watchers();
    ctx->sides[1].has_watchers = b->has_watchers();
    ctx->sides[0].edits_file_descriptions = a->edits_file_descriptions();
    ctx->sides[1].edits_file_descriptions = b->edits_file_descriptions();
    ctx->sides[0].has_time_entries = a->has_time_entries();
    ctx->sides[1].has_time_entries = b->has_time_entries();
    ctx->two_way = two_way;
    ctx->store = &store;
    ctx->log = log;
    return ctx;
  }


  ~actor_fixture() {
    for (auto h : {caf::actor_cast<caf::actor>(conn_a), caf::actor_cast<caf::actor>(conn_b),
                   caf::actor_cast<caf::actor>(log)})
      anon_send_exit(h, caf::exit_reason::user_shutdown);
    sched.run();
  }
};
