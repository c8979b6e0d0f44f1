#include "storage/lmdb.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <utility>

namespace tb::storage {

namespace {

[[noreturn]] void fail(const std::string& what, int rc) {
  throw storage_error(what + ": " + mdb_strerror(rc));
}

MDB_val val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

// Transactions this thread has open: only the outermost takes the gate, so a
// nested one never waits for a resize that waits for it.
thread_local int open_transactions = 0;

} // namespace

void resize_gate::enter() {
  std::unique_lock<std::mutex> lock{mutex_};
  changed_.wait(lock, [this] { return !resizing_ && waiting_ == 0; });
  ++inside_;
}

void resize_gate::leave() {
  std::lock_guard<std::mutex> lock{mutex_};
  if (--inside_ == 0)
    changed_.notify_all();
}

template <class F>
void resize_gate::alone(F&& f) {
  std::unique_lock<std::mutex> lock{mutex_};
  ++waiting_;
  changed_.wait(lock, [this] { return inside_ == 0 && !resizing_; });
  --waiting_;
  resizing_ = true;
  lock.unlock();
  struct reopen {
    resize_gate& gate;
    ~reopen() {
      std::lock_guard<std::mutex> again{gate.mutex_};
      gate.resizing_ = false;
      gate.changed_.notify_all();
    }
  } on_exit{*this};
  f();
}

environment::environment(const environment_options& opts) : dir_(opts.directory) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    throw storage_error("storage directory " + dir_ + " cannot be created: " + ec.message()
                        + " (check storage.directory in the config and its permissions)");
  take_directory_lock();
  if (int rc = mdb_env_create(&env_); rc != 0) {
    ::close(lock_fd_);
    fail("cannot create an LMDB environment", rc);
  }
  mdb_env_set_maxdbs(env_, opts.max_databases);
  mdb_env_set_mapsize(env_, opts.map_size);
  // MDB_NOTLS: transactions are not tied to threads, so actors on the
  // scheduler's worker threads may use them.
  if (int rc = mdb_env_open(env_, dir_.c_str(), MDB_NOTLS, 0640); rc != 0) {
    mdb_env_close(env_);
    env_ = nullptr;
    ::close(lock_fd_);
    fail("cannot open the storage directory " + dir_
           + " (is it an LMDB directory written by TrackBridge, and writable?)",
         rc);
  }
}

environment::~environment() {
  if (env_)
    mdb_env_close(env_);
  if (lock_fd_ >= 0)
    ::close(lock_fd_);
}

void environment::take_directory_lock() {
  auto path = dir_ + "/trackbridge.lock";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (lock_fd_ < 0)
    throw storage_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw storage_error("the storage directory " + dir_
                        + " is in use by another running TrackBridge; stop it, or give this "
                          "one its own directory (storage.directory or --data-dir)");
  }
}

std::uint64_t environment::map_size() const {
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

void environment::grow_if_needed() {
  auto needs_room = [this] {
    MDB_envinfo info;
    MDB_stat stat;
    mdb_env_info(env_, &info);
    mdb_env_stat(env_, &stat);
    auto used = (std::uint64_t{info.me_last_pgno} + 1) * stat.ms_psize;
    return found_full_.load() || used * 2 >= info.me_mapsize;
  };
  if (!needs_room())
    return;
  gate_.alone([&] {
    if (!needs_room()) // another thread grew it meanwhile
      return;
    auto grown = map_size() * 2;
    if (int rc = mdb_env_set_mapsize(env_, grown); rc != 0)
      fail("cannot grow the storage map of " + dir_ + " to " + std::to_string(grown >> 20)
             + " MiB (is the disk or the address space full?)",
           rc);
    found_full_ = false;
  });
}

MDB_dbi environment::database(const std::string& name) {
  std::lock_guard<std::mutex> guard{dbi_mutex_};
  if (auto i = dbis_.find(name); i != dbis_.end())
    return i->second;
  // Its transaction counts like any other of this thread's (see transaction).
  bool outermost = open_transactions++ == 0;
  if (outermost)
    gate_.enter();
  struct leave_gate {
    resize_gate& gate;
    bool outermost;
    ~leave_gate() {
      --open_transactions;
      if (outermost)
        gate.leave();
    }
  } on_exit{gate_, outermost};
  // Opening a named database needs its own write transaction; LMDB allows
  // the handle to be used by every later transaction once this commits.
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != 0)
    fail("cannot open database " + name, rc);
  MDB_dbi dbi;
  if (int rc = mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &dbi); rc != 0) {
    mdb_txn_abort(txn);
    fail("cannot open database " + name + " in " + dir_, rc);
  }
  if (int rc = mdb_txn_commit(txn); rc != 0)
    fail("cannot open database " + name, rc);
  dbis_.emplace(name, dbi);
  return dbi;
}

transaction::transaction(environment& env, mode m) : env_(env) {
  outermost_ = open_transactions == 0;
  if (outermost_ && m == read_write)
    env.grow_if_needed();
  if (outermost_)
    env.gate_.enter();
  ++open_transactions;
  if (int rc = mdb_txn_begin(env.handle(), nullptr, m == read_only ? MDB_RDONLY : 0, &txn_);
      rc != 0) {
    --open_transactions;
    if (outermost_)
      env.gate_.leave();
    fail("cannot begin a storage transaction in " + env.directory(), rc);
  }
}

transaction::transaction(transaction& parent) : env_(parent.env_) {
  ++open_transactions;
  if (int rc = mdb_txn_begin(env_.handle(), parent.txn_, 0, &txn_); rc != 0) {
    --open_transactions;
    fail("cannot begin a storage transaction in " + env_.directory(), rc);
  }
}

bool transaction::open_here() {
  return open_transactions > 0;
}

transaction::~transaction() {
  if (txn_)
    mdb_txn_abort(txn_);
  --open_transactions;
  if (outermost_)
    env_.gate_.leave();
}

void environment::commit_in_group(group_work& w) {
  std::unique_lock<std::mutex> lock{group_mutex_};
  group_queue_.push_back(&w);
  while (!w.done) {
    if (group_leading_) {
      group_done_.wait(lock);
      continue;
    }
    group_leading_ = true;
    auto batch = std::exchange(group_queue_, {});
    lock.unlock();
    run_group(batch);
    lock.lock();
    for (auto* x : batch)
      x->done = true;
    group_leading_ = false;
    group_done_.notify_all();
  }
  if (w.error)
    std::rethrow_exception(w.error);
}

std::size_t environment::waiting_for_group() {
  std::lock_guard<std::mutex> lock{group_mutex_};
  return group_queue_.size();
}

void environment::run_group(const std::vector<group_work*>& batch) {
  try {
    transaction group{*this, transaction::read_write};
    if (batch.size() == 1) { // alone: no child needed
      if (batch[0]->run(group))
        group.commit();
      return;
    }
    for (auto* w : batch) {
      try {
        transaction part{group};
        if (w->run(part))
          part.commit();
      } catch (...) {
        w->error = std::current_exception();
      }
    }
    group.commit();
  } catch (...) {
    // Nothing of the group was written: each part that had not failed by
    // itself fails with this.
    for (auto* w : batch)
      if (!w->error)
        w->error = std::current_exception();
  }
}

void transaction::failed_write(const std::string& what, int rc) {
  if (rc == MDB_MAP_FULL) {
    // Too big for the room left: the map doubles before the next write
    // transaction, and the engine's retry of the failed work succeeds.
    env_.found_full_ = true;
    throw storage_error(what + " " + env_.directory()
                        + ": the storage map is full; it grows before the next write");
  }
  fail(what + " " + env_.directory(), rc);
}

std::optional<std::string_view> transaction::get(MDB_dbi db, std::string_view key) {
  MDB_val k = val(key), v;
  int rc = mdb_get(txn_, db, &k, &v);
  if (rc == MDB_NOTFOUND)
    return std::nullopt;
  if (rc != 0)
    fail("storage read failed", rc);
  return view(v);
}

void transaction::put(MDB_dbi db, std::string_view key, std::string_view value) {
  MDB_val k = val(key), v = val(value);
  if (int rc = mdb_put(txn_, db, &k, &v, 0); rc != 0)
    failed_write("storage write failed in", rc);
}

bool transaction::erase(MDB_dbi db, std::string_view key) {
  MDB_val k = val(key);
  int rc = mdb_del(txn_, db, &k, nullptr);
  if (rc == MDB_NOTFOUND)
    return false;
  if (rc != 0)
    failed_write("storage delete failed in", rc);
  return true;
}

void transaction::scan(MDB_dbi db, std::string_view prefix,
                       const std::function<bool(std::string_view, std::string_view)>& f) {
  scan_from(db, prefix, prefix, f);
}

void transaction::scan_from(MDB_dbi db, std::string_view prefix, std::string_view from,
                            const std::function<bool(std::string_view, std::string_view)>& f) {
  MDB_cursor* cur = nullptr;
  if (int rc = mdb_cursor_open(txn_, db, &cur); rc != 0)
    fail("storage cursor failed", rc);
  MDB_val k = val(from), v;
  int rc = from.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST)
                        : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  while (rc == 0) {
    auto key = view(k);
    if (key.substr(0, prefix.size()) != prefix)
      break;
    if (!f(key, view(v)))
      break;
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND)
    fail("storage scan failed", rc);
}

void transaction::commit() {
  int rc = mdb_txn_commit(txn_);
  txn_ = nullptr;
  if (rc != 0)
    failed_write("storage commit failed in", rc);
}

std::string key_of(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (auto p : parts) {
    if (!first)
      out.push_back('\0');
    out.append(p);
    first = false;
  }
  return out;
}

std::string prefix_of(std::initializer_list<std::string_view> parts) {
  auto out = key_of(parts);
  out.push_back('\0');
  return out;
}

std::string be64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::uint64_t from_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i)
    v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

} // namespace tb::storage
