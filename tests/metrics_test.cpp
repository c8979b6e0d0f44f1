#define CAF_SUITE metrics
#define FAIL CAF_FAIL
#include "caf/test/dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include "api/metrics_routes.hpp"

using namespace tb;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

} // namespace

CAF_TEST(a_scrape_shows_cumulative_latency_buckets_and_escapes_label_values) {
  task_status s;
  s.name = R"(odd "name"\ here)";
  s.state = "running";
  s.received[0] = 3;
  s.synced = 2;
  s.failed = 1;
  s.latency.observe(0.004);
  s.latency.observe(0.2);
  std::map<std::string, task_status> reports{{s.name, s}};
  std::map<std::string, api::task_backlog> backlogs{{s.name, {4, 1}}};
  std::map<std::string, api::connection_report> connections{
    {"rm1", {{{200, 7}, {0, 2}}, ""}}, {"rm2", {{{0, 3}}, "TLS with https://rm2: not trusted"}}};
  auto text = api::render_metrics({s.name}, reports, backlogs, connections);
  const std::string task = R"(task="odd \"name\"\\ here")";
  CAF_CHECK(has_line(text, "trackbridge_changes_received_total{" + task + ",side=\"source\"} 3"));
  CAF_CHECK(has_line(text, "trackbridge_changes_synced_total{" + task + "} 2"));
  CAF_CHECK(has_line(text, "trackbridge_changes_failed_total{" + task + "} 1"));
  CAF_CHECK(has_line(text, "trackbridge_backlog{" + task + "} 4"));
  CAF_CHECK(has_line(text, "trackbridge_errors{" + task + "} 1"));
  CAF_CHECK(has_line(text, "trackbridge_sync_latency_seconds_bucket{" + task + ",le=\"0.005\"} 1"));
  CAF_CHECK(has_line(text, "trackbridge_sync_latency_seconds_bucket{" + task + ",le=\"0.1\"} 1"));
  CAF_CHECK(has_line(text, "trackbridge_sync_latency_seconds_bucket{" + task + ",le=\"0.25\"} 2"));
  CAF_CHECK(has_line(text, "trackbridge_sync_latency_seconds_bucket{" + task + ",le=\"+Inf\"} 2"));
  CAF_CHECK(has_line(text, "trackbridge_sync_latency_seconds_count{" + task + "} 2"));
  CAF_CHECK(has_line(text, R"(trackbridge_tracker_http_calls_total{connection="rm1",status="200"} 7)"));
  CAF_CHECK(has_line(text, R"(trackbridge_tracker_http_calls_total{connection="rm1",status="none"} 2)"));
  CAF_CHECK(has_line(text, R"(trackbridge_connection_problem{connection="rm1"} 0)"));
  CAF_CHECK(has_line(text, R"(trackbridge_connection_problem{connection="rm2"} 1)"));
}

CAF_TEST(a_task_that_did_not_report_is_left_out_of_the_per_task_figures) {
  auto text = api::render_metrics({"quiet"}, {}, {{"quiet", {0, 0}}}, {});
  CAF_CHECK(text.find("trackbridge_changes_synced_total{") == std::string::npos);
  CAF_CHECK(text.find("trackbridge_sync_latency_seconds_count{") == std::string::npos);
  CAF_CHECK(has_line(text, R"(trackbridge_backlog{task="quiet"} 0)"));
  // Every family is still declared, so a scrape's shape does not change.
  CAF_CHECK(text.find("# TYPE trackbridge_changes_synced_total counter\n") != std::string::npos);
}
