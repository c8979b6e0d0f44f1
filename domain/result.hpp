#pragma once
// A value or a located sync_error: what adapters and stores return instead of
// throwing, so one bad issue becomes one error-list item, not a dead actor.

#include <utility>
#include <variant>

#include "domain/model.hpp"

namespace tb {

template <class T>
class result {
 public:
  // Default: an internal error, so CAF can default-construct replies.
  result() : v_(sync_error{error_kind::internal, "", "no result"}) {}
  result(T value) : v_(std::move(value)) {}
  result(sync_error err) : v_(std::move(err)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const sync_error& error() const { return std::get<1>(v_); }
  friend bool operator==(const result&, const result&) = default;

 private:
  std::variant<T, sync_error> v_;
};

struct unit {};

} // namespace tb
