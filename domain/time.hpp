#pragma once
#include <optional>
#include <string>

#include "domain/model.hpp"

namespace tb {

timestamp now_ms();

// "2026-11-22T04:17:00.123Z"
std::string to_rfc3339(timestamp t);

// Accepts "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)"; nullopt otherwise.
std::optional<timestamp> parse_rfc3339(const std::string& text);

} // namespace tb
