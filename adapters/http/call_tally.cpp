#include "adapters/http/call_tally.hpp"

namespace tb::http {

void call_tally::count(int status) {
  std::lock_guard<std::mutex> guard{mutex_};
  ++counts_[status];
}

std::map<int, std::uint64_t> call_tally::counts() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return counts_;
}

} // namespace tb::http
