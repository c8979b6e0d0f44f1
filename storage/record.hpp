#pragma once
// Records in LMDB are MessagePack: compact, and parsed without text scanning.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tb::storage {

inline std::string encode(const nlohmann::json& j) {
  auto bytes = nlohmann::json::to_msgpack(j);
  return {bytes.begin(), bytes.end()};
}

inline nlohmann::json decode(std::string_view s) {
  return nlohmann::json::from_msgpack(s.begin(), s.end());
}

} // namespace tb::storage
