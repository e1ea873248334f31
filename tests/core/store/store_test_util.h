// Helpers shared by the store tests: a temporary store directory, a full dump of every table
// for "unchanged" comparisons, and running a function in a forked child process.
//
// Each test owns its directories (mkdtemp under /tmp, removed by the destructor). A child
// process opens its own environment after fork() and reports only through its exit status:
// gtest assertions do not cross a process boundary.
// Thread-safety: single-threaded test code.
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/store/lmdb_env.h"
#include "core/store/store.h"

namespace sendpool::testing {

// A fresh directory under /tmp, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/sendpool-store-test-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory (which itself does not exist yet).
  std::string sub(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

inline LmdbOptions store_options(const std::string& path, bool create = true) {
  LmdbOptions o;
  o.path = path;
  o.create = create;
  o.map_size = 64ull << 20;  // plenty for tests, small enough for any machine
  return o;
}

// Every table's entries, keyed by table name, in key order.
using StoreDump = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;

inline StoreDump dump_store(const LmdbEnv& env) {
  StoreDump out;
  Status s = env.read([&](const ReadTxn& txn) -> Status {
    for (unsigned i = 0; i < static_cast<unsigned>(Db::kCount); ++i) {
      auto db = static_cast<Db>(i);
      auto& rows = out[db_name(db)];
      SENDPOOL_TRY(txn.scan(db, {}, [&](std::string_view k, std::string_view v) {
        rows.emplace_back(std::string(k), std::string(v));
        return true;
      }));
    }
    return ok_status();
  });
  if (!s) ADD_FAILURE() << "dumping the store: " << s.error().message;
  return out;
}

// A forked child running `body`; its exit status is body's return value (0 = success).
class ChildProcess {
 public:
  explicit ChildProcess(const std::function<int()>& body) {
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      int rc = 99;
      try {
        rc = body();
      } catch (...) {
        rc = 98;
      }
      std::fflush(nullptr);
      ::_exit(rc);
    }
    if (pid_ < 0) ADD_FAILURE() << "fork failed";
  }
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits up to `timeout` for the child; returns its exit code, or -1 when it timed out (it
  // is then killed) and -2 when it died from a signal.
  int wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -3;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (r < 0) return -3;
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        reaped_ = true;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    reaped_ = true;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return -2;
  }

  // Kills the child with `sig` and reaps it.
  void kill_and_reap(int sig) {
    if (pid_ <= 0 || reaped_) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace sendpool::testing
