#pragma once
// The mailer seen through the API: GET /api/v1/notifications lists the
// messages made (newest first, paged, with their recipients, events and
// status), POST /api/v1/notifications/test sends a test message to the
// configured addresses. Reads the outbox in LMDB; asks the engine through a
// callback.

#include <cstdint>
#include <functional>
#include <optional>

#include "api/router.hpp"
#include "storage/mail_store.hpp"

namespace tb::api {

// Queues a test message to the rules' recipients: its id, 0 when none has
// an address yet (roles whose members are not known), none when no
// notifications are configured.
using test_mailer = std::function<std::optional<std::uint64_t>()>;

// store must outlive r.
void add_notification_routes(router& r, storage::mail_store& store, test_mailer send_test);

} // namespace tb::api
