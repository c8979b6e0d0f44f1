#include "actors/messages.hpp"

namespace tb {

const char* to_string(log_level l) {
  switch (l) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "info";
}

const char* to_string(pass_outcome o) {
  switch (o) {
    case pass_outcome::synced:
      return "synced";
    case pass_outcome::failed:
      return "failed";
    case pass_outcome::unavailable:
      return "unavailable";
    case pass_outcome::left_out:
      return "left out";
    case pass_outcome::held_back:
      return "held back";
  }
  return "failed";
}

const char* to_string(listing_kind k) {
  switch (k) {
    case listing_kind::initial_sync:
      return "initial sync";
    case listing_kind::resync:
      return "resync";
  }
  return "listing";
}

} // namespace tb
