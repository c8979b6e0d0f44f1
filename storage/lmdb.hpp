#pragma once
// A thin RAII layer over LMDB: one environment, named databases, and
// transactions whose writes commit together or not at all.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

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

class transaction;

// One caller's part of a group commit (write_transaction): its writes, run
// by whichever thread leads the group, and how they ended.
struct group_work {
  std::function<bool(transaction&)> run; // false: its writes are dropped
  std::exception_ptr error = nullptr;
  bool done = false;
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

  // Runs w's writes in the next group commit and returns once that is on
  // disk; rethrows what w threw (its writes then are not kept, the others'
  // are). Callers on several threads share one transaction and one sync to
  // disk: the first to come leads and commits what queued meanwhile, each
  // part in a child transaction of its own.
  void commit_in_group(group_work& w);
  // Parts queued for the next group commit (for tests).
  std::size_t waiting_for_group();

 private:
  friend class transaction;
  void run_group(const std::vector<group_work*>& batch);
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
  std::mutex group_mutex_;
  std::condition_variable group_done_;
  std::vector<group_work*> group_queue_;
  bool group_leading_ = false;
};

class transaction {
 public:
  enum mode { read_only, read_write };
  transaction(environment& env, mode m);
  // A child of a read-write transaction (LMDB's nested transactions): its
  // writes join the parent's when it commits, and vanish when it aborts.
  explicit transaction(transaction& parent);
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
  // Whether this thread has a transaction open: a write transaction begun
  // inside it cannot wait for a group commit.
  static bool open_here();

 private:
  [[noreturn]] void failed_write(const std::string& what, int rc);
  environment& env_;
  MDB_txn* txn_ = nullptr;
  bool outermost_ = false; // of this thread's transactions: it holds the gate
};

// f(t) in a read-write transaction, committed when f returns and keep(its
// result) holds, and what f returns; when f throws or keep does not hold,
// nothing of it is written. Writes of several threads share one commit
// (environment::commit_in_group): it returns once its writes are on disk.
// The shape of every durable step.
template <class F, class Keep>
auto write_transaction_when(environment& env, F&& f, Keep&& keep)
  -> std::invoke_result_t<F&, transaction&> {
  using R = std::invoke_result_t<F&, transaction&>;
  if (transaction::open_here()) { // nested: a group would wait for its own thread
    transaction t{env, transaction::read_write};
    auto out = f(t);
    if (keep(out))
      t.commit();
    return out;
  }
  std::optional<R> out;
  group_work w{[&](transaction& t) {
    out.emplace(f(t));
    return static_cast<bool>(keep(*out));
  }};
  env.commit_in_group(w);
  return std::move(*out);
}

template <class F>
auto write_transaction(environment& env, F&& f) -> std::invoke_result_t<F&, transaction&> {
  if constexpr (std::is_void_v<std::invoke_result_t<F&, transaction&>>) {
    write_transaction_when(
      env, [&](transaction& t) { f(t); return true; }, [](bool) { return true; });
  } else {
    return write_transaction_when(env, std::forward<F>(f), [](const auto&) { return true; });
  }
}

// Composite keys: parts joined by '\0', so "a" < "a\0b" and prefixes nest.
std::string key_of(std::initializer_list<std::string_view> parts);
std::string prefix_of(std::initializer_list<std::string_view> parts); // key_of + '\0'

// Fixed-width big-endian numbers sort like the numbers in keys.
std::string be64(std::uint64_t v);
std::uint64_t from_be64(std::string_view s);

} // namespace tb::storage
