#pragma once
// A value the server replaces while requests read it, such as the tasks of
// a reloaded configuration: each request gets the whole value as it was
// when it asked, never part of an old one and part of a new one.

#include <memory>
#include <mutex>
#include <utility>

namespace tb::api {

template <class T>
class live {
 public:
  explicit live(T value) : value_(std::make_shared<const T>(std::move(value))) {
  }

  std::shared_ptr<const T> get() const {
    std::lock_guard lock{mutex_};
    return value_;
  }

  void set(T value) {
    auto next = std::make_shared<const T>(std::move(value));
    std::lock_guard lock{mutex_};
    value_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_;
};

} // namespace tb::api
