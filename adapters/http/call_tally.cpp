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

void call_tally::met_problem(const std::string& message) {
  std::lock_guard<std::mutex> guard{mutex_};
  problem_ = message;
}

void call_tally::answered() {
  std::lock_guard<std::mutex> guard{mutex_};
  problem_.clear();
}

std::string call_tally::problem() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return problem_;
}

} // namespace tb::http
