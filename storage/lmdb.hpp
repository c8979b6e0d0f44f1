#pragma once
// A thin RAII layer over LMDB: one environment, named databases, and
// transactions whose writes commit together or not at all.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include <lmdb.h>

namespace tb::storage {

// Thrown for anything LMDB refuses; the message names the directory and what
// to do, because it surfaces at start-up to an operator.
class storage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Transactions pass it together; a map resize passes it alone. A resize
// that waits goes first, so a steady stream of readers cannot starve it.
class resize_gate {
 public:
  void enter();
  void leave();
  template <class F>
  void alone(F&& f);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int inside_ = 0;
  int waiting_ = 0;
  bool resizing_ = false;
};

struct environment_options {
  std::string directory;
  // The initial map size; the map doubles whenever half of it is used.
  std::uint64_t map_size = std::uint64_t{4} << 30; // sparse: costs no disk until used
  unsigned max_databases = 32;
};

class environment {
 public:
  // Throws storage_error if another process has the directory open (two
  // servers syncing from one state would duplicate every write), or if it
  // is not an LMDB environment.
  explicit environment(const environment_options& opts);
  ~environment();
  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;

  MDB_env* handle() const { return env_; }
  const std::string& directory() const { return dir_; }

  // The named database, created on first use. Thread-safe.
  MDB_dbi database(const std::string& name);

  // The map's current size in bytes.
  std::uint64_t map_size() const;

 private:
  friend class transaction;
  void take_directory_lock();
  // Before a write transaction: doubles the map while half or more of it is
  // used (or a write found it full), so a write of up to half the map never
  // fails. LMDB resizes only while no transaction is open in the process,
  // so every transaction holds the gate shared and a resize holds it alone.
  void grow_if_needed();
  resize_gate gate_;
  std::atomic<bool> found_full_{false};
  MDB_env* env_ = nullptr;
  std::string dir_;
  int lock_fd_ = -1; // held while open: one server per directory
  std::mutex dbi_mutex_;
  std::unordered_map<std::string, MDB_dbi> dbis_;
};

class transaction {
 public:
  enum mode { read_only, read_write };
  transaction(environment& env, mode m);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  std::optional<std::string_view> get(MDB_dbi db, std::string_view key);
  void put(MDB_dbi db, std::string_view key, std::string_view value);
  bool erase(MDB_dbi db, std::string_view key); // false if absent

  // Calls f(key, value) for every key starting with prefix, in key order, until
  // f returns false. The views are valid during the call only.
  void scan(MDB_dbi db, std::string_view prefix,
            const std::function<bool(std::string_view, std::string_view)>& f);
  // Like scan, from the first key >= from (still limited to prefix).
  void scan_from(MDB_dbi db, std::string_view prefix, std::string_view from,
                 const std::function<bool(std::string_view, std::string_view)>& f);

  void commit();
  environment& env() { return env_; }

 private:
  [[noreturn]] void failed_write(const std::string& what, int rc);
  environment& env_;
  MDB_txn* txn_ = nullptr;
  bool outermost_ = false; // of this thread's transactions: it holds the gate
};

// f(t) in one read-write transaction, committed when f returns, and what f
// returns; when f throws, nothing of it is written. The shape of every
// durable step.
template <class F>
auto write_transaction(environment& env, F&& f) -> std::invoke_result_t<F&, transaction&> {
  transaction t{env, transaction::read_write};
  if constexpr (std::is_void_v<std::invoke_result_t<F&, transaction&>>) {
    f(t);
    t.commit();
  } else {
    auto out = f(t);
    t.commit();
    return out;
  }
}

// Composite keys: parts joined by '\0', so "a" < "a\0b" and prefixes nest.
std::string key_of(std::initializer_list<std::string_view> parts);
std::string prefix_of(std::initializer_list<std::string_view> parts); // key_of + '\0'

// Fixed-width big-endian numbers sort like the numbers in keys.
std::string be64(std::uint64_t v);
std::uint64_t from_be64(std::string_view s);

} // namespace tb::storage
