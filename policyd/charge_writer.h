// ChargeWriter: policyd's single store writer, committing charges in groups.
//
// The event loop submits one charge per queued message and answers Postfix only when the
// completion runs, i.e. after the charge is committed (and fsync'ed) in the store: a process
// crash, or a machine crash, never loses an acknowledged charge. Charges that arrive while a
// commit is in flight are applied together in the next transaction (group commit), so under
// load one fsync serves many messages; a lone message costs one commit. A batch that fails
// (store full or unavailable) fails every charge in it, and policyd defers those messages.
// Thread-safety: submit() from any thread; completions run on the io_context given.
#pragma once

#include <boost/asio.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/base/log.h"
#include "core/base/result.h"
#include "core/model/entities.h"
#include "core/store/lmdb_env.h"

namespace sendpool::policyd {

// Most charges in one transaction: bounds the transaction's size and the latency of its
// callers, far above what one commit's time lets accumulate in practice.
inline constexpr size_t kMaxChargesPerCommit = 2048;

class ChargeWriter {
 public:
  using Done = std::function<void(const Status&)>;

  ChargeWriter(LmdbEnv& env, boost::asio::io_context& io, const Logger& log);
  ~ChargeWriter();  // finishes what was submitted, then stops

  void submit(Charge charge, Done done);

  // Commits so far (for tests and statistics).
  uint64_t commits() const;

 private:
  struct Item {
    Charge charge;
    Done done;
  };
  void run();
  void commit(std::vector<Item>& batch);

  LmdbEnv& env_;
  boost::asio::io_context& io_;
  const Logger& log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  uint64_t commits_ = 0;
  std::thread thread_;
};

}  // namespace sendpool::policyd
