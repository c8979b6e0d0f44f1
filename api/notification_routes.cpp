#include "api/notification_routes.hpp"

#include <nlohmann/json.hpp>

#include "api/route_support.hpp"
#include "domain/time.hpp"

namespace tb::api {

namespace {

using json = nlohmann::json;

constexpr std::uint64_t default_limit = 50;
constexpr std::uint64_t max_limit = 500;

json time_or_null(timestamp t) {
  return t == 0 ? json(nullptr) : json(to_rfc3339(t));
}

json mail_json(const storage::outgoing_mail& m) {
  return {{"id", m.id},
          {"to", m.to},
          {"subject", m.subject},
          {"events", m.events},
          {"status", storage::to_string(m.status)},
          {"attempts", m.attempts},
          {"created", time_or_null(m.created)},
          {"next_try", m.status == storage::mail_status::queued ? time_or_null(m.next_try)
                                                                : json(nullptr)},
          {"finished", time_or_null(m.finished)},
          {"answer", m.answer.empty() ? json(nullptr) : json(m.answer)}};
}

} // namespace

void add_notification_routes(router& r, storage::mail_store& store, test_mailer send_test) {
  r.add("GET", "/api/v1/notifications",
        answering([&store](const http_request&, const route_params& p) {
          only_query(p, {"before", "limit"});
          auto before = number_in_query(p, "before", 0, 0, UINT64_MAX);
          auto limit = number_in_query(p, "limit", default_limit, 1, max_limit);
          storage::transaction t{store.env(), storage::transaction::read_only};
          auto page = store.newest(t, before, limit);
          json out = json::array();
          for (auto& m : page)
            out.push_back(mail_json(m));
          // The next page: those before the oldest of this one.
          json next = page.empty() || page.back().id <= 1 ? json(nullptr)
                                                          : json(page.back().id);
          return json_response(200, {{"notifications", out}, {"next", next}});
        }));
  r.add("POST", "/api/v1/notifications/test",
        answering([send_test = std::move(send_test)](const http_request&, const route_params& p) {
          only_query(p, {});
          auto id = send_test();
          if (!id)
            throw api_error{409, "notifications",
                            "no notifications are configured: add a notifications section "
                            "with smtp and rules to the configuration"};
          if (*id == 0)
            throw api_error{409, "notifications",
                            "nobody to send to yet: the rules name roles only, and no member "
                            "with an address is known of them (the log says why)"};
          return json_response(202, {{"queued", *id}});
        }));
}

} // namespace tb::api
