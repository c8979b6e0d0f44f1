// A webhook's body on arbitrary bytes: the issue ids it names, or a refusal
// that says where and why; never a crash or an exception.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/hook_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto body = tb::api::read_hook_body(std::string_view(reinterpret_cast<const char*>(data), size));
  if (body.ok()) {
    if (body.issues.empty() || body.issues.size() > tb::api::max_hook_issues)
      __builtin_trap();
    for (auto& id : body.issues)
      if (id.empty() || id.size() > 64 || id.find('/') != std::string::npos)
        __builtin_trap(); // an accepted id is safe to put in a path
  } else if (body.where.empty() || !body.issues.empty()) {
    __builtin_trap();
  }
  return 0;
}
